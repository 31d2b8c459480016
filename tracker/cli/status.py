"""`tracker status`: the scheduler's last pass, the delivery backlog and whether the channels load."""

from __future__ import annotations

import click

from tracker.cli.common import State, emit, pass_state


@click.command("status")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Output format; json is a stable interface.")
@pass_state
def status(state: State, fmt: str) -> None:
    """The last scheduler pass, pending/failed/dead deliveries, and whether the channel configuration loads.

    A report, not a probe: it exits 0 whatever it finds (monitor GET /healthz of `tracker serve`, which
    answers 503 when the scheduler is late).
    """
    from datetime import UTC, datetime

    from tracker.services import status as service

    with state.session() as session:
        # The real clock, not --today: heartbeats record real instants.
        view = service.status(session, state.settings, datetime.now(UTC))
    if fmt == "json":
        emit(dict(view), fmt, [])
        return
    scheduler, counts, channels = view["scheduler"], view["deliveries"], view["channels"]
    late = {"late": " LATE", "missing": " MISSING"}.get(scheduler["state"], "")
    click.echo(f"Last pass: {scheduler['summary']} (limit {scheduler['max_age_seconds']} s){late}")
    click.echo(f"Deliveries: {counts['pending']} pending, {counts['failed']} failed, {counts['dead']} dead")
    if not channels["loads"]:
        click.echo(f"Channels: do not load: {channels['error']}")
    elif not channels["configured"]:
        click.echo("Channels: none configured (set [email] url or [alerts] apprise_config)")
    else:
        click.echo("Channels: configuration loads")


COMMANDS = [status]
