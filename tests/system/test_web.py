"""`tracker serve` over a real socket on loopback: the feed server as a calendar client meets it."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime

import pytest
import vobject

from tests.conftest import REPO, TODAY, Tracker


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Server:
    process: subprocess.Popen[str]
    base: str

    def get(self, path: str, method: str = "GET", **headers: str) -> Response:
        request = urllib.request.Request(self.base + path, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return Response(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())

    def stop(self) -> tuple[str, str]:
        """SIGTERM, as a service manager stops it; returns (stdout, stderr) after a clean exit."""
        self.process.send_signal(signal.SIGTERM)
        out, err = self.process.communicate(timeout=20)
        assert self.process.returncode == 0, err
        return out, err


def start_server(tracker: Tracker) -> Server:
    process = subprocess.Popen(
        [sys.executable, "-m", "tracker", "--db", tracker.db_url, "--today", tracker.today, "serve", "--port", "0"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
    if not match:
        process.kill()
        raise AssertionError(f"no address in {line!r}: {process.communicate()[1]}")
    return Server(process, f"http://127.0.0.1:{match.group(1)}")


@pytest.fixture
def server(sample_tracker: Tracker) -> Iterator[Server]:
    running = start_server(sample_tracker)
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.wait(timeout=10)


def add_feed(tracker: Tracker, *args: str) -> str:
    """Add a feed; return the path of its URL (/feeds/<token>.ics)."""
    url = tracker.ok("calendar", "feed", "add", *args).strip()
    match = re.fullmatch(r"http://127\.0\.0\.1:8765(/feeds/[A-Za-z0-9_-]+\.ics)", url)
    assert match, url
    return match.group(1)


def uids(body: bytes) -> dict[str, object]:
    return {v.uid.value: v for v in vobject.readOne(body.decode("utf-8")).vevent_list}


def test_feed_200_then_304_with_etag_or_date(server: Server, sample_tracker: Tracker) -> None:
    path = add_feed(sample_tracker, "team")
    first = server.get(path)
    assert first.status == 200
    assert first.headers["content-type"] == "text/calendar; charset=utf-8"
    assert first.headers["etag"].startswith('"') and len(first.headers["etag"]) == 66
    assert int(first.headers["content-length"]) == len(first.body)
    events = uids(first.body)
    # Same events and dates as the timeline shows (within the horizon).
    rows = sample_tracker.json("upcoming", "--within", "2y")
    for row in rows:
        uid = f"{row['obligation']}/{row['occurrence'] or 'once'}@tracker"
        if row["status"] == "open":
            assert events[uid].dtstart.value.isoformat() == row["due"]  # type: ignore[attr-defined]
    # The export and the feed agree, apart from the feed's name in X-WR-CALNAME.
    exported = sample_tracker("calendar", "export").stdout_bytes
    assert first.body.replace("Contract deadlines — team".encode(), b"Contract deadlines") == exported

    again = server.get(path, **{"If-None-Match": first.headers["etag"]})
    assert again.status == 304 and again.body == b""
    assert again.headers["etag"] == first.headers["etag"]
    since = server.get(path, **{"If-Modified-Since": first.headers["last-modified"]})
    assert since.status == 304
    earlier = parsedate_to_datetime(first.headers["last-modified"]) - timedelta(seconds=1)
    assert server.get(path, **{"If-Modified-Since": format_datetime(earlier, usegmt=True)}).status == 200
    assert server.get(path, **{"If-None-Match": '"something-else"'}).status == 200
    head = server.get(path, method="HEAD")
    assert head.status == 200 and head.body == b"" and head.headers["etag"] == first.headers["etag"]


def test_unknown_and_revoked_tokens_are_the_same_404(server: Server, sample_tracker: Tracker) -> None:
    path = add_feed(sample_tracker, "team")
    assert server.get(path).status == 200
    unknown = server.get("/feeds/" + "A" * 43 + ".ics")
    malformed = server.get("/feeds/..%2f..%2fetc.ics")
    sample_tracker.ok("calendar", "feed", "revoke", "team")
    revoked = server.get(path)
    assert unknown.status == malformed.status == revoked.status == 404
    assert unknown.body == malformed.body == revoked.body
    assert unknown.headers["content-type"] == revoked.headers["content-type"]
    assert "etag" not in revoked.headers


def test_feed_follows_edits_new_etag_higher_sequence_same_uid(server: Server, sample_tracker: Tracker) -> None:
    path = add_feed(sample_tracker, "acme", "--contract", "acme-ai-support")
    first = server.get(path)
    uid = "acme-ai-support/notice_deadline/T2@tracker"
    before = uids(first.body)
    assert set(u.split("/")[0] for u in before) == {"acme-ai-support"}  # the feed's filter
    sample_tracker.ok("edit", "acme-ai-support", "--notice", "60d")
    second = server.get(path, **{"If-None-Match": first.headers["etag"]})
    assert second.status == 200
    assert second.headers["etag"] != first.headers["etag"]
    after = uids(second.body)
    assert uid in after
    assert int(after[uid].sequence.value) > int(before[uid].sequence.value)  # type: ignore[attr-defined]
    assert after[uid].dtstart.value.isoformat() == "2027-01-22"  # type: ignore[attr-defined]
    assert parsedate_to_datetime(second.headers["last-modified"]) >= parsedate_to_datetime(
        first.headers["last-modified"])
    assert server.get(path, **{"If-None-Match": second.headers["etag"]}).status == 304


def test_healthz_other_paths_and_methods(server: Server) -> None:
    health = server.get("/healthz")
    assert health.status == 200
    assert health.body == b"ok\nlast pass: none recorded (no scheduler expected) (limit 600 s)\n"
    assert server.get("/").status == 404
    assert server.get("/feeds/").status == 404
    post = server.get("/healthz", method="POST")
    assert post.status == 405 and post.headers["allow"] == "GET, HEAD"


def test_access_log_has_no_tokens_and_sigterm_stops_cleanly(server: Server, sample_tracker: Tracker) -> None:
    path = add_feed(sample_tracker, "team")
    token = path.removeprefix("/feeds/").removesuffix(".ics")
    assert server.get(path).status == 200
    assert server.get("/feeds/" + "B" * 43 + ".ics").status == 404
    started = time.monotonic()
    out, err = server.stop()
    assert time.monotonic() - started < 10
    assert "Stopped." in out
    assert token not in err and token not in out
    assert re.search(r'"GET /feeds/<token>\.ics" 200 \d+', err)
    assert re.search(r'"GET /feeds/<token>\.ics" 404 10', err)


def test_binds_loopback_by_default(sample_tracker: Tracker) -> None:
    running = start_server(sample_tracker)  # no --host
    try:
        assert running.base.startswith("http://127.0.0.1:")
        assert running.get("/healthz").status == 200
    finally:
        running.stop()


def call(app: object, path: str, **headers: str) -> tuple[str, dict[str, str], bytes]:
    """One request straight into the WSGI application (no socket)."""
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "REMOTE_ADDR": "127.0.0.1"}
    environ.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()})
    seen: dict[str, object] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(response_headers)

    body = b"".join(app(environ, start_response))  # type: ignore[operator]
    return str(seen["status"]), seen["headers"], body  # type: ignore[return-value]


def test_conditional_requests_do_not_rebuild(sample_tracker: Tracker, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import date

    import tracker.services.ics
    from tracker.cli.common import State
    from tracker.web import FeedApp

    path = add_feed(sample_tracker, "team")
    builds: list[date] = []
    real_build = tracker.services.ics.build

    def counting_build(session: object, today: date, *args: object, **kwargs: object) -> object:
        builds.append(today)
        return real_build(session, today, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tracker.services.ics, "build", counting_build)
    state = State(db_option=sample_tracker.db_url, today_option=TODAY)
    days = iter([date(2026, 11, 21)] * 3 + [date(2026, 11, 22)])
    app = FeedApp(state.engine(), state.settings, lambda: next(days))
    try:
        status, headers, _ = call(app, path)
        assert status.startswith("200") and len(builds) == 1
        status, _, body = call(app, path, **{"If-None-Match": headers["ETag"]})
        assert status.startswith("304") and body == b"" and len(builds) == 1
        status, _, _ = call(app, path)  # unconditional, unchanged ledger: served from memory
        assert status.startswith("200") and len(builds) == 1
        status, _, _ = call(app, path, **{"If-None-Match": headers["ETag"]})  # a new day: rebuilt
        assert len(builds) == 2 and builds[-1] == date(2026, 11, 22)
    finally:
        state.engine().dispose()


def test_ledger_version_moves_with_every_committed_write(sample_tracker: Tracker) -> None:
    from tracker.cli.common import State
    from tracker.store.engine import session_scope
    from tracker.store.tables import Event
    from tracker.store.version import ledger_version

    state = State(db_option=sample_tracker.db_url, today_option=TODAY)
    engine = state.engine()

    def version() -> tuple[object, ...]:
        with session_scope(engine) as session:
            return ledger_version(session)

    try:
        first = version()
        assert version() == first  # reads change nothing
        item = sample_tracker.json("upcoming", "--within", "400d", "--format", "json")[0]
        sample_tracker.ok("ack", f"{item['obligation']}@{item['occurrence']}")
        acked = version()
        assert acked != first
        add_feed(sample_tracker, "another")
        assert version() not in (first, acked)
        if engine.dialect.name == "postgresql":
            # PostgreSQL hands out ids before commit: a transaction holding a lower event id can commit
            # after one holding a higher id. The maximum is then unchanged, yet the version must move.
            with session_scope(engine) as slow:
                slow.add(Event(at=state.now, actor="test", kind="note", payload={}))
                slow.flush()  # takes the lower id, commits last
                with session_scope(engine) as fast:
                    fast.add(Event(at=state.now, actor="test", kind="note", payload={}))
                high = version()  # the higher id is committed; the lower one is not yet
            assert version() != high
    finally:
        engine.dispose()
