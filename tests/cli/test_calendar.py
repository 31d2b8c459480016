"""The calendar builder and `tracker calendar export`: parsed by vobject, an iCalendar parser independent
of the `icalendar` package that writes the files, and compared with what `tracker upcoming` shows."""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import vobject

from tests.conftest import REPO, TODAY, Tracker

GOLDEN = REPO / "tests" / "golden" / "sample_calendar.ics"


def parse(ics: bytes | str) -> Any:
    """The VCALENDAR parsed by vobject (one calendar, strictly one object)."""
    text = ics.decode("utf-8") if isinstance(ics, bytes) else ics
    return vobject.readOne(text)


def events(ics: bytes | str) -> dict[str, Any]:
    """UID -> VEVENT, asserting UIDs are unique."""
    found: dict[str, Any] = {}
    for vevent in parse(ics).vevent_list:
        uid = vevent.uid.value
        assert uid not in found, f"duplicate UID {uid}"
        found[uid] = vevent
    return found


def export(tracker: Tracker, *args: str, today: str | None = None) -> bytes:
    result = tracker("calendar", "export", *args, today=today)
    assert result.exit_code == 0, result.stderr
    return result.stdout_bytes


def uid_of(row: dict[str, Any]) -> str:
    """The UID an `upcoming --format json` row must have in the calendar."""
    return f"{row['obligation']}/{row['occurrence'] or 'once'}@tracker"


def test_feed_parses_in_vobject_and_every_date_matches_upcoming(sample_tracker: Tracker) -> None:
    calendar = parse(export(sample_tracker))
    by_uid = {v.uid.value: v for v in calendar.vevent_list}
    rows = sample_tracker.json("upcoming", "--within", "2y")
    today = date.fromisoformat(TODAY)
    horizon_start = today - timedelta(days=30)
    assert len(rows) > 100  # the sample ledger's two years hold many recurring deadlines
    # Every deadline the timeline shows (inside the calendar's horizon) is an event on the same day.
    for row in rows:
        due = date.fromisoformat(row["due"])
        if due < horizon_start:
            continue
        vevent = by_uid.get(uid_of(row))
        assert vevent is not None, f"{row['obligation']}@{row['occurrence']} due {due} missing from the calendar"
        assert vevent.dtstart.value == due, uid_of(row)
        assert vevent.dtend.value == due + timedelta(days=1)  # all-day: DTEND is exclusive
        assert not isinstance(vevent.dtstart.value, datetime)
    # Every future event is on the timeline; past ones are lapsed deadlines derived from terms (history).
    shown = {uid_of(row) for row in rows}
    for uid, vevent in by_uid.items():
        if vevent.dtstart.value >= today:
            assert uid in shown, f"{uid} is in the calendar but not in `tracker upcoming`"
        elif uid not in shown:
            assert re.search(r"/(notice_deadline|renewal|term_end)/T\d+@tracker$", uid), uid


def test_calendar_properties(sample_tracker: Tracker) -> None:
    body = export(sample_tracker)
    calendar = parse(body)
    assert calendar.prodid.value == "-//tracker//contract deadlines//EN"
    assert calendar.version.value == "2.0"
    assert calendar.calscale.value == "GREGORIAN"
    assert calendar.contents["x-wr-calname"][0].value == "Contract deadlines"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in body
    starts = [(v.dtstart.value, v.uid.value) for v in calendar.vevent_list]
    assert starts == sorted(starts)  # stable order: by date, then UID


def test_summaries_say_kind_vendor_and_action(sample_tracker: Tracker) -> None:
    found = events(export(sample_tracker))
    notice = found["acme-ai-support/notice_deadline/T2@tracker"]
    assert notice.summary.value == (
        "Notice deadline: Acme AI (AI support agent platform) — give notice to stop renewal"
    )
    # 2026-12-25 (Christmas) rolls back to the previous business day.
    assert notice.dtstart.value == date(2026, 12, 24)
    description = notice.description.value
    assert "renews on 2027-03-26 for 12 months at USD 120,000.00" in description
    assert "tracker notice acme-ai-support --sent-on YYYY-MM-DD" in description
    assert "moved from 2026-12-25" in description
    assert {c for c in notice.categories.value} >= {"Notice deadline", "ai", "support"}

    invoice = found["northwind-crm-ai/1/2026-12-05@tracker"]
    assert invoice.summary.value.startswith("Invoice due from Northwind CRM AI: Monthly usage invoice")
    assert "tracker obligation done northwind-crm-ai/1@2026-12-05" in invoice.description.value

    training = found["globex-crm/1/once@tracker"]
    assert "0 of 3 delivered" in training.description.value
    assert "tracker obligation record globex-crm/1 --count 1" in training.description.value


def test_alarms_come_from_lead_days_at_most_three_within_30_days(sample_tracker: Tracker, tmp_path: Path) -> None:
    found = events(export(sample_tracker))
    # price lock: lead [90, 60, 30] -> only 30 is within a month
    triggers = [a.trigger.value for a in found["northwind-crm-ai/3/once@tracker"].valarm_list]
    assert triggers == [timedelta(days=-30)]
    # training: lead [30, 14, 7, 1] -> the largest three
    triggers = [a.trigger.value for a in found["globex-crm/1/once@tracker"].valarm_list]
    assert triggers == [timedelta(days=-30), timedelta(days=-14), timedelta(days=-7)]
    # a renewal is informational: no alarm
    renewal = next(v for uid, v in found.items() if "/renewal/" in uid)
    assert "valarm" not in renewal.contents

    config = tmp_path / "tracker.toml"
    config.write_text('[calendar]\nalarms = false\nname = "Procurement deadlines"\n', encoding="utf-8")
    sample_tracker.config = config
    calendar = parse(export(sample_tracker))
    assert calendar.contents["x-wr-calname"][0].value == "Procurement deadlines"
    assert all("valarm" not in v.contents for v in calendar.vevent_list)


def test_unchanged_ledger_gives_identical_bytes(sample_tracker: Tracker) -> None:
    first = export(sample_tracker)
    assert export(sample_tracker) == first
    # DTSTAMP is the last change of the rows, never the clock: it is not after the import.
    stamps = {v.dtstamp.value for v in parse(first).vevent_list}
    assert all(stamp.tzinfo is not None and stamp <= datetime.now(UTC) + timedelta(days=1) for stamp in stamps)


def test_edit_keeps_uid_moves_date_and_raises_sequence(sample_tracker: Tracker) -> None:
    before = events(export(sample_tracker))
    uid = "acme-ai-support/notice_deadline/T2@tracker"
    sample_tracker.ok("edit", "acme-ai-support", "--notice", "60d", "--title", "AI support agents")
    after = events(export(sample_tracker))
    assert after[uid].dtstart.value == date(2027, 1, 22)  # 2027-03-25 minus 60 days
    assert before[uid].dtstart.value == date(2026, 12, 24)
    assert int(after[uid].sequence.value) > int(before[uid].sequence.value)
    assert "AI support agents" in after[uid].summary.value
    assert after[uid].dtstamp.value >= before[uid].dtstamp.value
    # Other contracts' events are untouched, byte for byte (same SEQUENCE, same stamp).
    other = "northwind-crm-ai/1/2026-12-05@tracker"
    assert after[other].serialize() == before[other].serialize()


def test_settled_occurrences_leave_the_feed(sample_tracker: Tracker) -> None:
    before = events(export(sample_tracker))
    sample_tracker.ok("obligation", "done", "northwind-crm-ai/1@2026-12-05")
    sample_tracker.ok("obligation", "waive", "globex-crm/4")  # a one-off data export
    after = events(export(sample_tracker))
    assert "northwind-crm-ai/1/2026-12-05@tracker" in before
    assert "northwind-crm-ai/1/2026-12-05@tracker" not in after
    assert "northwind-crm-ai/1/2027-01-05@tracker" in after  # the next occurrence stays
    assert "globex-crm/4/once@tracker" in before
    assert "globex-crm/4/once@tracker" not in after
    assert set(after) == set(before) - {"northwind-crm-ai/1/2026-12-05@tracker", "globex-crm/4/once@tracker"}


def test_notice_given_drops_renewals_and_keeps_the_end(sample_tracker: Tracker) -> None:
    found = events(export(sample_tracker, "--contract", "umbrella-web-chatbot"))
    # Notice was given: the contract ends 2027-01-14; no renewal and no notice deadline remain.
    assert set(found) == {"umbrella-web-chatbot/term_end/T2@tracker", "umbrella-web-chatbot/1/once@tracker"}
    assert found["umbrella-web-chatbot/term_end/T2@tracker"].dtstart.value == date(2027, 1, 14)
    sample_tracker.ok("notice", "acme-ai-support", "--sent-on", "2026-11-21")
    acme = events(export(sample_tracker, "--contract", "acme-ai-support"))
    assert not [uid for uid in acme if "/renewal/" in uid or "/notice_deadline/" in uid]
    assert acme["acme-ai-support/term_end/T2@tracker"].dtstart.value == date(2027, 3, 25)
    # The quarterly obligations end with the contract.
    assert max(v.dtstart.value for v in acme.values()) == date(2027, 3, 25)


def test_horizon_keeps_recent_history_only(sample_tracker: Tracker) -> None:
    found = events(export(sample_tracker, "--contract", "orion-model-api"))
    starts = sorted(v.dtstart.value for v in found.values())
    today = date.fromisoformat(TODAY)
    assert starts[0] >= today - timedelta(days=30)
    assert starts[-1] <= date(2028, 11, 21)
    # A lapsed notice deadline from yesterday stays as history; `upcoming` no longer shows it.
    assert found["orion-model-api/notice_deadline/T10@tracker"].dtstart.value == date(2026, 11, 20)
    later = events(export(sample_tracker, "--contract", "orion-model-api", today="2027-01-01"))
    assert "orion-model-api/notice_deadline/T10@tracker" not in later  # beyond 30 days back


def test_filters(sample_tracker: Tracker) -> None:
    carol = events(export(sample_tracker, "--owner", "carol@example.com"))
    prefixes = {uid.split("/")[0] for uid in carol}
    assert prefixes == {"globex-crm", "initech-voice-pilot", "polyglot-translate", "zendo-helpdesk"}
    one = events(export(sample_tracker, "--contract", "globex-crm"))
    assert one and all(uid.startswith("globex-crm/") for uid in one)


@pytest.mark.parametrize("args, field", [
    (("--owner", "nobody@example.com"), "owner"),
    (("--contract", "no-such-contract"), "contract"),
])
def test_unknown_filters_are_rejected(sample_tracker: Tracker, args: tuple[str, str], field: str) -> None:
    result = sample_tracker("calendar", "export", *args)
    assert result.exit_code == 2
    assert f"{field}: '{args[1]}' is invalid" in result.stderr
    assert result.stdout == ""


def test_export_to_file(sample_tracker: Tracker, tmp_path: Path) -> None:
    path = tmp_path / "deadlines.ics"
    result = sample_tracker("calendar", "export", "-o", str(path))
    assert result.exit_code == 0
    count = len(parse(path.read_bytes()).vevent_list)
    assert f"Wrote {count} events to {path}" in result.stderr
    assert path.read_bytes() == export(sample_tracker)


def normalise(ics: bytes) -> str:
    """The calendar with its change stamps (the import's wall-clock time) replaced."""
    text = ics.decode("utf-8")
    return re.sub(r"^(DTSTAMP|LAST-MODIFIED):\d{8}T\d{6}Z\r$", r"\1:<stamp>\r", text, flags=re.M)


def test_golden_sample_calendar(sample_tracker: Tracker) -> None:
    """The sample ledger's calendar as of 2026-11-21. Regenerate with UPDATE_GOLDEN=1 after a deliberate change."""
    actual = normalise(export(sample_tracker))
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_bytes(actual.encode("utf-8"))
    assert "<stamp>" in actual
    assert actual == GOLDEN.read_bytes().decode("utf-8")


def _use_description_template(tracker: Tracker, tmp_path: Path, text: str) -> None:
    """Point the tracker's settings at a templates folder holding this event description."""
    templates = tmp_path / "my-templates"
    templates.mkdir()
    (templates / "event_description.txt.j2").write_text(text)
    config = tmp_path / "tracker.toml"
    config.write_text('templates = "my-templates"\n', encoding="utf-8")
    tracker.config = config


def test_template_override(sample_tracker: Tracker, tmp_path: Path) -> None:
    _use_description_template(sample_tracker, tmp_path, "Due {{ due }}: {{ title }} — ask {{ owner }}\n")
    found = events(export(sample_tracker))
    assert found["globex-crm/1/once@tracker"].description.value == (
        "Due 2027-01-15: On-site training sessions (at least 6 h each, every role) before go-live"
        " — ask carol@example.com"
    )


def test_broken_template_is_a_clear_error(sample_tracker: Tracker, tmp_path: Path) -> None:
    _use_description_template(sample_tracker, tmp_path, "{{ no_such_variable }}\n")
    result = sample_tracker("calendar", "export")
    assert result.exit_code == 2
    assert "event_description.txt.j2" in result.stderr and "no_such_variable" in result.stderr


def test_demo_writes_the_calendar(sqlite_tracker: Tracker) -> None:
    out = sqlite_tracker.ok("demo")
    match = re.search(r"Wrote (\d+) events to (\S+deadlines\.ics)", out)
    assert match and int(match.group(1)) > 100
    listed = re.findall(r"^  - (.+)$", out.split(match.group(0))[1], flags=re.M)
    assert len(listed) == 3
    assert listed[0].startswith("Notice deadline: Orion Models")  # the earliest event, 30 days back


def test_a_missing_templates_folder_is_an_error_for_calendars_and_messages_alike(
    sample_tracker: Tracker, tmp_path: Path,
) -> None:
    config = tmp_path / "tracker.toml"
    config.write_text('templates = "no-such-folder"\n', encoding="utf-8")
    sample_tracker.config = config
    for command in (["calendar", "export"], ["notify", "--dry-run"]):
        result = sample_tracker(*command)
        assert result.exit_code == 2, command
        assert "no-such-folder is not a folder of templates" in result.stderr, command
