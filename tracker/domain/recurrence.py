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
    return _RulePlan(parts, until, interval * (12 if freq == "YEARLY" else 1) if simple else None)


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
        normal = ";".join(f"{k}={v}" for k, v in parts.items())
        first = recurrence_dates(normal, start, None, start, date.max - timedelta(days=400), limit=1)
    except InvalidInput:
        raise
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise InvalidInput.field(field, rule, expected) from exc
    if not first:
        raise InvalidInput.field(field, rule, expected + " (this rule never occurs)")
    return normal


def recurrence_dates(
    rule: str, start: date, until: date | None, window_start: date, window_end: date, limit: int | None = None
) -> list[date]:
    """Unadjusted dates of an RRULE from ``start`` within [window_start, window_end], sorted and unique.

    Plain MONTHLY/YEARLY rules (no BY-parts) are computed anchored on ``start`` (start + i × interval),
    so a rule starting on the 31st falls on the last day of shorter months instead of skipping them.
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
                dates.append(day)
                if limit is not None and len(dates) >= limit:
                    break
            i += 1
        return dates
    body = ";".join(f"{k}={v}" for k, v in parts.items() if k != "UNTIL" or until is None)
    recur = _rrule(body, start)
    lo = datetime.combine(max(window_start, start), datetime.min.time())
    hi = datetime.combine(stop, datetime.min.time())
    found: list[date] = []
    for moment in recur.xafter(lo, inc=True) if hasattr(recur, "xafter") else recur:
        if moment < lo:
            continue
        if moment > hi:
            break
        found.append(moment.date())
        if limit is not None and len(found) >= limit:
            break
    return found


@lru_cache(maxsize=1024)
def _rrule(body: str, start: date) -> Any:
    """dateutil's rule for ``body`` from ``start`` (built once per rule and start; iterating it is stateless)."""
    from dateutil.rrule import rrulestr

    return rrulestr(f"RRULE:{body}", dtstart=datetime.combine(start, datetime.min.time()))

