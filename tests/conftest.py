"""Shared fixtures: a fresh database per test on each engine, and a CLI runner bound to it.

Database-facing tests take the ``db_url`` fixture, which is parametrised over SQLite and PostgreSQL: a
copy of a database migrated once per session (a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on
PostgreSQL), so no test pays for the migrations. ``empty_db_url`` gives an empty one, for the tests of
``init`` and the migrations themselves. PostgreSQL's URL comes from ``TRACKER_TEST_PG_URL`` (``.ci/run``
sets it); without it those cases skip with a visible reason, except under ``CI=true``, where a missing
PostgreSQL fails the run.

Markers: ``postgres`` (set on every PostgreSQL case), ``slow`` (everything under ``system/``: real
processes and servers) and ``bench`` (the benchmark smoke test, opt-in: ``pytest -m bench``).
"""

from __future__ import annotations

import json
import os
import shutil
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


def _create_database(admin: str, name: str, template: str | None = None) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            suffix = f' TEMPLATE "{template}"' if template else ""
            connection.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    except Exception as exc:  # a configured but dead server is a failure, never a silent skip
        pytest.fail(f"cannot create a test database on {PG_ENV}: {exc}")
    finally:
        engine.dispose()


def _drop_database(admin: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def _migrate(url: str) -> None:
    from tracker.store.engine import make_engine
    from tracker.store.schema import upgrade

    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def _pg_admin_or_skip() -> str:
    admin = pg_admin_url()
    if not admin:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    return admin


def fresh_postgres_database(template: str | None = None) -> Iterator[str]:
    """A PostgreSQL database for one test (empty, or a copy of ``template``), dropped afterwards."""
    admin = _pg_admin_or_skip()
    name = f"tracker_test_{uuid.uuid4().hex[:12]}"
    _create_database(admin, name, template)
    try:
        yield _swap_database(admin, name)
    finally:
        _drop_database(admin, name)


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Databases migrated once per session, copied for each test: an SQLite file, a PostgreSQL template."""
    folder = tmp_path_factory.mktemp("templates")
    sqlite_file = folder / "template.db"
    _migrate(f"sqlite:///{sqlite_file}")
    templates = {"sqlite": str(sqlite_file)}
    admin = pg_admin_url()
    name = f"tracker_template_{uuid.uuid4().hex[:12]}"
    if admin:
        _create_database(admin, name)
        _migrate(_swap_database(admin, name))
        templates["postgresql"] = name
    try:
        yield templates
    finally:
        if admin:
            _drop_database(admin, name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, migrated_templates: dict[str, str]) -> Iterator[str]:
    """A database at the newest schema on each engine: one test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "tracker.db"
        shutil.copyfile(migrated_templates["sqlite"], path)
        yield f"sqlite:///{path}"
    else:
        _pg_admin_or_skip()
        yield from fresh_postgres_database(migrated_templates["postgresql"])


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each engine, for tests of `init` and the migrations."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tracker.db'}"
    else:
        yield from fresh_postgres_database()


@pytest.fixture
def sqlite_url(tmp_path: Path, migrated_templates: dict[str, str]) -> str:
    """An SQLite database only (at the newest schema), for behaviour that does not depend on the engine."""
    path = tmp_path / "tracker.db"
    shutil.copyfile(migrated_templates["sqlite"], path)
    return f"sqlite:///{path}"


@pytest.fixture
def empty_sqlite_url(tmp_path: Path) -> str:
    """An empty SQLite database (no file yet)."""
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
def empty_tracker(empty_db_url: str) -> Tracker:
    """The CLI against an empty database on each engine (for `init` and migration tests)."""
    return Tracker(empty_db_url)


@pytest.fixture
def empty_sqlite_tracker(empty_sqlite_url: str) -> Tracker:
    """The CLI against an empty SQLite database."""
    return Tracker(empty_sqlite_url)


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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Everything under tests/system/ runs real processes and servers: mark it slow."""
    system = REPO / "tests" / "system"
    for item in items:
        if system in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.slow)
