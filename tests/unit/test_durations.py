"""Durations (DESIGN §3.1): every accepted form, the unit kept, and errors that name the field and value."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain.dates import shift
from tracker.domain.durations import Duration, parse_duration
from tracker.domain.terms import Terms, term_end
from tracker.errors import InvalidInput

UNITS = ("days", "weeks", "months", "years", "business_days")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90d", Duration(90, "days")),
        ("90 days", Duration(90, "days")),
        ("1 day", Duration(1, "days")),
        ("2w", Duration(2, "weeks")),
        ("2 weeks", Duration(2, "weeks")),
        ("3m", Duration(3, "months")),
        ("3mo", Duration(3, "months")),
        ("3 months", Duration(3, "months")),
        ("1 month", Duration(1, "months")),
        ("1y", Duration(1, "years")),
        ("1 year", Duration(1, "years")),
        ("2 years", Duration(2, "years")),
        ("5bd", Duration(5, "business_days")),
        ("5 business days", Duration(5, "business_days")),
        ("1 business day", Duration(1, "business_days")),
        ("P90D", Duration(90, "days")),
        ("P2W", Duration(2, "weeks")),
        ("P3M", Duration(3, "months")),
        ("P1Y", Duration(1, "years")),
    ],
)
def test_every_documented_form_parses_keeping_its_unit(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90D", Duration(90, "days")),
        ("90 DAYS", Duration(90, "days")),
        ("3 Months", Duration(3, "months")),
        ("3MO", Duration(3, "months")),
        ("1 YEAR", Duration(1, "years")),
        ("5BD", Duration(5, "business_days")),
        ("5 Business Days", Duration(5, "business_days")),
        ("p90d", Duration(90, "days")),
        ("p2w", Duration(2, "weeks")),
        ("p3m", Duration(3, "months")),
        ("p1y", Duration(1, "years")),
        ("  30 days  ", Duration(30, "days")),
        ("5  business   days", Duration(5, "business_days")),
    ],
)
def test_parsing_is_case_insensitive_and_tolerates_spacing(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected


def test_ninety_days_is_not_three_months() -> None:
    days, months = parse_duration("90 days"), parse_duration("3 months")
    assert days != months
    # A user sees the difference in the contract's end date.
    start = date(2025, 3, 1)
    assert term_end(Terms(start, days), 0) == date(2025, 5, 29)
    assert term_end(Terms(start, months), 0) == date(2025, 5, 31)
    assert shift(start, days) != shift(start, months)


@pytest.mark.parametrize(
    "text", ["ninety days-ish", "-5 days", "", "0 days", "3 fortnights", "P0D", "3.5 months"]
)
def test_invalid_durations_are_rejected_naming_field_and_value(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_duration(text, "notice")
    error = caught.value
    assert error.exit_code == 2
    assert str(error).startswith("notice: ")
    assert repr(text) in str(error)
    assert [(p.field, p.value) for p in error.problems] == [("notice", text)]


def test_rejection_message_says_what_is_expected() -> None:
    with pytest.raises(InvalidInput, match=r"term: '3 fortnights' is invalid; expected .*'90 days'"):
        parse_duration("3 fortnights", "term")


@pytest.mark.parametrize("value", [None, 2.5, True, [3, "months"]])
def test_non_text_values_are_rejected(value: object) -> None:
    with pytest.raises(InvalidInput, match=r"^renewal_term: "):
        parse_duration(value, "renewal_term")


def test_zero_is_allowed_only_when_asked() -> None:
    assert parse_duration("0 days", allow_zero=True) == Duration(0, "days")
    with pytest.raises(InvalidInput, match="longer than zero"):
        parse_duration("0 days")


def test_bare_integer_from_a_file_means_days() -> None:
    assert parse_duration(30) == Duration(30, "days")


def test_a_duration_passes_through_unchanged() -> None:
    d = Duration(3, "months")
    assert parse_duration(d) is d


@pytest.mark.parametrize("text", ["36526 days", "5219 weeks", "1201 months", "101 years", "100000 years"])
def test_durations_longer_than_a_century_are_rejected(text: str) -> None:
    with pytest.raises(InvalidInput, match="at most a century") as error:
        parse_duration(text, "term")
    assert f"term: '{text}'" in str(error.value)


def test_a_century_is_accepted() -> None:
    assert parse_duration("100 years") == Duration(100, "years")


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (Duration(1, "days"), "1 day"),
        (Duration(90, "days"), "90 days"),
        (Duration(1, "weeks"), "1 week"),
        (Duration(2, "weeks"), "2 weeks"),
        (Duration(1, "months"), "1 month"),
        (Duration(3, "months"), "3 months"),
        (Duration(1, "years"), "1 year"),
        (Duration(2, "years"), "2 years"),
        (Duration(1, "business_days"), "1 business day"),
        (Duration(5, "business_days"), "5 business days"),
    ],
)
def test_canonical_text(duration: Duration, text: str) -> None:
    assert str(duration) == text
    assert parse_duration(text) == duration


def test_canonical_text_of_parsed_shorthand() -> None:
    assert str(parse_duration("P3M")) == "3 months"
    assert str(parse_duration("5bd")) == "5 business days"
    assert str(parse_duration("1y")) == "1 year"


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=100), st.sampled_from(UNITS))
def test_canonical_text_round_trips(amount: int, unit: str) -> None:
    duration = Duration(amount, unit)  # type: ignore[arg-type]
    assert parse_duration(str(duration)) == duration


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=100), st.sampled_from(["D", "W", "M", "Y"]))
def test_iso_forms_round_trip_to_the_same_unit(amount: int, letter: str) -> None:
    parsed = parse_duration(f"P{amount}{letter}")
    assert parsed.amount == amount
    assert parsed.unit == {"D": "days", "W": "weeks", "M": "months", "Y": "years"}[letter]
    assert parse_duration(str(parsed)) == parsed


def test_business_days_flag() -> None:
    assert parse_duration("5bd").is_business
    assert not parse_duration("5d").is_business
