"""Obligation commands: add one to a contract, settle or waive an occurrence, count progress, acknowledge."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from tracker.cli.common import State, parse_day, pass_state
from tracker.cli.inputs import contract_key, count


def _today_or(state: State, value: str | None, name: str) -> date:
    return parse_day(value, name) if value else state.today


@click.command("ack")
@click.argument("obligation_id", metavar="ID")
@pass_state
def ack(state: State, obligation_id: str) -> None:
    """Stop reminders for the current occurrence of an obligation (until it changes)."""
    from tracker.services.obligations import acknowledge

    with state.session() as session:
        acked = acknowledge(session, obligation_id, state.context())
    click.echo(f"{obligation_id}: reminders for {acked.due} stopped until the obligation changes.")


@click.group("obligation")
def obligation() -> None:
    """Add obligations to a contract and settle their occurrences."""


@obligation.command("add")
@click.argument("key", callback=contract_key)
@click.option("--kind", required=True, help="invoice, payment, model_change, rollback_window, training, …")
@click.option("--title", required=True)
@click.option("--owed-by", type=click.Choice(["us", "vendor"]), default="us", show_default=True)
@click.option("--due", help="One due date, YYYY-MM-DD.")
@click.option("--every", help="An RFC 5545 RRULE, e.g. FREQ=MONTHLY;INTERVAL=3 (with --start).")
@click.option("--start", help="First date of a recurrence.")
@click.option("--until", help="Last date of a recurrence (default: the contract's end).")
@click.option("--required", help="A count to reach, e.g. 3 trainings.")
@click.option("--lead", help="Reminder lead days, e.g. 30,7,1.")
@click.option("--roll", type=click.Choice(["previous", "next", "none"]), default="previous", show_default=True,
              help="Where a date on a weekend or holiday moves.")
@click.option("--clause", help="Clause reference, e.g. §7.2.")
@pass_state
def obligation_add(state: State, key: str, **options: Any) -> None:
    """Add an obligation to contract KEY (one --due date, or --every RRULE with --start)."""
    from tracker.domain.specs import parse_obligation
    from tracker.services.obligations import add_obligation

    spec = parse_obligation({k: v for k, v in options.items() if v is not None})
    with state.session() as session:
        added = add_obligation(session, key, spec, state.context())
    from tracker.domain.checks import visible

    click.echo(visible(f"Added {added.id}: {added.title}" + (f", next due {added.next_due}." if added.next_due
                                                              else ".")))


def _settle_command(status: str) -> click.Command:
    @click.command(status if status == "waive" else "done")
    @click.argument("obligation_id", metavar="ID")
    @click.option("--on", "on", help="When it was settled (default: today).")
    @click.option("--note", help="A note for the ledger.")
    @pass_state
    def command(state: State, obligation_id: str, on: str | None, note: str | None) -> None:
        from tracker.domain.checks import checked_note
        from tracker.services.obligations import settle

        note = checked_note(note)
        day = _today_or(state, on, "--on")
        word = "done" if status == "done" else "waived"
        with state.session() as session:
            settled = settle(session, obligation_id, word, day, note, state.context())
        click.echo(f"{obligation_id}: the occurrence due {settled.due} is {word}.")

    command.help = (
        "Mark the current occurrence of obligation ID done (or ID@DATE for another)."
        if status == "done" else "Waive the current occurrence of obligation ID (or ID@DATE for another)."
    )
    return command


obligation.add_command(_settle_command("done"))
obligation.add_command(_settle_command("waive"))


@obligation.command("record")
@click.argument("obligation_id", metavar="ID")
@click.option("--count", type=int, default=1, show_default=True, callback=count, help="How many were delivered.")
@click.option("--on", "on", help="When (default: today).")
@click.option("--note", help="A note for the ledger, e.g. 'Session 2: admins'.")
@pass_state
def obligation_record(state: State, obligation_id: str, count: int, on: str | None, note: str | None) -> None:
    """Record progress on a counted obligation (e.g. one of 3 trainings delivered)."""
    from tracker.domain.checks import checked_note
    from tracker.services.obligations import record_progress

    note = checked_note(note)
    day = _today_or(state, on, "--on")
    with state.session() as session:
        counted = record_progress(session, obligation_id, count, day, note, state.context())
    suffix = " Complete." if counted.complete else ""
    click.echo(f"{obligation_id}: {counted.done} of {counted.required} delivered.{suffix}")


COMMANDS = [ack, obligation]
