"""Shared fixtures: a fresh database per test on each engine, and a CLI runner bound to it.

Database-facing tests take the ``db_url`` fixture, which is parametrised over SQLite and PostgreSQL.
PostgreSQL's URL comes from ``TRACKER_TEST_PG_URL`` (``.ci/run`` sets it); without it those cases skip
with a visible reason, except under ``CI=true``, where a missing PostgreSQL fails the run.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.helpers_servers import HTTPServer, SMTPServer, http_server, smtp_server

REPO = Path(__file__).resolve().parent.parent
SAMPLE_YAML = REPO / "sample_data" / "contracts.yaml"
SAMPLE_CSV = REPO / "sample_data" / "contracts.csv"
PG_ENV = "TRACKER_TEST_PG_URL"
TODAY = "2026-11-21"


def pg_admin_url() -> str | None:
    """The PostgreSQL URL for tests; fails the run under CI=true when it is missing."""
    url = os.environ.get(PG_ENV)
    if not url and os.environ.get("CI") == "true":
        pytest.fail(f"{PG_ENV} is not set under CI=true: the PostgreSQL tests must run in CI")
    return url


def _swap_database(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


def fresh_postgres_database() -> Iterator[str]:
    """Create an empty PostgreSQL database for one test and drop it afterwards."""
    admin = pg_admin_url()
    if not admin:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    from sqlalchemy import create_engine, text

    name = f"tracker_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # a configured but dead server is a failure, never a silent skip
        pytest.fail(f"cannot create a test database on {PG_ENV}: {exc}")
    try:
        yield _swap_database(admin, name)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each engine: one test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tracker.db'}"
    else:
        yield from fresh_postgres_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An SQLite database only, for tests about behaviour that does not depend on the engine."""
    return f"sqlite:///{tmp_path / 'tracker.db'}"


@dataclass
class Tracker:
    """Runs ``tracker`` commands in-process against one database, as a user would type them."""

    db_url: str
    today: str = TODAY
    config: Path | None = None
    env: dict[str, str] = field(default_factory=dict)

    def __call__(self, *args: str, input: str | None = None, today: str | None = None) -> Result:
        from tracker.cli import cli

        options = ["--db", self.db_url, "--today", today or self.today, "--actor", "tester"]
        if self.config is not None:
            options += ["--config", str(self.config)]
        runner = CliRunner()
        return runner.invoke(cli, [*options, *args], input=input, env=self.env, catch_exceptions=False)

    def ok(self, *args: str, input: str | None = None, today: str | None = None) -> str:
        """Run a command that must succeed; return its standard output."""
        result = self(*args, input=input, today=today)
        assert result.exit_code == 0, f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        return result.stdout

    def json(self, *args: str, today: str | None = None) -> Any:
        return json.loads(self.ok(*args, "--format", "json", today=today))


@pytest.fixture
def tracker(db_url: str) -> Tracker:
    """The CLI against a fresh database on each engine."""
    return Tracker(db_url)


@pytest.fixture
def sqlite_tracker(sqlite_url: str) -> Tracker:
    """The CLI against a fresh SQLite database (engine-independent behaviour)."""
    return Tracker(sqlite_url)


@pytest.fixture
def sample_tracker(tracker: Tracker) -> Tracker:
    """The CLI with the sample ledger imported (both files), on each engine."""
    tracker.ok("import", str(SAMPLE_YAML))
    tracker.ok("import", str(SAMPLE_CSV))
    return tracker


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    """A real SMTP server (aiosmtpd) on loopback that keeps every message it receives."""
    with smtp_server() as server:
        yield server


@pytest.fixture
def http() -> Iterator[HTTPServer]:
    """A real HTTP server on loopback capturing Apprise json:// posts; it can be told to fail or hang."""
    with http_server() as server:
        yield server
