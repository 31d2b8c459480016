"""The concepts that have one implementation each: kinds, ids, money, consequences, the next-occurrence search."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain import ids, kinds
from tracker.domain.consequences import Deadline, consequence
from tracker.domain.durations import Duration
from tracker.domain.money import format_money, parse_amount
from tracker.domain.occurrences import ObligationSchedule, find_occurrence, first_occurrence, is_open
from tracker.domain.recurrence import Recurrence
from tracker.domain.terms import Terms
from tracker.errors import InvalidInput

FIVE_YEARS = Terms(start=date(2026, 1, 1), term=Duration(5, "years"), auto_renew=True, notice=Duration(90, "days"))


def test_the_catalogue_knows_every_kind_once() -> None:
    assert kinds.ALL_KINDS == kinds.DERIVED_KINDS + kinds.ENTERED_KINDS
    assert len(set(kinds.ALL_KINDS)) == len(kinds.ALL_KINDS)
    assert kinds.DERIVED_KINDS == ("notice_deadline", "renewal", "term_end")
    assert kinds.label("sla_review") == "SLA review"
    assert not kinds.kind_of("renewal").reminders and not kinds.kind_of("renewal").alarms
    assert kinds.DEFAULT_INVITE_KINDS == ("notice_deadline", "term_end", "model_change", "rollback_window")
    assert [kinds.derived_number(k) for k in kinds.DERIVED_KINDS] == [-1, -2, -3]
    assert kinds.label("from_a_newer_tracker") == "From a newer tracker"


@pytest.mark.parametrize(("text", "key", "number", "kind", "occurrence"), [
    ("acme/2", "acme", 2, None, None),
    ("acme-ai.support/notice_deadline@T2", "acme-ai.support", None, "notice_deadline", "T2"),
    ("globex/3@2027-03-01", "globex", 3, None, "2027-03-01"),
])
def test_obligation_references_read_back_what_ids_write(
    text: str, key: str, number: int | None, kind: str | None, occurrence: str | None,
) -> None:
    ref = ids.parse_ref(text)
    assert (ref.contract_key, ref.number, ref.kind, ref.occurrence) == (key, number, kind, occurrence)
    written = ids.obligation_id(key, kind or "invoice", number or 0, kind is not None)
    assert ids.occurrence_ref(written, occurrence or "") == text


@pytest.mark.parametrize("text", ["acme", "/2", "acme/", "acme/renewals", "ACME/2", "acme/1234567890123"])
def test_malformed_references_are_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput, match="expected an obligation id"):
        ids.parse_ref(text)


def test_calendar_uids_are_the_id_and_the_occurrence() -> None:
    assert ids.event_uid("acme/notice_deadline", "T2") == "acme/notice_deadline/T2@tracker"
    assert ids.event_uid("acme/1", "") == "acme/1/once@tracker"


@given(st.decimals(min_value=0, max_value=Decimal("99999999999999.99"), places=2, allow_nan=False))
def test_money_is_exact_at_any_size(amount: Decimal) -> None:
    text = format_money(amount, "USD")
    assert text.startswith("USD ") and Decimal(text[4:].replace(",", "")) == amount


def test_money_reads_and_shows_one_way() -> None:
    assert format_money(Decimal("120000"), "USD") == "USD 120,000.00"
    assert format_money(Decimal("99999999999999.99")) == "99,999,999,999,999.99"  # float would say .98
    assert parse_amount("120,000") == Decimal("120000.00")
    assert parse_amount("-1") is None and parse_amount("1e14") is None and parse_amount(True) is None


def test_consequences_say_what_happens_per_kind() -> None:
    due = date(2026, 12, 24)
    notice = Deadline("notice_deadline", "us", due, "Acme AI", price="USD 120,000.00",
                      renews_on=date(2027, 3, 26), renewal_term="12 months")
    assert consequence(notice) == ("If no notice is sent by 2026-12-24, the contract renews on 2027-03-26 "
                                   "for 12 months at USD 120,000.00.")
    invoice = Deadline("invoice", "vendor", due, "Acme AI", clause="§4.1")
    assert consequence(invoice).startswith(
        "Acme AI is late with the invoice if it has not arrived by 2026-12-24 (§4.1)")
    assert "out of compliance" in consequence(Deadline("custom", "us", due, "Acme AI"))


def test_the_next_deadline_is_found_years_ahead() -> None:
    schedule = ObligationSchedule("notice_deadline", True, FIVE_YEARS)
    found = first_occurrence(schedule, date(2026, 1, 1), date(2026, 1, 1))
    assert found is not None and (found.due, found.key) == (date(2030, 10, 2), "T1")
    assert find_occurrence(schedule, "T1", date(2026, 1, 1)) == found
    assert find_occurrence(schedule, "T99999", date(2026, 1, 1)) is None
    assert find_occurrence(schedule, "0001-01-01", date(2026, 1, 1)) is None


def test_a_recurrence_ends_with_the_search_when_nothing_is_accepted() -> None:
    ends = Terms(start=date(2026, 1, 1), term=Duration(1, "years"))
    schedule = ObligationSchedule("invoice", False, ends, Recurrence(every="FREQ=MONTHLY", start=date(2026, 1, 5)))
    assert first_occurrence(schedule, date(2026, 1, 1), date(2026, 1, 1), lambda _: False) is None


def test_open_means_unsettled_and_a_derived_deadline_lapses() -> None:
    today = date(2026, 6, 1)
    assert is_open(True, "open", False, None, today, today)
    assert not is_open(True, "open", False, None, date(2026, 5, 31), today)  # lapsed: cannot be met late
    assert is_open(False, "open", False, None, date(2026, 5, 31), today)  # entered: overdue, still open
    assert not is_open(False, "done", False, None, today, today)
    assert is_open(False, "done", True, None, today, today)  # a recurrence's status is per occurrence
    assert not is_open(False, "open", True, "waived", today, today)
