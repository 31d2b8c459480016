"""The deadline engine: terms, anchored renewals, notice deadlines, business-day rolls and recurrences.

Pure: dates in, dates out. Nothing here reads the clock, the environment or the database; callers pass
``today`` or a window. See DESIGN.md §3 for the semantics implemented here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple

from dateutil.relativedelta import relativedelta

from tracker.durations import Duration
from tracker.errors import InvalidInput

if TYPE_CHECKING:
    from holidays import HolidayBase

Roll = Literal["previous", "next", "none"]
ROLLS: tuple[Roll, ...] = ("previous", "next", "none")
ONE_DAY = timedelta(days=1)


# --- business days -------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _holiday_table(code: str) -> HolidayBase:
    import holidays  # heavy: imported only when a calendar is actually used

    country, _, subdivision = code.partition("-")
    try:
        return holidays.country_holidays(country.upper(), subdiv=subdivision.upper() or None)
    except NotImplementedError as exc:
        raise InvalidInput.field(
            "holidays", code, "a country code known to the holidays package, e.g. 'US', 'GB', 'DE' or 'US-NY'"
        ) from exc


def validate_holidays(code: str) -> str:
    """Return the normalised calendar code ('us-ny' -> 'US-NY') or raise :class:`InvalidInput`."""
    normal = code.strip().upper()
    if not re.fullmatch(r"[A-Z]{2,3}(-[A-Z0-9]{1,4})?", normal):
        raise InvalidInput.field("holidays", code, "a country code such as 'US', 'GB' or 'US-NY'")
    _holiday_table(normal)
    return normal


class BusinessCalendar:
    """Weekends plus the public holidays of one ``holidays`` calendar (or weekends only)."""

    def __init__(self, code: str | None = None) -> None:
        self.code = code.upper() if code else None
        self._table = _holiday_table(self.code) if self.code else None
        self._rolled: dict[tuple[date, Roll], date] = {}  # roll() results: the calendar never changes

    def is_business_day(self, day: date) -> bool:
        if day.weekday() >= 5:
            return False
        return self._table is None or day not in self._table

    def roll(self, day: date, mode: Roll) -> date:
        """Move a date that is not a business day to the previous or next one (or leave it)."""
        if mode == "none":
            return day
        rolled = self._rolled.get((day, mode))
        if rolled is None:
            if len(self._rolled) >= 100_000:  # a long-running server: keep the memo bounded
                self._rolled.clear()
            step = -ONE_DAY if mode == "previous" else ONE_DAY
            rolled = day
            while not self.is_business_day(rolled):
                rolled += step
            self._rolled[(day, mode)] = rolled
        return rolled

    def add_business_days(self, day: date, count: int) -> date:
        """Count ``count`` business days forward (or backward when negative) from ``day``."""
        step = ONE_DAY if count >= 0 else -ONE_DAY
        remaining = abs(count)
        while remaining:
            day += step
            if self.is_business_day(day):
                remaining -= 1
        return day


@lru_cache(maxsize=64)
def business_calendar(code: str | None = None) -> BusinessCalendar:
    """The shared :class:`BusinessCalendar` of ``code`` (one per code: it holds no state that changes)."""
    return BusinessCalendar(code)


# --- calendar arithmetic -------------------------------------------------------------------------

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


def _combine(first: Duration, then: Duration, times: int) -> tuple[int, int] | None:
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


# --- terms and renewals --------------------------------------------------------------------------


@dataclass(frozen=True)
class Terms:
    """A contract's term structure, as immutable values (never an ORM row)."""

    start: date
    term: Duration | None = None
    end: date | None = None  # inclusive; used when ``term`` is None
    auto_renew: bool = False
    renewal_term: Duration | None = None  # default: the initial term
    max_renewals: int | None = None
    notice: Duration | None = None
    holidays: str | None = None
    notice_given_on: date | None = None

    @property
    def calendar(self) -> BusinessCalendar:
        return business_calendar(self.holidays)

    def __post_init__(self) -> None:
        # Results of the pure functions below for this value (term ends, the final term, term indexes), each
        # computed once. Not a field: equality, hashing and repr ignore it; the value is immutable, so a
        # result once computed stays right.
        object.__setattr__(self, "_memo", {})

    _memo: ClassVar[dict[Any, Any]]  # per instance, set in __post_init__ (a ClassVar so it is not a field)

    @property
    def renewal(self) -> Duration:
        renewal = self._memo.get("renewal")
        if renewal is None:
            renewal = self._memo["renewal"] = self._renewal()
        return renewal  # type: ignore[no-any-return]

    def _renewal(self) -> Duration:
        if self.renewal_term is not None:
            return self.renewal_term
        if self.term is not None:
            return self.term
        assert self.end is not None
        return infer_term(self.start, self.end)


def term_end(terms: Terms, k: int) -> date:
    """Last day (inclusive) of term ``k`` (0 = the initial term), computed from the anchor in one step."""
    memo = terms._memo
    end = memo.get(k)
    if end is None:
        end = memo[k] = _term_end(terms, k)
    return end


def _term_end(terms: Terms, k: int) -> date:
    renewal = terms.renewal
    if terms.term is not None:
        combined = _combine(terms.term, renewal, k)
        if combined is not None:
            return add_calendar(terms.start, *combined) - ONE_DAY
        first_renewal = shift(terms.start, terms.term, calendar=terms.calendar)
        return shift(first_renewal, renewal, k, terms.calendar) - ONE_DAY
    assert terms.end is not None, "a contract has a term or an end"
    if k == 0:
        return terms.end
    return shift(terms.end + ONE_DAY, renewal, k, terms.calendar) - ONE_DAY


def term_start(terms: Terms, k: int) -> date:
    return terms.start if k == 0 else term_end(terms, k - 1) + ONE_DAY


def raw_notice_deadline(terms: Terms, k: int) -> date:
    """``end_k − notice`` before any business-day roll (the end itself when no notice period is set)."""
    end = term_end(terms, k)
    if terms.notice is None:
        return end
    return shift(end, terms.notice, -1, terms.calendar)


def notice_deadline(terms: Terms, k: int) -> date:
    """Last day on which notice stops the renewal after term ``k``; rolled to the previous business day."""
    return terms.calendar.roll(raw_notice_deadline(terms, k), "previous")


def final_term_index(terms: Terms) -> int | None:
    """Index of the last term the contract will run, or None while it renews indefinitely."""
    memo = terms._memo
    if "final" not in memo:
        memo["final"] = _final_term_index(terms)
    return memo["final"]  # type: ignore[no-any-return]


def _final_term_index(terms: Terms) -> int | None:
    if not terms.auto_renew:
        return 0
    limit = terms.max_renewals
    if terms.notice_given_on is not None:
        k = term_index_on(terms, terms.notice_given_on, _cap=limit)
        while notice_deadline(terms, k) < terms.notice_given_on and (limit is None or k < limit):
            k += 1
        return k if limit is None else min(k, limit)
    return limit


def term_index_on(terms: Terms, day: date, _cap: int | None = -1) -> int:
    """Index of the term containing ``day``: 0 before the start, the final term after the end."""
    cap = final_term_index(terms) if _cap == -1 else _cap
    memo = terms._memo
    key = ("on", day, cap)
    k = memo.get(key)
    if k is None:
        k = memo[key] = _term_index_on(terms, day, cap)
    return k  # type: ignore[no-any-return]


def _term_index_on(terms: Terms, day: date, cap: int | None) -> int:
    if day <= term_end(terms, 0):
        return 0
    anchor = term_end(terms, 0) + ONE_DAY
    k = 1 + max(0, (day - anchor).days // max(1, terms.renewal.approx_days()) - 1)
    if cap is not None:
        k = min(k, cap)
    while k > 0 and term_start(terms, k) > day:
        k -= 1
    while term_end(terms, k) < day and (cap is None or k < cap):
        k += 1
    return k


def final_end(terms: Terms) -> date | None:
    """The contract's last day, or None while it renews indefinitely."""
    k = final_term_index(terms)
    return None if k is None else term_end(terms, k)


# --- occurrences ---------------------------------------------------------------------------------


@dataclass(frozen=True, order=True, slots=True)
class Occurrence:
    """One dated instance of an obligation.

    ``key`` identifies it across edits: ``T<n>`` (term number, 1-based) for deadlines derived from a
    contract's terms, the unadjusted ISO date for a recurrence, and "" for a one-off.
    """

    due: date  # after the business-day roll: the date a user must act by
    nominal: date  # before the roll
    key: str
    term: int | None = None


DERIVED_KINDS = ("notice_deadline", "renewal", "term_end")


def derived_occurrences(terms: Terms, kind: str, start: date, end: date) -> list[Occurrence]:
    """Occurrences of a derived kind with due dates in [start, end], sorted by date."""
    final = final_term_index(terms)
    found: list[Occurrence] = []
    if kind == "term_end":
        if final is not None:
            last = term_end(terms, final)
            if start <= last <= end:
                found.append(Occurrence(last, last, f"T{final + 1}", final + 1))
        return found
    if not terms.auto_renew:
        return found
    k = term_index_on(terms, start, _cap=final)
    if kind == "notice_deadline":
        if terms.notice_given_on is not None:
            return found  # the renewal is stopped: no deadline left to meet
        while final is None or k < final:
            nominal = raw_notice_deadline(terms, k)
            due = terms.calendar.roll(nominal, "previous")
            if due > end:
                break
            if due >= start:
                found.append(Occurrence(due, nominal, f"T{k + 1}", k + 1))
            k += 1
        return found
    if kind == "renewal":
        k = max(k, 1)
        while final is None or k <= final:
            day = term_start(terms, k)
            if day > end:
                break
            if day >= start:
                found.append(Occurrence(day, day, f"T{k + 1}", k + 1))
            k += 1
        return found
    raise ValueError(f"not a derived kind: {kind}")


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


def occurrences(
    schedule: Recurrence, window_start: date, window_end: date, ends_on: date | None = None
) -> list[Occurrence]:
    """Occurrences of an entered obligation whose (rolled) due dates fall in [window_start, window_end].

    ``ends_on`` is the contract's last day: a recurrence ends with the contract.
    """
    calendar = business_calendar(schedule.holidays)
    if schedule.due is not None:
        due = calendar.roll(schedule.due, schedule.roll)
        if window_start <= due <= window_end:
            return [Occurrence(due, schedule.due, "")]
        return []
    assert schedule.every and schedule.start
    until = schedule.until
    if ends_on is not None:
        until = ends_on if until is None else min(until, ends_on)
    # A roll moves a date by at most a few days; widen the nominal window, then filter on the due date.
    slack = timedelta(days=10)
    lo = max(date.min + slack, window_start) - slack
    hi = min(date.max - slack, window_end) + slack
    found: list[Occurrence] = []
    ordered = True  # due dates strictly increasing: already sorted and unique (rolls rarely meet)
    for nominal in recurrence_dates(schedule.every, schedule.start, until, lo, hi):
        due = calendar.roll(nominal, schedule.roll)
        if window_start <= due <= window_end:
            if found and due <= found[-1].due:
                ordered = False
            found.append(Occurrence(due, nominal, nominal.isoformat()))
    return found if ordered else sorted(set(found))
