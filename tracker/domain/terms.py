"""Terms and renewals: anchored term ends, notice deadlines and the contract's final term (DESIGN §3.2-3.3).

Pure: dates in, dates out. Nothing here reads the clock, the environment or the database; callers pass
``today`` or a window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from tracker.domain.businessdays import BusinessCalendar, business_calendar
from tracker.domain.dates import ONE_DAY, add_calendar, combine_steps, infer_term, shift
from tracker.domain.durations import Duration


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
    termination_notice: Duration | None = None  # termination for convenience: the notice it takes
    termination_sent_on: date | None = None  # when notice of termination for convenience was sent

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
        return renewal

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
        combined = combine_steps(terms.term, renewal, k)
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
    return memo["final"]


def _final_term_index(terms: Terms) -> int | None:
    regular = _regular_final_index(terms)
    if terms.termination_sent_on is None:
        return regular
    # Termination for convenience ends the contract within the term in which notice was sent.
    return term_index_on(terms, terms.termination_sent_on, _cap=regular)


def _regular_final_index(terms: Terms) -> int | None:
    """The final term without termination for convenience: no renewal, the renewal cap, or notice given."""
    if not terms.auto_renew:
        return 0
    limit = terms.max_renewals
    if terms.notice_given_on is not None:
        return notice_reaches(terms, terms.notice_given_on, limit)
    return limit


def notice_reaches(terms: Terms, sent_on: date, limit: int | None = None) -> int:
    """The index of the term whose end notice of non-renewal sent on ``sent_on`` reaches.

    The first term, from the one containing ``sent_on``, whose notice deadline is on or after ``sent_on``:
    with a notice longer than a term that may be several terms out.
    """
    k = term_index_on(terms, sent_on, _cap=limit)
    while notice_deadline(terms, k) < sent_on and (limit is None or k < limit):
        k += 1
    return k if limit is None else min(k, limit)


def termination_end(terms: Terms, sent_on: date) -> date:
    """The last day of a contract terminated for convenience by notice sent on ``sent_on``.

    ``sent_on + termination_notice``, or the end of the term in which notice was sent if that comes first.
    """
    assert terms.termination_notice is not None
    k = term_index_on(terms, sent_on, _cap=_regular_final_index(terms))
    return min(shift(sent_on, terms.termination_notice, 1, terms.calendar), term_end(terms, k))


def commitment_end(terms: Terms) -> date | None:
    """The last term end that no notice can stop because its deadline fell before the start, else None.

    "Monthly, 60 days' notice" from 2027-01-01: the first two month ends are a minimum commitment.
    """
    if not terms.auto_renew or terms.notice is None:
        return None
    final = final_term_index(terms)
    committed = None
    k = 0
    while (final is None or k < final) and raw_notice_deadline(terms, k) < terms.start:
        committed = term_end(terms, k)
        k += 1
    return committed


def term_index_on(terms: Terms, day: date, _cap: int | None = -1) -> int:
    """Index of the term containing ``day``: 0 before the start, the final term after the end."""
    cap = final_term_index(terms) if _cap == -1 else _cap
    memo = terms._memo
    key = ("on", day, cap)
    k = memo.get(key)
    if k is None:
        k = memo[key] = _term_index_on(terms, day, cap)
    return k


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
    if k is None:
        return None
    if terms.termination_sent_on is not None:
        return min(term_end(terms, k), termination_end(terms, terms.termination_sent_on))
    return term_end(terms, k)


def missed_deadline(terms: Terms, today: date) -> tuple[date, date] | None:
    """(renewal, deadline) when the deadline to stop the next renewal has already passed on ``today``.

    A contract entered late: its current notice window closed before anyone could act on it.
    """
    if not terms.auto_renew or terms.notice is None or terms.notice_given_on is not None:
        return None
    final = final_term_index(terms)
    k = term_index_on(terms, today)
    if final is not None and k >= final:
        return None
    deadline = notice_deadline(terms, k)
    if deadline < today and term_end(terms, k) >= today:
        return term_end(terms, k) + ONE_DAY, deadline
    return None
