"""Renewal preparation: `review` (protections against the checklist), `note` (negotiation notes), `brief`."""

from __future__ import annotations

from typing import Any

import click

from tracker.cli.common import State, emit, format_option, pass_state
from tracker.cli.inputs import FilePath, contract_key, write_output

FINDING_COLUMNS = [("severity", "Severity"), ("contract", "Contract"), ("finding", "Finding"), ("ask", "Ask")]


@click.command("review")
@click.argument("key", required=False, callback=contract_key)
@format_option()
@pass_state
def review(state: State, key: str | None, fmt: str) -> None:
    """Check contracts' protections (training on our data, liability, exit, SLA …) against the checklist."""
    from tracker.services.review import review_contracts

    with state.session() as session:
        findings = review_contracts(session, state.settings, state.today, key)
    if fmt == "table" and not findings:
        click.echo("No findings: every checklist item is met.")
        return
    emit([dict(f) for f in findings], fmt, FINDING_COLUMNS)


@click.command("note")
@click.argument("key", callback=contract_key)
@click.argument("text")
@pass_state
def note(state: State, key: str, text: str) -> None:
    """Keep a negotiation note on contract KEY (it appears in its history and renewal brief)."""
    from tracker.services.brief import record_note

    with state.session() as session:
        record_note(session, key, text, state.context())
    click.echo(f"{key}: note recorded.")


@click.command("brief")
@click.argument("key", callback=contract_key)
@click.option("--html", is_flag=True, help="HTML instead of Markdown.")
@click.option("-o", "--output", type=FilePath(dir_okay=False), help="File (default: stdout).")
@pass_state
def brief(state: State, key: str, html: bool, output: str | None) -> None:
    """The renewal brief of contract KEY: dates, spend, what the vendor missed, findings and asks, notes."""
    from tracker.services.brief import render_brief

    with state.session() as session:
        text: Any = render_brief(session, key, state.context(), html=html)
    if output is None:
        from tracker.domain.checks import visible

        click.echo(visible(text, keep_newlines=True), nl=False)  # stored text must not drive the terminal
        return
    write_output(output, text)
    click.echo(f"Wrote {output}.", err=True)


COMMANDS = [review, note, brief]
