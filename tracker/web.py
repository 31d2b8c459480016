"""The feed server's WSGI application (served by waitress): ``GET /feeds/<token>.ics`` and ``GET /healthz``.

An edge like the CLI: it reads the clock (``today`` in the configured time zone, per request) and calls
the calendar service. A conditional request is answered from a cheap version of the ledger (the newest
event's id) and an in-process cache, so a client polling an unchanged feed costs two indexed lookups and gets 304.
The cache holds one version per feed and is bounded in bytes. Clients that accept gzip get it (a feed
compresses about tenfold). Tokens never reach the access log: any token-shaped path segment is redacted,
and control characters are escaped so a request cannot forge log lines. ``/healthz`` also reports the
scheduler's last pass (:mod:`tracker.services.status`).
"""

from __future__ import annotations

import gzip
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
from tracker.services.feeds import TOKEN_PATTERN

if TYPE_CHECKING:
    from tracker.store import Engine

StartResponse = Callable[..., Any]
FEED_PATH = re.compile(r"/feeds/([^/]*)\.ics")
NOT_FOUND = b"Not found\n"
CACHE_BYTES = 64 * 1024 * 1024  # the default bound of the feed cache (`tracker serve --cache-mb`)
# Anything shaped like a feed token, anywhere in a path (any case, any prefix a proxy adds): redacted in logs.
TOKEN_SHAPED = re.compile(TOKEN_PATTERN.pattern)
log = logging.getLogger("tracker.web")


@dataclass(frozen=True)
class Rendered:
    """A built feed as served: the body and its gzip form, each with its own strong ETag, and Last-Modified."""

    body: bytes
    gzipped: bytes
    etag: str
    gzip_etag: str
    last_modified: datetime

    @property
    def http_date(self) -> str:
        return format_datetime(self.last_modified.astimezone(UTC), usegmt=True)

    @property
    def size(self) -> int:
        """What the entry costs the cache, in bytes."""
        return len(self.body) + len(self.gzipped)

    def variant(self, gzipped: bool) -> tuple[bytes, str]:
        """(body, ETag) of the representation sent: the encodings differ, so their ETags must too."""
        return (self.gzipped, self.gzip_etag) if gzipped else (self.body, self.etag)


class FeedCache:
    """Built feeds in memory: one entry per feed (its newest version), least recently used evicted first,
    at most ``max_bytes`` in all. A new ledger version replaces the feed's entry instead of adding one."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[int, tuple[tuple[Any, ...], Rendered]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, feed_id: int, version: tuple[Any, ...]) -> Rendered | None:
        with self._lock:
            entry = self._entries.get(feed_id)
            if entry is None or entry[0] != version:
                return None
            self._entries.move_to_end(feed_id)
            return entry[1]

    def put(self, feed_id: int, version: tuple[Any, ...], rendered: Rendered) -> None:
        with self._lock:
            old = self._entries.pop(feed_id, None)
            if old is not None:
                self.bytes -= old[1].size
            if rendered.size > self.max_bytes:
                return  # served, never cached: it would evict everything else
            self._entries[feed_id] = (version, rendered)
            self.bytes += rendered.size
            while self.bytes > self.max_bytes:
                _, (_, evicted) = self._entries.popitem(last=False)
                self.bytes -= evicted.size


class FeedApp:
    """The WSGI application. ``today`` is called once per feed request, ``now`` once per health check (the
    web edge may read the clock); ``cache_bytes`` bounds the built feeds kept in memory."""

    def __init__(
        self, engine: Engine, settings: Settings, today: Callable[[], date], *, cache_bytes: int = CACHE_BYTES,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.today = today
        self.now = now
        self.cache = FeedCache(cache_bytes)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "") or "/"
        try:
            status, headers, body = self._dispatch(method, path, environ)
        except Exception:  # never let waitress log a path (it holds the token) with a traceback
            log.exception("error while serving %s %s", _escape(method), redact(path))
            status, headers, body = "500 Internal Server Error", _text_headers(b"Internal error\n"), b"Internal error\n"
        start_response(status, headers)
        sent = b"" if method == "HEAD" else body
        log.info('%s "%s %s" %s %d', _escape(environ.get("REMOTE_ADDR", "-")), _escape(method), redact(path),
                 status.split()[0], len(sent))
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
        from tracker.services.status import health

        try:
            report = health(self.engine, self.settings, self.now())
        except Exception as exc:
            log.warning("health check failed: %s", type(exc).__name__)
            body = b"database unavailable\n"
            return "503 Service Unavailable", [*_text_headers(body), ("Cache-Control", "no-store")], body
        body = "".join(f"{line}\n" for line in report.lines).encode("utf-8")
        status = "200 OK" if report.healthy else "503 Service Unavailable"
        return status, [*_text_headers(body), ("Cache-Control", "no-store")], body

    def _feed(self, token: str, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        from tracker.services.feeds import lookup
        from tracker.store.engine import session_scope
        from tracker.store.version import ledger_version

        today = self.today()
        gzipped = accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING"))
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        with session_scope(self.engine, write=False) as session:  # reads only: never waits for a writer
            feed = lookup(session, token)
            if feed is None:
                return _not_found()
            version = (feed.name, feed.owner, feed.contract_key, today, ledger_version(session))
            rendered = self.cache.get(feed.id, version)
            if rendered is not None and if_none_match and _etag_matches(if_none_match, rendered.variant(gzipped)[1]):
                return _not_modified(rendered, gzipped)
            if rendered is None:
                rendered = self._render(session, today, feed.name, feed.owner, feed.contract_key)
                self.cache.put(feed.id, version, rendered)
        body, etag = rendered.variant(gzipped)
        if if_none_match:
            if _etag_matches(if_none_match, etag):
                return _not_modified(rendered, gzipped)
        elif _not_modified_since(environ.get("HTTP_IF_MODIFIED_SINCE"), rendered.last_modified):
            return _not_modified(rendered, gzipped)
        headers = [
            ("Content-Type", "text/calendar; charset=utf-8"),
            *([("Content-Encoding", "gzip")] if gzipped else []),
            ("Content-Length", str(len(body))),
            *_cache_headers(rendered, gzipped),
            ("Content-Disposition", f'inline; filename="{feed.name}.ics"'),
        ]
        return "200 OK", headers, body

    def _render(
        self, session: Any, today: date, name: str, owner: str | None, contract_key: str | None,
    ) -> Rendered:
        from tracker.services.ics import build

        built = build(session, today, self.settings, owner=owner, contract_key=contract_key, name=name,
                      validate=False)
        digest = hashlib.sha256(built.body).hexdigest()
        # mtime=0: the same body always compresses to the same bytes, so the gzip ETag is stable too.
        return Rendered(built.body, gzip.compress(built.body, compresslevel=6, mtime=0), f'"{digest}"',
                        f'"{digest}-gzip"', built.last_modified)


def accepts_gzip(header: str | None) -> bool:
    """Whether Accept-Encoding allows gzip (RFC 9110 12.5.3): gzip (or x-gzip) with a q-value above 0, or,
    when gzip is not named, ``*`` with one."""
    if not header:
        return False
    qualities: dict[str, float] = {}
    for item in header.split(","):
        coding, *params = (part.strip().lower() for part in item.split(";"))
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        qualities[coding] = quality
    named = [qualities[coding] for coding in ("gzip", "x-gzip") if coding in qualities]
    return max(named) > 0 if named else qualities.get("*", 0.0) > 0


def redact(path: str) -> str:
    """The path as logged: every token-shaped run replaced by ``<token>``, control characters escaped.

    Not only ``/feeds/<token>.ics``: a mistyped case (``/FEEDS/…``) or a prefix added by a proxy
    (``/x/feeds/…``) carries a live token too.
    """
    return _escape(TOKEN_SHAPED.sub("<token>", path))


def _escape(text: str) -> str:
    """Text safe for one log line: control characters (an encoded CR/LF in a path) and backslashes escaped."""
    return "".join(
        f"\\x{ord(c):02x}" if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or c in "\\\"" else c for c in text
    )


def _text_headers(body: bytes) -> list[tuple[str, str]]:
    return [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]


def _not_found() -> tuple[str, list[tuple[str, str]], bytes]:
    return "404 Not Found", _text_headers(NOT_FOUND), NOT_FOUND


def _cache_headers(rendered: Rendered, gzipped: bool) -> list[tuple[str, str]]:
    return [
        ("ETag", rendered.variant(gzipped)[1]),
        ("Vary", "Accept-Encoding"),  # a shared cache must not hand the gzip form to a client without gzip
        ("Last-Modified", rendered.http_date),
        ("Cache-Control", "private, no-cache"),  # always revalidate: a 304 is cheap
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
    ]


def _not_modified(rendered: Rendered, gzipped: bool) -> tuple[str, list[tuple[str, str]], bytes]:
    return "304 Not Modified", _cache_headers(rendered, gzipped), b""


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


CHANNEL_TIMEOUT = 30  # seconds a connection may sit idle (or half-sent) before it is closed
CONNECTION_LIMIT = 500  # open connections at once; waitress's select() loop stays under its 1024 descriptors


def create_server(
    app: FeedApp, host: str, port: int, threads: int = 4, *, channel_timeout: int = CHANNEL_TIMEOUT,
    connection_limit: int = CONNECTION_LIMIT,
) -> Any:
    """A waitress server bound to ``host:port`` (port 0 picks a free one: see ``effective_port``).

    waitress's defaults (100 connections, closed after 120 s idle, checked every 30 s) let 100 half-open
    connections block every client for two minutes. Idle connections are checked at least every half
    timeout, so one that stalls is closed within 1.5 × ``channel_timeout``. A buffering reverse proxy in
    front is still the real defence (README, "Calendar").
    """
    from waitress import create_server as waitress_server

    return waitress_server(
        app, host=host, port=port, threads=threads, ident="tracker", channel_timeout=channel_timeout,
        cleanup_interval=max(1, min(30, channel_timeout // 2)), connection_limit=connection_limit,
    )


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
