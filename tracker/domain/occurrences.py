"""Occurrences: the dated instances of an obligation, derived from terms or a recurrence, and which are open.

Pure: the caller hands in :class:`Terms`, a :class:`Recurrence` and the states it knows; nothing here
reads the clock or the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from tracker.domain.businessdays import business_calendar
from tracker.domain.ids import occurrence_day, term_key, term_of_key
from tracker.domain.limits import EARLIEST, LATEST
from tracker.domain.recurrence import Recurrence, recurrence_dates
from tracker.domain.terms import (
    Terms,
    final_end,
    final_term_index,
    raw_notice_deadline,
    term_end,
    term_index_on,
    term_start,
)

LOOKAHEAD = timedelta(days=3 * 366)  # one window of the next-occurrence search
FAR_AHEAD = timedelta(days=100 * 366)  # how far ahead the next occurrence is looked for at most
ROLL_SLACK = timedelta(days=10)  # a business-day roll moves a date by less than this


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


def derived_occurrences(terms: Terms, kind: str, start: date, end: date) -> list[Occurrence]:
    """Occurrences of a derived kind with due dates in [start, end], sorted by date."""
    final = final_term_index(terms)
    found: list[Occurrence] = []
    if kind == "term_end":
        last = final_end(terms)
        if final is not None and last is not None and start <= last <= end:
            found.append(Occurrence(last, last, term_key(final + 1), final + 1))
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
            # A deadline before the contract's start cannot be met: that term end is a minimum commitment.
            if due >= start and nominal >= terms.start:
                found.append(Occurrence(due, nominal, term_key(k + 1), k + 1))
            k += 1
        return found
    if kind == "renewal":
        k = max(k, 1)
        while final is None or k <= final:
            day = term_start(terms, k)
            if day > end:
                break
            if day >= start:
                found.append(Occurrence(day, day, term_key(k + 1), k + 1))
            k += 1
        return found
    raise ValueError(f"not a derived kind: {kind}")


def occurrences(
    schedule: Recurrence, window_start: date, window_end: date, ends_on: date | None = None,
    starts_on: date | None = None,
) -> list[Occurrence]:
    """Occurrences of an entered obligation whose (rolled) due dates fall in [window_start, window_end].

    ``ends_on`` is the contract's last day: a recurrence ends with the contract. ``starts_on`` is its first:
    a recurrence has no occurrence due before it (a first date rolled back over the start is dropped).
    Dates that roll onto the same due date (a daily rule's Saturday and Sunday onto Friday) are one
    occurrence, the first of them.
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
        if starts_on is not None and due < starts_on:
            continue
        if window_start <= due <= window_end:
            if found and due <= found[-1].due:
                ordered = False
            found.append(Occurrence(due, nominal, nominal.isoformat()))
    if ordered:
        return found
    first_per_day: dict[date, Occurrence] = {}
    for occurrence in sorted(found):
        first_per_day.setdefault(occurrence.due, occurrence)
    return list(first_per_day.values())


@dataclass(frozen=True, slots=True)
class ObligationSchedule:
    """Everything that dates an obligation's occurrences: its kind, the contract's terms, its recurrence."""

    kind: str
    derived: bool
    terms: Terms
    recurrence: Recurrence | None = None  # None for a derived obligation


def occurrences_between(schedule: ObligationSchedule, start: date, end: date) -> list[Occurrence]:
    """Occurrences of any obligation (derived or entered) with due dates in [start, end], by date."""
    if schedule.derived or schedule.recurrence is None:
        return derived_occurrences(schedule.terms, schedule.kind, start, end)
    return occurrences(schedule.recurrence, start, end, final_end(schedule.terms), schedule.terms.start)


def is_open(derived: bool, status: str, recurring: bool, state_status: str | None, due: date, today: date) -> bool:
    """Whether an occurrence is still to be acted on as of ``today``.

    Not settled (the obligation as a whole, for a one-off; the occurrence's own state, ``None`` when it
    has none). A derived deadline whose day has passed has lapsed: a notice deadline cannot be met late.
    """
    if derived and due < today:
        return False
    if status != "open" and not recurring:
        return False
    return state_status is None or state_status == "open"


def first_occurrence(
    schedule: ObligationSchedule, start: date, today: date, accept: Callable[[Occurrence], bool] = lambda _: True,
) -> Occurrence | None:
    """The first occurrence due on or after ``start`` that ``accept`` takes, however far ahead it is.

    Looks window by window (a 5-year term's next deadline is years away), up to a century past ``today``,
    and stops early once a recurrence or the contract has ended. Every caller that needs "the next one"
    uses this search, so they all agree.
    """
    recurrence = schedule.recurrence
    if recurrence is not None and recurrence.due is not None:  # a one-off: its one date, wherever it is
        return next((o for o in occurrences_between(schedule, start, date.max) if accept(o)), None)
    last = final_end(schedule.terms)
    if recurrence is not None and recurrence.until is not None:
        last = recurrence.until if last is None else min(last, recurrence.until)
    stop = max(today, schedule.terms.start) + FAR_AHEAD  # a contract dated far ahead is searched from its start
    low = start
    while low <= stop:
        high = low + LOOKAHEAD
        for occurrence in occurrences_between(schedule, low, high):
            if accept(occurrence):
                return occurrence
        if last is not None and high > last + ROLL_SLACK:
            return None  # nothing can come after the end
        low = high + timedelta(days=1)
    return None


def search_start(schedule: ObligationSchedule, today: date) -> date:
    """Where the search for an obligation's earliest open occurrence begins.

    Derived deadlines from today (earlier ones have lapsed); a recurrence from its start, less a roll's
    slack; a one-off from the beginning of time (its one date may be long overdue).
    """
    recurrence = schedule.recurrence
    if schedule.derived or recurrence is None:
        return today
    if recurrence.every:
        return (recurrence.start or today) - ROLL_SLACK
    return date.min


def find_occurrence(schedule: ObligationSchedule, ref: str, today: date) -> Occurrence | None:
    """The occurrence a user named: by its key (``T2``), its unadjusted date or the due date shown."""
    day = occurrence_day(ref)
    if day is not None:
        if not EARLIEST <= day <= LATEST:
            return None
        window = (day - ROLL_SLACK, day + ROLL_SLACK)
    else:
        term = term_of_key(ref)
        if term is None or not schedule.derived or not 1 <= term <= 10_000:
            return None
        try:  # a term's dates all fall on or before that term's end (long notice: even before the start)
            window = (date.min, term_end(schedule.terms, term - 1) + ROLL_SLACK)
        except OverflowError:
            return None
    for occurrence in occurrences_between(schedule, *window):
        if occurrence.key == ref or day in (occurrence.nominal, occurrence.due):
            return occurrence
    return None
