"""Real servers on loopback for the alert tests: an SMTP server (aiosmtpd) and an HTTP capture server.

The HTTP server records every request Apprise's ``json://`` plugin posts and can be told to answer 500 or
to hang past the client's read timeout, per path, so one channel can fail while another works.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Mail:
    """One received email: envelope recipients and the parsed message."""

    rcpt: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["subject"])

    def part(self, content_type: str) -> str | None:
        for part in self.message.walk():
            if part.get_content_type() == content_type and part.get_content_disposition() != "attachment":
                return part.get_content()
        return None

    def attachments(self) -> dict[str, bytes]:
        found = {}
        for part in self.message.walk():
            if part.get_content_disposition() == "attachment":
                found[part.get_filename() or ""] = part.get_payload(decode=True)
        return found


@dataclass
class SMTPServer:
    host: str
    port: int
    mails: list[Mail] = field(default_factory=list)

    def url(self) -> str:
        """An Apprise email URL without recipients (the tracker adds ``to=``)."""
        return f"mailto://{self.host}:{self.port}?mode=insecure&from=tracker@example.com"

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.mails if address in m.rcpt]


@contextmanager
def smtp_server() -> Iterator[SMTPServer]:
    """An SMTP server on 127.0.0.1 that keeps every message it receives."""
    from aiosmtpd.controller import Controller

    server = SMTPServer("127.0.0.1", free_port())

    class Handler:
        async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            server.mails.append(Mail(list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
            return "250 OK"

    controller = Controller(Handler(), hostname=server.host, port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@dataclass
class Post:
    path: str
    body: dict[str, Any]


@dataclass
class HTTPServer:
    port: int
    posts: list[Post] = field(default_factory=list)
    modes: dict[str, str] = field(default_factory=dict)  # path → "ok" | "500" | "hang"
    arrived: list[str] = field(default_factory=list)  # every request's path, as it arrives
    hang_seconds: float = 3.0

    def url(self, path: str, **args: str) -> str:
        """An Apprise json:// URL posting to ``path`` with short timeouts."""
        query = "&".join(f"{k}={v}" for k, v in {"cto": "1", "rto": "1", **args}.items())
        return f"json://127.0.0.1:{self.port}/{path.lstrip('/')}?{query}"

    def at(self, path: str) -> list[dict[str, Any]]:
        return [p.body for p in self.posts if p.path == "/" + path.lstrip("/")]


@contextmanager
def http_server() -> Iterator[HTTPServer]:
    """An HTTP server on 127.0.0.1 that records JSON posts; ``modes[path]`` makes a path fail."""
    server = HTTPServer(free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            server.arrived.append(self.path)
            mode = server.modes.get(self.path, "ok")
            if mode == "hang":
                time.sleep(server.hang_seconds)
            elif mode == "500":
                self.send_response(500)
                self.end_headers()
                self.wfile.write(b"boom")
                return
            if mode == "ok":
                server.posts.append(Post(self.path, json.loads(raw or b"{}")))
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")
            except OSError:
                pass

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", server.port), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()


def write_config(
    folder: Any, smtp: SMTPServer | None, http: HTTPServer | None, *, paths: dict[str, str] | None = None,
    extra: str = "",
) -> Any:
    """Write tracker.toml (and apprise.yml routing each tag to an HTTP path); return the settings path.

    ``paths`` maps tag → HTTP path; the default routes the sample data's tags and the escalation tag.
    """
    from pathlib import Path

    folder = Path(folder)
    lines = []
    if smtp is not None:
        lines += ["[email]", f'url = "{smtp.url()}"']
    lines += ["[alerts]"]
    if http is not None:
        paths = paths or {"legal": "legal", "procurement": "procurement", "engineering": "engineering",
                          "default": "default", "escalation": "escalation"}
        entries = "\n".join(f'  - "{http.url(path)}":\n      - tag: {tag}' for tag, path in paths.items())
        (folder / "apprise.yml").write_text(f"urls:\n{entries}\n", encoding="utf-8")
        lines += ['apprise_config = "apprise.yml"']
    config = folder / "tracker.toml"
    config.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return config
