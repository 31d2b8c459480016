"""Calendar commands: `calendar export`, `calendar feed add|list|revoke`, and `serve` (the feed server)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from tracker.cli.common import State, emit, format_option, pass_state
from tracker.cli.inputs import FilePath, one_line, write_output
from tracker.cli.inputs import contract_key as contract_key_option

if TYPE_CHECKING:
    from pathlib import Path

FEED_COLUMNS = [
    ("name", "Name"), ("owner", "Owner"), ("contract", "Contract"), ("created_at", "Created"),
    ("revoked_at", "Revoked"),
]


@click.group("calendar")
def calendar_group() -> None:
    """Deadlines in the calendars people already use: an .ics file, or a subscription feed."""


@calendar_group.command("export")
@click.option("-o", "--output", type=FilePath(dir_okay=False), help="File (default: stdout).")
@click.option("--owner", callback=one_line, help="Only the contracts this person owns (email).")
@click.option("--contract", "contract_key", metavar="KEY", callback=contract_key_option, help="Only this contract.")
@pass_state
def export(state: State, output: str | None, owner: str | None, contract_key: str | None) -> None:
    """Write the iCalendar file: every open deadline from 30 days back to 2 years ahead (configurable)."""
    from tracker.services.ics import build

    with state.session() as session:
        built = build(session, state.today, state.settings, owner=owner, contract_key=contract_key)
    if output is None:
        click.echo(built.body, nl=False)  # bytes go to the binary stream: CRLF line ends kept
        return
    write_output(output, built.body)
    click.echo(f"Wrote {built.count} event{'s' if built.count != 1 else ''} to {output}.", err=True)


@calendar_group.group("feed")
def feed() -> None:
    """Subscription feeds: secret URLs a calendar app subscribes to (served by `tracker serve`)."""


@feed.command("add")
@click.argument("name")
@click.option("--owner", callback=one_line, help="Only the contracts this person owns (email).")
@click.option("--contract", "contract_key", metavar="KEY", callback=contract_key_option, help="Only this contract.")
@pass_state
def feed_add(state: State, name: str, owner: str | None, contract_key: str | None) -> None:
    """Create feed NAME and print its secret URL (shown once; only a hash is stored)."""
    from tracker.services.feeds import add_feed

    with state.session() as session:
        added = add_feed(session, state.context(), name, owner=owner, contract_key=contract_key)
    click.echo(added.url)  # stdout holds the URL alone, for scripts
    click.echo(f"Feed {name!r} added: store this URL now; it is not shown again. "
               "Subscribe to it in your calendar app while `tracker serve` runs.", err=True)
    click.echo(f"As a link that opens the calendar app's subscription dialog: {added.webcal_url}", err=True)


@feed.command("list")
@format_option()
@pass_state
def feed_list(state: State, fmt: str) -> None:
    """Feeds with their filters and dates (never their URLs or tokens)."""
    from tracker.services.feeds import list_feeds

    with state.session() as session:
        rows = list_feeds(session)
    if fmt == "table" and not rows:
        click.echo("No feeds yet; add one with `tracker calendar feed add NAME`.")
        return
    items = [dict(row) for row in rows]
    emit(items, fmt, FEED_COLUMNS if fmt == "table" else [(k, k) for k in (items[0] if items else {})])


@feed.command("revoke")
@click.argument("name")
@pass_state
def feed_revoke(state: State, name: str) -> None:
    """Revoke feed NAME: its URL stops working at once (404)."""
    from tracker.services.feeds import revoke_feed

    with state.session() as session:
        revoke_feed(session, state.context(), name)
    click.echo(f"Feed {name!r} revoked; its URL now answers 404.")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback by default).")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port to bind (0 picks a free one).")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64), help="Worker threads.")
@click.option("--channel-timeout", default=30, show_default=True, type=click.IntRange(1, 3600), metavar="SECONDS",
              help="Close a connection idle (or stalled mid-request) this long.")
@click.option("--connection-limit", default=500, show_default=True, type=click.IntRange(1, 900),
              help="Open connections at most; more wait to be accepted.")
@click.option("--cache-mb", default=64, show_default=True, type=click.IntRange(0, 65536), metavar="MIB",
              help="Memory for built feeds (one version per feed); 0 builds every uncached request.")
@pass_state
def serve(
    state: State, host: str, port: int, threads: int, channel_timeout: int, connection_limit: int, cache_mb: int,
) -> None:
    """Serve subscription feeds over HTTP (GET /feeds/<token>.ics, GET /healthz) until SIGTERM or Ctrl-C.

    Put a buffering reverse proxy (nginx, Caddy) in front of it before exposing it beyond loopback.
    """
    import logging

    from tracker.web import FeedApp, create_server, serve_until_stopped

    settings = state.settings
    engine = state.engine()
    if state.today_option:
        fixed = state.today

        def today() -> Any:
            return fixed
    else:
        from datetime import datetime
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(settings.timezone)

        def today() -> Any:
            return datetime.now(zone).date()

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
    for name in ("tracker.web", "waitress"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    try:
        app = FeedApp(engine, settings, today, cache_bytes=cache_mb * 1024 * 1024)
        server = create_server(app, host, port, threads, channel_timeout=channel_timeout,
                               connection_limit=connection_limit)
    except OSError as exc:
        from tracker.errors import OperationalError

        raise OperationalError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    except ValueError:  # waitress: a host that is no address or name this machine can resolve
        from tracker.errors import InvalidInput

        raise InvalidInput.field("--host", host, "an address or host name to listen on, e.g. 127.0.0.1") from None
    bound = f"http://{_url_host(server.effective_host)}:{server.effective_port}"
    click.echo(f"Serving calendar feeds on {bound} (GET /feeds/<token>.ics, GET /healthz); "
               "stop with Ctrl-C or SIGTERM.")
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"Bound to {host}: feed URLs use calendar.base_url = {settings.feed_base_url!r}; "
                   "put TLS in front of it before exposing it.", err=True)
    sys.stdout.flush()
    serve_until_stopped(server)
    engine.dispose()
    click.echo("Stopped.")


def _url_host(host: Any) -> str:
    text = str(host)
    return f"[{text}]" if ":" in text else text


def demo_step(ctx: click.Context, demo_state: State, workdir: Path, step: Any) -> None:
    """The demo's calendar step: write deadlines.ics for the demo ledger and show what is in it."""
    from tracker.services.ics import build

    step("Every deadline as a calendar file  (tracker calendar export -o deadlines.ics)")
    path = workdir / "deadlines.ics"
    with demo_state.session() as session:
        built = build(session, demo_state.today, demo_state.settings)
    path.write_bytes(built.body)
    click.echo(f"Wrote {built.count} events to {path}. The first ones:")
    for summary in built.summaries[:3]:
        click.echo(f"  - {summary}")
    click.echo("Subscribe instead of importing: `tracker calendar feed add team`, then `tracker serve`.")


COMMANDS = [calendar_group, serve]
