"""Ledger commands: add, import, export, list, show, edit, upcoming, obligations, notice, history, ack."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import click

from tracker.cli.common import State, emit, format_option, is_terminal, parse_day, pass_state, print_table
from tracker.errors import InvalidInput, Problem

UPCOMING_COLUMNS = [
    ("due", "Due"), ("days_left", "Days"), ("status", "Status"), ("contract", "Contract"), ("kind", "Kind"),
    ("title", "Title"), ("owed_by", "Owed by"), ("progress", "Progress"), ("obligation", "Id"),
]
LIST_COLUMNS = [
    ("key", "Contract"), ("vendor", "Vendor"), ("owner", "Owner"), ("status", "Status"),
    ("term.end", "Term ends"), ("notice_deadline", "Notice by"), ("renews_on", "Renews on"),
    ("ends_on", "Ends on"),
]
HISTORY_COLUMNS = [("at", "At"), ("actor", "Actor"), ("kind", "Event"), ("summary", "Details")]


def _today_or(state: State, value: str | None, name: str) -> date:
    return parse_day(value, name) if value else state.today


def _within_days(state: State, text: str) -> int:
    from tracker.durations import parse_duration
    from tracker.schedule import BusinessCalendar, shift

    span = parse_duration(text, "--within", allow_zero=True)
    return (shift(state.today, span, calendar=BusinessCalendar()) - state.today).days


# --- add -----------------------------------------------------------------------------------------

# (field, prompt text, required) in the order a person would answer them.
PROMPTS: list[tuple[str, str, bool]] = [
    ("vendor", "Vendor", True),
    ("title", "Title (what the contract is for)", True),
    ("owner", "Owner (email)", True),
    ("start", "Start date (YYYY-MM-DD)", True),
    ("term", "Term (e.g. 12 months) or end date (YYYY-MM-DD)", True),
    ("auto_renew", "Renews automatically? (yes/no)", True),
    ("notice", "Notice period before the end (e.g. 90 days; empty for none)", False),
    ("holidays", "Business-day calendar (country code such as US, GB, DE; empty for weekends only)", False),
]


def _validate_one(raw: dict[str, Any], name: str) -> list[Problem]:
    """The problems a partial contract has in one field (used to re-ask a prompt)."""
    from tracker.specs import parse_contract

    _, problems = parse_contract(raw)
    return [p for p in problems if p.field == name or (name == "term" and p.field == "end")]


def _prompt_missing(raw: dict[str, Any]) -> None:
    """Ask for every missing field, re-asking until the answer is valid; EOF means the field is missing."""
    for name, text, required in PROMPTS:
        if raw.get(name) not in (None, "") or (name == "term" and raw.get("end")):
            continue
        if name == "notice" and raw.get("auto_renew") is False:
            continue
        while True:
            try:
                # Prompts go to stderr: stdout stays the command's output (e.g. --format json).
                answer = click.prompt(text, default="" if not required else None, show_default=False, err=True)
            except click.exceptions.Abort:
                if not required:
                    break
                raise InvalidInput.field(name, "", f"a value (required; pass --{name.replace('_', '-')})") from None
            answer = answer.strip()
            if name == "term" and len(answer) == 10 and answer[4] == "-":
                raw["end"] = answer
                raw.pop("term", None)
                problems = _validate_one(raw, "end")
            else:
                raw[name] = answer or None
                problems = _validate_one(raw, name)
            if not problems:
                break
            click.secho(f"  {problems[0]}", fg="red", err=True)
            raw.pop(name, None)
            raw.pop("end", None) if name == "term" else None


@click.command("add")
@click.option("--key", help="Unique slug (default: from vendor and title).")
@click.option("--title", help="What the contract is for.")
@click.option("--vendor")
@click.option("--owner", help="Email of the person who answers for it.")
@click.option("--backup-owner", help="Email of the escalation contact.")
@click.option("--start", help="First day, YYYY-MM-DD.")
@click.option("--term", help="Length of the initial term, e.g. '12 months'.")
@click.option("--end", help="Last day (inclusive), instead of --term.")
@click.option("--auto-renew/--no-auto-renew", default=None, help="Renews unless notice is given.")
@click.option("--renewal-term", help="Length of each renewal (default: the term).")
@click.option("--max-renewals", type=int, help="Renewals allowed at most.")
@click.option("--notice", help="Notice period before a term ends, e.g. '90 days' or '3 months'.")
@click.option("--holidays", help="Business-day calendar, e.g. US, GB, DE, US-NY.")
@click.option("--timezone", help="IANA time zone, e.g. America/New_York.")
@click.option("--value", help="Contract value per term.")
@click.option("--currency", help="ISO 4217 code, e.g. USD.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option("--notify", "notify", multiple=True, help="An Apprise tag to route alerts to (repeatable).")
@click.option("--model-change-notice", help="Notice the vendor promises before model changes, e.g. '30 days'.")
@click.option("--rollback-window", help="How long a model change may be rolled back, e.g. '30 days'.")
@format_option()
@pass_state
def add(state: State, fmt: str, **options: Any) -> None:
    """Enter a contract: give every field as an option, or answer prompts for what is missing."""
    from tracker import ledger
    from tracker.specs import parse_contract
    from tracker.timeline import show_contract

    raw: dict[str, Any] = {k: v for k, v in options.items() if v not in (None, (), "")}
    for name in ("tags", "notify"):
        if name in raw:
            raw[name] = list(raw[name])
    terms = {k: raw.pop(k) for k in ("model_change_notice", "rollback_window") if k in raw}
    if terms:
        raw["terms"] = terms
    _prompt_missing(raw)
    spec, problems = parse_contract(raw)
    if problems or spec is None:
        raise InvalidInput(problems)
    ctx = state.context()
    with state.session() as session:
        ledger.add_contracts(session, [spec], ctx)
        view = show_contract(session, spec.key, ctx.today)
    if fmt == "json":
        emit(view, fmt, [])
        return
    click.echo(f"Added {spec.key}: {spec.vendor}, {spec.title}.")
    _describe_dates(view)


def _describe_dates(view: dict[str, Any]) -> None:
    term = view["term"]
    click.echo(f"  Term {term['number']}: {term['start']} to {term['end']}")
    if view["notice_deadline"]:
        click.echo(f"  Give notice by {view['notice_deadline']} to stop the renewal of {view['renews_on']}.")
    elif view["ends_on"]:
        click.echo(f"  Ends on {view['ends_on']}.")


# --- import / export -----------------------------------------------------------------------------


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["auto", "yaml", "json", "csv"]), default="auto",
              show_default=True, help="File format (auto: from the file name).")
@click.option("--dry-run", is_flag=True, help="Validate only; write nothing.")
@pass_state
def import_(state: State, file: str, fmt: str, dry_run: bool) -> None:
    """Import contracts from YAML, JSON or CSV: all or nothing, every problem listed."""
    from pathlib import Path

    from tracker import ledger
    from tracker.io import read_contracts
    from tracker.specs import parse_contracts

    rows = read_contracts(Path(file), fmt)
    specs = parse_contracts(rows)
    ctx = state.context()
    with state.session() as session, _progress(len(specs), f"Importing {Path(file).name}") as advance:
        added = ledger.add_contracts(session, specs, ctx, source="import", progress=advance)
        count = sum(len(spec.obligations) for spec in specs)
        if dry_run:
            session.rollback()
            click.echo(f"{file}: valid: {len(added)} contracts, {count} obligations (dry run: nothing written).")
            return
    click.echo(f"Imported {len(added)} contracts with {count} obligations from {file}.")


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[int], None] | None]:
    """A progress bar for long imports on a terminal; nothing when piped or for a few rows."""
    if total < 200 or not is_terminal():
        yield None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done: bar.update(task, completed=done)


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json", "csv"]), default="yaml", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File (default: stdout).")
@pass_state
def export(state: State, fmt: str, output: str | None) -> None:
    """Export every contract; importing the file into an empty database reproduces the ledger."""
    from tracker.io import export_contracts

    with state.session() as session:
        text = export_contracts(session, fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        from pathlib import Path

        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output}.", err=True)


# --- read commands -------------------------------------------------------------------------------


@click.command("list")
@click.option("--owner", help="Only contracts this person owns.")
@click.option("--all", "include_archived", is_flag=True, help="Include archived contracts.")
@format_option()
@pass_state
def list_(state: State, owner: str | None, include_archived: bool, fmt: str) -> None:
    """Contracts with status, current term end and next notice deadline."""
    from tracker.timeline import list_contracts

    with state.session() as session:
        rows = list_contracts(session, state.today, owner, include_archived)
    emit(rows, fmt, LIST_COLUMNS)


@click.command("show")
@click.argument("key")
@format_option()
@pass_state
def show(state: State, key: str, fmt: str) -> None:
    """One contract with its computed dates and obligations."""
    from tracker.timeline import show_contract

    with state.session() as session:
        view = show_contract(session, key, state.today)
    if fmt != "table":
        columns = [(k, k) for k in view if k != "obligations"]
        emit(view, fmt, columns)
        return
    click.echo(f"{view['key']}: {view['vendor']}, {view['title']} [{view['status']}]")
    click.echo(f"  Owner {view['owner']}" + (f", backup {view['backup_owner']}" if view["backup_owner"] else ""))
    if view["value"]:
        click.echo(f"  Value {view['currency'] or ''} {view['value']}".rstrip())
    _describe_dates(view)
    if view["notice_given_on"]:
        click.echo(f"  Notice given on {view['notice_given_on']}; the contract ends on {view['ends_on']}.")
    click.echo("")
    print_table(view["obligations"], [
        ("id", "Id"), ("kind", "Kind"), ("title", "Title"), ("owed_by", "Owed by"), ("next_due", "Next due"),
        ("status", "Status"), ("progress", "Progress"), ("every", "Repeats"),
    ])


@click.command("upcoming")
@click.option("--within", default="90d", show_default=True, help="How far ahead, as a duration.")
@click.option("--owner", help="Only this owner's contracts.")
@click.option("--kind", help="Only this kind of obligation.")
@click.option("--contract", help="Only this contract (key).")
@format_option()
@pass_state
def upcoming(state: State, within: str, owner: str | None, kind: str | None, contract: str | None, fmt: str) -> None:
    """The timeline: every deadline due within --within, plus overdue ones, by date."""
    from tracker.specs import ALL_KINDS
    from tracker.timeline import Filters
    from tracker.timeline import upcoming as timeline

    days = _within_days(state, within)
    if kind and kind not in ALL_KINDS:
        raise InvalidInput.field("--kind", kind, f"one of {', '.join(ALL_KINDS)}")
    with state.session() as session:
        if contract:
            from tracker.ledger import get_contract

            get_contract(session, contract)
        rows = timeline(session, state.today, days, Filters(owner=owner, kind=kind, contract=contract))
    if fmt == "table" and not rows:
        click.echo(f"Nothing due within {within} of {state.today}.")
        return
    emit(rows, fmt, UPCOMING_COLUMNS)


@click.command("history")
@click.argument("key")
@format_option()
@pass_state
def history(state: State, key: str, fmt: str) -> None:
    """The ledger events of one contract, oldest first."""
    from tracker.ledger import history as events

    with state.session() as session:
        rows = [
            {"at": e.at.isoformat().replace("+00:00", "Z"), "actor": e.actor, "kind": e.kind,
             "payload": e.payload, "summary": _summary(e.payload)}
            for e in events(session, key)
        ]
    if fmt == "json":
        for row in rows:
            row.pop("summary")
    emit(rows, fmt, HISTORY_COLUMNS if fmt == "table" else [("at", "at"), ("actor", "actor"), ("kind", "kind"),
                                                              ("payload", "payload")])


def _summary(payload: dict[str, Any]) -> str:
    if "changes" in payload:
        return "; ".join(f"{k}: {v['old']} -> {v['new']}" for k, v in payload["changes"].items())
    keep = [f"{k}={v}" for k, v in payload.items() if k not in ("fields",) and v not in (None, "", [])]
    return ", ".join(keep)[:160]


# --- changes -------------------------------------------------------------------------------------


@click.command("edit")
@click.argument("key")
@click.option("--title")
@click.option("--vendor")
@click.option("--owner")
@click.option("--backup-owner")
@click.option("--start")
@click.option("--term")
@click.option("--end")
@click.option("--auto-renew/--no-auto-renew", default=None)
@click.option("--renewal-term")
@click.option("--max-renewals")
@click.option("--notice")
@click.option("--holidays")
@click.option("--timezone")
@click.option("--value")
@click.option("--currency")
@click.option("--tag", "tags", multiple=True, help="Replaces the tags (repeatable).")
@click.option("--notify", "notify", multiple=True, help="Replaces the Apprise tags (repeatable).")
@click.option("--model-change-notice")
@click.option("--rollback-window")
@pass_state
def edit(state: State, key: str, **options: Any) -> None:
    """Change a contract's fields (e.g. --notice 60d); recorded with old and new values."""
    from tracker import ledger

    changes = {k: (list(v) if isinstance(v, tuple) else v) for k, v in options.items() if v not in (None, ())}
    if changes.get("term") and changes.get("end"):
        raise InvalidInput.field("end", changes["end"], "either --term or --end, not both")
    if not changes:
        raise InvalidInput("edit: nothing to change; give at least one option such as --notice 60d")
    with state.session() as session:
        diff = ledger.edit_contract(session, key, changes, state.context())
    if not diff:
        click.echo(f"{key}: no change.")
        return
    for name, change in diff.items():
        click.echo(f"{key}: {name} {change['old']} -> {change['new']}")


@click.command("notice")
@click.argument("key")
@click.option("--sent-on", required=True, help="The day written notice was sent, YYYY-MM-DD.")
@pass_state
def notice(state: State, key: str, sent_on: str) -> None:
    """Record notice of non-renewal or termination: the contract ends at the end of that term."""
    from tracker import ledger

    day = parse_day(sent_on, "--sent-on")
    with state.session() as session:
        ends_on = ledger.record_notice(session, key, day, state.context())
    click.echo(f"{key}: notice sent on {day} recorded; the contract ends on {ends_on} and will not renew.")


@click.command("model-change")
@click.argument("key")
@click.option("--announced", required=True, help="The day the vendor announced the change, YYYY-MM-DD.")
@click.option("--effective", required=True, help="The day the change takes effect, YYYY-MM-DD.")
@pass_state
def model_change(state: State, key: str, announced: str, effective: str) -> None:
    """Record a vendor's model-change notice: parallel tests before it, a rollback decision after."""
    from tracker import ledger
    from tracker.models import public_id

    d1, d2 = parse_day(announced, "--announced"), parse_day(effective, "--effective")
    with state.session() as session:
        result = ledger.record_model_change(session, key, d1, d2, state.context())
        change_id = public_id(key, result.model_change)
        rollback_id = public_id(key, result.rollback) if result.rollback else None
    click.echo(f"{key}: model change effective {d2} recorded ({result.notice_days} days' notice).")
    click.echo(f"  {change_id}: run parallel tests before {d2}.")
    if result.rollback and rollback_id:
        click.echo(f"  {rollback_id}: decide on a rollback by {result.rollback.next_due or result.rollback.due}.")
    if result.breach:
        click.secho(f"  Breach: {result.breach}. The owner is alerted at the next notify pass.", fg="yellow")


@click.command("archive")
@click.argument("key")
@pass_state
def archive(state: State, key: str) -> None:
    """Archive a contract: off the timeline, calendars and reminders; its history is kept."""
    from tracker import ledger

    with state.session() as session:
        ledger.archive_contract(session, key, state.context())
    click.echo(f"{key}: archived; `tracker list --all` and `tracker history {key}` still show it.")


@click.command("ack")
@click.argument("obligation_id", metavar="ID")
@pass_state
def ack(state: State, obligation_id: str) -> None:
    """Stop reminders for the current occurrence of an obligation (until it changes)."""
    from tracker import ledger

    with state.session() as session:
        _, _, occurrence = ledger.acknowledge(session, obligation_id, state.context())
    click.echo(f"{obligation_id}: reminders for {occurrence.due} stopped until the obligation changes.")


# --- obligations ---------------------------------------------------------------------------------


@click.group("obligation")
def obligation() -> None:
    """Add obligations to a contract and settle their occurrences."""


@obligation.command("add")
@click.argument("key")
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
    from tracker import ledger
    from tracker.models import public_id
    from tracker.specs import parse_obligation

    spec = parse_obligation({k: v for k, v in options.items() if v is not None})
    with state.session() as session:
        added = ledger.add_obligation(session, key, spec, state.context())
        ref, next_due = public_id(key, added), added.next_due
    click.echo(f"Added {ref}: {spec.title}" + (f", next due {next_due}." if next_due else "."))


def _settle_command(status: str) -> click.Command:
    @click.command(status if status == "waive" else "done")
    @click.argument("obligation_id", metavar="ID")
    @click.option("--on", "on", help="When it was settled (default: today).")
    @click.option("--note", help="A note for the ledger.")
    @pass_state
    def command(state: State, obligation_id: str, on: str | None, note: str | None) -> None:
        from tracker import ledger

        day = _today_or(state, on, "--on")
        word = "done" if status == "done" else "waived"
        with state.session() as session:
            _, _, occurrence = ledger.settle(session, obligation_id, word, day, note, state.context())
        click.echo(f"{obligation_id}: the occurrence due {occurrence.due} is {word}.")

    command.help = (
        "Mark the current occurrence of obligation ID done (or ID@DATE for another)."
        if status == "done" else "Waive the current occurrence of obligation ID (or ID@DATE for another)."
    )
    return command


obligation.add_command(_settle_command("done"))
obligation.add_command(_settle_command("waive"))


@obligation.command("record")
@click.argument("obligation_id", metavar="ID")
@click.option("--count", type=int, default=1, show_default=True, help="How many were delivered.")
@click.option("--on", "on", help="When (default: today).")
@click.option("--note", help="A note for the ledger, e.g. 'Session 2: admins'.")
@pass_state
def obligation_record(state: State, obligation_id: str, count: int, on: str | None, note: str | None) -> None:
    """Record progress on a counted obligation (e.g. one of 3 trainings delivered)."""
    from tracker import ledger

    day = _today_or(state, on, "--on")
    with state.session() as session:
        _, obligation_row, progress = ledger.record_progress(
            session, obligation_id, count, day, note, state.context()
        )
        required, done = obligation_row.required, progress.progress
    suffix = " Complete." if progress.status == "done" else ""
    click.echo(f"{obligation_id}: {done} of {required} delivered.{suffix}")


COMMANDS = [add, import_, export, list_, show, upcoming, edit, notice, model_change, history, ack, archive, obligation]
