"""The feed server's WSGI application (served by waitress): ``GET /feeds/<token>.ics`` and ``GET /healthz``.

An edge like the CLI: it reads the clock (``today`` in the configured time zone, per request) and calls
the calendar service. A conditional request is answered from a cheap version of the ledger (the newest
event's id) and an in-process cache, so a client polling an unchanged feed costs two indexed lookups and gets 304.
Tokens never reach the access log.
"""

from __future__ import annotations

import hashlib
import logging
import re
import signal
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from types import FrameType
from typing import TYPE_CHECKING, Any

from tracker.domain.settings import Settings

if TYPE_CHECKING:
    from tracker.store import Engine

StartResponse = Callable[..., Any]
FEED_PATH = re.compile(r"/feeds/([^/]*)\.ics")
NOT_FOUND = b"Not found\n"
CACHE_SIZE = 256
log = logging.getLogger("tracker.web")


@dataclass(frozen=True)
class Rendered:
    """A built feed as served: body, strong ETag and Last-Modified (HTTP date)."""

    body: bytes
    etag: str
    last_modified: datetime

    @property
    def http_date(self) -> str:
        return format_datetime(self.last_modified.astimezone(UTC), usegmt=True)


class FeedApp:
    """The WSGI application. ``today`` is called once per request (the web edge may read the clock)."""

    def __init__(self, engine: Engine, settings: Settings, today: Callable[[], date]) -> None:
        self.engine = engine
        self.settings = settings
        self.today = today
        self._cache: OrderedDict[tuple[Any, ...], Rendered] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "") or "/"
        try:
            status, headers, body = self._dispatch(method, path, environ)
        except Exception:  # never let waitress log a path (it holds the token) with a traceback
            log.exception("error while serving %s %s", method, redact(path))
            status, headers, body = "500 Internal Server Error", _text_headers(b"Internal error\n"), b"Internal error\n"
        start_response(status, headers)
        sent = b"" if method == "HEAD" else body
        log.info('%s "%s %s" %s %d', environ.get("REMOTE_ADDR", "-"), method, redact(path), status.split()[0],
                 len(sent))
        return [sent]

    # --- routing ---------------------------------------------------------------------------------

    def _dispatch(self, method: str, path: str, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        match = FEED_PATH.fullmatch(path)
        if path != "/healthz" and match is None:
            return _not_found()
        if method not in ("GET", "HEAD"):
            body = b"Method not allowed\n"
            return "405 Method Not Allowed", [*_text_headers(body), ("Allow", "GET, HEAD")], body
        if match is None:
            return self._health()
        return self._feed(match.group(1), environ)

    def _health(self) -> tuple[str, list[tuple[str, str]], bytes]:
        from tracker.store.version import database_answers

        try:
            database_answers(self.engine)
        except Exception as exc:
            log.warning("health check failed: %s", type(exc).__name__)
            body = b"database unavailable\n"
            return "503 Service Unavailable", _text_headers(body), body
        return "200 OK", _text_headers(b"ok\n"), b"ok\n"

    def _feed(self, token: str, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        from tracker.services.feeds import lookup
        from tracker.store.engine import session_scope
        from tracker.store.version import ledger_version

        today = self.today()
        with session_scope(self.engine) as session:
            feed = lookup(session, token)
            if feed is None:
                return _not_found()
            key = (feed.id, feed.name, feed.owner, feed.contract_key, today, ledger_version(session))
            with self._lock:
                rendered = self._cache.get(key)
            if_none_match = environ.get("HTTP_IF_NONE_MATCH")
            if rendered is not None and if_none_match and _etag_matches(if_none_match, rendered.etag):
                return _not_modified(rendered)
            if rendered is None:
                rendered = self._render(session, today, feed.name, feed.owner, feed.contract_key)
                with self._lock:
                    self._cache[key] = rendered
                    while len(self._cache) > CACHE_SIZE:
                        self._cache.popitem(last=False)
        if if_none_match:
            if _etag_matches(if_none_match, rendered.etag):
                return _not_modified(rendered)
        elif _not_modified_since(environ.get("HTTP_IF_MODIFIED_SINCE"), rendered.last_modified):
            return _not_modified(rendered)
        headers = [
            ("Content-Type", "text/calendar; charset=utf-8"),
            ("Content-Length", str(len(rendered.body))),
            *_cache_headers(rendered),
            ("Content-Disposition", f'inline; filename="{feed.name}.ics"'),
        ]
        return "200 OK", headers, rendered.body

    def _render(
        self, session: Any, today: date, name: str, owner: str | None, contract_key: str | None,
    ) -> Rendered:
        from tracker.services.ics import build

        built = build(session, today, self.settings, owner=owner, contract_key=contract_key, name=name,
                      validate=False)
        etag = f'"{hashlib.sha256(built.body).hexdigest()}"'
        return Rendered(built.body, etag, built.last_modified)


def redact(path: str) -> str:
    """The path as logged: a feed's token replaced by ``<token>``."""
    return "/feeds/<token>.ics" if path.startswith("/feeds/") else path


def _text_headers(body: bytes) -> list[tuple[str, str]]:
    return [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]


def _not_found() -> tuple[str, list[tuple[str, str]], bytes]:
    return "404 Not Found", _text_headers(NOT_FOUND), NOT_FOUND


def _cache_headers(rendered: Rendered) -> list[tuple[str, str]]:
    return [
        ("ETag", rendered.etag),
        ("Last-Modified", rendered.http_date),
        ("Cache-Control", "private, no-cache"),  # always revalidate: a 304 is cheap
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
    ]


def _not_modified(rendered: Rendered) -> tuple[str, list[tuple[str, str]], bytes]:
    return "304 Not Modified", _cache_headers(rendered), b""


def _etag_matches(header: str, etag: str) -> bool:
    """If-None-Match uses weak comparison (RFC 9110 13.1.2): W/ prefixes are ignored; * matches."""
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False


def _not_modified_since(header: str | None, last_modified: datetime) -> bool:
    if not header:
        return False
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return last_modified.replace(microsecond=0) <= since


# --- serving -------------------------------------------------------------------------------------


def create_server(app: FeedApp, host: str, port: int, threads: int = 4) -> Any:
    """A waitress server bound to ``host:port`` (port 0 picks a free one: see ``effective_port``)."""
    from waitress import create_server as waitress_server

    return waitress_server(app, host=host, port=port, threads=threads, ident="tracker")


def serve_until_stopped(server: Any) -> None:
    """Run ``server`` until SIGTERM or SIGINT, then finish requests in flight and close the sockets."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)  # waitress's run() catches it and shuts its worker threads down

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        from waitress import wasyncore

        server.task_dispatcher.shutdown()
        wasyncore.close_all(server._map)  # the listening socket, the trigger and any idle keep-alive channels
