"""Operating the tracker on a server database: passwords never shown, failures reported in one line (exit 1)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
from click.testing import Result

from tests.conftest import REPO, Tracker, fresh_postgres_database, pg_admin_url

SECRET = "s3cret"
COMMANDS = [["list"], ["init"], ["db", "current"]]
IDS = ["list", "init", "db-current"]


def assert_one_line_failure(result: Result, *expected: str) -> str:
    """Exit 1, nothing on stdout, one `Error:` line on stderr without the secret; returns that line."""
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert SECRET not in result.stderr and "Traceback" not in result.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS, ids=IDS)
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"postgresql+psycopg://alice:{SECRET}@127.0.0.1:1/nope",
         ["postgresql+psycopg://alice:***@127.0.0.1:1/nope is unreachable", "port 1 failed"]),
        (f"postgresql://alice:{SECRET}@127.0.0.1:1/nope", ["postgresql://alice:***@127.0.0.1:1/nope is unreachable"]),
        (f"postgresql+psycopg2://alice:{SECRET}@127.0.0.1:1/nope",
         ["cannot use database URL postgresql+psycopg2://alice:***@", "psycopg2 is not installed"]),
        (f"postgresql+psycopg://alice:{SECRET}@127.0.0.1:notaport/nope", ["cannot use database URL"]),
        (f"nosuchdb://alice:{SECRET}@127.0.0.1/nope", ["nosuchdb://alice:***@127.0.0.1/nope"]),
        ("sqlite:////nonexistent-dir/for/tracker.db", ["unreachable: unable to open database file"]),
    ],
    ids=["wrong-port", "plain-url", "driver-missing", "bad-port", "unknown-dialect", "sqlite-bad-path"],
)
def test_unusable_database_is_one_clear_line(url: str, expected: list[str], command: list[str]) -> None:
    assert_one_line_failure(Tracker(url)(*command), *expected)


@pytest.fixture
def missing_pg_database() -> str:
    """A URL, with a password, naming a database that does not exist on the test server."""
    admin = pg_admin_url()
    if not admin:
        pytest.skip("needs TRACKER_TEST_PG_URL")
    from sqlalchemy.engine import make_url

    url = make_url(admin).set(password=SECRET, database=f"tracker_missing_{uuid.uuid4().hex[:8]}")
    return url.render_as_string(hide_password=False)


@pytest.mark.parametrize("command", COMMANDS, ids=IDS)
def test_missing_postgresql_database_is_one_clear_line(missing_pg_database: str, command: list[str]) -> None:
    line = assert_one_line_failure(Tracker(missing_pg_database)(*command), ":***@", "is unreachable")
    assert "does not exist" in line


def test_real_process_prints_no_traceback() -> None:
    """The installed entry point (not only the test runner) exits 1 with one line."""
    result = subprocess.run(
        [sys.executable, "-m", "tracker", "--db", f"postgresql+psycopg://alice:{SECRET}@127.0.0.1:1/nope", "list"],
        capture_output=True, text=True, cwd=REPO, timeout=60, check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "alice:***@127.0.0.1:1/nope is unreachable" in lines[0], result.stderr
    assert SECRET not in result.stderr


@pytest.fixture
def pg_url_with_password() -> Iterator[str]:
    """A fresh PostgreSQL database reached through a URL with a password (ignored by trust auth)."""
    from sqlalchemy.engine import make_url

    for url in fresh_postgres_database():
        # %40 is an escaped "@": Alembic's ConfigParser must not trip over the % sign.
        yield make_url(url).set(password="p@ss" + SECRET).render_as_string(hide_password=False)


def test_init_and_db_current_print_the_masked_url(pg_url_with_password: str) -> None:
    from sqlalchemy.engine import make_url

    assert "p%40ss" + SECRET in pg_url_with_password
    t = Tracker(pg_url_with_password)
    masked = make_url(pg_url_with_password).render_as_string(hide_password=True)
    assert ":***@" in masked
    assert t.ok("init").startswith(f"Database {masked}: created (schema ")
    assert t.ok("db", "current").startswith(f"{masked}: schema ")
    outputs = [t.ok("init"), t.ok("db", "current"), t.ok("db", "upgrade"), t.ok("list")]
    assert not any(SECRET in output for output in outputs)


def test_init_prints_the_sqlite_file(empty_sqlite_tracker: Tracker) -> None:
    assert empty_sqlite_tracker.ok("init").startswith(f"Database {empty_sqlite_tracker.db_url}: created (schema ")


def test_missing_privileges_are_one_clear_line(pg_url: str) -> None:
    """A login without rights on the database (PostgreSQL 15: no CREATE on public) fails in one line."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    role = f"tracker_noperm_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        connection.execute(text(f'REVOKE CREATE ON SCHEMA public FROM PUBLIC, "{role}"'))
    try:
        url = make_url(pg_url).set(username=role, password=SECRET).render_as_string(hide_password=False)
        assert_one_line_failure(Tracker(url)("init"), f"{role}:***@", "refused access: permission denied")
        assert_one_line_failure(Tracker(url)("list"), f"{role}:***@", "has no tracker schema; run `tracker init`")
        Tracker(pg_url).ok("init")  # now the schema exists, but the role may not read it
        for command in COMMANDS:
            assert_one_line_failure(Tracker(url)(*command), "refused access: permission denied for table")
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP OWNED BY "{role}"'))
            connection.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from fresh_postgres_database()
