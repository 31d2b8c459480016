"""The ``tracker`` command: global options and the command groups (each in its own module)."""

from __future__ import annotations

import click

from tracker import __version__
from tracker.cli.common import State, TrackerGroup
from tracker.cli.inputs import one_line


@click.group(cls=TrackerGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--db", "db", envvar="TRACKER_DB", metavar="URL",
              help="SQLAlchemy database URL [env TRACKER_DB; default: an SQLite file in your data directory].")
@click.option("--config", "config", envvar="TRACKER_CONFIG", metavar="PATH",
              help="Settings file (TOML) [env TRACKER_CONFIG; default: tracker.toml in your config directory].")
@click.option("--today", "today", envvar="TRACKER_TODAY", metavar="YYYY-MM-DD",
              help="As-of date for every command: timelines, reminders, simulations [env TRACKER_TODAY].")
@click.option("--now", "now", envvar="TRACKER_NOW", metavar="INSTANT",
              help="The instant every command sees, ISO 8601 (e.g. 2026-11-21T09:00:00Z) [env TRACKER_NOW].")
@click.option("--actor", envvar="TRACKER_ACTOR", metavar="NAME", callback=one_line,
              help="Who is recorded in the ledger for changes [env TRACKER_ACTOR; default: your OS user].")
@click.version_option(__version__, prog_name="tracker")
@click.pass_context
def cli(
    ctx: click.Context, db: str | None, config: str | None, today: str | None, now: str | None, actor: str | None,
) -> None:
    """Contract obligations tracker: notice windows, renewals, invoices and vendor promises, with alerts.

    Enter or import contracts, see every computed deadline with `tracker upcoming`, subscribe a calendar
    to a feed, and let `tracker run` warn owners on Slack or email before each deadline.
    """
    ctx.obj = State(db_option=db, config_option=config, today_option=today, actor_option=actor, now_option=now)


def _register() -> None:
    from tracker.cli import (
        calendar,
        contracts,
        database,
        demo,
        notify,
        obligations,
        renewal,
        spend,
        status,
        timeline,
        usage,
    )

    for module in (contracts, timeline, obligations, spend, renewal, usage, calendar, notify, database, demo, status):
        for command in module.COMMANDS:
            cli.add_command(command)
    from importlib import import_module

    try:  # the extractor lands separately; until it does, the command is simply absent
        extract = import_module("tracker.cli.extract")
    except ModuleNotFoundError as exc:
        if exc.name != "tracker.cli.extract":
            raise
    else:
        for command in extract.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    cli(prog_name="tracker")
