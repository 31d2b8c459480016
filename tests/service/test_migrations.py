"""Alembic migrations: the migrated schema equals the models, data survives every step, `init`/`db` commands.

The step-by-step test is parametrised over the migration scripts, so a new migration is covered as soon as
it is added: data written at the first revision must come through every later revision unchanged.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest

from tests.conftest import Tracker


def _revisions() -> list[str]:
    """The migration revisions from the first to the newest."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(resources.files("tracker.migrations")))
    script = ScriptDirectory.from_config(config)
    assert len(script.get_heads()) == 1, f"the migrations must form one line, not branch: {script.get_heads()}"
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


REVISIONS = _revisions()


def test_migrated_schema_equals_the_models(empty_tracker: Tracker) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine
    from sqlmodel import SQLModel

    from tracker.store import tables as models

    assert models.SQLModel.metadata is SQLModel.metadata  # the tables are registered
    assert "created (schema" in empty_tracker.ok("init")
    engine = create_engine(empty_tracker.db_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert diff == [], "the migrations and tracker/store/tables.py disagree; generate a migration:\n" + "\n".join(
        map(str, diff))


# --- data through every migration ----------------------------------------------------------------

T0 = datetime(2026, 11, 21, 9, 30, 15, 250000, tzinfo=UTC)
T1 = datetime(2026, 11, 22, 0, 0, 1, tzinfo=UTC)

# Rows in the first revision's columns, inserted in this order (foreign keys).
ROWS: dict[str, list[dict[str, Any]]] = {
    "contract": [
        {"id": 1, "key": "acme-ai", "title": "AI support — Übersicht ☃", "vendor": "Acme AI", "owner": "a@example.com",
         "backup_owner": "b@example.com", "start": date(2024, 2, 29), "term": "12 months", "end": None,
         "auto_renew": True, "renewal_term": "12 months", "max_renewals": 3, "notice": "90 days",
         "holidays": "US-NY", "timezone": "America/New_York", "value": Decimal("120000.50"), "currency": "USD",
         "tags": ["ai", "support"], "notify": ["legal"], "model_change_notice": "30 days",
         "rollback_window": "30 days", "notice_given_on": date(2026, 1, 2), "archived": False, "revision": 4,
         "created_at": T0, "updated_at": T1},
        {"id": 2, "key": "pilot", "title": "Pilot", "vendor": "Quill", "owner": "c@example.com",
         "backup_owner": None, "start": date(2026, 11, 1), "term": None, "end": date(2027, 1, 31),
         "auto_renew": False, "renewal_term": None, "max_renewals": None, "notice": None, "holidays": None,
         "timezone": None, "value": None, "currency": None, "tags": [], "notify": [],
         "model_change_notice": None, "rollback_window": None, "notice_given_on": None, "archived": True,
         "revision": 1, "created_at": T0, "updated_at": T0},
    ],
    "obligation": [
        {"id": 10, "contract_id": 1, "number": 1, "kind": "invoice", "title": "Quarterly invoice", "owed_by": "vendor",
         "derived": False, "due": None, "every": "FREQ=MONTHLY;INTERVAL=3", "start": date(2027, 1, 5),
         "until": date(2028, 1, 5), "roll": "next", "lead": [7, 1], "required": None, "clause": "§5.2",
         "breach": None, "status": "open", "revision": 2, "next_due": date(2027, 1, 5),
         "next_remind_on": date(2026, 12, 29), "created_at": T0, "updated_at": T1},
        {"id": 11, "contract_id": 1, "number": -1, "kind": "notice_deadline", "title": "Notice", "owed_by": "us",
         "derived": True, "due": None, "every": None, "start": None, "until": None, "roll": "previous",
         "lead": None, "required": 3, "clause": None, "breach": "short notice", "status": "done", "revision": 1,
         "next_due": None, "next_remind_on": None, "created_at": T0, "updated_at": T0},
    ],
    "occurrence_state": [
        {"id": 20, "obligation_id": 10, "occurrence": "2027-01-05", "due": date(2027, 1, 5), "status": "done",
         "settled_on": date(2027, 1, 4), "progress": 2, "acked_revision": 2, "observed": True, "updated_at": T1},
        {"id": 21, "obligation_id": 11, "occurrence": "T2", "due": date(2026, 12, 24), "status": "open",
         "settled_on": None, "progress": 0, "acked_revision": None, "observed": False, "updated_at": T0},
    ],
    "progress": [
        {"id": 30, "obligation_id": 11, "occurrence": "", "count": 2, "on": date(2026, 11, 20),
         "note": "Session 1 — admins", "created_at": T0},
    ],
    "event": [
        {"id": 40, "at": T0, "actor": "tester", "kind": "contract_added", "contract_id": 1, "obligation_id": None,
         "payload": {"source": "import", "fields": {"start": "2024-02-29", "tags": ["ai"], "value": "120000.50",
                                                     "end": None, "ok": True, "n": 3, "text": "§ Ü ☃"}}},
        {"id": 41, "at": T1, "actor": "tester", "kind": "obligation_done", "contract_id": 1, "obligation_id": 10,
         "payload": {}},
    ],
    "feed": [
        {"id": 50, "name": "legal", "token_hash": "a" * 64, "owner": "a@example.com", "contract_key": None,
         "created_at": T0, "revoked_at": None},
        {"id": 51, "name": "old", "token_hash": "b" * 64, "owner": None, "contract_key": "acme-ai",
         "created_at": T0, "revoked_at": T1},
    ],
    "delivery": [
        {"id": 60, "obligation_id": 10, "occurrence": "2027-01-05", "stage": "lead:7", "channel": "tag:legal",
         "kind": "reminder", "due": date(2027, 1, 5), "status": "failed", "attempts": 2,
         "last_error": "HTTP 500 from hooks.slack.com", "subject": "Invoice due", "body": "Due **2027-01-05**",
         "next_attempt_at": T1, "claimed_by": "host-1:123", "lease_until": T1, "created_at": T0, "sent_at": None},
        {"id": 61, "obligation_id": 10, "occurrence": "2027-01-05", "stage": "lead:1", "channel": "email:a@example.com",
         "kind": "reminder", "due": date(2027, 1, 5), "status": "sent", "attempts": 1, "last_error": None,
         "subject": None, "body": None, "next_attempt_at": T0, "claimed_by": None, "lease_until": None,
         "created_at": T0, "sent_at": T1},
    ],
}


def _normalised(value: Any) -> Any:
    """Engine-neutral values: SQLite's reflected DATETIME reads back naive (it is stored as UTC)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def _check_rows(engine: Any, revision: str) -> None:
    from sqlalchemy import MetaData, select

    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        for name, rows in ROWS.items():
            table = metadata.tables[name]
            missing = {column for column in rows[0] if column not in table.c}
            assert not missing, f"at {revision}, {name} lost columns {missing}: migrate their data, then fix ROWS"
            found = {
                row.id: {column: _normalised(getattr(row, column)) for column in rows[0]}
                for row in connection.execute(select(*(table.c[column] for column in rows[0])))
            }
            assert found == {row["id"]: row for row in rows}, f"{name} changed by the migration to {revision}"


@pytest.mark.parametrize("target", REVISIONS)
def test_data_survives_each_migration(empty_db_url: str, target: str) -> None:
    """Upgrade one migration at a time from the first to ``target``: every row keeps its values."""
    from sqlalchemy import MetaData, insert

    from tracker.store.engine import make_engine
    from tracker.store.schema import current_revision, upgrade

    engine = make_engine(empty_db_url)
    try:
        upgrade(engine, REVISIONS[0])
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.begin() as connection:
            for name, rows in ROWS.items():
                connection.execute(insert(metadata.tables[name]), rows)
        _check_rows(engine, REVISIONS[0])
        for revision in REVISIONS[1: REVISIONS.index(target) + 1]:
            assert upgrade(engine, revision) == (REVISIONS[REVISIONS.index(revision) - 1], revision)
            _check_rows(engine, revision)
        assert current_revision(engine) == target
        if target == REVISIONS[-1]:
            _check_models_read_old_rows(engine)
    finally:
        engine.dispose()


def _check_models_read_old_rows(engine: Any) -> None:
    """At the newest schema, the models load the old rows with the same values (new columns have defaults)."""
    from sqlmodel import select

    from tracker.store.engine import session_scope
    from tracker.store.tables import Contract, Delivery, Event, Feed, Obligation, OccurrenceState, Progress

    models = {"contract": Contract, "obligation": Obligation, "occurrence_state": OccurrenceState,
              "progress": Progress, "event": Event, "feed": Feed, "delivery": Delivery}
    with session_scope(engine) as session:
        for name, rows in ROWS.items():
            loaded = {row.id: row for row in session.exec(select(models[name])).all()}
            assert set(loaded) == {row["id"] for row in rows}, name
            for row in rows:
                assert {column: getattr(loaded[row["id"]], column) for column in row} == row, name


# --- init and db commands ------------------------------------------------------------------------


def test_init_twice_is_idempotent_and_says_so(empty_tracker: Tracker) -> None:
    from sqlalchemy import create_engine, inspect, text

    head = REVISIONS[-1]
    first = empty_tracker.ok("init")
    assert f": created (schema {head})." in first.splitlines()[0]
    empty_tracker.ok("add", "--key", "keep-me", "--title", "T", "--vendor", "V", "--owner", "o@example.com",
               "--start", "2026-01-01", "--term", "12 months", "--no-auto-renew")
    second = empty_tracker.ok("init")
    assert f": already up to date (schema {head})." in second.splitlines()[0]
    assert "created" not in second
    assert [row["key"] for row in empty_tracker.json("list")] == ["keep-me"]
    engine = create_engine(empty_tracker.db_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head]
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    assert {"contract", "obligation", "event", "delivery", "feed", "alembic_version"} <= tables


def test_db_current_upgrade_and_history(empty_tracker: Tracker) -> None:
    from tracker.store.engine import mask_url

    head, url = REVISIONS[-1], mask_url(empty_tracker.db_url)
    assert empty_tracker.ok("db", "current") == f"{url}: empty (run `tracker init`); newest schema is {head}.\n"
    assert empty_tracker.ok("db", "upgrade") == f"Schema empty -> {head}.\n"
    assert empty_tracker.ok("db", "current") == f"{url}: schema {head} (newest)\n"
    assert empty_tracker.ok("db", "upgrade") == f"Schema {head} -> {head}.\n"
    history = empty_tracker.ok("db", "history").splitlines()
    assert len(history) == len(REVISIONS)
    assert history[-1] == f"<base> -> {REVISIONS[0]}: initial schema"
    for line, (down, revision) in zip(reversed(history), zip([None, *REVISIONS], REVISIONS, strict=False),
                                      strict=True):
        assert line.startswith(f"{down or '<base>'} -> {revision}: "), line


def test_db_upgrade_to_an_unknown_revision_is_invalid_input(empty_tracker: Tracker) -> None:
    result = empty_tracker("db", "upgrade", "nonsense")
    assert result.exit_code == 2
    assert "REVISION: 'nonsense' is invalid" in result.stderr and "Traceback" not in result.stderr
    assert "empty" in empty_tracker.ok("db", "current")  # nothing was written


def test_schema_from_a_newer_tracker_is_refused(sqlite_tracker: Tracker) -> None:
    """A database a newer tracker migrated: every command says so in one line and changes nothing."""
    from sqlalchemy import create_engine, text

    sqlite_tracker.ok("init")
    engine = create_engine(sqlite_tracker.db_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'ffff9999'"))
    engine.dispose()
    assert "schema ffff9999 (unknown to this tracker" in sqlite_tracker.ok("db", "current")
    for command in (["list"], ["init"], ["db", "upgrade"]):
        result = sqlite_tracker(*command)
        assert result.exit_code == 1, command
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "schema ffff9999, which this tracker does not know" in lines[0], command
        assert "upgrade tracker" in lines[0]
