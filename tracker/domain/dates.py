"""Calendar arithmetic: a date plus a duration, in one step from an anchor so month ends never drift."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from dateutil.relativedelta import relativedelta

from tracker.domain.businessdays import BusinessCalendar, business_calendar
from tracker.domain.durations import Duration

ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=1 << 16)
def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the last day of a shorter month (relativedelta).

    Memoised: it runs for every term end and recurrence, and ledgers reuse a few anchor dates.
    """
    return day + relativedelta(months=months) if months else day


def add_calendar(day: date, months: int, days: int) -> date:
    """``day`` plus ``months`` months, then ``days`` days: ``day + relativedelta(months=…, days=…)``."""
    moved = add_months(day, months)
    return moved + timedelta(days=days) if days else moved


def shift(day: date, duration: Duration, times: int = 1, calendar: BusinessCalendar | None = None) -> date:
    """``day`` plus ``times`` × ``duration``, in one step from ``day`` (so month ends never drift)."""
    n = duration.amount * times
    match duration.unit:
        case "days":
            return day + timedelta(days=n)
        case "weeks":
            return day + timedelta(weeks=n)
        case "months":
            return add_months(day, n)
        case "years":
            return add_months(day, 12 * n)
        case "business_days":
            return (calendar or business_calendar()).add_business_days(day, n)
    raise AssertionError(duration.unit)


def combine_steps(first: Duration, then: Duration, times: int) -> tuple[int, int] | None:
    """``first + times × then`` as one (months, days) step when both are calendar units, else None.

    Applied months first, then days (see :func:`add_calendar`), as one relativedelta would.
    """
    if first.is_business or then.is_business:
        return None
    if times and first.unit in ("days", "weeks") and then.unit in ("months", "years"):
        # relativedelta applies months before days, which would reorder "start + 90 days + k years";
        # the caller anchors these renewals on the first renewal date instead.
        return None
    months = days = 0
    for unit, amount in ((first.unit, first.amount), (then.unit, then.amount * times)):
        if unit == "days":
            days += amount
        elif unit == "weeks":
            days += 7 * amount
        elif unit == "months":
            months += amount
        else:
            months += 12 * amount
    return months, days


def infer_term(start: date, end: date) -> Duration:
    """The length of an explicit term [start, end], in whole months or years when it is one, else days."""
    after = end + ONE_DAY
    months = (after.year - start.year) * 12 + (after.month - start.month)
    if months > 0 and add_months(start, months) == after:
        return Duration(months // 12, "years") if months % 12 == 0 else Duration(months, "months")
    return Duration((after - start).days, "days")



def days_spanned(today: date, span: Duration) -> int:
    """How many days ``span`` reaches from ``today`` ("3 months" from Jan 31 is 59 or 60 days; weekends only)."""
    return (shift(today, span, calendar=business_calendar()) - today).days
