"""Spend rules: yearly rates by value basis, what a renewal commits, uplifts and termination fees."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tracker.domain.durations import Duration
from tracker.domain.spend import Price, parse_basis, parse_percent, price_on, term_cost, termination_fee, uplift, yearly
from tracker.domain.terms import Terms

TWO_YEARS = Terms(start=date(2026, 4, 1), term=Duration(24, "months"), auto_renew=True,
                  renewal_term=Duration(12, "months"))


@pytest.mark.parametrize(("text", "basis"), [("per year", "year"), ("Monthly", "month"), ("term", "term"),
                                              ("per fortnight", None), (12, None)])
def test_value_bases_read_as_written(text: object, basis: str | None) -> None:
    assert parse_basis(text) == basis


def test_percentages() -> None:
    assert parse_percent("5%") == Decimal("5.00") and parse_percent(12.5) == Decimal("12.50")
    assert parse_percent("-1%") is None and parse_percent("lots") is None and parse_percent(True) is None


def test_yearly_rates_convert_exactly_by_basis() -> None:
    day = date(2026, 6, 1)
    assert yearly(Decimal("240000"), None, TWO_YEARS, day) == Decimal("120000.00")  # per 24-month term
    assert yearly(Decimal("1200"), "month", TWO_YEARS, day) == Decimal("14400.00")
    assert yearly(Decimal("50000"), "year", TWO_YEARS, day) == Decimal("50000.00")
    # After the first term the renewals are 12 months: the same per-term price is twice the yearly rate.
    assert yearly(Decimal("240000"), None, TWO_YEARS, date(2028, 6, 1)) == Decimal("240000.00")


def test_a_renewal_commits_one_renewal_term_at_the_price() -> None:
    assert term_cost(Decimal("120000"), "year", TWO_YEARS, 1) == Decimal("120000.00")
    assert term_cost(Decimal("1000"), "month", TWO_YEARS, 0) == Decimal("24000.00")


def test_uplift_and_the_price_in_force() -> None:
    assert uplift(Decimal("240000"), Decimal("252000")) == Decimal("5.00")
    assert uplift(Decimal("0"), Decimal("10")) is None
    changes = [Price(Decimal("252000"), date(2028, 4, 1))]
    assert price_on(Decimal("240000"), TWO_YEARS.start, changes, date(2028, 3, 31)) == Decimal("240000")
    assert price_on(Decimal("240000"), TWO_YEARS.start, changes, date(2028, 4, 1)) == Decimal("252000")


def test_the_termination_fee_is_a_share_of_what_the_rest_of_the_term_would_cost() -> None:
    # 436 of the term's 731 days remain after 2027-01-20: 30% of 240,000 × 436 / 731.
    assert termination_fee(Decimal(30), Decimal("240000"), None, TWO_YEARS, date(2027, 1, 20)) == Decimal("42943.91")
    assert termination_fee(Decimal(30), Decimal("240000"), None, TWO_YEARS, date(2028, 3, 31)) == Decimal("0.00")
