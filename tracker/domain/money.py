"""Amounts of money: ``Decimal`` end to end, one way to read them and one way to show them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

CENT = Decimal("0.01")
LIMIT = Decimal("1e14")  # the column holds 16 digits, two of them decimals
EXPECTED = "a non-negative amount such as 120000 or 4999.50"

# ISO 4217 active codes: the currencies a contract can be priced in.
CURRENCIES = frozenset(
    """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD
CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ
GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR
LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN
PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB
TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL
""".split()  # noqa: SIM905
)


def parse_amount(value: object) -> Decimal | None:
    """An amount from text or a number ("120,000", 4999.5), to the cent; None when it is not one."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        amount = Decimal(str(value).replace(",", "").replace("_", "").strip())
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0 or amount >= LIMIT:
        return None
    return amount.quantize(CENT)


def format_money(amount: Decimal | None, currency: str | None = None) -> str:
    """``USD 120,000.00``: thousands separators and two decimals, exact at any size (never via float)."""
    if amount is None:
        return ""
    text = f"{Decimal(amount).quantize(CENT):,.2f}"
    return f"{currency} {text}" if currency else text
