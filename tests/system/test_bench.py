"""The benchmark runs end to end at a tiny size and produces every figure (timings are never asserted)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bench import generate, run


@pytest.mark.bench
def test_the_benchmark_produces_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    results = run.main([
        "--sizes", "40", "--notify-sizes", "20,40", "--repeat", "1", "--calendar-contracts", "10",
        "--feed-size", "40", "--feed-requests", "5", "--deliver", "8", "--import-size", "30",
        "--json", str(out), "--workdir", str(tmp_path), "--quiet",
    ])
    written = json.loads(out.read_text())
    assert set(written) >= {"machine", "startup", "upcoming", "calendar", "feed", "notify_quiet", "deliver", "import",
                            "targets"}
    assert set(written["startup"]) == {"import_click_s", "help_s", "help_ratio", "upcoming_empty_s",
                                       "upcoming_empty_ratio"}
    (upcoming,) = written["upcoming"]
    assert upcoming["contracts"] == 40 and upcoming["items"] > 0 and upcoming["rows_selected"] > 0
    for name in ("service_s", "floor_s", "ratio", "process_s", "db_bytes_per_contract"):
        assert upcoming[name] > 0, name
    calendar = written["calendar"]
    assert calendar["events"] > 0 and calendar["tracker_s"] > 0 and calendar["floor_s"] > 0
    assert calendar["same_bytes"] is True  # the floor serialises exactly the tracker's events
    feed = written["feed"]
    for name in ("first_fetch_s", "first_fetch_per_s", "cached_200_per_s", "conditional_304_per_s"):
        assert feed[name] > 0, name
    assert [row["contracts"] for row in written["notify_quiet"]] == [20, 40]
    assert all(row["service_s"] > 0 and row["process_s"] > 0 for row in written["notify_quiet"])
    assert written["deliver"]["reminders"] == written["deliver"]["captured"] == 8
    assert written["import"]["contracts"] == 30 and written["import"]["contracts_per_s"] > 0
    assert results["targets"] == written["targets"]
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]  # the run cleaned up after itself


def test_the_quiet_ledger_has_nothing_due_and_clones_add_the_same_rows(tmp_path: Path) -> None:
    path = tmp_path / "quiet.db"
    generate.build_database(f"sqlite:///{path}", generate.contracts(12, "quiet"))
    before = _rows(path)
    generate.clone_database(path, 2)
    after = _rows(path)
    assert {table: count * 3 for table, count in before.items()} == after
    with sqlite3.connect(path) as connection:
        due = connection.execute("SELECT COUNT(*) FROM obligation WHERE next_remind_on <= ?",
                                 (generate.AS_OF.isoformat(),)).fetchone()[0]
        keys = [row[0] for row in connection.execute("SELECT key FROM contract WHERE key LIKE 'q000003%' ORDER BY key")]
    assert due == 0
    assert keys == ["q000003", "q000003-1", "q000003-2"]


def test_the_migration_head_is_read_without_alembic_correctly() -> None:
    from tracker.store import schema as db
    from tracker.store.engine import make_engine

    assert db.newest_revision() == db.head_revision(make_engine("sqlite://"))


def _rows(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as connection:
        return {table: connection.execute(f'SELECT COUNT(*) FROM "{table}" WHERE {where}').fetchone()[0]
                for table, where in (("contract", "1"), ("obligation", "1"), ("occurrence_state", "1"),
                                     ("event", "contract_id IS NOT NULL"))}
