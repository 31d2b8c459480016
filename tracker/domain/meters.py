"""Usage meters: caps, allowances and commitments per period, what was used, and the forecast.

A meter has a limit per period: the contract's term, a calendar month, quarter or year, or a billing period
anchored on the contract's start like its renewals ("1 month" from a start on the 31st falls on month
ends). Usage is a series of records: increments, or readings of the period's total so far (a reading lower
than the one before it is a reset, and must say so). Pure and exact (``Decimal``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from tracker.domain.checks import Checker
from tracker.domain.dates import add_months, shift
from tracker.domain.durations import parse_duration
from tracker.domain.money import parse_amount
from tracker.domain.terms import Terms, term_end, term_index_on, term_start
from tracker.errors import InvalidInput

KINDS = ("cap", "allowance", "commitment")
CALENDAR_PERIODS = ("term", "month", "quarter", "year")
PERIOD_EXPECTED = "term, month, quarter, year (calendar) or a billing period such as '1 month'"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
DEFAULT_THRESHOLDS = (80, 100)
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class MeterSpec:
    """A meter as a contract declares it: ``credits``, 1,000,000 per year, a cap warned at 80% and 100%."""

    name: str
    unit: str
    limit: Decimal
    period: str  # "term" | "month" | "quarter" | "year" | a billing duration ("1 month")
    kind: str = "cap"
    thresholds: tuple[int, ...] = DEFAULT_THRESHOLDS

    def raw(self) -> dict[str, Any]:
        """The meter in the import schema."""
        raw: dict[str, Any] = {"name": self.name, "unit": self.unit, "limit": str(self.limit), "period": self.period,
                               "kind": self.kind}
        if self.thresholds != DEFAULT_THRESHOLDS:
            raw["thresholds"] = list(self.thresholds)
        return raw


def parse_meter(check: Checker, raw: Any, prefix: str) -> MeterSpec | None:
    """One meter of a contract's ``meters`` list; every problem names its field."""
    if not isinstance(raw, dict):
        check.fail(prefix.rstrip("."), raw, "a mapping with name, unit, limit, period and kind")
        return None
    before = len(check.problems)
    check.unknown(raw, ("name", "unit", "limit", "period", "kind", "thresholds"), prefix)
    name = check.text(raw, "name", required=True, label=f"{prefix}name")
    if name is not None and not NAME_PATTERN.match(name):
        check.fail(f"{prefix}name", name, "a short lower-case name such as credits or seats")
    unit = check.text(raw, "unit", required=True, label=f"{prefix}unit")
    limit = parse_amount(raw.get("limit"))
    if limit is None or limit <= 0:
        check.fail(f"{prefix}limit", raw.get("limit"), "a positive amount such as 1000000 or 50")
    period = _period(raw.get("period", "term"))
    if period is None:
        check.fail(f"{prefix}period", raw.get("period"), PERIOD_EXPECTED)
    kind = str(raw.get("kind") or "cap").lower()
    if kind not in KINDS:
        check.fail(f"{prefix}kind", raw.get("kind"), "cap, allowance or commitment")
    thresholds = _thresholds(raw.get("thresholds"))
    if thresholds is None:
        check.fail(f"{prefix}thresholds", raw.get("thresholds"), "a list of percentages from 1 to 1000, e.g. [80, 100]")
    if len(check.problems) > before or not (name and unit and limit and period and thresholds):
        return None
    return MeterSpec(name, unit, limit, period, kind, thresholds)


def _period(value: Any) -> str | None:
    text = str(value).strip().lower().removeprefix("calendar ").removeprefix("per ") if value is not None else ""
    if text in CALENDAR_PERIODS:
        return text
    try:
        duration = parse_duration(text.removeprefix("billing ").strip(), "period")
    except InvalidInput:  # reported as the field's problem by the caller
        return None
    return None if duration.is_business else str(duration)


def _thresholds(value: Any) -> tuple[int, ...] | None:
    if value in (None, "", []):
        return DEFAULT_THRESHOLDS
    items = value if isinstance(value, list) else [value]
    try:
        numbers = sorted({int(str(item).strip().removesuffix("%")) for item in items})
    except ValueError:
        return None
    return tuple(numbers) if all(1 <= n <= 1000 for n in numbers) else None


def period_of(spec: MeterSpec, terms: Terms, day: date) -> tuple[date, date]:
    """The period of ``spec`` that contains ``day``: [start, end], both inclusive."""
    match spec.period:
        case "term":
            k = term_index_on(terms, day)
            return term_start(terms, k), term_end(terms, k)
        case "month" | "quarter" | "year":
            months = {"month": 1, "quarter": 3, "year": 12}[spec.period]
            first = date(day.year, ((day.month - 1) // months) * months + 1 if months < 12 else 1, 1)
            return first, add_months(first, months) - ONE_DAY
    billing = parse_duration(spec.period)
    # Anchored on the start, like renewals: the n-th period starts at start + n × period, in one step.
    n = max(0, (day - terms.start).days // max(1, billing.approx_days()) - 1)
    while shift(terms.start, billing, n + 1, terms.calendar) <= day:
        n += 1
    while n > 0 and shift(terms.start, billing, n, terms.calendar) > day:
        n -= 1
    return shift(terms.start, billing, n, terms.calendar), shift(terms.start, billing, n + 1, terms.calendar) - ONE_DAY


@dataclass(frozen=True)
class Record:
    """One usage record: an increment, or a reading of the period's total so far (``total``)."""

    on: date
    amount: Decimal
    total: bool = False
    reset: bool = False


def used_between(records: list[Record], start: date, end: date) -> Decimal:
    """What was used in [start, end]: increments add up; a reading replaces the sum so far."""
    used = Decimal(0)
    for record in sorted(records, key=lambda r: r.on):  # stable: same-day records keep their order
        if start <= record.on <= end:
            used = record.amount if record.total else used + record.amount
    return used


def previous_reading(records: list[Record], start: date, day: date) -> Decimal | None:
    """The period's total on ``day`` before a new reading, when any usage was recorded since ``start``."""
    before = [r for r in records if start <= r.on <= day]
    return used_between(before, start, day) if before else None


@dataclass(frozen=True)
class MeterStatus:
    """A meter on one day: the period, what was used, and where the current pace leads."""

    spec: MeterSpec
    start: date
    end: date
    used: Decimal
    percent: Decimal
    projected: Decimal  # at the period's end, at the pace so far
    reaches_limit_on: date | None  # cap/allowance: the day the limit is reached at this pace, within the period
    shortfall: Decimal | None  # commitment: what is projected to stay unused at the period's end
    crossed: tuple[int, ...]  # thresholds reached (cap/allowance)
    forecast: str  # one sentence for people


def status(spec: MeterSpec, terms: Terms, records: list[Record], today: date) -> MeterStatus:
    """The meter's state on ``today`` and its forecast from the period's burn rate."""
    start, end = period_of(spec, terms, today)
    used = used_between(records, start, min(today, end))
    percent = (used / spec.limit * 100).quantize(Decimal("0.1"), ROUND_HALF_EVEN)
    elapsed = (min(today, end) - start).days + 1
    rate = used / elapsed
    projected = (used + rate * (end - min(today, end)).days).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
    reaches = shortfall = None
    crossed: tuple[int, ...] = ()
    unit = spec.unit
    if spec.kind == "commitment":
        short = spec.limit - projected
        shortfall = short if short > 0 else None
        limit = format_quantity(spec.limit)
        if shortfall:
            forecast = (f"at this pace {format_quantity(projected)} of the {limit} {unit} committed will be used by "
                        f"{end}: {format_quantity(short)} short")
        else:
            forecast = f"on pace to use the {limit} {unit} committed by {end}"
    else:
        crossed = tuple(t for t in spec.thresholds if used * 100 >= spec.limit * t)
        if used >= spec.limit:
            forecast = f"{format_quantity(used)} of {format_quantity(spec.limit)} {unit} used: the limit is reached"
        elif rate > 0:
            days = math.ceil((spec.limit - used) / rate)
            day = min(today, end) + timedelta(days=days)
            if day <= end:
                reaches = day
                forecast = (f"at this pace {spec.name} run out on {day}, {(end - day).days} days before the period "
                            f"ends")
            else:
                forecast = f"at this pace {format_quantity(projected)} of {format_quantity(spec.limit)} {unit} by {end}"
        else:
            forecast = f"nothing used yet this period (until {end})"
    return MeterStatus(spec, start, end, used, percent, projected, reaches, shortfall, crossed, forecast)


def format_quantity(amount: Decimal) -> str:
    """An amount of a unit for people: ``1,000,000`` or ``12.5``."""
    if amount == amount.to_integral_value():
        return f"{amount.quantize(Decimal(1)):,}"
    return f"{amount.normalize():,f}"
