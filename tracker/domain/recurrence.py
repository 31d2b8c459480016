"""Recurring obligations: RFC 5545 RRULEs, validated, bounded and anchored so short months are never skipped."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Any, NamedTuple

from tracker.domain.businessdays import Roll
from tracker.domain.dates import add_months
from tracker.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Recurrence:
    """An entered obligation's schedule: one ``due`` date, or an RRULE from ``start`` (until ``until``)."""

    due: date | None = None
    every: str | None = None
    start: date | None = None
    until: date | None = None
    roll: Roll = "previous"
    holidays: str | None = None


_SIMPLE_KEYS = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST"}
# Obligations fall on dates: parts that pick a time of day would make several occurrences a day.
_TIME_KEYS = ("BYHOUR", "BYMINUTE", "BYSECOND")
# The most dates one expansion may produce: a century of daily dates fits; a runaway window does not.
MAX_DATES = 100_000


@lru_cache(maxsize=1024)
def _rule_parts(rule: str) -> Mapping[str, str]:
    """The rule's NAME=VALUE parts, upper-cased, in order (read-only: parsed once per rule text)."""
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    parts: dict[str, str] = {}
    for item in filter(None, text.split(";")):
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(item)
        parts[name.strip().upper()] = value.strip().upper()
    return MappingProxyType(parts)


class _RulePlan(NamedTuple):
    parts: Mapping[str, str]
    until: date | None  # the rule's own UNTIL
    months: int | None  # the step of a plain MONTHLY/YEARLY rule (computed anchored on its start), else None
    period: int | None  # days after which a DAILY/WEEKLY rule without COUNT repeats itself, else None


@lru_cache(maxsize=1024)
def _rule_plan(rule: str) -> _RulePlan:
    """What :func:`recurrence_dates` needs of a rule's text, worked out once per text."""
    parts = _rule_parts(rule)
    interval = int(parts.get("INTERVAL", "1"))
    if interval < 1:  # dateutil would loop forever on INTERVAL=0
        raise ValueError("INTERVAL must be positive")
    until = _parse_until(parts["UNTIL"]) if "UNTIL" in parts else None
    freq = parts.get("FREQ")
    simple = freq in ("MONTHLY", "YEARLY") and set(parts) <= _SIMPLE_KEYS
    # DAILY and WEEKLY rules repeat every ``interval`` days or weeks whatever their BY-parts, so dateutil
    # can start from a whole number of periods after ``start`` (COUNT counts from the start: not those).
    days = {"DAILY": interval, "WEEKLY": 7 * interval}.get(freq or "") if "COUNT" not in parts else None
    return _RulePlan(parts, until, interval * (12 if freq == "YEARLY" else 1) if simple else None, days)


def _parse_until(value: str) -> date:
    return datetime.strptime(value[:8], "%Y%m%d").date()


def validate_rrule(rule: str, start: date, field: str = "every") -> str:
    """Check an RRULE parses and yields at least one date on or after ``start``; return it normalised."""
    expected = "an RFC 5545 RRULE such as 'FREQ=MONTHLY;INTERVAL=3' that occurs at least once"
    try:
        parts = _rule_parts(rule)
        if "FREQ" not in parts:
            raise ValueError("FREQ missing")
        if parts["FREQ"] not in ("DAILY", "WEEKLY", "MONTHLY", "YEARLY"):
            # Obligations fall on dates: a rule firing every second or hour would flood every timeline.
            raise InvalidInput.field(field, rule, "a daily, weekly, monthly or yearly RRULE (FREQ=DAILY at most)")
        if not 1 <= int(parts.get("INTERVAL", "1")) <= 1_000 or not 1 <= int(parts.get("COUNT", "1")) <= 100_000:
            raise InvalidInput.field(field, rule, "an RRULE with INTERVAL from 1 to 1000 and COUNT from 1 to 100000")
        if timed := [key for key in _TIME_KEYS if key in parts]:
            raise InvalidInput.field(field, rule, f"an RRULE of whole days, at most one occurrence a day, without "
                                     f"{', '.join(timed)} (obligations fall on dates, not times)")
        normal = ";".join(f"{k}={v}" for k, v in parts.items())
        first = recurrence_dates(normal, start, None, start, date.max - timedelta(days=400), limit=1)
        if first and _several_a_day(normal, start):
            raise InvalidInput.field(field, rule, "an RRULE with at most one occurrence a day")
    except InvalidInput:
        raise
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise InvalidInput.field(field, rule, expected) from exc
    if not first:
        raise InvalidInput.field(field, rule, expected + " (this rule never occurs)")
    return normal


def _several_a_day(rule: str, start: date, sample: int = 64) -> bool:
    """True when the rule's first ``sample`` instants (as dateutil expands them) put two on one day."""
    days = [moment.date() for _, moment in zip(range(sample), _rrule(rule, start), strict=False)]
    return len(days) != len(set(days))


def recurrence_dates(
    rule: str, start: date, until: date | None, window_start: date, window_end: date, limit: int | None = None
) -> list[date]:
    """Unadjusted dates of an RRULE from ``start`` within [window_start, window_end], sorted and unique.

    Plain MONTHLY/YEARLY rules (no BY-parts) are computed anchored on ``start`` (start + i × interval),
    so a rule starting on the 31st falls on the last day of shorter months instead of skipping them.
    The work is bounded by the window, not by how long ago the rule started, and a window holding more
    than :data:`MAX_DATES` dates is an error naming the rule, never a list that exhausts memory.
    """
    plan = _rule_plan(rule)
    parts = plan.parts
    if plan.until is not None:
        until = plan.until if until is None else min(until, plan.until)
    stop = min(window_end, until) if until is not None else window_end
    if stop < window_start or stop < start:
        return []
    if plan.months is not None:
        months = plan.months
        count = int(parts["COUNT"]) if "COUNT" in parts else None
        gap = (window_start.year - start.year) * 12 + window_start.month - start.month
        i = max(0, gap // months - 1)
        dates: list[date] = []
        while count is None or i < count:
            day = add_months(start, i * months)
            if day > stop:
                break
            if day >= window_start:
                _check_size(dates, rule, window_start, window_end)
                dates.append(day)
                if limit is not None and len(dates) >= limit:
                    break
            i += 1
        return dates
    body = ";".join(f"{k}={v}" for k, v in parts.items() if k != "UNTIL" or until is None)
    anchor = start
    if plan.period is not None and window_start > start:
        # dateutil walks from its start: begin at the last whole period before the window instead of
        # walking a century of dates (the same dates fall in the window either way).
        anchor = start + timedelta(days=(window_start - start).days // plan.period * plan.period)
    recur = _rrule(body, anchor)
    lo = datetime.combine(max(window_start, start), datetime.min.time())
    hi = datetime.combine(stop, datetime.max.time())  # the whole last day, times of day included
    found: list[date] = []
    for moment in recur.xafter(lo, inc=True) if hasattr(recur, "xafter") else recur:
        if moment < lo:
            continue
        if moment > hi:
            break
        if found and found[-1] == moment.date():
            continue  # a rule stored before sub-daily parts were refused: one occurrence a day
        _check_size(found, rule, window_start, window_end)
        found.append(moment.date())
        if limit is not None and len(found) >= limit:
            break
    return found


def _check_size(found: list[date], rule: str, window_start: date, window_end: date) -> None:
    """Refuse to produce more than :data:`MAX_DATES` dates for one window."""
    if len(found) >= MAX_DATES:
        raise InvalidInput.field(
            "every", rule, f"a rule with at most {MAX_DATES:,} dates between {window_start.isoformat()} and "
            f"{window_end.isoformat()} (ask for a shorter period)")


@lru_cache(maxsize=1024)
def _rrule(body: str, start: date) -> Any:
    """dateutil's rule for ``body`` from ``start`` (built once per rule and start; iterating it is stateless)."""
    from dateutil.rrule import rrulestr

    return rrulestr(f"RRULE:{body}", dtstart=datetime.combine(start, datetime.min.time()))

