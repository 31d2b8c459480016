"""Usage against meters through the CLI: recording, readings and resets, idempotent CSV imports, views."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.conftest import Tracker


def _crm(tracker: Tracker, tmp_path: Path) -> None:
    raw = {"key": "crm", "title": "AI CRM", "vendor": "Northwind", "owner": "bob@example.com", "start": "2026-02-01",
           "term": "12 months", "auto_renew": True, "notice": "60 days",
           "meters": [{"name": "credits", "unit": "credits", "limit": 1000000, "period": "term",
                       "kind": "allowance"},
                      {"name": "seats", "unit": "seats", "limit": 50, "period": "month", "kind": "cap"}]}
    path = tmp_path / "crm.yaml"
    path.write_text(yaml.safe_dump({"contracts": [raw]}), encoding="utf-8")
    tracker.ok("import", str(path))


def test_recorded_usage_shows_in_show_with_its_forecast(tracker: Tracker, tmp_path: Path) -> None:
    _crm(tracker, tmp_path)
    out = tracker.ok("usage", "record", "crm", "credits", "600000", "--on", "2026-08-01", today="2026-08-01")
    assert "600,000 of 1,000,000 credits (60.0%)" in out
    tracker.ok("usage", "record", "crm", "credits", "150000", "--on", "2026-09-15", today="2026-10-01")
    meters = {m["name"]: m for m in tracker.json("show", "crm", today="2026-10-01")["meters"]}
    credits = meters["credits"]
    assert (credits["used"], credits["percent"], credits["crossed"]) == ("750000.00", "75.0", [])
    assert credits["period"] == {"start": "2026-02-01", "end": "2027-01-31"}
    # 750,000 over 243 days: at that pace the last 250,000 go in 81 days.
    assert credits["reaches_limit_on"] == "2026-12-21"
    assert credits["forecast"] == "at this pace credits run out on 2026-12-21, 41 days before the period ends"


def test_a_lower_reading_is_refused_unless_it_is_a_reset(tracker: Tracker, tmp_path: Path) -> None:
    _crm(tracker, tmp_path)
    tracker.ok("usage", "record", "crm", "seats", "42", "--total", "--on", "2026-11-02", today="2026-11-10")
    lower = tracker("usage", "record", "crm", "seats", "40", "--total", "--on", "2026-11-05", today="2026-11-10")
    assert lower.exit_code == 2 and "--reset if the counter was reset" in lower.stderr
    tracker.ok("usage", "record", "crm", "seats", "40", "--reset", "--on", "2026-11-05", today="2026-11-10")
    seats = next(m for m in tracker.json("show", "crm", today="2026-11-10")["meters"] if m["name"] == "seats")
    assert seats["used"] == "40.00"
    future = tracker("usage", "record", "crm", "seats", "1", "--on", "2026-12-01", today="2026-11-10")
    assert future.exit_code == 2 and "--on" in future.stderr
    unknown = tracker("usage", "record", "crm", "tokens", "1", today="2026-11-10")
    assert unknown.exit_code == 2 and "credits, seats" in unknown.stderr


def test_importing_the_same_rows_again_changes_nothing(tracker: Tracker, tmp_path: Path) -> None:
    _crm(tracker, tmp_path)
    csv = tmp_path / "usage.csv"
    csv.write_text("date,amount,note\n2026-03-31,50000,March\n2026-04-30,50000,April\n2026-04-30,50000,April\n",
                   encoding="utf-8")
    assert "3 rows added, 0 already recorded" in tracker.ok("usage", "import", str(csv), "--meter", "crm/credits",
                                                            today="2026-05-01")
    assert "0 rows added, 3 already recorded" in tracker.ok("usage", "import", str(csv), "--meter", "crm/credits",
                                                            today="2026-05-01")
    history = json.loads(tracker.ok("usage", "crm", "--format", "json", today="2026-05-01"))
    credits = next(m for m in history["meters"] if m["name"] == "credits")
    assert credits["used"] == "150000.00" and len(credits["history"]) == 3
    chart = tracker.ok("usage", "crm", today="2026-05-01")
    assert "credits (allowance): 150,000 of 1,000,000 credits (15.0%)" in chart and "2026-04-30 |" in chart
    bad = tmp_path / "bad.csv"
    bad.write_text("date,amount\n2026-13-01,5\n", encoding="utf-8")
    failed = tracker("usage", "import", str(bad), "--meter", "crm/credits", today="2026-05-01")
    assert failed.exit_code == 2 and "row 2" in failed.stderr


def test_meters_survive_export_and_import(tracker: Tracker, tmp_path: Path) -> None:
    _crm(tracker, tmp_path)
    exported = yaml.safe_load(tracker.ok("export"))["contracts"][0]["meters"]
    assert exported == [
        {"name": "credits", "unit": "credits", "limit": "1000000.00", "period": "term", "kind": "allowance"},
        {"name": "seats", "unit": "seats", "limit": "50.00", "period": "month", "kind": "cap"},
    ]
