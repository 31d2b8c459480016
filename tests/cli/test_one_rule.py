"""Concepts that used to be written in several places now agree everywhere a user sees them.

Each test is a regression test for a bug the copies had drifted into: `show` leaving out a notice deadline
years ahead, a completed counted obligation shown as `0 of 3`, money formatted three ways, the "if missed"
sentence differing between e-mail and calendar, and JSON instants in three formats.
"""

from __future__ import annotations

import re
from typing import Any

import vobject

from tests.conftest import Tracker

FIVE_YEARS = ("add", "--key", "long", "--title", "Five-year platform deal", "--vendor", "Vendor Ltd",
              "--owner", "alice@example.com", "--start", "2026-01-01", "--term", "5 years", "--auto-renew",
              "--notice", "90 days", "--value", "1234567.89", "--currency", "USD")
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def test_show_lists_a_notice_deadline_years_ahead(tracker: Tracker) -> None:
    tracker.ok(*FIVE_YEARS, today="2026-01-01")
    view = tracker.json("show", "long", today="2026-01-01")
    # 2030-12-31 − 90 days = 2030-10-02 (a Wednesday): four years and more ahead.
    assert view["notice_deadline"] == "2030-10-02"
    by_id = {o["id"]: o for o in view["obligations"]}
    assert by_id["long/notice_deadline"]["next_due"] == "2030-10-02"
    assert by_id["long/renewal"]["next_due"] == "2031-01-01"
    assert "long/notice_deadline" in tracker.ok("show", "long", today="2026-01-01")


def test_a_completed_counted_obligation_shows_its_full_count(tracker: Tracker) -> None:
    tracker.ok(*FIVE_YEARS, today="2026-01-01")
    tracker.ok("obligation", "add", "long", "--kind", "training", "--title", "On-site trainings",
               "--owed-by", "vendor", "--due", "2026-06-30", "--required", "3", today="2026-01-01")
    tracker.ok("obligation", "record", "long/1", "--count", "3", today="2026-03-01")
    item = next(o for o in tracker.json("show", "long", today="2026-03-01")["obligations"] if o["id"] == "long/1")
    assert item["progress"] == {"done": 3, "required": 3}
    assert item["status"] == "done"
    line = next(line for line in tracker.ok("show", "long", today="2026-03-01").splitlines() if "long/1" in line)
    assert "3 of 3" in line


def _unfolded_descriptions(ics: bytes) -> dict[str, str]:
    calendar = vobject.readOne(ics.decode("utf-8"))
    return {str(e.uid.value): str(e.description.value) for e in calendar.vevent_list}


def _dry_run(tracker: Tracker, today: str) -> list[dict[str, Any]]:
    report = tracker.json("notify", "--dry-run", today=today)
    return list(report["planned"])


def test_money_and_the_if_missed_sentence_are_the_same_in_show_messages_and_calendar(tracker: Tracker) -> None:
    tracker.ok(*FIVE_YEARS, today="2026-01-01")
    today = "2030-09-02"  # lead stage 30 before the 2030-10-02 notice deadline
    shown = tracker.ok("show", "long", today=today)
    assert "Value USD 1,234,567.89" in shown

    planned = _dry_run(tracker, today)
    email = next(p for p in planned if p["channel"] == "email:alice@example.com" and p["kind"] == "reminder")
    chat = next(p for p in planned if p["channel"].startswith("tag:") and p["kind"] == "reminder")
    sentence = ("If no notice is sent by 2030-10-02, the contract renews on 2031-01-01 for 5 years "
                "at USD 1,234,567.89.")
    assert sentence in email["body"]  # the HTML part, autoescaped: the sentence has nothing to escape
    assert sentence in chat["body"]

    ics = tracker("calendar", "export", today=today).stdout_bytes
    description = _unfolded_descriptions(ics)["long/notice_deadline/T1@tracker"]
    assert f"If missed: {sentence}" in description


def test_every_json_instant_has_one_format(tracker: Tracker) -> None:
    tracker.ok(*FIVE_YEARS, today="2026-01-01")
    tracker.ok("calendar", "feed", "add", "team")
    instants = [event["at"] for event in tracker.json("history", "long")]
    feeds = tracker.json("calendar", "feed", "list")
    instants += [feeds[0]["created_at"]]
    tracker.ok("calendar", "feed", "revoke", "team")
    instants += [f["revoked_at"] for f in tracker.json("calendar", "feed", "list")]
    assert instants and all(INSTANT.match(value) for value in instants), instants
