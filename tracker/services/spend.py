"""Spend: price changes, what every contract costs a year, and the renewal exposure a CFO asks for.

Totals are per currency: amounts in different currencies are never added together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TypedDict

from tracker.domain import spend as rules
from tracker.domain.money import format_money
from tracker.domain.terms import final_end, term_index_on
from tracker.errors import InvalidInput
from tracker.services.context import Context
from tracker.services.events import record_event
from tracker.services.lookup import get_contract
from tracker.store import Session
from tracker.store import contracts as contract_rows
from tracker.store import prices as price_rows
from tracker.store.mapping import terms_of
from tracker.store.tables import Contract, PriceChange

GROUPS = ("vendor", "owner", "tag", "currency")


@dataclass(frozen=True)
class PriceView:
    """A recorded price change and what it means."""

    key: str
    amount: str  # "USD 126,000.00"
    effective_from: date
    uplift: Decimal | None  # percent over the price before
    cap: Decimal | None  # the contract's renewal uplift cap, percent
    above_cap: bool


class SpendRow(TypedDict):
    """Annualised committed spend of one group in one currency."""

    group: str
    currency: str
    annual: str  # "120000.00"
    contracts: int


class ExposureRow(TypedDict):
    """A contract that renews automatically within the window unless notice is given."""

    contract: str
    vendor: str
    owner: str
    notice_by: str
    renews_on: str
    amount: str  # what the renewal commits: one renewal term at the current price
    currency: str | None


class Converted(TypedDict):
    """Totals converted into the settings' base currency (only when every currency has a rate)."""

    currency: str
    annual: str
    exposure: str


class SpendReport(TypedDict):
    by: str
    spend: list[SpendRow]
    exposure: list[ExposureRow]
    converted: Converted | None


def prices_of(session: Session, contract: Contract) -> list[rules.Price]:
    """The contract's price changes as domain values."""
    return _prices(price_rows.of_contracts(session, [contract.id or 0]).get(contract.id or 0, []))


def _prices(rows: list[PriceChange]) -> list[rules.Price]:
    return [rules.Price(row.amount, row.effective_from) for row in rows]


def price_on(contract: Contract, prices: list[rules.Price], day: date) -> Decimal | None:
    """The contract's price on ``day``: its value, or the latest price change in force."""
    return rules.price_on(contract.value, contract.start, prices, day)


def record_price(
    session: Session, key: str, amount: Decimal, effective_from: date, note: str | None, ctx: Context,
) -> PriceView:
    """Record a new price from a date on; an uplift above the contract's cap is flagged (and alerted once)."""
    contract = get_contract(session, key)
    assert contract.id is not None
    if effective_from < contract.start:
        raise InvalidInput.field("--from", effective_from.isoformat(), "a date on or after the contract's start")
    before = price_on(contract, prices_of(session, contract), effective_from - timedelta(days=1))
    uplift = rules.uplift(before, amount) if before is not None else None
    cap = contract.renewal_uplift_cap
    above = uplift is not None and cap is not None and uplift > cap
    session.add(PriceChange(contract_id=contract.id, amount=amount, effective_from=effective_from, uplift=uplift,
                            above_cap=above, note=note, created_at=ctx.now))
    record_event(session, ctx, "price_changed", contract, amount=amount, effective_from=effective_from,
                 uplift=uplift, cap=cap, above_cap=above, note=note)
    return PriceView(key, format_money(amount, contract.currency), effective_from, uplift, cap, above)


def spend_report(
    session: Session, today: date, by: str = "vendor", within: int = 90, base: str | None = None,
    rates: dict[str, Decimal] | None = None,
) -> SpendReport:
    """Annualised committed spend by ``by`` (per currency), and what auto-renews within ``within`` days.

    With a ``base`` currency and ``rates`` for every other currency in use, the totals are also converted
    (configured rates, never looked up); otherwise amounts in different currencies are never added.
    """
    from tracker.services.timeline import next_notice

    if by not in GROUPS:
        raise InvalidInput.field("--by", by, f"one of {', '.join(GROUPS)}")
    contracts = [c for c in contract_rows.listed(session) if c.value is not None]
    prices = price_rows.of_contracts(session, [c.id for c in contracts if c.id is not None])
    totals: dict[tuple[str, str], tuple[Decimal, int]] = {}
    exposure: list[ExposureRow] = []
    for contract in contracts:
        terms = terms_of(contract)
        last = final_end(terms)
        if last is not None and last < today:
            continue  # ended: no longer committed
        own = _prices(prices.get(contract.id or 0, []))
        amount = price_on(contract, own, today)
        if amount is None:
            continue
        annual = rules.yearly(amount, contract.value_basis, terms, today)
        currency = contract.currency or "-"
        groups = {"vendor": [contract.vendor], "owner": [contract.owner], "currency": [currency],
                  "tag": list(contract.tags) or ["(untagged)"]}[by]
        for group in groups:
            total, count = totals.get((group, currency), (Decimal(0), 0))
            totals[(group, currency)] = (total + annual, count + 1)
        deadline, renews_on = next_notice(contract, today)
        if deadline is not None and renews_on is not None and renews_on <= today + timedelta(days=within):
            k = term_index_on(terms, renews_on)
            cost = rules.term_cost(price_on(contract, own, renews_on) or amount, contract.value_basis, terms, k)
            exposure.append(ExposureRow(
                contract=contract.key, vendor=contract.vendor, owner=contract.owner,
                notice_by=deadline.isoformat(), renews_on=renews_on.isoformat(), amount=str(cost),
                currency=contract.currency,
            ))
    spend = [SpendRow(group=group, currency=currency, annual=str(total.quantize(Decimal("0.01"))), contracts=count)
             for (group, currency), (total, count) in sorted(totals.items())]
    exposure.sort(key=lambda row: (row["notice_by"], row["contract"]))
    return SpendReport(by=by, spend=spend, exposure=exposure, converted=_converted(totals, exposure, base, rates))


def _converted(
    totals: dict[tuple[str, str], tuple[Decimal, int]], exposure: list[ExposureRow], base: str | None,
    rates: dict[str, Decimal] | None,
) -> Converted | None:
    if base is None:
        return None
    table = {**(rates or {}), base: Decimal(1)}
    per_currency: dict[str, Decimal] = {}
    for (_, currency), (total, _) in totals.items():
        per_currency[currency] = per_currency.get(currency, Decimal(0)) + total
    if any(currency not in table for currency in per_currency):
        return None  # a currency without a rate: no converted total rather than a wrong one
    exposed = [(row["currency"] or "-", Decimal(row["amount"])) for row in exposure]
    if any(currency not in table for currency, _ in exposed):
        return None
    cent = Decimal("0.01")
    annual = sum((amount * table[currency] for currency, amount in per_currency.items()), Decimal(0))
    at_stake = sum((amount * table[currency] for currency, amount in exposed), Decimal(0))
    return Converted(currency=base, annual=str(annual.quantize(cent)), exposure=str(at_stake.quantize(cent)))


def termination_fee(contract: Contract, prices: list[rules.Price], ends_on: date) -> Decimal | None:
    """The fee for ending early on ``ends_on``, when the contract has one and a price."""
    amount = price_on(contract, prices, ends_on)
    if contract.termination_fee is None or amount is None:
        return None
    return rules.termination_fee(contract.termination_fee, amount, contract.value_basis, terms_of(contract), ends_on)
