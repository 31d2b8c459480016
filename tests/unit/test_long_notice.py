"""Notice of any length, termination for convenience and minimum commitments (pure rules)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain.durations import Duration
from tracker.domain.occurrences import derived_occurrences, occurrences
from tracker.domain.recurrence import Recurrence
from tracker.domain.terms import (
    Terms,
    commitment_end,
    final_end,
    missed_deadline,
    notice_deadline,
    raw_notice_deadline,
    term_end,
    termination_end,
)

# Notices as contracts write them: up to a year and a half, in any unit (longer ones only cost time here).
NOTICES = st.one_of(
    st.builds(Duration, st.integers(1, 540), st.just("days")),
    st.builds(Duration, st.integers(1, 78), st.just("weeks")),
    st.builds(Duration, st.integers(1, 18), st.just("months")),
    st.builds(Duration, st.integers(1, 2), st.just("years")),
)
TERMS = st.builds(
    Terms,
    start=st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    term=st.builds(Duration, st.integers(1, 24), st.sampled_from(["months", "years", "days"])),
    auto_renew=st.just(True),
    renewal_term=st.one_of(st.none(), st.builds(Duration, st.integers(1, 12), st.sampled_from(["months", "days"]))),
    notice=NOTICES,
    holidays=st.sampled_from([None, "US", "GB-ENG"]),
)


@settings(max_examples=200, deadline=None)
@given(TERMS, st.integers(0, 30))
def test_with_any_notice_a_deadline_is_never_after_its_term_end(terms: Terms, k: int) -> None:
    assert notice_deadline(terms, k) <= raw_notice_deadline(terms, k) <= term_end(terms, k)


@settings(max_examples=200, deadline=None)
@given(TERMS, st.integers(0, 12))
def test_notice_on_a_deadline_ends_that_term_and_a_day_later_the_next_term_it_meets(terms: Terms, k: int) -> None:
    deadline = notice_deadline(terms, k)
    if deadline < terms.start:
        return  # a minimum commitment: no notice can be given that early
    on_time = replace(terms, notice_given_on=deadline)
    assert final_end(on_time) == term_end(terms, next(j for j in range(k + 1) if notice_deadline(terms, j) >= deadline))
    late = replace(terms, notice_given_on=deadline + timedelta(days=1))
    met = next(j for j in range(k, k + 400) if notice_deadline(terms, j) >= deadline + timedelta(days=1))
    assert final_end(late) == term_end(terms, met)


def test_monthly_with_thirty_days_notice_has_one_deadline_per_term() -> None:
    monthly = Terms(start=date(2026, 1, 1), term=Duration(1, "months"), auto_renew=True, notice=Duration(30, "days"))
    deadlines = derived_occurrences(monthly, "notice_deadline", date(2026, 3, 1), date(2026, 6, 30))
    # Each month end minus 30 days, rolled back to a business day: one per term, in order. T3's (Mar 31 − 30
    # days = Sunday Mar 1, rolled to Friday Feb 27) falls before the window.
    assert [(o.key, o.due) for o in deadlines] == [
        ("T4", date(2026, 3, 31)), ("T5", date(2026, 5, 1)), ("T6", date(2026, 5, 29)),
    ]
    assert commitment_end(monthly) is None  # 30 days before Jan 31 is the start itself: notice can be given
    assert commitment_end(replace(monthly, notice=Duration(31, "days"))) == date(2026, 1, 31)


def test_sixty_days_on_monthly_terms_commits_the_first_two_months() -> None:
    terms = Terms(start=date(2027, 1, 1), term=Duration(12, "months"), renewal_term=Duration(1, "months"),
                  auto_renew=True, notice=Duration(60, "days"))
    assert commitment_end(terms) is None  # the 12-month first term's deadline lies after the start
    monthly = Terms(start=date(2027, 1, 1), term=Duration(1, "months"), auto_renew=True, notice=Duration(60, "days"))
    assert commitment_end(monthly) == date(2027, 2, 28)
    first = derived_occurrences(monthly, "notice_deadline", date(2026, 1, 1), date(2027, 3, 31))
    assert [o.key for o in first] == ["T3", "T4"]  # none of T1's or T2's, which fall before the start


def test_notice_reaching_several_terms_out() -> None:
    terms = Terms(start=date(2026, 1, 1), term=Duration(12, "months"), renewal_term=Duration(1, "months"),
                  auto_renew=True, notice=Duration(60, "days"))
    sent = date(2027, 1, 10)  # too late for the Jan 31 and Feb 28 ends (deadlines Dec 2 and Dec 30)
    assert final_end(replace(terms, notice_given_on=sent)) == date(2027, 3, 31)


def test_termination_for_convenience_ends_after_its_notice_or_at_the_term_end() -> None:
    terms = Terms(start=date(2026, 1, 1), term=Duration(1, "years"), auto_renew=True, notice=Duration(90, "days"),
                  termination_notice=Duration(60, "days"))
    assert termination_end(terms, date(2026, 3, 1)) == date(2026, 4, 30)
    assert termination_end(terms, date(2026, 12, 1)) == date(2026, 12, 31)  # the term ends first
    ended = replace(terms, termination_sent_on=date(2026, 3, 1))
    assert final_end(ended) == date(2026, 4, 30)
    assert derived_occurrences(ended, "renewal", date(2026, 1, 1), date(2030, 1, 1)) == []
    assert [o.due for o in derived_occurrences(ended, "term_end", date(2026, 1, 1), date(2030, 1, 1))] == [
        date(2026, 4, 30)]
    monthly_invoices = Recurrence(every="FREQ=MONTHLY", start=date(2026, 1, 15))
    due = [o.due for o in occurrences(monthly_invoices, date(2026, 1, 1), date(2026, 12, 31), final_end(ended))]
    assert due[-1] <= date(2026, 4, 30)


def test_a_contract_entered_after_its_window_closed_is_caught() -> None:
    terms = Terms(start=date(2026, 1, 1), term=Duration(1, "years"), auto_renew=True, notice=Duration(45, "days"))
    assert missed_deadline(terms, date(2026, 12, 1)) == (date(2027, 1, 1), date(2026, 11, 16))
    assert missed_deadline(terms, date(2026, 11, 16)) is None


def test_rolled_duplicates_are_one_occurrence_and_none_falls_before_the_start() -> None:
    daily = Recurrence(every="FREQ=DAILY", start=date(2026, 11, 21))  # a Saturday
    found = occurrences(daily, date(2026, 11, 19), date(2026, 11, 30), starts_on=date(2026, 11, 21))
    # Saturday and Sunday would roll back to Friday the 20th, before the start: no occurrence there.
    assert [o.due for o in found][:2] == [date(2026, 11, 23), date(2026, 11, 24)]
    weekdays = occurrences(Recurrence(every="FREQ=DAILY", start=date(2026, 11, 23)), date(2026, 11, 23),
                           date(2026, 12, 4))
    fridays = [o for o in weekdays if o.due == date(2026, 11, 27)]
    assert len(fridays) == 1 and fridays[0].key == "2026-11-27"  # Sat and Sun fold into Friday's
