"""Reminder commands: notify (one pass), run (the loop), deliveries, channels, and the demo's reminder step."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from tracker.cli.common import State, database_errors, emit, pass_state, print_table
from tracker.errors import InvalidInput, OperationalError

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from pathlib import Path

    from tracker.services.notify.channels import Channels
    from tracker.services.notify.passes import PassReport

OUTCOME_COLUMNS = [
    ("status", "Status"), ("obligation", "Obligation"), ("stage", "Stage"), ("channel", "Channel"),
    ("due", "Due"), ("error", "Error"),
]
DELIVERY_COLUMNS = [
    ("id", "Id"), ("created_at", "Created"), ("status", "Status"), ("attempts", "Tries"),
    ("obligation", "Obligation"), ("stage", "Stage"), ("channel", "Channel"), ("due", "Due"),
    ("last_error", "Last error"),
]
CHANNEL_COLUMNS = [("channel", "Channel"), ("tags", "Tags"), ("url", "URL (secrets masked)")]
NOTHING_CONFIGURED = (
    "No channels configured: set [email] url (an Apprise mailto:// URL) and/or [alerts] apprise_config "
    "(an Apprise YAML/TEXT file) in {config}; see README \"Connecting Slack and email\". "
    "`tracker notify --dry-run` shows what would be sent."
)


def _format(default: str = "table") -> Any:
    return click.option("--format", "fmt", type=click.Choice(["table", "json"]), default=default,
                        show_default=True, help="Output format; json is a stable interface.")


def _channels(state: State) -> Channels:
    from tracker.services.notify.channels import load_channels

    return load_channels(state.settings)


def _lease_clock(state: State) -> Callable[[], datetime] | None:
    """The simulated clock for leases under ``--today``/``--now``; None: leases run on the database's clock."""
    if state.today_option or state.now_option:
        return lambda: state.now
    return None


def _print_pass(report: PassReport, fmt: str) -> None:
    if fmt == "json":
        emit(report.view(), "json", [])
        return
    for line in report.renewed:
        click.echo(f"Recorded: {line}")
    rows = ([{"status": "sent", **r} for r in report.sent] + [{"status": "failed", **r} for r in report.failed]
            + [{"status": "dead", **r} for r in report.dead])
    if rows:
        print_table(rows, OUTCOME_COLUMNS)
    skipped = sum(report.skipped.values())
    click.echo(f"{report.today}: sent {len(report.sent)}, failed {len(report.failed)}, dead {len(report.dead)}, "
               f"skipped {skipped}.")
    for reason, count in sorted(report.skipped.items()):
        click.echo(f"  skipped {count}: {reason}")
    for row in report.superseded:
        click.echo(f"  delivery {row['id']} ({row['obligation']} {row['stage']} to {row['channel']}) not sent: "
                   f"{row['reason']}")
    for row in report.dead:
        click.secho(f"  gave up on delivery {row['id']} ({row['obligation']} {row['stage']} to {row['channel']}) "
                    f"after {row['attempts']} attempts: {row['error']}", fg="red", err=True)
    for row in report.failed:
        click.secho(f"  delivery {row['id']} to {row['channel']} failed (retried from {row['next_attempt_at']}): "
                    f"{row['error']}", fg="yellow", err=True)


def _print_dry_run(report: PassReport, fmt: str) -> None:
    if fmt == "json":
        emit(report.view(), "json", [])
        return
    if not report.created:
        click.echo(f"{report.today}: nothing to send.")
    for outgoing in report.created:
        click.secho(f"--- {outgoing.channel}  {outgoing.ref}  {outgoing.stage}", bold=True)
        click.echo(f"Subject: {outgoing.subject}")
        text = outgoing.rendered.text if outgoing.channel.startswith("email:") else outgoing.rendered.chat
        click.echo(text.rstrip())
    for reason, count in sorted(report.skipped.items()):
        click.echo(f"(would skip {count}: {reason})")
    click.echo(f"{report.today}: would send {len(report.created)} (dry run: nothing was written or sent).")


@click.command("notify")
@click.option("--dry-run", is_flag=True, help="Print what would be sent, rendered; write and send nothing.")
@_format()
@pass_state
def notify(state: State, dry_run: bool, fmt: str) -> None:
    """One scheduler pass: send every reminder and invite that is due (exit 1 if any delivery failed)."""
    from tracker.services.notify import passes

    channels = _channels(state)
    engine = state.engine()
    if dry_run:
        with database_errors(state.db_url):
            report = passes.dry_run(engine, state.context(), channels if channels.configured else None)
        _print_dry_run(report, fmt)
        return
    if not channels.configured:
        click.echo(NOTHING_CONFIGURED.format(config=state.config_path))
        return
    with database_errors(state.db_url):
        report = passes.run_pass(engine, state.context(), channels, clock=lambda: state.now,
                                 lease_clock=_lease_clock(state))
    _print_pass(report, fmt)
    if not report.ok:
        raise click.exceptions.Exit(1)


@click.command("run")
@click.option("--interval", type=click.IntRange(min=1), default=300, show_default=True, metavar="SECONDS",
              help="Seconds between passes.")
@click.option("--once", is_flag=True, help="Run one pass and exit (like notify).")
@click.option("--shutdown-grace", type=click.FloatRange(min=0), default=10, show_default=True, metavar="SECONDS",
              help="After SIGTERM/SIGINT, how long the current pass goes on claiming deliveries; the rest wait "
                   "for the next run.")
@pass_state
def run(state: State, interval: int, once: bool, shutdown_grace: float) -> None:
    """The scheduler loop: a notify pass every --interval seconds; stops cleanly on SIGTERM/SIGINT."""
    from datetime import UTC, datetime

    from tracker.loop import Scheduler
    from tracker.services.notify import passes

    channels = _channels(state)
    if not channels.configured:
        raise InvalidInput(NOTHING_CONFIGURED.format(config=state.config_path))
    engine = state.engine()

    from contextlib import suppress

    from tracker.services import status
    from tracker.services.notify.outbox import default_worker

    def one_pass() -> None:
        if state.today_option is None:
            state.__dict__.pop("today", None)  # a long-running loop follows the calendar
        started = datetime.now(UTC)  # the heartbeat is real time, also in a simulation
        try:
            with database_errors(state.db_url):
                report = passes.run_pass(engine, state.context(), channels, clock=lambda: state.now,
                                         lease_clock=_lease_clock(state), keep_claiming=scheduler.in_time)
                # /healthz and `tracker status` read this: a stopped scheduler shows instead of going silent.
                status.record_pass(engine, "run", worker, started, datetime.now(UTC), True)
        except OperationalError as exc:  # the database may come back: report and try again next time
            click.secho(f"{datetime.now(UTC).isoformat(timespec='seconds')} pass failed: {exc}", fg="red", err=True)
            with suppress(Exception):  # the database may be what failed; the missing heartbeat then says so
                status.record_pass(engine, "run", worker, started, datetime.now(UTC), False, str(exc)[:200])
            return
        click.echo(f"{datetime.now(UTC).isoformat(timespec='seconds')} ", nl=False)
        _print_pass(report, "table")

    worker = default_worker()
    scheduler = Scheduler(one_pass, interval, grace=shutdown_grace)
    if not once:
        click.echo(f"tracker run: a pass every {interval} s; stop with Ctrl-C or SIGTERM.")
    scheduler.run(once=once)
    if not once:
        click.echo(f"tracker run: stopped after {scheduler.passes} pass(es).")


@click.command("deliveries")
@click.option("--limit", type=click.IntRange(min=1, max=10_000), default=50, show_default=True)
@click.option("--status", help="Only deliveries with this status: pending, sending, sent, failed, dead, superseded.")
@_format()
@pass_state
def deliveries(state: State, limit: int, status: str | None, fmt: str) -> None:
    """Recent reminders and invites, newest first, with status, attempts and the last error."""
    from tracker.services.notify import outbox

    outbox.check_status(status)
    with state.session() as session:
        rows = outbox.recent(session, limit, status)
    if fmt == "table" and not rows:
        click.echo("No deliveries yet.")
        return
    emit(rows, fmt, DELIVERY_COLUMNS)


@click.group("channels", invoke_without_command=True)
@_format()
@click.pass_context
def channels_group(ctx: click.Context, fmt: str) -> None:
    """The Apprise channels and tags (secrets masked); `channels test [TAG]` sends a test message."""
    if ctx.invoked_subcommand is not None:
        return
    state = ctx.find_object(State)
    assert state is not None
    channels = _channels(state)
    rows = channels.describe()
    if fmt == "json":
        emit(rows, "json", [])
        return
    if not rows:
        click.echo(NOTHING_CONFIGURED.format(config=state.config_path))
        return
    print_table(rows, CHANNEL_COLUMNS)


@channels_group.command("test")
@click.argument("tag", required=False)
@click.option("--email", "email", metavar="ADDRESS", help="Also send a test email to ADDRESS through [email] url.")
@pass_state
def channels_test(state: State, tag: str | None, email: str | None) -> None:
    """Send a test message to TAG (default: every tag), and to --email ADDRESS; exit 1 if one fails."""
    from tracker.services.wording import Renderer

    channels = _channels(state)
    if tag is not None and tag not in channels.tags:
        where = channels.config_path or "no [alerts] apprise_config is set"
        defined = ", ".join(sorted(channels.tags)) or "none"
        raise InvalidInput.field("TAG", tag, f"a tag defined in {where} (defined tags: {defined})")
    if email is not None and not channels.email_url:
        raise InvalidInput.field("--email", email, "a configured [email] url to send through")
    targets = [f"tag:{tag}"] if tag else [f"tag:{name}" for name in sorted(channels.tags)]
    if email:
        targets.append(f"email:{email}")
    if not targets:
        raise InvalidInput(NOTHING_CONFIGURED.format(config=state.config_path))
    renderer = Renderer(state.settings)
    failed = 0
    for channel in targets:
        message = renderer.message("test", {"channel": channel, "today": state.today.isoformat()})
        body = message.chat if channel.startswith("tag:") else (message.html if channels.email_html else message.text)
        error = channels.send(channel, message.subject, body)
        if error is None:
            click.echo(f"{channel}: sent")
        else:
            failed += 1
            click.secho(f"{channel}: FAILED: {error}", fg="red")
    if failed:
        raise click.exceptions.Exit(1)


COMMANDS = [notify, run, deliveries, channels_group]


def demo_step(ctx: click.Context, demo_state: State, workdir: Path, step: Any) -> None:
    """The demo: the reminders a notify pass would send on the demo's date, rendered (nothing is sent)."""
    from tracker.services.notify import passes

    step(f"Reminders a notify pass would send on {demo_state.today}  (tracker notify --dry-run)")
    report = passes.dry_run(demo_state.engine(), demo_state.context(), None)
    if not report.created:
        click.echo("Nothing is due for a reminder on this date.")
        return
    def examples(prefix: str) -> list[Any]:
        found = [o for o in report.created if o.channel.startswith(prefix) and o.kind == "reminder"]
        picked: dict[str, Any] = {}  # one notice deadline (why people install this), one overdue, one other
        for outgoing in found:
            sort = "notice" if "/notice_deadline" in outgoing.ref else outgoing.stage.partition(":")[0]
            picked.setdefault(sort, outgoing)
        return [picked[k] for k in ("notice", "overdue", "lead") if k in picked]

    chats, emails = examples("tag:"), examples("email:")
    click.echo(f"{len(report.created)} deliveries (reminders and invites) would go out; for example:")
    for outgoing in chats[:3]:
        click.secho(f"\n[chat → {outgoing.channel}]  {outgoing.subject}", bold=True)
        click.echo(outgoing.rendered.chat.rstrip())
    for outgoing in emails[:1]:
        click.secho(f"\n[email → {outgoing.channel.removeprefix('email:')}]", bold=True)
        click.echo(f"Subject: {outgoing.subject}\n")
        click.echo(outgoing.rendered.text.rstrip())
