"""Spend: what a contract costs a year, what a renewal commits, price uplifts and termination fees.

Pure and exact (``Decimal``). A contract's ``value`` is the price of one term, one year or one month
(its *value basis*); everything here converts through the yearly rate, never through floats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from tracker.domain.dates import add_months
from tracker.domain.money import CENT
from tracker.domain.terms import Terms, term_end, term_index_on, term_start

BASES = ("term", "year", "month")
BASIS_EXPECTED = "per term, per year or per month"
PERCENT_EXPECTED = "a percentage such as 5% or 30%"
DAYS_A_YEAR = Decimal(365)


def parse_basis(value: object) -> str | None:
    """'per year' / 'year' / 'yearly' → 'year' (None when it is not a basis)."""
    if not isinstance(value, str):
        return None
    word = value.strip().lower().removeprefix("per ").strip()
    word = {"yearly": "year", "annual": "year", "annually": "year", "monthly": "month", "annum": "year"}.get(word, word)
    return word if word in BASES else None


def parse_percent(value: object) -> Decimal | None:
    """'5%' or 5 → Decimal('5.00'), from 0 to 1,000 (None when it is not one)."""
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip().removesuffix("%").strip()
    try:
        percent = Decimal(text)
    except ArithmeticError:
        return None
    if not percent.is_finite() or not Decimal(0) <= percent <= Decimal(1000):
        return None
    return percent.quantize(CENT)


def format_percent(value: Decimal) -> str:
    """A percentage for people and files: ``5%``, ``12.5%`` (read back by :func:`parse_percent`)."""
    return f"{value.normalize():f}%"


def term_days(terms: Terms, k: int) -> int:
    """How many days term ``k`` lasts."""
    return (term_end(terms, k) - term_start(terms, k)).days + 1


def _term_years(terms: Terms, k: int) -> Decimal:
    """Term ``k``'s length in years: whole months count twelfths exactly, other lengths by days."""
    start, end = term_start(terms, k), term_end(terms, k)
    after = end + timedelta(days=1)
    months = (after.year - start.year) * 12 + after.month - start.month
    if months > 0 and add_months(start, months) == after:
        return Decimal(months) / Decimal(12)
    return Decimal(term_days(terms, k)) / DAYS_A_YEAR


def yearly(amount: Decimal, basis: str | None, terms: Terms, day: date) -> Decimal:
    """The yearly rate of ``amount`` priced per ``basis``, for the term containing ``day``."""
    match basis or "term":
        case "year":
            rate = amount
        case "month":
            rate = amount * 12
        case _:
            rate = amount / _term_years(terms, term_index_on(terms, day))
    return rate.quantize(CENT, ROUND_HALF_EVEN)


def term_cost(amount: Decimal, basis: str | None, terms: Terms, k: int) -> Decimal:
    """What term ``k`` costs at ``amount`` per ``basis``: what a renewal into it commits."""
    if (basis or "term") == "term":
        return amount.quantize(CENT)
    rate = yearly(amount, basis, terms, term_start(terms, k))
    return (rate * _term_years(terms, k)).quantize(CENT, ROUND_HALF_EVEN)


def uplift(before: Decimal, after: Decimal) -> Decimal | None:
    """The rise from ``before`` to ``after`` in percent (None when there was no price before)."""
    if before <= 0:
        return None
    return ((after - before) / before * 100).quantize(CENT, ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Price:
    """A price from a date on."""

    amount: Decimal
    effective_from: date


def price_on(base: Decimal | None, start: date, changes: list[Price], day: date) -> Decimal | None:
    """The price in force on ``day``: the latest change from on or before it, else the contract's value."""
    current = base
    for change in sorted(changes, key=lambda c: c.effective_from):
        if change.effective_from <= day:
            current = change.amount
    return current


def termination_fee(percent: Decimal, amount: Decimal, basis: str | None, terms: Terms, ends_on: date) -> Decimal:
    """``percent`` of the fees the term containing ``ends_on`` would still have earned after that day.

    "30% of the remaining term's fees": the term's cost pro rata for the days from ``ends_on + 1`` to the
    term's end.
    """
    k = term_index_on(terms, ends_on)
    remaining_days = (term_end(terms, k) - ends_on).days
    if remaining_days <= 0:
        return Decimal("0.00")
    remaining = term_cost(amount, basis, terms, k) * Decimal(remaining_days) / Decimal(term_days(terms, k))
    return (remaining * percent / 100).quantize(CENT, ROUND_HALF_EVEN)
