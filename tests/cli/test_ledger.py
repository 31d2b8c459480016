"""The ledger from the command line: entering, importing, showing and changing contracts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml

from tests.conftest import SAMPLE_CSV, SAMPLE_YAML, Tracker

ACME = [
    "add", "--key", "acme", "--title", "AI support agent platform", "--vendor", "Acme AI",
    "--owner", "alice@example.com", "--backup-owner", "bob@example.com", "--start", "2025-03-26",
    "--term", "12 months", "--auto-renew", "--notice", "90 days", "--holidays", "US",
    "--value", "120000", "--currency", "USD", "--tag", "ai",
]


def test_add_then_show_gives_the_computed_dates(tracker: Tracker) -> None:
    tracker.ok(*ACME)
    shown = tracker.json("show", "acme")
    obligations = shown.pop("obligations")
    assert shown == {
        "key": "acme", "title": "AI support agent platform", "vendor": "Acme AI", "owner": "alice@example.com",
        "status": "active", "auto_renew": True,
        "term": {"number": 2, "start": "2026-03-26", "end": "2027-03-25"},
        "ends_on": None,
        # 2027-03-25 − 90 days = 2026-12-25 (Christmas Day) rolls back to the previous business day.
        "notice_deadline": "2026-12-24", "renews_on": "2027-03-26",
        "value": "120000.00", "currency": "USD", "tags": ["ai"],
        "backup_owner": "bob@example.com", "start": "2025-03-26", "term_length": "12 months", "end": None,
        "renewal_term": "12 months", "max_renewals": None, "notice": "90 days", "notice_given_on": None,
        "holidays": "US", "timezone": None, "notify": [],
        "terms": {"model_change_notice": None, "rollback_window": None},
        "termination_notice": None, "termination_sent_on": None, "minimum_commitment_until": None,
        "renewals_before_end": [],
        "earliest_exit": {"non_renewal": {"notice_by": "2026-12-24", "ends_on": "2027-03-25"}, "termination": None},
        "meters": [],
    }
    assert [(o["id"], o["next_due"]) for o in obligations] == [
        ("acme/notice_deadline", "2026-12-24"), ("acme/renewal", "2027-03-26"),
    ]


def test_upcoming_json_is_the_documented_shape(tracker: Tracker) -> None:
    tracker.ok(*ACME)
    tracker.ok("obligation", "add", "acme", "--kind", "training", "--title", "On-site trainings",
               "--owed-by", "vendor", "--due", "2026-11-10", "--required", "3")
    rows = tracker.json("upcoming", "--within", "60d")
    assert rows == [
        {"contract": "acme", "vendor": "Acme AI", "obligation": "acme/1", "occurrence": "", "kind": "training",
         "title": "On-site trainings", "owed_by": "vendor", "owner": "alice@example.com", "due": "2026-11-10",
         "days_left": -11, "status": "overdue", "progress": {"done": 0, "required": 3}},
        {"contract": "acme", "vendor": "Acme AI", "obligation": "acme/notice_deadline", "occurrence": "T2",
         "kind": "notice_deadline", "title": "Last day to give notice of non-renewal", "owed_by": "us",
         "owner": "alice@example.com", "due": "2026-12-24", "days_left": 33, "status": "open", "progress": None},
    ]


def test_monthly_contract_from_the_31st_renews_at_month_ends(tracker: Tracker) -> None:
    tracker.ok("add", "--key", "api", "--title", "Model API", "--vendor", "Orion", "--owner", "bob@example.com",
               "--start", "2024-01-31", "--term", "1 month", "--auto-renew")
    rows = tracker.json("upcoming", "--kind", "renewal", "--within", "130d", today="2024-01-31")
    assert [r["due"] for r in rows] == ["2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31"]


def test_counted_obligation_completes_at_the_required_count(tracker: Tracker) -> None:
    tracker.ok(*ACME)
    tracker.ok("obligation", "add", "acme", "--kind", "training", "--title", "On-site trainings",
               "--owed-by", "vendor", "--due", "2027-01-15", "--required", "3")
    assert tracker.ok("obligation", "record", "acme/1", "--note", "admins").strip() == "acme/1: 1 of 3 delivered."
    rows = tracker.json("upcoming", "--kind", "training")
    assert rows[0]["progress"] == {"done": 1, "required": 3}
    assert "3 of 3 delivered. Complete." in tracker.ok("obligation", "record", "acme/1", "--count", "2")
    assert tracker.json("upcoming", "--kind", "training") == []
    kinds = [e["kind"] for e in tracker.json("history", "acme")]
    assert kinds.count("progress_recorded") == 2 and kinds[-1] == "obligation_done"


def test_notice_stops_the_renewal_and_ends_the_contract(tracker: Tracker) -> None:
    tracker.ok(*ACME)
    out = tracker.ok("notice", "acme", "--sent-on", "2026-12-01", today="2026-12-01")
    assert "ends on 2027-03-25" in out
    shown = tracker.json("show", "acme")
    assert (shown["status"], shown["notice_deadline"], shown["renews_on"]) == ("notice_given", None, None)
    kinds = {r["kind"]: r["due"] for r in tracker.json("upcoming", "--within", "1y")}
    assert kinds == {"term_end": "2027-03-25"}


def test_late_notice_takes_effect_at_the_next_term_end(tracker: Tracker) -> None:
    tracker.ok(*ACME)
    tracker.ok("notice", "acme", "--sent-on", "2026-12-28", today="2026-12-28")  # after the 2026-12-24 deadline
    assert tracker.json("show", "acme")["ends_on"] == "2028-03-25"


def test_edit_moves_the_deadline_and_records_old_and_new(tracker: Tracker) -> None:
    tracker.ok(*ACME)
    assert tracker.ok("edit", "acme", "--notice", "60d").strip() == "acme: notice 90 days -> 60 days"
    assert tracker.json("show", "acme")["notice_deadline"] == "2027-01-22"
    last = tracker.json("history", "acme")[-1]
    assert last["kind"] == "contract_updated"
    assert last["payload"] == {"changes": {"notice": {"old": "90 days", "new": "60 days"}}}
    assert last["actor"] == "tester"


def test_model_change_with_short_notice_is_reported_as_a_breach(tracker: Tracker) -> None:
    tracker.ok(*ACME, "--key", "acme2", "--model-change-notice", "30 days", "--rollback-window", "30 days")
    out = tracker.ok("model-change", "acme2", "--announced", "2026-11-20", "--effective", "2026-12-01")
    assert "11 days' notice" in out and "Breach" in out and "30 days" in out
    rows = {r["kind"]: r for r in tracker.json("upcoming", "--within", "45d")}
    assert rows["model_change"]["due"] == "2026-12-01"
    assert rows["rollback_window"]["due"] == "2026-12-31"
    breach = tracker.json("show", "acme2")["obligations"][-2]["breach"]
    assert "11 days' notice where the contract promises 30 days" in breach


def test_model_change_with_enough_notice_is_no_breach(tracker: Tracker) -> None:
    tracker.ok(*ACME, "--key", "acme2", "--model-change-notice", "30 days")
    out = tracker.ok("model-change", "acme2", "--announced", "2026-11-01", "--effective", "2026-12-01")
    assert "Breach" not in out


def test_done_settles_one_occurrence_of_a_recurrence(tracker: Tracker) -> None:
    tracker.ok(*ACME)
    tracker.ok("obligation", "add", "acme", "--kind", "invoice", "--title", "Quarterly invoice",
               "--owed-by", "vendor", "--every", "FREQ=MONTHLY;INTERVAL=3", "--start", "2026-10-05")
    before = [r["due"] for r in tracker.json("upcoming", "--kind", "invoice", "--within", "120d")]
    assert before == ["2026-10-05", "2027-01-05"]
    assert "2026-10-05 is done" in tracker.ok("obligation", "done", "acme/1")
    after = [r["due"] for r in tracker.json("upcoming", "--kind", "invoice", "--within", "120d")]
    assert after == ["2027-01-05"]
    tracker.ok("obligation", "waive", "acme/1@2027-01-05")
    assert tracker.json("upcoming", "--kind", "invoice", "--within", "120d") == []


def test_prompts_ask_for_missing_fields_and_reask_on_bad_answers(sqlite_tracker: Tracker) -> None:
    answers = "\n".join([
        "Acme AI", "AI support", "not-an-email", "alice@example.com", "2025-02-30", "2025-03-26",
        "ninety days-ish", "12 months", "yes", "90 days", "US",
    ])
    result = sqlite_tracker("add", input=answers)
    assert result.exit_code == 0, result.output
    assert "'not-an-email' is invalid; expected an email address" in result.stderr
    assert "'2025-02-30' is invalid; expected a real calendar date" in result.stderr
    assert "'ninety days-ish' is invalid" in result.stderr
    assert sqlite_tracker.json("show", "acme-ai-ai-support")["notice_deadline"] == "2026-12-24"


def test_add_without_answers_names_the_missing_field(sqlite_tracker: Tracker) -> None:
    result = sqlite_tracker("add", "--vendor", "Acme", "--title", "X", input="")
    assert result.exit_code == 2
    assert "owner" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("options", "field", "value", "expected"),
    [
        (["--start", "2025-02-30"], "start", "2025-02-30", "a real calendar date"),
        (["--term", "ninety days-ish"], "term", "ninety days-ish", "a duration such as"),
        (["--term", "", "--end", "2024-12-31"], "end", "2024-12-31", "on or after start"),
        (["--notice", "13 x"], "notice", "13 x", "a duration such as"),
        (["--value", "-5"], "value", "-5", "non-negative amount"),
        (["--currency", "XYZ"], "currency", "XYZ", "ISO 4217"),
        (["--timezone", "Mars/Olympus"], "timezone", "Mars/Olympus", "IANA time zone"),
        (["--holidays", "ZZ"], "holidays", "ZZ", "country code"),
        (["--owner", "alice"], "owner", "alice", "email address"),
    ],
)
def test_add_rejects_nonsense_naming_field_value_and_expectation(
    sqlite_tracker: Tracker, options: list[str], field: str, value: str, expected: str
) -> None:
    args = list(ACME)
    for name, new in zip(options[::2], options[1::2], strict=True):
        if name in args:
            args[args.index(name) + 1] = new
        else:
            args += [name, new]
    args = [a for i, a in enumerate(args) if not (a == "--term" and args[i + 1] == "") and
            not (i > 0 and args[i - 1] == "--term" and a == "")]
    result = sqlite_tracker(*args)
    assert result.exit_code == 2, result.output
    assert f"{field}: '{value}' is invalid; expected" in result.stderr and expected in result.stderr
    assert "Traceback" not in result.output
    assert sqlite_tracker.json("list") == []  # nothing written


def test_duplicate_key_is_rejected(sqlite_tracker: Tracker) -> None:
    sqlite_tracker.ok(*ACME)
    result = sqlite_tracker(*ACME)
    assert result.exit_code == 2
    assert "key: 'acme' is invalid; expected a key not used by an existing contract" in result.stderr


@pytest.mark.parametrize("command", [["show", "nope"], ["edit", "nope", "--notice", "30d"], ["history", "nope"],
                                     ["obligation", "done", "nope/1"], ["notice", "nope", "--sent-on", "2026-01-01"]])
def test_unknown_keys_are_clear_errors(sqlite_tracker: Tracker, command: list[str]) -> None:
    result = sqlite_tracker(*command)
    assert result.exit_code == 2
    assert "'nope" in result.stderr and "Traceback" not in result.output


def test_rrule_that_never_occurs_is_rejected(sqlite_tracker: Tracker) -> None:
    sqlite_tracker.ok(*ACME)
    result = sqlite_tracker("obligation", "add", "acme", "--kind", "invoice", "--title", "Never",
                            "--every", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "--start", "2026-01-01")
    assert result.exit_code == 2
    assert "every: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30' is invalid" in result.stderr
    assert "never occurs" in result.stderr


def test_import_with_bad_rows_imports_nothing_and_lists_every_problem(sqlite_tracker: Tracker, tmp_path: Path) -> None:
    data = yaml.safe_load(SAMPLE_YAML.read_text())
    data["contracts"][1]["start"] = "2025-02-30"
    data["contracts"][3]["notice"] = "ninety days-ish"
    data["contracts"][4]["currency"] = "XYZ"
    data["contracts"][5]["key"] = data["contracts"][0]["key"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    result = sqlite_tracker("import", str(bad))
    assert result.exit_code == 2
    assert "4 problems found" in result.stderr
    assert "contracts[1]: start: '2025-02-30'" in result.stderr
    assert "contracts[3]: notice: 'ninety days-ish'" in result.stderr
    assert "contracts[4]: currency: 'XYZ'" in result.stderr
    assert "contracts[5]: key: 'acme-ai-support' is invalid; expected a unique key" in result.stderr
    assert sqlite_tracker.json("list") == []


def test_malformed_yaml_names_line_and_column(sqlite_tracker: Tracker, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("contracts:\n  - key: a\n    title: [unclosed\n")
    result = sqlite_tracker("import", str(bad))
    assert result.exit_code == 2
    assert "line 4, column 1: malformed YAML" in result.stderr


def test_csv_errors_name_row_and_column(sqlite_tracker: Tracker, tmp_path: Path) -> None:
    lines = SAMPLE_CSV.read_text().splitlines()
    header = lines[0].split(",")
    row = next(csv_row for csv_row in __import__("csv").reader([lines[2]]))
    row[header.index("start")] = "2025-13-01"
    row[header.index("auto_renew")] = "maybe"
    bad = tmp_path / "bad.csv"
    import csv

    with bad.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerow(next(csv.reader([lines[1]])))
        writer.writerow(row)
    result = sqlite_tracker("import", str(bad))
    assert result.exit_code == 2
    assert "row 3: start: '2025-13-01' is invalid" in result.stderr
    assert "row 3: auto_renew: 'maybe' is invalid; expected true or false" in result.stderr
    assert sqlite_tracker.json("list") == []


def test_dry_run_validates_and_writes_nothing(sqlite_tracker: Tracker) -> None:
    out = sqlite_tracker.ok("import", "--dry-run", str(SAMPLE_YAML))
    assert "valid: 9 contracts" in out and "nothing written" in out
    assert sqlite_tracker.json("list") == []


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_export_then_import_reproduces_the_ledger(sample_tracker: Tracker, tmp_path: Path, fmt: str) -> None:
    sample_tracker.ok("obligation", "record", "globex-crm/1", "--count", "1", "--on", "2026-11-20")
    sample_tracker.ok("obligation", "done", "orion-model-api/1")
    exported = tmp_path / f"ledger.{fmt}"
    sample_tracker.ok("export", "--format", fmt, "-o", str(exported))
    copy = Tracker(f"sqlite:///{tmp_path / 'copy.db'}")
    copy.ok("init")  # commands other than init never create a schema
    copy.ok("import", str(exported))
    for command in (["list"], ["upcoming", "--within", "2y"], ["show", "globex-crm"]):
        assert copy.json(*command) == sample_tracker.json(*command)
    again = tmp_path / f"again.{fmt}"
    copy.ok("export", "--format", fmt, "-o", str(again))
    assert again.read_text() == exported.read_text()


def test_csv_export_neutralises_formulas_and_import_restores_them(sqlite_tracker: Tracker, tmp_path: Path) -> None:
    sqlite_tracker.ok(*ACME, "--key", "evil", "--title", "=HYPERLINK(\"http://x\")")
    out = sqlite_tracker.ok("export", "--format", "csv")
    assert "'=HYPERLINK" in out
    exported = tmp_path / "ledger.csv"
    exported.write_text(out)
    copy = Tracker(f"sqlite:///{tmp_path / 'copy.db'}")
    copy.ok("init")  # commands other than init never create a schema
    copy.ok("import", str(exported))
    assert copy.json("show", "evil")["title"] == '=HYPERLINK("http://x")'


def _all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found = []
    for name, command in group.commands.items():
        found.append(((*prefix, name), command))
        if isinstance(command, click.Group):
            found += _all_commands(command, (*prefix, name))
    return found


def test_every_command_has_help_text() -> None:
    from tracker.cli import cli

    commands = _all_commands(cli)
    assert len(commands) >= 20
    for path, command in commands:
        assert (command.help or "").strip(), f"tracker {' '.join(path)} has no help text"


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys; from tracker.cli import main; sys.argv=['tracker','--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy=[m for m in ('sqlalchemy','sqlmodel','alembic','icalendar','apprise','jinja2','rich','holidays') "
        "if m in sys.modules]\nprint('HEAVY', heavy, file=sys.stderr)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in result.stderr


def test_history_lists_every_change_with_actor(sqlite_tracker: Tracker) -> None:
    sqlite_tracker.ok(*ACME)
    sqlite_tracker.ok("obligation", "add", "acme", "--kind", "custom", "--title", "Review DPA", "--due", "2027-01-10")
    events = sqlite_tracker.json("history", "acme")
    assert [e["kind"] for e in events] == ["contract_added", "obligation_added"]
    assert {e["actor"] for e in events} == {"tester"}
    assert json.dumps(events[0]["payload"]["fields"]["start"]) == '"2025-03-26"'


def test_archive_takes_a_contract_off_the_timeline_and_keeps_its_history(tracker: Tracker, tmp_path: Path) -> None:
    tracker.ok(*ACME)
    tracker.ok(*ACME, "--key", "other")
    assert "archived" in tracker.ok("archive", "acme")
    assert [r["contract"] for r in tracker.json("upcoming", "--within", "1y")] == ["other"] * 2
    assert [c["key"] for c in tracker.json("list")] == ["other"]
    everything = {c["key"]: c["status"] for c in tracker.json("list", "--all")}
    assert everything == {"acme": "ended", "other": "active"}
    assert tracker.json("history", "acme")[-1]["kind"] == "contract_archived"
    again = tracker("archive", "acme")
    assert again.exit_code == 2 and "not archived already" in again.stderr
    exported = tmp_path / "ledger.yaml"
    tracker.ok("export", "-o", str(exported))
    copy = Tracker(f"sqlite:///{tmp_path / 'copy.db'}")
    copy.ok("init")  # commands other than init never create a schema
    copy.ok("import", str(exported))
    assert copy.json("list", "--all") == tracker.json("list", "--all")


def test_deadlines_years_ahead_are_on_the_timeline_when_they_come_near(tracker: Tracker) -> None:
    tracker.ok("add", "--key", "long", "--title", "Five-year platform deal", "--vendor", "V", "--owner", "a@b.co",
               "--start", "2026-01-01", "--term", "5 years", "--auto-renew", "--notice", "30d", today="2026-01-01")
    tracker.ok("obligation", "add", "long", "--kind", "custom", "--title", "Far one-off", "--due", "2030-06-03",
               today="2026-01-01")
    rows = tracker.json("upcoming", "--within", "1y", today="2030-05-01")
    # 2030-12-31 − 30 days = Sunday 2030-12-01, rolled back to Friday 2030-11-29.
    assert [(r["obligation"], r["due"]) for r in rows] == [
        ("long/1", "2030-06-03"), ("long/notice_deadline", "2030-11-29"), ("long/renewal", "2031-01-01"),
    ]


@pytest.mark.parametrize(
    ("args", "field", "expected"),
    [
        (["--today", "9999-12-31", "upcoming"], "--today", "between 1900-01-01 and 2199-12-31"),
        ([*ACME[:ACME.index("--start") + 1], "0001-01-01", *ACME[ACME.index("--start") + 2:]], "start",
         "between 1900-01-01 and 2199-12-31"),
        (["upcoming", "--within", "100000y"], "--within", "at most a century"),
        ([*ACME, "--max-renewals", "99999999999999999999999"], "max_renewals", "a whole number from 0 to 1000"),
    ],
)
def test_out_of_range_input_is_a_clear_error(sqlite_tracker: Tracker, args: list[str], field: str,
                                             expected: str) -> None:
    result = sqlite_tracker(*args)
    assert result.exit_code == 2, result.output
    assert f"{field}: " in result.stderr and expected in result.stderr
    assert "Traceback" not in result.output


def test_rules_firing_more_than_daily_are_rejected(sqlite_tracker: Tracker) -> None:
    sqlite_tracker.ok(*ACME)
    result = sqlite_tracker("obligation", "add", "acme", "--kind", "custom", "--title", "Flood",
                            "--every", "FREQ=SECONDLY", "--start", "2026-01-01")
    assert result.exit_code == 2 and "FREQ=DAILY at most" in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("contracts:\n  - key: a\n    start: 2026-13-45\n", "malformed YAML"),
        ("", "contracts: 'an empty file' is invalid"),
        ("contracts:\n", "contracts: 'an empty contracts list' is invalid"),
    ],
)
def test_broken_files_are_clear_errors(sqlite_tracker: Tracker, tmp_path: Path, text: str, message: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    result = sqlite_tracker("import", str(bad))
    assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.output


def test_settled_must_be_a_list(sqlite_tracker: Tracker, tmp_path: Path) -> None:
    data = yaml.safe_load(SAMPLE_YAML.read_text())
    data["contracts"][0]["obligations"][0]["settled"] = 5
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    result = sqlite_tracker("import", str(bad))
    assert result.exit_code == 2 and "obligations[0].settled: 5 is invalid; expected a list" in result.stderr


def test_prompts_never_corrupt_json_output(sqlite_tracker: Tracker) -> None:
    args = [a for a in ACME if a not in ("--notice", "90 days", "--holidays", "US")]
    result = sqlite_tracker(*args, "--format", "json", input="")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["key"] == "acme"


def test_edit_refuses_term_and_end_together(sqlite_tracker: Tracker) -> None:
    sqlite_tracker.ok(*ACME)
    result = sqlite_tracker("edit", "acme", "--term", "2 years", "--end", "2027-06-30")
    assert result.exit_code == 2 and "either --term or --end, not both" in result.stderr


def test_an_occurrence_can_be_named_by_the_due_date_upcoming_shows(sqlite_tracker: Tracker) -> None:
    sqlite_tracker.ok(*ACME)
    # The 5th of December 2026 is a Saturday: the invoice is due Friday the 4th.
    sqlite_tracker.ok("obligation", "add", "acme", "--kind", "invoice", "--title", "Monthly invoice",
                      "--every", "FREQ=MONTHLY", "--start", "2026-12-05")
    assert sqlite_tracker.json("upcoming", "--kind", "invoice", "--within", "20d")[0]["due"] == "2026-12-04"
    assert "2026-12-04 is done" in sqlite_tracker.ok("obligation", "done", "acme/1@2026-12-04")


def test_passwords_in_database_url_queries_are_masked(sqlite_tracker: Tracker) -> None:
    sqlite_tracker.db_url = "postgresql+psycopg://u@127.0.0.1:1/x?password=topsecret"
    result = sqlite_tracker("list")
    assert result.exit_code == 1 and "topsecret" not in result.output and "password=***" in result.stderr
