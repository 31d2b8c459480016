"""Meter periods (calendar and anchored like renewals), usage arithmetic and the forecast."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tracker.domain.checks import Checker
from tracker.domain.durations import Duration
from tracker.domain.meters import MeterSpec, Record, parse_meter, period_of, status, used_between
from tracker.domain.terms import Terms

YEARLY = Terms(start=date(2026, 1, 31), term=Duration(1, "years"), auto_renew=True)


def test_periods_are_calendar_or_anchored_on_the_start_like_renewals() -> None:
    def period(kind: str, day: date) -> tuple[date, date]:
        return period_of(MeterSpec("m", "u", Decimal(1), kind), YEARLY, day)

    assert period("term", date(2026, 6, 1)) == (date(2026, 1, 31), date(2027, 1, 30))
    assert period("quarter", date(2026, 5, 15)) == (date(2026, 4, 1), date(2026, 6, 30))
    assert period("year", date(2026, 5, 15)) == (date(2026, 1, 1), date(2026, 12, 31))
    # Billing months from the 31st fall on month ends, never drifting to the 28th.
    assert period("1 month", date(2026, 3, 15)) == (date(2026, 2, 28), date(2026, 3, 30))
    assert period("1 month", date(2026, 5, 31)) == (date(2026, 5, 31), date(2026, 6, 29))


def test_readings_replace_the_sum_and_late_records_count_where_they_belong() -> None:
    records = [Record(date(2026, 3, 10), Decimal(100)), Record(date(2026, 3, 20), Decimal(500), total=True),
               Record(date(2026, 3, 5), Decimal(40)),  # recorded late, dated before the reading
               Record(date(2026, 3, 25), Decimal(10))]
    assert used_between(records, date(2026, 3, 1), date(2026, 3, 31)) == Decimal(510)
    assert used_between(records, date(2026, 3, 1), date(2026, 3, 15)) == Decimal(140)


def test_the_forecast_says_when_an_allowance_runs_out() -> None:
    credits = MeterSpec("credits", "credits", Decimal(1000), "month", "allowance")
    state = status(credits, YEARLY, [Record(date(2026, 11, 10), Decimal(800))], date(2026, 11, 10))
    assert state.crossed == (80,) and state.percent == Decimal("80.0")
    assert state.reaches_limit_on == date(2026, 11, 13)
    assert state.forecast == "at this pace credits run out on 2026-11-13, 17 days before the period ends"


def test_a_commitment_projects_its_shortfall() -> None:
    tokens = MeterSpec("tokens", "tokens", Decimal(3000), "month", "commitment")
    state = status(tokens, YEARLY, [Record(date(2026, 6, 10), Decimal(500))], date(2026, 6, 10))
    assert state.projected == Decimal("1500.00") and state.shortfall == Decimal("1500.00")
    assert "1,500 short" in state.forecast


def test_meter_definitions_are_validated_with_field_names() -> None:
    check = Checker()
    assert parse_meter(check, {"name": "Credits!", "unit": "c", "limit": -1, "period": "fortnightly",
                               "kind": "soft"}, "meters[0].") is None
    assert [p.field for p in check.problems] == ["meters[0].name", "meters[0].limit", "meters[0].period",
                                                 "meters[0].kind"]
    ok = parse_meter(Checker(), {"name": "seats", "unit": "seats", "limit": 50, "period": "calendar month"}, "")
    assert ok == MeterSpec("seats", "seats", Decimal("50.00"), "month", "cap", (80, 100))
