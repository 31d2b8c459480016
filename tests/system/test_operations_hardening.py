"""Hardening (issue 11): readers never wait for writers, no silent schema creation, errors that say what
happened, a feed server that stays up under slow clients, and a heartbeat for the scheduler.

Each test drives the tracker as a user or an operator does: commands in-process or as real processes,
the feed server as a real `tracker serve` on loopback.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests.conftest import REPO, SAMPLE_YAML, TODAY, Tracker

# --- helpers -------------------------------------------------------------------------------------


def one_line_failure(result: Result, *expected: str) -> str:
    """Exit 1, nothing on stdout, one `Error:` line on stderr holding ``expected``; returns that line."""
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in result.stderr, result.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def sqlite_file(tracker: Tracker) -> Path:
    return Path(tracker.db_url.removeprefix("sqlite:///"))


@contextmanager
def write_lock_held(path: Path, seconds: float) -> Iterator[None]:
    """Another writer: holds SQLite's write lock (an uncommitted insert) for ``seconds`` at most (released
    early when the block ends)."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO event (at, actor, kind, payload) VALUES ('2026-11-21 00:00:00', 'x', 'note', '{}')")
    guard = threading.Lock()

    def release() -> None:
        with guard:
            if holder.in_transaction:
                holder.execute("ROLLBACK")

    timer = threading.Timer(seconds, release)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        release()
        holder.close()


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    value = action()
    return value, time.monotonic() - started


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Server:
    process: subprocess.Popen[str]
    base: str

    def get(self, path: str, timeout: float = 20, **headers: str) -> Response:
        request = urllib.request.Request(self.base + path, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Response(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())

    def stop(self) -> str:
        """SIGTERM; returns stderr (the access log) after a clean exit."""
        self.process.send_signal(signal.SIGTERM)
        _, err = self.process.communicate(timeout=30)
        assert self.process.returncode == 0, err
        return err


@contextmanager
def serving(tracker: Tracker, *args: str, config: Path | None = None) -> Iterator[Server]:
    """A real `tracker serve` on a free loopback port."""
    command = [sys.executable, "-m", "tracker", "--db", tracker.db_url, "--today", tracker.today]
    if config is not None:
        command += ["--config", str(config)]
    process = subprocess.Popen([*command, "serve", "--port", "0", *args], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
    if not match:
        process.kill()
        raise AssertionError(f"no address in {line!r}: {process.communicate()[1]}")
    try:
        yield Server(process, f"http://127.0.0.1:{match.group(1)}")
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)


def add_feed(tracker: Tracker, name: str = "team") -> str:
    url = tracker.ok("calendar", "feed", "add", name).strip()
    return url.removeprefix("http://127.0.0.1:8765")


def record_pass(db_url: str, finished_ago: timedelta, ok: bool = True, detail: str | None = None) -> datetime:
    """What `tracker run` records after a pass (the public service call it makes)."""
    from tracker.services.status import record_pass as record
    from tracker.store.engine import make_engine

    engine = make_engine(db_url)
    finished = datetime.now(UTC) - finished_ago
    try:
        record(engine, "run", "host:4242", finished - timedelta(seconds=3), finished, ok, detail)
    finally:
        engine.dispose()
    return finished


# --- 1. readers do not take the write lock -------------------------------------------------------


@pytest.fixture
def ledger(sqlite_tracker: Tracker) -> Tracker:
    sqlite_tracker.ok("import", str(SAMPLE_YAML))
    return sqlite_tracker


READ_COMMANDS = [
    ["list"], ["show", "acme-ai-support"], ["upcoming"], ["history", "acme-ai-support"], ["export"], ["deliveries"],
    ["calendar", "export"], ["calendar", "feed", "list"], ["status"],
]


@pytest.mark.parametrize("command", READ_COMMANDS, ids=[" ".join(command) for command in READ_COMMANDS])
def test_read_commands_do_not_wait_for_a_writer(ledger: Tracker, command: list[str]) -> None:
    with write_lock_held(sqlite_file(ledger), seconds=6):
        result, elapsed = timed(lambda: ledger(*command))
    assert result.exit_code == 0, result.stderr
    assert elapsed < 4, f"{command} waited {elapsed:.1f} s for the writer"


def test_writers_still_wait_their_turn(ledger: Tracker) -> None:
    """A writer waits for the lock (busy timeout) instead of failing with "database is locked"."""
    with write_lock_held(sqlite_file(ledger), seconds=2):
        result, elapsed = timed(lambda: ledger("edit", "acme-ai-support", "--notice", "60d"))
    assert result.exit_code == 0, result.stderr
    assert elapsed >= 1.5
    assert ledger.json("show", "acme-ai-support")["notice"] == "60 days"


def test_healthz_does_not_wait_for_a_writer(ledger: Tracker) -> None:
    with serving(ledger) as server:
        assert server.get("/healthz").status == 200
        with write_lock_held(sqlite_file(ledger), seconds=6):
            response, elapsed = timed(lambda: server.get("/healthz"))
        assert response.status == 200 and elapsed < 4, elapsed


@pytest.fixture
def read_only_copy(ledger: Tracker) -> Iterator[Path]:
    """A copy of the ledger (in rollback-journal mode, as copying tools often leave it) that its reader
    cannot write: mode 0444 in a folder it cannot write either."""
    folder = Path(tempfile.mkdtemp(prefix="tracker-ro-"))
    copy = folder / "copy.db"
    with sqlite3.connect(sqlite_file(ledger)) as source, sqlite3.connect(copy) as target:
        source.backup(target)  # what `sqlite3 ledger.db .backup copy.db` does
        assert target.execute("PRAGMA journal_mode=DELETE").fetchone() == ("delete",)
    source.close()
    target.close()
    copy.chmod(0o444)
    folder.chmod(0o555)
    yield copy
    folder.chmod(0o755)
    shutil.rmtree(folder)


def run_as_reader(*args: str) -> subprocess.CompletedProcess[str]:
    """`tracker ARGS` as a user without write access (root ignores file modes: then as nobody, via setpriv)."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: file modes cannot make a database read-only")
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    env = {**os.environ, "HOME": tempfile.gettempdir()}
    env.pop("TRACKER_CONFIG", None)
    return subprocess.run([*prefix, sys.executable, "-m", "tracker", "--today", TODAY, *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_a_read_only_copy_can_be_read(read_only_copy: Path) -> None:
    url = f"sqlite:///{read_only_copy}"
    listed = run_as_reader("--db", url, "list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert "acme-ai-support" in {row["key"] for row in json.loads(listed.stdout)}
    shown = run_as_reader("--db", url, "show", "acme-ai-support", "--format", "json")
    assert shown.returncode == 0 and json.loads(shown.stdout)["key"] == "acme-ai-support", shown.stderr
    upcoming = run_as_reader("--db", url, "upcoming", "--format", "json")
    assert upcoming.returncode == 0 and json.loads(upcoming.stdout), upcoming.stderr
    # Writing to it says what is wrong, in one line.
    edit = run_as_reader("--db", url, "edit", "acme-ai-support", "--notice", "60d")
    assert edit.returncode == 1 and edit.stdout == ""
    assert edit.stderr.strip().count("\n") == 0 and f"database {url} is read-only" in edit.stderr, edit.stderr


# --- 2. no silent schema creation ----------------------------------------------------------------


def test_a_missing_file_is_reported_not_created(empty_sqlite_tracker: Tracker) -> None:
    for command in (["list"], ["upcoming"], ["show", "x"], ["calendar", "feed", "add", "team"]):
        one_line_failure(empty_sqlite_tracker(*command),
                         f"database {empty_sqlite_tracker.db_url} has no tracker schema (the file does not exist); "
                         "run `tracker init`")
    assert not sqlite_file(empty_sqlite_tracker).exists()
    assert "empty" in empty_sqlite_tracker.ok("db", "current")
    assert not sqlite_file(empty_sqlite_tracker).exists()


def test_an_empty_database_needs_init(empty_tracker: Tracker) -> None:
    """On both engines: `list` refuses an empty database; after `init` it works."""
    one_line_failure(empty_tracker("list"), "has no tracker schema", "; run `tracker init`")
    one_line_failure(empty_tracker("calendar", "feed", "add", "team"), "has no tracker schema")
    empty_tracker.ok("init")
    assert empty_tracker.json("list") == []


def test_another_applications_database_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other-app.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        connection.execute("CREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT)")
    before = path.read_bytes()
    t = Tracker(f"sqlite:///{path}")
    for command in (["list"], ["init"], ["db", "upgrade"], ["db", "current"]):
        one_line_failure(t(*command), "holds a foreign schema (tables posts, users", "not a tracker database")
    with sqlite3.connect(path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"users", "posts"}
    assert path.read_bytes() == before


@contextmanager
def umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def test_the_database_file_is_private_whatever_the_umask(empty_sqlite_tracker: Tracker, tmp_path: Path) -> None:
    path = sqlite_file(empty_sqlite_tracker)
    with umask(0o000):
        empty_sqlite_tracker.ok("init")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        # While a connection is open, the -wal and -shm files exist: they get the database's mode.
        with sqlite3.connect(path) as connection:
            connection.execute("SELECT count(*) FROM contract").fetchone()
            for suffix in ("-wal", "-shm"):
                assert stat.S_IMODE(Path(f"{path}{suffix}").stat().st_mode) == 0o600, suffix
        # Exports are the user's files: they follow the umask.
        exported = tmp_path / "ledger.yaml"
        empty_sqlite_tracker.ok("export", "--format", "yaml", "-o", str(exported))
        assert stat.S_IMODE(exported.stat().st_mode) == 0o666
    with umask(0o022):
        other = tmp_path / "second.db"
        Tracker(f"sqlite:///{other}").ok("init")
        assert stat.S_IMODE(other.stat().st_mode) == 0o600


# --- 3. errors say what happened -----------------------------------------------------------------


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("just some notes\n" * 100)
    url = f"sqlite:///{path}"
    for command in (["list"], ["init"]):
        one_line_failure(Tracker(url)(*command), f"database {url} is damaged or not a database: file is not a database")


def test_a_full_database_is_called_full(ledger: Tracker, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's page limit stands in for a full disk: both fail with SQLITE_FULL, "database or disk is full"."""
    from sqlalchemy import event

    import tracker.store.engine

    real = tracker.store.engine.make_engine

    def no_room_to_grow(url: str, **kwargs: Any) -> Any:
        engine = real(url, **kwargs)

        @event.listens_for(engine, "connect")
        def cap(dbapi_connection: Any, _record: Any) -> None:
            pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

        return engine

    monkeypatch.setattr(tracker.store.engine, "make_engine", no_room_to_grow)
    one_line_failure(ledger("import", str(REPO / "sample_data" / "contracts.csv")),
                     f"database {ledger.db_url} is full: database or disk is full (free some disk space")


def test_a_writer_that_waits_too_long_is_told_the_database_is_busy(
    ledger: Tracker, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After the busy timeout (60 s; 0.2 s here) a writer gives up with "is busy", not "unreachable"."""
    from sqlalchemy import event

    import tracker.store.engine

    real = tracker.store.engine.make_engine

    def impatient(url: str, **kwargs: Any) -> Any:
        engine = real(url, **kwargs)

        @event.listens_for(engine, "connect")
        def short_timeout(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA busy_timeout = 200")

        return engine

    monkeypatch.setattr(tracker.store.engine, "make_engine", impatient)
    with write_lock_held(sqlite_file(ledger), seconds=10):
        one_line_failure(ledger("edit", "acme-ai-support", "--notice", "60d"),
                         f"database {ledger.db_url} is busy: database is locked", "try again")


@pytest.fixture
def pg_tracker() -> Iterator[Tracker]:
    from tests.conftest import fresh_postgres_database

    for url in fresh_postgres_database():
        t = Tracker(url)
        t.ok("init")
        t.ok("import", str(SAMPLE_YAML))
        yield t


def test_a_lock_timeout_on_postgresql_is_called_busy(pg_tracker: Tracker) -> None:
    from sqlalchemy import create_engine, text

    impatient = pg_tracker.db_url + ("&" if "?" in pg_tracker.db_url else "?") + "options=-c%20lock_timeout%3D300"
    holder = create_engine(pg_tracker.db_url)
    try:
        with holder.connect() as connection:
            connection.execute(text("LOCK TABLE contract IN ACCESS EXCLUSIVE MODE"))
            one_line_failure(Tracker(impatient)("list"), "is busy: canceling statement due to lock timeout",
                             "try again")
            connection.rollback()
    finally:
        holder.dispose()


def test_a_read_only_postgresql_database_is_called_read_only(pg_tracker: Tracker) -> None:
    """A hot standby, or a role whose transactions are read-only: reads work, a write says why it cannot."""
    standby = Tracker(pg_tracker.db_url + "?options=-c%20default_transaction_read_only%3Don")
    assert {row["key"] for row in standby.json("list")} >= {"acme-ai-support"}
    one_line_failure(standby("edit", "acme-ai-support", "--notice", "60d"),
                     "is read-only: cannot execute", "this command writes")


# --- 4. the feed server ----------------------------------------------------------------------------


def test_gzip_with_its_own_etag_and_304s(ledger: Tracker) -> None:
    path = add_feed(ledger)
    with serving(ledger) as server:
        plain = server.get(path)
        zipped = server.get(path, **{"Accept-Encoding": "gzip"})
        assert plain.status == zipped.status == 200
        assert "content-encoding" not in plain.headers
        assert zipped.headers["content-encoding"] == "gzip"
        assert plain.headers["vary"] == zipped.headers["vary"] == "Accept-Encoding"
        assert gzip.decompress(zipped.body) == plain.body
        assert len(zipped.body) < len(plain.body) / 3
        assert int(zipped.headers["content-length"]) == len(zipped.body)
        assert zipped.headers["etag"] != plain.headers["etag"]
        again = server.get(path, **{"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["etag"]})
        assert again.status == 304 and again.headers["etag"] == zipped.headers["etag"]
        assert again.headers["vary"] == "Accept-Encoding"
        # The gzip ETag does not validate the plain representation, nor the other way round.
        assert server.get(path, **{"If-None-Match": zipped.headers["etag"]}).status == 200
        assert server.get(path, **{"Accept-Encoding": "gzip", "If-None-Match": plain.headers["etag"]}).status == 200
        assert server.get(path, **{"If-None-Match": plain.headers["etag"]}).status == 304
        refused = server.get(path, **{"Accept-Encoding": "gzip;q=0, identity"})
        assert "content-encoding" not in refused.headers and refused.body == plain.body


def raw_request(base: str, target: str) -> None:
    """Send a request line exactly as written (encoded CR/LF and all) and read the answer."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode("ascii"))
        while sock.recv(65536):
            pass


def test_access_log_redacts_tokens_anywhere_and_cannot_be_forged(ledger: Tracker) -> None:
    path = add_feed(ledger)
    token = path.removeprefix("/feeds/").removesuffix(".ics")
    with serving(ledger) as server:
        forged = urllib.parse.quote('\r\n2026-01-01 00:00:00,000 tracker.web 10.0.0.1 "GET /admin" 200 0')
        for target in (f"/FEEDS/{token}.ics", f"/x/feeds/{token}.ics", f"/feeds/{token}", f"/{token}",
                       f"/feeds/{token}.ics{forged}"):
            raw_request(server.base, target)
        assert server.get(path).status == 200
        log = server.stop()
    assert token not in log
    lines = log.strip().splitlines()
    assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (tracker\.web|waitress) ", line) for line in lines), log
    assert not any("10.0.0.1" in line and "/admin" in line and "\\x0d" not in line for line in lines), log
    assert re.search(r'"GET /FEEDS/<token>\.ics" 404', log)
    assert re.search(r'"GET /x/feeds/<token>\.ics" 404', log)
    assert re.search(r'"GET /feeds/<token>\.ics\\x0d\\x0a2026', log)


def half_open(base: str, count: int) -> list[socket.socket]:
    """``count`` clients that start a request and never finish it (a slowloris, a dead mobile client)."""
    host, port = base.removeprefix("http://").split(":")
    sockets = []
    for _ in range(count):
        sock = socket.create_connection((host, int(port)), timeout=10)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        sockets.append(sock)
    return sockets


def test_a_hundred_half_open_connections_do_not_block_the_server(ledger: Tracker) -> None:
    with serving(ledger) as server:
        stalled = half_open(server.base, 120)
        try:
            response, elapsed = timed(lambda: server.get("/healthz", timeout=10))
            assert response.status == 200 and elapsed < 5
        finally:
            for sock in stalled:
                sock.close()


def test_stalled_connections_are_closed_after_the_channel_timeout(ledger: Tracker) -> None:
    with serving(ledger, "--channel-timeout", "2", "--connection-limit", "5") as server:
        stalled = half_open(server.base, 5)
        try:
            response, elapsed = timed(lambda: server.get("/healthz", timeout=15))
            assert response.status == 200 and elapsed < 8, elapsed
            stalled[0].settimeout(10)
            assert stalled[0].recv(1024) == b""  # the server hung up on it
        finally:
            for sock in stalled:
                sock.close()


def test_the_feed_cache_keeps_one_version_per_feed_within_its_bytes(ledger: Tracker) -> None:
    from datetime import date

    from tests.system.test_web import call
    from tracker.cli.common import State
    from tracker.web import FeedApp

    team, acme = add_feed(ledger, "team"), add_feed(ledger, "acme")
    state = State(db_option=ledger.db_url, today_option=TODAY)
    app = FeedApp(state.engine(), state.settings, lambda: date(2026, 11, 21))
    try:
        sizes = []
        for change in range(3):  # each ledger change makes a new version of every feed
            ledger.ok("edit", "acme-ai-support", "--notice", f"{60 + change}d")
            status, _, body = call(app, team)
            assert status.startswith("200")
            sizes.append(len(body))
            assert len(app.cache) == 1  # the old version was replaced, not kept
        call(app, acme)
        assert len(app.cache) == 2
        assert app.cache.bytes <= app.cache.max_bytes
        # A bound smaller than one feed: still served, never cached.
        small = FeedApp(state.engine(), state.settings, lambda: date(2026, 11, 21), cache_bytes=1000)
        status, _, body = call(small, team)
        assert status.startswith("200") and len(body) == sizes[-1] and len(small.cache) == 0
    finally:
        state.engine().dispose()


# --- 5. heartbeat ----------------------------------------------------------------------------------


def write_config(folder: Path, text: str) -> Path:
    path = folder / "tracker.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_healthz_reports_the_last_pass_and_503_when_it_is_late(ledger: Tracker, tmp_path: Path) -> None:
    with serving(ledger) as server:
        none = server.get("/healthz")
        assert none.status == 200
        assert none.body.decode() == "ok\nlast pass: none recorded (no scheduler expected) (limit 600 s)\n"
        finished = record_pass(ledger.db_url, timedelta(seconds=30))
        recent = server.get("/healthz")
        assert recent.status == 200 and recent.body.startswith(b"ok\n")
        stamp = finished.replace(microsecond=0).isoformat().replace("+00:00", "Z")
        assert recent.body.decode().startswith(f"ok\nlast pass: {stamp} (ok), ")
        assert "host:4242" not in recent.body.decode()  # who ran it is for `tracker status`, not the world
        record_pass(ledger.db_url, timedelta(minutes=11))  # twice the default 300 s interval, and more
        late = server.get("/healthz")
        assert late.status == 503 and late.body.startswith(b"scheduler late\n"), late.body
        assert late.headers["cache-control"] == "no-store"


def test_healthz_with_heartbeat_max_age_expects_a_scheduler(ledger: Tracker, tmp_path: Path) -> None:
    config = write_config(tmp_path, "[web]\nheartbeat_max_age = 3600\n")
    with serving(ledger, config=config) as server:
        missing = server.get("/healthz")
        assert missing.status == 503 and missing.body.startswith(b"scheduler missing\n"), missing.body
        record_pass(ledger.db_url, timedelta(minutes=30))
        assert server.get("/healthz").status == 200  # late by the default, not by this limit


def test_heartbeat_max_age_must_be_seconds(ledger: Tracker, tmp_path: Path) -> None:
    ledger.config = write_config(tmp_path, '[web]\nheartbeat_max_age = "soon"\n')
    result = ledger("status")
    assert result.exit_code == 2 and "web.heartbeat_max_age" in result.stderr, result.stderr


def add_deliveries(db_url: str, statuses: list[str]) -> None:
    from sqlmodel import select

    from tracker.store.engine import make_engine, session_scope
    from tracker.store.tables import Delivery, Obligation

    engine = make_engine(db_url)
    try:
        with session_scope(engine) as session:
            obligation = session.exec(select(Obligation)).first()
            assert obligation is not None and obligation.id is not None
            for number, status in enumerate(statuses):
                session.add(Delivery(obligation_id=obligation.id, occurrence="T1", stage=f"lead:{number}",
                                     channel="tag:legal", due=datetime(2026, 12, 1).date(), status=status,
                                     next_attempt_at=datetime.now(UTC), created_at=datetime.now(UTC)))
    finally:
        engine.dispose()


def test_status_shows_the_last_pass_backlog_and_channels(ledger: Tracker, tmp_path: Path) -> None:
    add_deliveries(ledger.db_url, ["pending", "pending", "failed", "dead", "sent"])
    quiet = ledger.ok("status")
    assert "Last pass: none recorded (no scheduler expected)" in quiet
    assert "Deliveries: 2 pending, 1 failed, 1 dead" in quiet
    assert "Channels: none configured" in quiet
    finished = record_pass(ledger.db_url, timedelta(hours=1), ok=False, detail="database unreachable")
    ledger.config = write_config(tmp_path, '[alerts]\napprise_config = "missing.yml"\n')
    view = ledger.json("status")
    assert view["deliveries"] == {"pending": 2, "failed": 1, "dead": 1}
    assert view["scheduler"]["state"] == "late" and view["scheduler"]["max_age_seconds"] == 600
    last = view["scheduler"]["last_pass"]
    assert last["finished_at"] == finished.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    assert (last["worker"], last["ok"], last["detail"]) == ("host:4242", False, "database unreachable")
    assert view["channels"]["loads"] is False and "alerts.apprise_config" in view["channels"]["error"]
    text = ledger.ok("status")
    assert "LATE" in text and "Channels: do not load: alerts.apprise_config" in text


def test_record_pass_overwrites_one_row_per_loop(db_url: str) -> None:
    """The upsert works on both engines: a second pass replaces the first."""
    t = Tracker(db_url)
    record_pass(db_url, timedelta(minutes=5))
    second = record_pass(db_url, timedelta(seconds=1))
    last = t.json("status")["scheduler"]["last_pass"]
    assert last["finished_at"] == second.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    assert t.json("status")["scheduler"]["state"] == "ok"
