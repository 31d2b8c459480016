"""The clauses people sign: long notice, termination for convenience, time zones, and the corners around them."""

from __future__ import annotations

import json

from tests.conftest import Tracker

MONTHLY = ("add", "--key", "helpdesk", "--title", "AI helpdesk, monthly plan", "--vendor", "Zendo",
           "--owner", "alice@example.com", "--start", "2026-01-01", "--term", "1 month", "--auto-renew",
           "--notice", "30 days")
ANNUAL_THEN_MONTHLY = ("add", "--key", "crm", "--title", "AI CRM", "--vendor", "Northwind", "--owner",
                       "bob@example.com", "--start", "2026-01-01", "--term", "12 months", "--renewal-term",
                       "1 month", "--auto-renew", "--notice", "60 days")
CONVENIENCE = ("add", "--key", "agent", "--title", "AI support agent", "--vendor", "Acme AI", "--owner",
               "carol@example.com", "--start", "2026-01-01", "--term", "12 months", "--auto-renew", "--notice",
               "90 days", "--termination-notice", "60 days", "--value", "120000", "--currency", "USD")


def test_a_monthly_plan_with_thirty_days_notice_is_accepted_and_shows_each_deadline(tracker: Tracker) -> None:
    tracker.ok(*MONTHLY, today="2026-01-01")
    view = tracker.json("show", "helpdesk", today="2026-03-05")
    assert (view["notice_deadline"], view["renews_on"]) == ("2026-03-31", "2026-05-01")
    deadlines = [r["due"] for r in tracker.json("upcoming", "--within", "90d", "--kind", "notice_deadline",
                                                   today="2026-03-05")]
    assert deadlines == ["2026-03-31", "2026-05-01", "2026-05-29"]  # one per term, none lapsed


def test_notice_longer_than_a_term_reaches_several_terms_out_and_says_so(tracker: Tracker) -> None:
    tracker.ok(*ANNUAL_THEN_MONTHLY, today="2026-01-01")
    out = tracker.ok("notice", "crm", "--sent-on", "2027-01-10", today="2027-01-10")
    # Too late for the Jan 31 and Feb 28 ends (deadlines 2026-12-02 and 2026-12-30; 2027-01-30 rolls to Jan 29).
    assert out.strip() == ("crm: notice sent on 2027-01-10 recorded; it renews 2 more times (on 2027-02-01, "
                           "2027-03-01) and ends on 2027-03-31.")
    view = tracker.json("show", "crm", today="2027-01-10")
    assert view["ends_on"] == "2027-03-31" and view["renewals_before_end"] == ["2027-02-01", "2027-03-01"]
    assert "it renews 2 more time(s) first" in tracker.ok("show", "crm", today="2027-01-10")


def test_late_notice_says_exactly_what_happens(tracker: Tracker) -> None:
    tracker.ok(*CONVENIENCE, today="2026-01-01")
    out = tracker.ok("notice", "agent", "--sent-on", "2026-10-20", today="2026-10-20")  # deadline was 10-02
    assert out.strip() == ("agent: notice sent on 2026-10-20 recorded; it renews once more (on 2027-01-01) and "
                           "ends on 2027-12-31.")


def test_terminate_dry_run_writes_nothing_and_the_real_one_ends_the_contract(tracker: Tracker) -> None:
    tracker.ok(*CONVENIENCE, today="2026-01-01")
    tracker.ok("obligation", "add", "agent", "--kind", "invoice", "--title", "Monthly invoice", "--owed-by",
               "vendor", "--every", "FREQ=MONTHLY", "--start", "2026-01-05", today="2026-01-01")
    tracker.ok("obligation", "add", "agent", "--kind", "data_export", "--title", "Export all conversations",
               "--owed-by", "vendor", "--due", "2026-06-30", today="2026-01-01")
    exits = tracker.json("show", "agent", today="2026-03-02")["earliest_exit"]
    assert exits == {"non_renewal": {"notice_by": "2026-10-02", "ends_on": "2026-12-31"},
                     "termination": {"notice_by": "2026-03-02", "ends_on": "2026-05-01", "fee": None}}
    dry = tracker.ok("terminate", "agent", "--sent-on", "2026-03-02", "--dry-run", today="2026-03-02")
    assert "would end the contract on 2026-05-01" in dry
    assert [e["kind"] for e in tracker.json("history", "agent")].count("termination_given") == 0
    tracker.ok("terminate", "agent", "--sent-on", "2026-03-02", today="2026-03-02")
    view = tracker.json("show", "agent", today="2026-03-02")
    assert (view["status"], view["ends_on"], view["termination_sent_on"]) == ("notice_given", "2026-05-01",
                                                                               "2026-03-02")
    assert view["earliest_exit"] == {"non_renewal": None, "termination": None}
    rows = tracker.json("upcoming", "--within", "2y", today="2026-03-02")
    assert {(r["obligation"], r["due"]) for r in rows if r["due"] > "2026-05-01"} == {("agent/2", "2026-06-30")}
    assert ("agent/term_end", "2026-05-01") in {(r["obligation"], r["due"]) for r in rows}
    assert "termination_given" in [e["kind"] for e in tracker.json("history", "agent")]


def test_terminate_needs_the_clause(tracker: Tracker) -> None:
    tracker.ok(*MONTHLY, today="2026-01-01")
    result = tracker("terminate", "helpdesk", "--sent-on", "2026-01-10", today="2026-01-10")
    assert result.exit_code == 2 and "termination_notice" in result.stderr


def test_notice_dated_after_today_is_rejected(tracker: Tracker) -> None:
    tracker.ok(*CONVENIENCE, today="2026-01-01")
    for command in (["notice", "agent"], ["terminate", "agent"]):
        result = tracker(*command, "--sent-on", "2026-02-01", today="2026-01-15")
        assert result.exit_code == 2, command
        assert "sent_on: '2026-02-01' is invalid; expected a date on or before today (2026-01-15)" in result.stderr
    assert tracker.json("show", "agent", today="2026-01-15")["status"] == "active"


def test_an_end_with_auto_renew_needs_a_renewal_term(tracker: Tracker) -> None:
    result = tracker("add", "--key", "odd", "--title", "T", "--vendor", "V", "--owner", "o@example.com",
                     "--start", "2026-03-15", "--end", "2026-12-31", "--auto-renew")
    assert result.exit_code == 2 and "renewal_term" in result.stderr
    assert tracker.json("list") == []


def test_a_contract_in_another_time_zone_has_its_own_today(tracker: Tracker) -> None:
    for key, zone in (("nz", "Pacific/Auckland"), ("uk", "Europe/London")):
        tracker.ok("add", "--key", key, "--title", "T", "--vendor", "V", "--owner", "o@example.com", "--start",
                   "2026-01-01", "--term", "1 year", "--no-auto-renew", "--timezone", zone, today="2026-01-01")
        tracker.ok("obligation", "add", key, "--kind", "payment", "--title", "Pay", "--due", "2026-11-24",
                   today="2026-01-01")
    # Monday 2026-11-23 at 11:30 UTC is already Tuesday 00:30 in Auckland.
    result = tracker("--now", "2026-11-23T11:30:00Z", "upcoming", "--kind", "payment", "--format", "json",
                     today="2026-11-23")
    assert result.exit_code == 0, result.stderr
    rows = {r["contract"]: r["days_left"] for r in json.loads(result.stdout)}
    assert rows == {"nz": 0, "uk": 1}


def test_now_sets_the_instant_every_command_sees(tracker: Tracker) -> None:
    tracker.ok(*MONTHLY, today="2026-01-01")
    result = tracker("--now", "2026-01-02T08:15:00Z", "edit", "helpdesk", "--notice", "20d")
    assert result.exit_code == 0, result.stderr
    assert tracker.json("history", "helpdesk")[-1]["at"] == "2026-01-02T08:15:00Z"
    bad = tracker("--now", "yesterday", "list")
    assert bad.exit_code == 2 and "--now: 'yesterday' is invalid" in bad.stderr


def test_adding_a_contract_whose_window_has_closed_warns(tracker: Tracker) -> None:
    args = ("add", "--key", "late", "--title", "T", "--vendor", "V", "--owner", "o@example.com", "--start",
            "2026-01-01", "--term", "1 year", "--auto-renew", "--notice", "45 days")
    warning = "the deadline to stop the 2027-01-01 renewal passed on 2026-11-16; the next is 2027-11-16"
    assert warning in tracker.ok(*args, today="2026-12-01")
    view = tracker.json(*args[:2], "late2", *args[3:], today="2026-12-01")
    assert view["warnings"] == [warning]


def test_contracts_dated_far_ahead_appear_when_their_time_comes(tracker: Tracker) -> None:
    tracker.ok("add", "--key", "far", "--title", "T", "--vendor", "V", "--owner", "o@example.com", "--start",
               "2190-01-01", "--term", "1 year", "--auto-renew", "--notice", "30 days", today="2026-01-01")
    rows = tracker.json("upcoming", "--within", "60d", today="2190-11-15")
    assert [(r["obligation"], r["due"]) for r in rows] == [
        ("far/notice_deadline", "2190-12-01"), ("far/renewal", "2191-01-01")]


def test_a_reminder_stage_fires_on_the_contracts_own_day(tracker: Tracker) -> None:
    for key, zone in (("nz", "Pacific/Auckland"), ("uk", "Europe/London")):
        tracker.ok("add", "--key", key, "--title", "T", "--vendor", "V", "--owner", f"{key}@example.com", "--start",
                   "2026-01-01", "--term", "1 year", "--no-auto-renew", "--timezone", zone, today="2026-01-01")
        tracker.ok("obligation", "add", key, "--kind", "payment", "--title", "Pay", "--due", "2026-11-24", "--lead",
                   "1", today="2026-01-01")
    # Sunday 2026-11-22 at 11:30 UTC: Monday 00:30 in Auckland, the day before the payment's day there.
    result = tracker("--now", "2026-11-22T11:30:00Z", "notify", "--dry-run", "--format", "json", today="2026-11-22")
    assert result.exit_code == 0, result.stderr
    planned = {(p["contract"], p["stage"]) for p in json.loads(result.stdout)["planned"]
               if p["kind"] == "reminder" and p["obligation"].endswith("/1")}  # the payments
    assert ("nz", "lead:1") in planned and not any(contract == "uk" for contract, _ in planned)
