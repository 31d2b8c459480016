"""The deadline engine (DESIGN §3.2–3.4): terms, anchored renewals, notice deadlines, rolls, recurrences."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tracker.domain.businessdays import BusinessCalendar, Roll, business_calendar, validate_holidays
from tracker.domain.dates import add_calendar, add_months, infer_term, shift
from tracker.domain.durations import Duration, parse_duration
from tracker.domain.kinds import DERIVED_KINDS
from tracker.domain.occurrences import Occurrence, derived_occurrences, occurrences
from tracker.domain.recurrence import Recurrence, recurrence_dates, validate_rrule
from tracker.domain.terms import (
    Terms,
    final_end,
    final_term_index,
    notice_deadline,
    raw_notice_deadline,
    term_end,
    term_index_on,
    term_start,
)
from tracker.errors import InvalidInput

D = parse_duration
ONE_DAY = timedelta(days=1)
SAT, SUN = 5, 6


def dues(found: list[Occurrence]) -> list[date]:
    return [o.due for o in found]


# --- terms and renewals --------------------------------------------------------------------------


def test_twelve_month_contract_from_new_year_ends_on_new_years_eve() -> None:
    terms = Terms(date(2025, 1, 1), D("12 months"))
    assert term_end(terms, 0) == date(2025, 12, 31)
    assert final_end(terms) == date(2025, 12, 31)


@pytest.mark.parametrize(
    ("term", "end"),
    [
        ("1 year", date(2025, 12, 31)),
        ("90 days", date(2025, 3, 31)),
        ("2w", date(2025, 1, 14)),
        ("P3M", date(2025, 3, 31)),
    ],
)
def test_end_is_start_plus_term_minus_one_day(term: str, end: date) -> None:
    assert term_end(Terms(date(2025, 1, 1), D(term)), 0) == end


def test_monthly_contract_from_the_31st_renews_on_month_ends_without_drifting() -> None:
    terms = Terms(date(2024, 1, 31), D("1 month"), auto_renew=True)
    assert [term_start(terms, k) for k in range(1, 5)] == [
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
    ]
    assert term_end(terms, 0) == date(2024, 2, 28)
    assert term_end(terms, 3) == date(2024, 5, 30)


def test_renewals_appear_as_derived_occurrences_on_the_anchored_dates() -> None:
    terms = Terms(date(2024, 1, 31), D("1 month"), auto_renew=True)
    found = derived_occurrences(terms, "renewal", date(2024, 1, 1), date(2024, 6, 30))
    assert dues(found) == [
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
        date(2024, 6, 30),
    ]
    assert [o.key for o in found] == ["T2", "T3", "T4", "T5", "T6"]


def test_renewal_term_defaults_to_the_initial_term_but_can_differ() -> None:
    same = Terms(date(2025, 1, 1), D("1 year"), auto_renew=True)
    assert term_end(same, 2) == date(2027, 12, 31)
    shorter = Terms(date(2025, 1, 1), D("2 years"), auto_renew=True, renewal_term=D("1 year"))
    assert term_start(shorter, 1) == date(2027, 1, 1)
    assert term_end(shorter, 1) == date(2027, 12, 31)
    assert term_end(shorter, 3) == date(2029, 12, 31)


def test_day_term_with_monthly_renewals_renews_on_the_same_day_each_month() -> None:
    # 31 days from 2025-01-01 is 2025-02-01; monthly renewals then fall on the 1st of each month.
    terms = Terms(date(2025, 1, 1), D("31 days"), auto_renew=True, renewal_term=D("1 month"))
    assert [term_start(terms, k) for k in range(1, 5)] == [
        date(2025, 2, 1),
        date(2025, 3, 1),
        date(2025, 4, 1),
        date(2025, 5, 1),
    ]
    assert term_end(terms, 1) == date(2025, 2, 28)


def test_day_term_with_yearly_renewals_keeps_the_anniversary() -> None:
    terms = Terms(date(2024, 1, 1), D("90 days"), auto_renew=True, renewal_term=D("1 year"))
    assert term_start(terms, 1) == date(2024, 3, 31)
    assert term_start(terms, 2) == date(2025, 3, 31)
    assert term_start(terms, 3) == date(2026, 3, 31)


def test_explicit_end_with_auto_renew_anchors_the_day_after_the_end() -> None:
    terms = Terms(date(2025, 1, 15), end=date(2025, 6, 30), auto_renew=True, renewal_term=D("1 year"))
    assert term_end(terms, 0) == date(2025, 6, 30)
    assert term_start(terms, 1) == date(2025, 7, 1)
    assert term_end(terms, 1) == date(2026, 6, 30)
    assert term_end(terms, 2) == date(2027, 6, 30)


def test_explicit_end_month_anchor_does_not_drift() -> None:
    terms = Terms(date(2025, 1, 1), end=date(2025, 1, 30), auto_renew=True, renewal_term=D("1 month"))
    # anchor 2025-01-31: renewals on the last day of each month
    assert [term_start(terms, k) for k in range(1, 5)] == [
        date(2025, 1, 31),
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
    ]


def test_explicit_end_without_renewal_term_renews_for_the_inferred_term() -> None:
    terms = Terms(date(2025, 1, 1), end=date(2025, 6, 30), auto_renew=True)
    assert terms.renewal == Duration(6, "months")
    assert term_end(terms, 1) == date(2025, 12, 31)


def test_business_day_term_counts_business_days() -> None:
    # 5 US business days after Tue 2025-07-01 skip Independence Day and the weekend: Wed 2025-07-09.
    terms = Terms(date(2025, 7, 1), D("5bd"), holidays="US")
    assert term_end(terms, 0) == date(2025, 7, 8)
    assert term_end(Terms(date(2025, 7, 1), D("5bd")), 0) == date(2025, 7, 7)


def test_not_auto_renewing_contract_ends_after_its_first_term() -> None:
    terms = Terms(date(2025, 1, 1), D("1 year"), notice=D("30 days"))
    assert final_term_index(terms) == 0
    assert final_end(terms) == date(2025, 12, 31)
    assert derived_occurrences(terms, "renewal", date(2025, 1, 1), date(2030, 1, 1)) == []
    assert derived_occurrences(terms, "notice_deadline", date(2025, 1, 1), date(2030, 1, 1)) == []
    ends = derived_occurrences(terms, "term_end", date(2025, 1, 1), date(2030, 1, 1))
    assert ends == [Occurrence(date(2025, 12, 31), date(2025, 12, 31), "T1", 1)]


def test_auto_renewing_contract_has_no_final_end() -> None:
    terms = Terms(date(2025, 1, 1), D("1 year"), auto_renew=True)
    assert final_term_index(terms) is None
    assert final_end(terms) is None
    assert derived_occurrences(terms, "term_end", date(2025, 1, 1), date(2040, 1, 1)) == []


def test_max_renewals_caps_the_contract() -> None:
    terms = Terms(date(2025, 1, 1), D("1 year"), auto_renew=True, max_renewals=2, notice=D("30 days"))
    assert final_term_index(terms) == 2
    assert final_end(terms) == date(2027, 12, 31)
    window = (date(2024, 1, 1), date(2035, 1, 1))
    assert dues(derived_occurrences(terms, "renewal", *window)) == [date(2026, 1, 1), date(2027, 1, 1)]
    # Notice deadlines only for the terms that would otherwise renew (none after the last term).
    assert [o.key for o in derived_occurrences(terms, "notice_deadline", *window)] == ["T1", "T2"]
    assert dues(derived_occurrences(terms, "term_end", *window)) == [date(2027, 12, 31)]
    assert term_index_on(terms, date(2031, 5, 5)) == 2


def test_zero_max_renewals_means_no_renewal() -> None:
    terms = Terms(date(2025, 1, 1), D("1 year"), auto_renew=True, max_renewals=0, notice=D("30 days"))
    assert final_end(terms) == date(2025, 12, 31)
    assert derived_occurrences(terms, "renewal", date(2025, 1, 1), date(2030, 1, 1)) == []
    assert derived_occurrences(terms, "notice_deadline", date(2025, 1, 1), date(2030, 1, 1)) == []


def test_term_index_on() -> None:
    terms = Terms(date(2024, 1, 31), D("1 month"), auto_renew=True)
    assert term_index_on(terms, date(2023, 6, 1)) == 0  # before the start
    assert term_index_on(terms, date(2024, 1, 31)) == 0
    assert term_index_on(terms, date(2024, 2, 28)) == 0
    assert term_index_on(terms, date(2024, 2, 29)) == 1
    assert term_index_on(terms, date(2024, 5, 31)) == 4
    assert term_index_on(terms, date(2034, 5, 31)) == 124


# --- notice ---------------------------------------------------------------------------------------


def test_three_months_before_may_31_is_february_28() -> None:
    terms = Terms(date(2024, 6, 1), D("1 year"), auto_renew=True, notice=D("3 months"))
    assert term_end(terms, 0) == date(2025, 5, 31)
    assert raw_notice_deadline(terms, 0) == date(2025, 2, 28)
    assert notice_deadline(terms, 0) == date(2025, 2, 28)  # a Friday: no roll


def test_deadline_without_notice_period_is_the_term_end() -> None:
    terms = Terms(date(2025, 1, 1), D("1 year"), auto_renew=True)
    assert raw_notice_deadline(terms, 0) == date(2025, 12, 31)


@pytest.mark.parametrize(("notice", "raw"), [("4 days", date(2025, 12, 27)), ("3 days", date(2025, 12, 28))])
def test_weekend_deadline_rolls_back_to_friday(notice: str, raw: date) -> None:
    terms = Terms(date(2025, 1, 1), D("1 year"), auto_renew=True, notice=D(notice))
    assert raw_notice_deadline(terms, 0) == raw
    assert raw.weekday() in (SAT, SUN)
    assert notice_deadline(terms, 0) == date(2025, 12, 26)
    found = derived_occurrences(terms, "notice_deadline", date(2025, 1, 1), date(2025, 12, 31))
    assert found == [Occurrence(date(2025, 12, 26), raw, "T1", 1)]


def test_us_independence_day_rolls_to_the_previous_business_day() -> None:
    plain = Terms(date(2024, 8, 5), D("1 year"), auto_renew=True, notice=D("1 month"))
    us = Terms(date(2024, 8, 5), D("1 year"), auto_renew=True, notice=D("1 month"), holidays="US")
    assert raw_notice_deadline(us, 0) == date(2025, 7, 4)
    assert notice_deadline(plain, 0) == date(2025, 7, 4)  # a Friday, and no holiday calendar
    assert notice_deadline(us, 0) == date(2025, 7, 3)


def test_thanksgiving_rolls_to_the_wednesday_before() -> None:
    terms = Terms(date(2025, 12, 27), D("1 year"), auto_renew=True, notice=D("1 month"), holidays="us")
    assert raw_notice_deadline(terms, 0) == date(2026, 11, 26)
    assert notice_deadline(terms, 0) == date(2026, 11, 25)


def test_holiday_monday_rolls_past_the_weekend_to_friday() -> None:
    # Memorial Day, Monday 2025-05-26
    terms = Terms(date(2024, 6, 3), D("1 year"), auto_renew=True, notice=D("1 week"), holidays="US")
    assert raw_notice_deadline(terms, 0) == date(2025, 5, 26)
    assert notice_deadline(terms, 0) == date(2025, 5, 23)


def test_business_day_notice_counts_back_skipping_weekends_and_holidays() -> None:
    # The term ends Wed 2025-07-09; 5 US business days before it: 8, 7, 3, 2, 1 July (4th is a holiday).
    terms = Terms(date(2024, 7, 10), D("1 year"), auto_renew=True, notice=D("5 business days"), holidays="US")
    assert term_end(terms, 0) == date(2025, 7, 9)
    assert notice_deadline(terms, 0) == date(2025, 7, 1)
    no_holidays = Terms(date(2024, 7, 10), D("1 year"), auto_renew=True, notice=D("5bd"))
    assert notice_deadline(no_holidays, 0) == date(2025, 7, 2)


def test_shift_by_business_days_in_both_directions() -> None:
    us = BusinessCalendar("US")
    assert shift(date(2025, 7, 1), D("5bd"), calendar=us) == date(2025, 7, 9)
    assert shift(date(2025, 7, 9), D("5bd"), -1, us) == date(2025, 7, 1)
    assert shift(date(2025, 7, 1), D("5bd")) == date(2025, 7, 8)  # weekends only


def test_roll_modes() -> None:
    cal = BusinessCalendar("US")
    saturday = date(2025, 3, 15)
    assert cal.roll(saturday, "previous") == date(2025, 3, 14)
    assert cal.roll(saturday, "next") == date(2025, 3, 17)
    assert cal.roll(saturday, "none") == saturday
    assert cal.roll(date(2025, 3, 12), "previous") == date(2025, 3, 12)  # a business day stays
    assert cal.roll(date(2025, 12, 25), "next") == date(2025, 12, 26)


def test_holiday_calendars_differ_by_country() -> None:
    boxing_day = date(2025, 12, 26)  # a Friday: a holiday in GB and DE, not in the US
    assert BusinessCalendar("US").is_business_day(boxing_day)
    assert not BusinessCalendar("GB").is_business_day(boxing_day)
    assert not BusinessCalendar("DE").is_business_day(boxing_day)
    assert BusinessCalendar().is_business_day(boxing_day)


def test_validate_holidays() -> None:
    assert validate_holidays(" us-ny ") == "US-NY"
    assert validate_holidays("gb") == "GB"
    for bad in ("XX", "United States", "U"):
        with pytest.raises(InvalidInput, match=r"^holidays: "):
            validate_holidays(bad)


def test_timely_notice_ends_the_contract_at_the_end_of_that_term() -> None:
    base = {"start": date(2025, 1, 1), "term": D("1 year"), "auto_renew": True, "notice": D("30 days")}
    assert notice_deadline(Terms(**base), 0) == date(2025, 12, 1)
    timely = Terms(**base, notice_given_on=date(2025, 6, 15))
    assert final_term_index(timely) == 0
    assert final_end(timely) == date(2025, 12, 31)
    window = (date(2025, 1, 1), date(2030, 1, 1))
    assert derived_occurrences(timely, "renewal", *window) == []
    assert derived_occurrences(timely, "notice_deadline", *window) == []
    assert dues(derived_occurrences(timely, "term_end", *window)) == [date(2025, 12, 31)]


def test_notice_on_the_deadline_itself_is_timely() -> None:
    base = {"start": date(2025, 1, 1), "term": D("1 year"), "auto_renew": True, "notice": D("30 days")}
    assert final_end(Terms(**base, notice_given_on=date(2025, 12, 1))) == date(2025, 12, 31)


def test_late_notice_ends_the_contract_at_the_end_of_the_next_term() -> None:
    base = {"start": date(2025, 1, 1), "term": D("1 year"), "auto_renew": True, "notice": D("30 days")}
    late = Terms(**base, notice_given_on=date(2025, 12, 2))
    assert final_term_index(late) == 1
    assert final_end(late) == date(2026, 12, 31)
    window = (date(2025, 1, 1), date(2030, 1, 1))
    assert dues(derived_occurrences(late, "renewal", *window)) == [date(2026, 1, 1)]
    assert dues(derived_occurrences(late, "term_end", *window)) == [date(2026, 12, 31)]


def test_notice_after_a_weekend_rolled_deadline_is_late() -> None:
    # The raw deadline is Saturday 2025-12-27; it rolls back to Friday, never forward to Monday.
    base = {"start": date(2025, 1, 1), "term": D("1 year"), "auto_renew": True, "notice": D("4 days")}
    assert final_end(Terms(**base, notice_given_on=date(2025, 12, 26))) == date(2025, 12, 31)
    assert final_end(Terms(**base, notice_given_on=date(2025, 12, 27))) == date(2026, 12, 31)


def test_notice_in_a_later_term() -> None:
    base = {"start": date(2025, 1, 1), "term": D("1 year"), "auto_renew": True, "notice": D("30 days")}
    assert final_end(Terms(**base, notice_given_on=date(2027, 3, 1))) == date(2027, 12, 31)


def test_late_notice_in_the_last_capped_term_does_not_extend_the_contract() -> None:
    terms = Terms(
        date(2025, 1, 1),
        D("1 year"),
        auto_renew=True,
        max_renewals=1,
        notice=D("30 days"),
        notice_given_on=date(2026, 12, 20),
    )
    assert final_end(terms) == date(2026, 12, 31)


def test_derived_notice_deadlines_over_several_terms() -> None:
    terms = Terms(date(2024, 1, 31), D("1 month"), auto_renew=True, notice=D("1 week"))
    found = derived_occurrences(terms, "notice_deadline", date(2024, 1, 1), date(2024, 5, 31))
    # term ends 02-28, 03-30, 04-29, 05-30 minus a week, rolled back off weekends
    assert found == [
        Occurrence(date(2024, 2, 21), date(2024, 2, 21), "T1", 1),
        Occurrence(date(2024, 3, 22), date(2024, 3, 23), "T2", 2),
        Occurrence(date(2024, 4, 22), date(2024, 4, 22), "T3", 3),
        Occurrence(date(2024, 5, 23), date(2024, 5, 23), "T4", 4),
    ]


def test_derived_occurrences_rejects_unknown_kind() -> None:
    terms = Terms(date(2025, 1, 1), D("1 year"), auto_renew=True)
    with pytest.raises(ValueError, match="not a derived kind"):
        derived_occurrences(terms, "invoice", date(2025, 1, 1), date(2026, 1, 1))


# --- infer_term -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "text"),
    [
        (date(2025, 1, 1), date(2025, 12, 31), "1 year"),
        (date(2025, 1, 1), date(2026, 12, 31), "2 years"),
        (date(2025, 1, 1), date(2025, 3, 31), "3 months"),
        (date(2025, 1, 15), date(2026, 7, 14), "18 months"),
        (date(2024, 1, 31), date(2024, 2, 28), "1 month"),
        (date(2025, 1, 1), date(2025, 1, 10), "10 days"),
        (date(2025, 1, 1), date(2025, 12, 30), "364 days"),
        (date(2025, 1, 1), date(2025, 1, 1), "1 day"),
    ],
)
def test_infer_term(start: date, end: date, text: str) -> None:
    inferred = infer_term(start, end)
    assert str(inferred) == text
    assert term_end(Terms(start, inferred), 0) == end


# --- recurrences ----------------------------------------------------------------------------------


def test_monthly_rule_from_the_31st_does_not_skip_short_months() -> None:
    got = recurrence_dates("FREQ=MONTHLY", date(2025, 1, 31), None, date(2025, 1, 1), date(2025, 7, 31))
    assert got == [
        date(2025, 1, 31),
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
        date(2025, 5, 31),
        date(2025, 6, 30),
        date(2025, 7, 31),
    ]


def test_monthly_rule_from_the_31st_later_in_a_leap_year() -> None:
    got = recurrence_dates("FREQ=MONTHLY", date(2023, 10, 31), None, date(2024, 2, 1), date(2024, 4, 30))
    assert got == [date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)]


def test_quarterly_rule() -> None:
    got = recurrence_dates(
        "FREQ=MONTHLY;INTERVAL=3", date(2025, 1, 15), None, date(2025, 1, 1), date(2025, 12, 31)
    )
    assert got == [date(2025, 1, 15), date(2025, 4, 15), date(2025, 7, 15), date(2025, 10, 15)]


def test_yearly_rule_from_leap_day() -> None:
    got = recurrence_dates("FREQ=YEARLY", date(2024, 2, 29), None, date(2024, 1, 1), date(2028, 12, 31))
    assert got == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]


def test_byday_rules_use_dateutil() -> None:
    first_monday = recurrence_dates(
        "FREQ=MONTHLY;BYDAY=1MO", date(2025, 1, 1), None, date(2025, 1, 1), date(2025, 4, 30)
    )
    assert first_monday == [date(2025, 1, 6), date(2025, 2, 3), date(2025, 3, 3), date(2025, 4, 7)]
    twice_weekly = recurrence_dates(
        "FREQ=WEEKLY;BYDAY=MO,TH", date(2025, 3, 1), None, date(2025, 3, 1), date(2025, 3, 14)
    )
    assert twice_weekly == [date(2025, 3, 3), date(2025, 3, 6), date(2025, 3, 10), date(2025, 3, 13)]
    last_friday = recurrence_dates(
        "FREQ=MONTHLY;BYDAY=-1FR", date(2025, 1, 1), None, date(2025, 1, 1), date(2025, 3, 31)
    )
    assert last_friday == [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 28)]


def test_rule_prefix_and_case_are_accepted() -> None:
    got = recurrence_dates(
        "rrule:freq=monthly;interval=2", date(2025, 1, 10), None, date(2025, 1, 1), date(2025, 6, 30)
    )
    assert got == [date(2025, 1, 10), date(2025, 3, 10), date(2025, 5, 10)]


def test_count_is_counted_from_the_start_not_the_window() -> None:
    start = date(2025, 1, 10)
    assert recurrence_dates("FREQ=MONTHLY;COUNT=3", start, None, date(2025, 3, 1), date(2025, 12, 31)) == [
        date(2025, 3, 10)
    ]
    assert recurrence_dates("FREQ=WEEKLY;COUNT=3", start, None, date(2025, 1, 20), date(2025, 12, 31)) == [
        date(2025, 1, 24)
    ]


def test_until_in_rule_and_argument_both_stop_the_recurrence() -> None:
    start, lo, hi = date(2025, 1, 15), date(2025, 1, 1), date(2025, 12, 31)
    in_rule = recurrence_dates("FREQ=MONTHLY;UNTIL=20250415T000000Z", start, None, lo, hi)
    assert in_rule[-1] == date(2025, 4, 15)
    assert len(in_rule) == 4
    tighter = recurrence_dates("FREQ=MONTHLY;UNTIL=20250415", start, date(2025, 3, 1), lo, hi)
    assert tighter == [date(2025, 1, 15), date(2025, 2, 15)]
    weekly = recurrence_dates("FREQ=WEEKLY;UNTIL=20250129", start, None, lo, hi)
    assert weekly == [date(2025, 1, 15), date(2025, 1, 22), date(2025, 1, 29)]


def test_window_before_the_start_gives_nothing_before_the_start() -> None:
    got = recurrence_dates("FREQ=WEEKLY", date(2025, 6, 4), None, date(2025, 1, 1), date(2025, 6, 18))
    assert got == [date(2025, 6, 4), date(2025, 6, 11), date(2025, 6, 18)]
    assert recurrence_dates("FREQ=WEEKLY", date(2025, 6, 4), None, date(2025, 1, 1), date(2025, 6, 3)) == []


def test_recurrence_ends_with_the_contract() -> None:
    schedule = Recurrence(every="FREQ=MONTHLY", start=date(2025, 1, 15))
    found = occurrences(schedule, date(2025, 1, 1), date(2025, 12, 31), ends_on=date(2025, 6, 30))
    assert [o.nominal for o in found][-1] == date(2025, 6, 15)
    assert len(found) == 6
    with_until = Recurrence(every="FREQ=MONTHLY", start=date(2025, 1, 15), until=date(2025, 3, 31))
    assert len(occurrences(with_until, date(2025, 1, 1), date(2025, 12, 31), ends_on=date(2025, 6, 30))) == 3
    assert len(occurrences(schedule, date(2025, 1, 1), date(2025, 12, 31))) == 12


def test_occurrences_roll_and_keep_the_nominal_date_as_key() -> None:
    schedule = Recurrence(every="FREQ=MONTHLY", start=date(2025, 1, 15))
    found = occurrences(schedule, date(2025, 3, 1), date(2025, 3, 31))
    # 2025-03-15 is a Saturday
    assert found == [Occurrence(date(2025, 3, 14), date(2025, 3, 15), "2025-03-15")]
    nxt = Recurrence(every="FREQ=MONTHLY", start=date(2025, 1, 15), roll="next")
    assert dues(occurrences(nxt, date(2025, 3, 1), date(2025, 3, 31))) == [date(2025, 3, 17)]
    none = Recurrence(every="FREQ=MONTHLY", start=date(2025, 1, 15), roll="none")
    assert dues(occurrences(none, date(2025, 3, 1), date(2025, 3, 31))) == [date(2025, 3, 15)]


def test_occurrence_rolled_into_the_window_from_outside_is_found() -> None:
    # Nominal Saturday 2025-02-01 rolls back to Friday 2025-01-31, inside a January window.
    schedule = Recurrence(every="FREQ=MONTHLY", start=date(2025, 2, 1))
    assert dues(occurrences(schedule, date(2025, 1, 1), date(2025, 1, 31))) == [date(2025, 1, 31)]
    assert occurrences(schedule, date(2025, 2, 1), date(2025, 2, 27)) == []


def test_occurrences_roll_off_holidays() -> None:
    schedule = Recurrence(every="FREQ=YEARLY", start=date(2024, 7, 4), holidays="US")
    assert dues(occurrences(schedule, date(2025, 1, 1), date(2025, 12, 31))) == [date(2025, 7, 3)]


def test_one_off_due_date() -> None:
    schedule = Recurrence(due=date(2025, 3, 15))  # a Saturday
    assert occurrences(schedule, date(2025, 3, 1), date(2025, 3, 31)) == [
        Occurrence(date(2025, 3, 14), date(2025, 3, 15), "")
    ]
    assert occurrences(schedule, date(2025, 3, 15), date(2025, 3, 31)) == []
    unrolled = Recurrence(due=date(2025, 3, 15), roll="none")
    assert dues(occurrences(unrolled, date(2025, 3, 15), date(2025, 3, 15))) == [date(2025, 3, 15)]


# --- validate_rrule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "normal"),
    [
        ("FREQ=MONTHLY", "FREQ=MONTHLY"),
        ("rrule:freq=monthly;interval=3", "FREQ=MONTHLY;INTERVAL=3"),
        (" FREQ=WEEKLY ; BYDAY=MO,TH ", "FREQ=WEEKLY;BYDAY=MO,TH"),
        ("FREQ=YEARLY;COUNT=2", "FREQ=YEARLY;COUNT=2"),
    ],
)
def test_validate_rrule_accepts_and_normalises(rule: str, normal: str) -> None:
    assert validate_rrule(rule, date(2025, 1, 1)) == normal


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=SOMETIMES",
        "hello",
        "",
        "INTERVAL=3",
        "FREQ=MONTHLY;COUNT=0",
        "FREQ=MONTHLY;UNTIL=20241231",
        "FREQ=WEEKLY;UNTIL=20241231",
        "FREQ=MONTHLY;INTERVAL=0",
        "FREQ=DAILY;INTERVAL=0",
        "FREQ=WEEKLY;INTERVAL=-1",
        "FREQ=MONTHLY;INTERVAL=often",
        "FREQ=MONTHLY;UNTIL=soon",
        "FREQ=WEEKLY;BYDAY=XX",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
    ],
)
def test_validate_rrule_rejects_garbage(rule: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_rrule(rule, date(2025, 1, 1), field="obligations[0].every")
    assert str(caught.value).startswith("obligations[0].every: ")
    assert repr(rule) in str(caught.value)


# --- property tests -------------------------------------------------------------------------------

PROPS = settings(max_examples=200, deadline=None)
CALENDARS = st.sampled_from([None, "US", "GB", "DE"])
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))
month_terms = st.one_of(
    st.integers(1, 36).map(lambda n: Duration(n, "months")),
    st.integers(1, 5).map(lambda n: Duration(n, "years")),
)
day_terms = st.one_of(
    st.integers(7, 800).map(lambda n: Duration(n, "days")),
    st.integers(1, 100).map(lambda n: Duration(n, "weeks")),
)
terms_durations = st.one_of(month_terms, day_terms)
notices = st.one_of(
    st.integers(1, 200).map(lambda n: Duration(n, "days")),
    st.integers(1, 20).map(lambda n: Duration(n, "weeks")),
    st.integers(1, 12).map(lambda n: Duration(n, "months")),
    st.integers(1, 60).map(lambda n: Duration(n, "business_days")),
)


def months_of(d: Duration) -> int:
    return d.amount * (12 if d.unit == "years" else 1)


def days_of(d: Duration) -> int:
    return d.amount * (7 if d.unit == "weeks" else 1)


@st.composite
def renewing_terms(draw: st.DrawFn, with_notice: bool = True) -> Terms:
    start = draw(dates)
    term = draw(terms_durations)
    renewal = draw(st.one_of(st.none(), terms_durations))
    shortest = min(term.approx_days(), (renewal or term).approx_days())
    notice = draw(notices) if with_notice else None
    if notice is not None:
        assume(notice.approx_days() < shortest)
    return Terms(start, term, auto_renew=True, renewal_term=renewal, notice=notice, holidays=draw(CALENDARS))


@PROPS
@given(renewing_terms(), st.integers(0, 6))
def test_notice_deadline_never_after_term_end_or_its_unrolled_date(terms: Terms, k: int) -> None:
    deadline, raw = notice_deadline(terms, k), raw_notice_deadline(terms, k)
    assert deadline <= raw <= term_end(terms, k)
    cal = terms.calendar
    assert cal.is_business_day(deadline)
    # it is the latest business day on or before the unrolled date
    assert not any(
        cal.is_business_day(deadline + timedelta(days=i)) for i in range(1, (raw - deadline).days + 1)
    )
    assert (raw - deadline).days < 10


@PROPS
@given(dates, month_terms, st.one_of(st.none(), month_terms), st.integers(1, 40))
def test_month_based_renewals_never_drift(
    start: date, term: Duration, renewal: Duration | None, k: int
) -> None:
    terms = Terms(start, term, auto_renew=True, renewal_term=renewal)
    expected = start + relativedelta(months=months_of(term) + (k - 1) * months_of(renewal or term))
    assert term_start(terms, k) == expected
    assert term_end(terms, k - 1) + ONE_DAY == expected


@PROPS
@given(dates, day_terms, st.one_of(st.none(), terms_durations), st.integers(1, 40))
def test_renewals_after_a_day_based_term_are_anchored_on_the_first_renewal(
    start: date, term: Duration, renewal: Duration | None, k: int
) -> None:
    terms = Terms(start, term, auto_renew=True, renewal_term=renewal)
    first = start + timedelta(days=days_of(term))
    assert term_start(terms, 1) == first
    r = renewal or term
    if r.unit in ("months", "years"):
        expected = first + relativedelta(months=(k - 1) * months_of(r))
    else:
        expected = first + timedelta(days=(k - 1) * days_of(r))
    assert term_start(terms, k) == expected


@PROPS
@given(renewing_terms(with_notice=False), st.integers(0, 40))
def test_terms_are_contiguous_and_non_empty(terms: Terms, k: int) -> None:
    assert term_end(terms, k) + ONE_DAY == term_start(terms, k + 1)
    assert term_start(terms, k) <= term_end(terms, k)


@PROPS
@given(renewing_terms(with_notice=False), st.integers(0, 365 * 30), st.one_of(st.none(), st.integers(0, 10)))
def test_term_index_on_finds_the_term_containing_the_day(terms: Terms, offset: int, cap: int | None) -> None:
    terms = Terms(terms.start, terms.term, auto_renew=True, renewal_term=terms.renewal_term, max_renewals=cap)
    day = terms.start + timedelta(days=offset)
    k = term_index_on(terms, day)
    last = final_end(terms)
    if last is None or day <= last:
        assert term_start(terms, k) <= day <= term_end(terms, k)
    else:
        assert k == cap


@PROPS
@given(renewing_terms(), st.integers(0, 365 * 3))
def test_notice_given_ends_at_the_first_term_whose_deadline_it_meets(terms: Terms, offset: int) -> None:
    given_on = terms.start + timedelta(days=offset)
    noticed = Terms(
        terms.start,
        terms.term,
        auto_renew=True,
        renewal_term=terms.renewal_term,
        notice=terms.notice,
        holidays=terms.holidays,
        notice_given_on=given_on,
    )
    k = final_term_index(noticed)
    assert k is not None
    assert given_on <= notice_deadline(noticed, k)
    assert k == 0 or notice_deadline(noticed, k - 1) < given_on
    assert final_end(noticed) == term_end(noticed, k)


@PROPS
@given(renewing_terms(), st.integers(-400, 365 * 5), st.integers(0, 365 * 4), st.data())
def test_derived_occurrences_sorted_unique_and_split_consistent(
    terms: Terms, offset: int, length: int, data: st.DataObject
) -> None:
    cap = data.draw(st.one_of(st.none(), st.integers(0, 8)))
    terms = Terms(
        terms.start,
        terms.term,
        auto_renew=True,
        renewal_term=terms.renewal_term,
        notice=terms.notice,
        holidays=terms.holidays,
        max_renewals=cap,
    )
    lo = terms.start + timedelta(days=offset)
    hi = lo + timedelta(days=length)
    mid = lo + timedelta(days=data.draw(st.integers(0, length)))
    for kind in ("notice_deadline", "renewal", "term_end"):
        found = derived_occurrences(terms, kind, lo, hi)
        assert all(lo <= o.due <= hi for o in found)
        assert [o.due for o in found] == sorted(o.due for o in found)
        numbers = [o.term for o in found]
        assert numbers == sorted(set(numbers))  # strictly increasing, so keys are unique
        assert [o.key for o in found] == [f"T{n}" for n in numbers]
        halves = derived_occurrences(terms, kind, lo, mid) + derived_occurrences(
            terms, kind, mid + ONE_DAY, hi
        )
        assert halves == found
    for o in derived_occurrences(terms, "notice_deadline", lo, hi):
        assert o.term is not None
        assert o.due == notice_deadline(terms, o.term - 1)
        assert o.nominal == raw_notice_deadline(terms, o.term - 1)
        assert cap is None or o.term <= cap
    for o in derived_occurrences(terms, "renewal", lo, hi):
        assert o.term is not None
        assert o.due == term_start(terms, o.term - 1)


RULES = st.sampled_from(
    [
        "FREQ=MONTHLY",
        "FREQ=MONTHLY;INTERVAL=3",
        "FREQ=YEARLY",
        "FREQ=MONTHLY;COUNT=7",
        "FREQ=WEEKLY",
        "FREQ=WEEKLY;INTERVAL=2",
        "FREQ=DAILY;INTERVAL=9",
        "FREQ=MONTHLY;BYDAY=1MO",
        "FREQ=MONTHLY;BYMONTHDAY=-1",
        "FREQ=WEEKLY;BYDAY=MO,FR;COUNT=20",
        "FREQ=YEARLY;INTERVAL=2",
    ]
)


@PROPS
@given(RULES, dates, st.one_of(st.none(), dates), st.integers(-400, 365 * 3), st.integers(0, 365 * 3))
def test_recurrence_dates_sorted_unique_and_within_window(
    rule: str, start: date, until: date | None, offset: int, length: int
) -> None:
    lo = start + timedelta(days=offset)
    hi = lo + timedelta(days=length)
    got = recurrence_dates(rule, start, until, lo, hi)
    assert got == sorted(set(got))
    assert all(max(lo, start) <= d <= hi for d in got)
    assert until is None or all(d <= until for d in got)


@PROPS
@given(
    st.sampled_from(["FREQ=MONTHLY", "FREQ=MONTHLY;INTERVAL=3", "FREQ=YEARLY", "FREQ=MONTHLY;COUNT=5"]),
    dates,
    st.integers(-400, 365 * 3),
    st.integers(0, 365 * 3),
)
def test_anchored_rules_agree_with_dateutil_when_no_month_is_short(
    rule: str, start: date, offset: int, length: int
) -> None:
    assume(start.day <= 28)
    lo = start + timedelta(days=offset)
    hi = lo + timedelta(days=length)
    reference = rrulestr(f"RRULE:{rule}", dtstart=datetime.combine(start, datetime.min.time()))
    expected = [
        d.date()
        for d in reference.between(
            datetime.combine(lo, datetime.min.time()), datetime.combine(hi, datetime.min.time()), inc=True
        )
    ]
    assert recurrence_dates(rule, start, None, lo, hi) == expected


@PROPS
@given(
    st.sampled_from(["FREQ=MONTHLY", "FREQ=MONTHLY;INTERVAL=3", "FREQ=YEARLY"]), dates, st.integers(0, 200)
)
def test_anchored_rules_never_skip_a_period(rule: str, start: date, i: int) -> None:
    step = {"FREQ=MONTHLY": 1, "FREQ=MONTHLY;INTERVAL=3": 3, "FREQ=YEARLY": 12}[rule]
    nth = start + relativedelta(months=i * step)
    got = recurrence_dates(rule, start, None, nth - timedelta(days=3), nth + timedelta(days=3))
    assert nth in got


@PROPS
@given(RULES, dates, st.integers(-400, 365 * 3), st.integers(0, 365 * 3), st.data())
def test_occurrences_sorted_unique_and_window_split_consistent(
    rule: str, start: date, offset: int, length: int, data: st.DataObject
) -> None:
    schedule = Recurrence(
        every=rule,
        start=start,
        roll=data.draw(st.sampled_from(["previous", "next", "none"])),
        holidays=data.draw(CALENDARS),
        until=data.draw(st.one_of(st.none(), st.just(start + timedelta(days=400)))),
    )
    ends_on = data.draw(st.one_of(st.none(), st.just(start + timedelta(days=600))))
    lo = start + timedelta(days=offset)
    hi = lo + timedelta(days=length)
    mid = lo + timedelta(days=data.draw(st.integers(0, length)))
    found = occurrences(schedule, lo, hi, ends_on)
    assert found == sorted(set(found))
    assert len({o.key for o in found}) == len(found)
    assert all(lo <= o.due <= hi for o in found)
    calendar = BusinessCalendar(schedule.holidays)
    for o in found:
        assert o.due == calendar.roll(o.nominal, schedule.roll)
        assert o.key == o.nominal.isoformat()
        assert o.nominal >= start
        assert ends_on is None or o.nominal <= ends_on
        assert schedule.until is None or o.nominal <= schedule.until
    halves = occurrences(schedule, lo, mid, ends_on) + occurrences(schedule, mid + ONE_DAY, hi, ends_on)
    assert halves == found


# --- fast arithmetic and memoised term functions (equal to the plain formulas) -------------------


def _outcome(compute: object) -> object:
    try:
        return compute()  # type: ignore[operator]
    except (ValueError, OverflowError) as exc:
        return type(exc)


@settings(max_examples=2000)
@given(st.dates(), st.integers(-130_000, 130_000), st.integers(-10**6, 10**6))
def test_add_calendar_is_relativedelta_months_then_days(day: date, months: int, days: int) -> None:
    expected = _outcome(lambda: day + relativedelta(months=months, days=days))
    assert _outcome(lambda: add_calendar(day, months, days)) == expected
    if days == 0:
        assert _outcome(lambda: add_months(day, months)) == expected


def _reference_term_end(terms: Terms, k: int) -> date:
    """term_end as first written: one relativedelta from the anchor, no memo."""
    renewal = terms.renewal
    calendar = BusinessCalendar(terms.holidays)
    if terms.term is not None:
        first, then = terms.term, renewal
        if not (first.is_business or then.is_business) and not (
            k and first.unit in ("days", "weeks") and then.unit in ("months", "years")
        ):
            parts = {"days": 0, "weeks": 0, "months": 0, "years": 0}
            parts[first.unit] += first.amount
            parts[then.unit] += then.amount * k
            return terms.start + relativedelta(**parts) - ONE_DAY
        first_renewal = shift(terms.start, terms.term, calendar=calendar)
        return shift(first_renewal, renewal, k, calendar) - ONE_DAY
    assert terms.end is not None
    return terms.end if k == 0 else shift(terms.end + ONE_DAY, renewal, k, calendar) - ONE_DAY


durations = st.builds(
    Duration, st.integers(1, 40), st.sampled_from(["days", "weeks", "months", "years", "business_days"])
)
terms_values = st.builds(
    Terms,
    start=st.dates(date(2015, 1, 1), date(2030, 12, 31)),
    term=st.one_of(st.none(), durations),
    end=st.dates(date(2031, 1, 1), date(2034, 12, 31)),
    auto_renew=st.booleans(),
    renewal_term=st.one_of(st.none(), durations),
    max_renewals=st.one_of(st.none(), st.integers(0, 5)),
    notice=st.one_of(st.none(), durations),
    holidays=st.sampled_from([None, "US", "GB"]),
    notice_given_on=st.one_of(st.none(), st.dates(date(2015, 1, 1), date(2036, 12, 31))),
)


@settings(max_examples=300, deadline=None)
@given(terms_values, st.lists(st.dates(date(2014, 1, 1), date(2040, 12, 31)), min_size=1, max_size=4))
def test_memoised_term_functions_equal_a_fresh_value_and_the_plain_formula(terms: Terms, days: list[date]) -> None:
    def fresh() -> Terms:
        return replace(terms)  # an equal value with an empty memo

    assert fresh() == terms and hash(fresh()) == hash(terms)
    for k in range(4):
        assert term_end(terms, k) == term_end(fresh(), k) == _reference_term_end(terms, k)
    for _ in range(2):  # the second round answers from the memo
        assert final_term_index(terms) == final_term_index(fresh())
        for day in days:
            assert term_index_on(terms, day) == term_index_on(fresh(), day)
            for kind in DERIVED_KINDS:
                window = (day, day + timedelta(days=400))
                assert derived_occurrences(terms, kind, *window) == derived_occurrences(fresh(), kind, *window)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["FREQ=MONTHLY", "FREQ=MONTHLY;INTERVAL=3", "FREQ=YEARLY;COUNT=4", "FREQ=WEEKLY;BYDAY=MO,FR",
                     "FREQ=MONTHLY;BYMONTHDAY=-1;UNTIL=20300101", "rrule:freq=daily;interval=10"]),
    st.dates(date(2020, 1, 1), date(2030, 12, 31)), st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    st.sampled_from(["previous", "next", "none"]), st.sampled_from([None, "US", "DE"]),
)
def test_cached_rule_plans_and_calendars_give_the_same_occurrences(
    rule: str, start: date, window_start: date, roll: Roll, holidays: str | None
) -> None:
    schedule = Recurrence(every=rule, start=start, roll=roll, holidays=holidays)
    window = (window_start, window_start + timedelta(days=120))
    first = occurrences(schedule, *window)
    assert occurrences(schedule, *window) == first  # now from the cached plan, rule and calendar
    calendar = BusinessCalendar(holidays)  # a new calendar: nothing memoised
    nominal = recurrence_dates(rule, start, None, window[0] - timedelta(days=10), window[1] + timedelta(days=10))
    rolled = sorted({Occurrence(calendar.roll(n, roll), n, n.isoformat()) for n in nominal})
    expected: dict[date, Occurrence] = {}
    for occurrence in rolled:  # dates rolled onto one due date are one occurrence: the first of them
        expected.setdefault(occurrence.due, occurrence)
    assert first == [o for o in expected.values() if window[0] <= o.due <= window[1]]
    assert business_calendar(holidays) is business_calendar(holidays)


# --- sub-daily rules and bounded expansion (issue 11) ----------------------------------------------


@pytest.mark.parametrize("rule", [
    "FREQ=DAILY;BYHOUR=9,17",
    "FREQ=DAILY;BYMINUTE=0,30",
    "FREQ=WEEKLY;BYDAY=MO;BYSECOND=1,2",
    "FREQ=DAILY;BYHOUR=9",  # one a day, but a time of day is not a date
])
def test_validate_rrule_rejects_times_of_day(rule: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_rrule(rule, date(2025, 1, 1))
    assert str(caught.value).startswith("every: ") and "at most one occurrence a day" in str(caught.value)


def test_a_stored_sub_daily_rule_still_gives_one_date_a_day() -> None:
    got = recurrence_dates("FREQ=DAILY;BYHOUR=1,2", date(2026, 1, 1), None, date(2026, 1, 1), date(2026, 1, 3))
    assert got == [date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3)]


def test_a_window_with_too_many_dates_is_an_error_not_a_huge_list() -> None:
    with pytest.raises(InvalidInput) as caught:
        recurrence_dates("FREQ=DAILY", date(1900, 1, 1), None, date(1900, 1, 1), date(2199, 12, 31))
    assert str(caught.value).startswith("every: 'FREQ=DAILY' is invalid") and "100,000 dates" in str(caught.value)
    # A century of daily dates is still fine.
    assert len(recurrence_dates("FREQ=DAILY", date(1900, 1, 1), None, date(1900, 1, 1), date(1999, 12, 31))) == 36524


@PROPS
@given(
    st.sampled_from(["FREQ=DAILY", "FREQ=DAILY;INTERVAL=3", "FREQ=DAILY;BYDAY=MO,FR", "FREQ=DAILY;BYMONTHDAY=1,15",
                     "FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH", "FREQ=WEEKLY;INTERVAL=3;WKST=SU;BYDAY=SU,MO",
                     "FREQ=DAILY;INTERVAL=5;BYMONTH=2"]),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)),
    st.integers(0, 60_000),
    st.integers(0, 400),
)
def test_rules_that_started_long_ago_give_the_dates_dateutil_gives(
    rule: str, start: date, offset: int, length: int,
) -> None:
    lo = start + timedelta(days=offset)
    hi = lo + timedelta(days=length)
    reference = rrulestr(f"RRULE:{rule}", dtstart=datetime.combine(start, datetime.min.time()))
    expected = [d.date() for d in reference.between(datetime.combine(lo, datetime.min.time()),
                                                    datetime.combine(hi, datetime.min.time()), inc=True)]
    assert recurrence_dates(rule, start, None, lo, hi) == expected
