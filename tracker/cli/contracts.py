"""Contract commands: add (options or prompts), import, export, edit, notice, model-change, archive."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from tracker.cli.common import State, emit, format_option, is_terminal, parse_day, pass_state
from tracker.cli.inputs import FilePath, contract_key, write_output
from tracker.errors import InvalidInput, Problem

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
    from tracker.domain.specs import parse_contract

    _, problems = parse_contract(raw)
    return [p for p in problems if p.field == name or (name == "term" and p.field == "end")]


def _suggestion(name: str, suggested: dict[str, Any]) -> str | None:
    """An extracted value as a prompt's default (the term prompt also takes an end date)."""
    value = suggested.get(name)
    if name == "term" and value is None:
        value = suggested.get("end")
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _prompt_missing(
    raw: dict[str, Any], suggested: dict[str, Any] | None = None, quotes: dict[str, str] | None = None,
) -> None:
    """Ask for every missing field, re-asking until the answer is valid; EOF means the field is missing.

    ``suggested`` values (extracted from a document by ``add --from``) are offered as defaults, each with
    the sentence it came from, so a person confirms rather than types.
    """
    from tracker.domain.specs import term_or_end

    suggested, quotes = suggested or {}, quotes or {}
    for name, text, required in PROMPTS:
        if raw.get(name) not in (None, "") or (name == "term" and raw.get("end")):
            continue
        if name == "notice" and raw.get("auto_renew") is False:
            continue
        default = _suggestion(name, suggested)
        quote = quotes.get(name) or (quotes.get("end") if name == "term" else None)
        if default is not None and quote:
            click.echo(f"  From the document: “{_short(quote)}”", err=True)
        while True:
            try:
                # Prompts go to stderr: stdout stays the command's output (e.g. --format json).
                if default is not None:
                    answer = click.prompt(text, default=default, show_default=True, err=True)
                else:
                    answer = click.prompt(text, default="" if not required else None, show_default=False, err=True)
            except click.exceptions.Abort:
                if not required:
                    break
                raise InvalidInput.field(name, "", f"a value (required; pass --{name.replace('_', '-')})") from None
            answer = answer.strip()
            if name == "term" and term_or_end(answer)[0] == "end":
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


def _short(text: str, limit: int = 300) -> str:
    """A quote on one line, cut to ``limit`` characters."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


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
@click.option("--termination-notice", help="Termination for convenience: the notice it takes, e.g. '60 days'.")
@click.option("--termination-fee", help="Its fee: a share of the rest of the term's fees, e.g. '30%'.")
@click.option("--value-basis", help="What --value is the price of: per term (default), per year or per month.")
@click.option("--renewal-uplift-cap", help="The most a renewal price may rise, e.g. '5%'.")
@click.option("--from", "from_file", metavar="FILE",
              help="Pre-fill the prompts from a signed document (.txt .md .pdf .docx .html), showing each quote.")
@click.option("--us", metavar="NAME", help="With --from: which party we are, so the other one is the vendor.")
@format_option()
@pass_state
def add(state: State, fmt: str, from_file: str | None, us: str | None, **options: Any) -> None:
    """Enter a contract: give every field as an option, or answer prompts for what is missing."""
    from tracker.cli.timeline import describe_dates
    from tracker.domain.specs import parse_contract
    from tracker.services.contracts import add_contracts, missed_window_warnings
    from tracker.services.timeline import show_contract

    raw: dict[str, Any] = {k: v for k, v in options.items() if v not in (None, (), "")}
    for name in ("tags", "notify"):
        if name in raw:
            raw[name] = list(raw[name])
    terms = {k: raw.pop(k) for k in ("model_change_notice", "rollback_window") if k in raw}
    if terms:
        raw["terms"] = terms
    suggested: dict[str, Any] = {}
    quotes: dict[str, str] = {}
    if from_file is not None:
        from pathlib import Path

        from tracker.services.extract.prefill import prefill

        suggested, quotes = prefill(Path(from_file), us)
        asked = {name for name, _, _ in PROMPTS} | {"end"}
        for name, value in suggested.items():  # what no prompt asks for is taken as found, and said so
            if name not in asked and raw.get(name) in (None, ""):
                raw[name] = value
                click.echo(f"  {name} = {value} (from the document: “{_short(quotes.get(name, ''))}”)", err=True)
    _prompt_missing(raw, suggested, quotes)
    spec, problems = parse_contract(raw)
    if problems or spec is None:
        raise InvalidInput(problems)
    from tracker.services.notify.channels import check_routes

    check_routes(state.settings, {spec.key: list(spec.notify)})  # a tag the Apprise config lacks: exit 2
    ctx = state.context()
    with state.session() as session:
        add_contracts(session, [spec], ctx)
        view = show_contract(session, spec.key, ctx.today, ctx.today_for)
        warnings = missed_window_warnings(session, spec.key, ctx)
    if fmt == "json":
        emit({**view, "warnings": warnings}, fmt, [])
        return
    click.echo(f"Added {spec.key}: {spec.vendor}, {spec.title}.")  # validated: no control characters
    describe_dates(view)
    for warning in warnings:
        click.secho(f"  Warning: {warning}", fg="yellow")


# --- import / export -----------------------------------------------------------------------------


@click.command("import")
@click.argument("file", type=FilePath(dir_okay=False, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["auto", "yaml", "json", "csv"]), default="auto",
              show_default=True, help="File format (auto: from the file name).")
@click.option("--dry-run", is_flag=True, help="Validate only; write nothing.")
@pass_state
def import_(state: State, file: str, fmt: str, dry_run: bool) -> None:
    """Import contracts from YAML, JSON or CSV: all or nothing, every problem listed."""
    from pathlib import Path

    from tracker.domain.checks import visible  # a file name may hold escape sequences too
    from tracker.domain.specs import parse_contracts
    from tracker.services.contracts import add_contracts
    from tracker.services.files import read_contracts

    rows = read_contracts(Path(file), fmt)
    specs = parse_contracts(rows)
    from tracker.services.notify.channels import check_routes

    check_routes(state.settings, {spec.key: list(spec.notify) for spec in specs})
    ctx = state.context()
    with state.session() as session, _progress(len(specs), f"Importing {Path(file).name}") as advance:
        added = add_contracts(session, specs, ctx, source="import", progress=advance)
        count = sum(len(spec.obligations) for spec in specs)
        if dry_run:
            session.rollback()
            click.echo(f"{visible(str(file))}: valid: {len(added)} contracts, {count} obligations (dry run: nothing "
                       "written).")
            return
    click.echo(f"Imported {len(added)} contracts with {count} obligations from {visible(str(file))}.")


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
@click.option("-o", "--output", type=FilePath(dir_okay=False), help="File (default: stdout).")
@pass_state
def export(state: State, fmt: str, output: str | None) -> None:
    """Export every contract; importing the file into an empty database reproduces the ledger."""
    from tracker.services.files import export_contracts

    with state.session() as session:
        text = export_contracts(session, fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_output(output, text)
        click.echo(f"Wrote {output}.", err=True)


@click.command("edit")
@click.argument("key", callback=contract_key)
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
@click.option("--termination-notice")
@click.option("--termination-fee")
@click.option("--value-basis")
@click.option("--renewal-uplift-cap")
@click.option("--protection", "protections", multiple=True, metavar="NAME=VALUE",
              help="A protection of the terms section, e.g. training_on_data=prohibited (empty value removes it).")
@pass_state
def edit(state: State, key: str, protections: tuple[str, ...], **options: Any) -> None:
    """Change a contract's fields (e.g. --notice 60d); recorded with old and new values."""
    from tracker.services.contracts import edit_contract

    changes = {k: (list(v) if isinstance(v, tuple) else v) for k, v in options.items() if v not in (None, ())}
    if protections:
        pairs = {}
        for item in protections:
            name, sep, value = item.partition("=")
            if not sep or not name.strip():
                raise InvalidInput.field("--protection", item, "NAME=VALUE, e.g. training_on_data=prohibited")
            pairs[name.strip()] = value.strip()
        changes["protections"] = pairs
    if changes.get("term") and changes.get("end"):
        raise InvalidInput.field("end", changes["end"], "either --term or --end, not both")
    if not changes:
        raise InvalidInput("edit: nothing to change; give at least one option such as --notice 60d")
    if "notify" in changes:
        from tracker.services.notify.channels import check_routes

        check_routes(state.settings, {key: changes["notify"]})
    with state.session() as session:
        diff = edit_contract(session, key, changes, state.context())
    if not diff:
        click.echo(f"{key}: no change.")
        return
    from tracker.domain.checks import visible

    for name, change in diff.items():  # old values were stored before text was checked: show them safely
        click.echo(visible(f"{key}: {name} {change['old']} -> {change['new']}"))


def _describe_ending(ending: Any, what: str) -> str:
    """What recorded notice does, exactly: the renewals that still happen and the last day."""
    if not ending.renewals:
        return f"{ending.key}: {what} sent on {ending.sent_on} recorded; the contract ends on {ending.ends_on} " \
               "and will not renew."
    renewals = ", ".join(str(day) for day in ending.renewals)
    times = "once more" if len(ending.renewals) == 1 else f"{len(ending.renewals)} more times"
    return (f"{ending.key}: {what} sent on {ending.sent_on} recorded; it renews {times} (on {renewals}) and ends "
            f"on {ending.ends_on}.")


@click.command("notice")
@click.argument("key", callback=contract_key)
@click.option("--sent-on", required=True, help="The day written notice was sent, YYYY-MM-DD.")
@pass_state
def notice(state: State, key: str, sent_on: str) -> None:
    """Record notice of non-renewal: the contract ends at the end of the first term whose deadline it met."""
    from tracker.services.contracts import record_notice

    day = parse_day(sent_on, "--sent-on")
    with state.session() as session:
        ending = record_notice(session, key, day, state.context())
    click.echo(_describe_ending(ending, "notice"))


@click.command("terminate")
@click.argument("key", callback=contract_key)
@click.option("--sent-on", required=True, help="The day written notice of termination was sent, YYYY-MM-DD.")
@click.option("--dry-run", is_flag=True, help="Print the effect; write nothing.")
@pass_state
def terminate(state: State, key: str, sent_on: str, dry_run: bool) -> None:
    """Record termination for convenience: the contract ends after its termination notice (or its term)."""
    from tracker.services.contracts import terminate as terminate_contract

    day = parse_day(sent_on, "--sent-on")
    with state.session() as session:
        ending = terminate_contract(session, key, day, state.context(), dry_run=dry_run)
    fee = ""
    if ending.fee is not None:
        from tracker.domain.money import format_money

        fee = f", with a termination fee of {format_money(ending.fee, ending.currency)}"
    if dry_run:
        click.echo(f"{key}: termination notice sent on {day} would end the contract on {ending.ends_on}{fee} "
                   "(dry run: nothing written).")
        return
    click.echo(_describe_ending(ending, "termination notice") + (f" Fee{fee.removeprefix(', with a termination fee')}."
                                                                 if fee else ""))


@click.command("model-change")
@click.argument("key", callback=contract_key)
@click.option("--announced", required=True, help="The day the vendor announced the change, YYYY-MM-DD.")
@click.option("--effective", required=True, help="The day the change takes effect, YYYY-MM-DD.")
@pass_state
def model_change(state: State, key: str, announced: str, effective: str) -> None:
    """Record a vendor's model-change notice: parallel tests before it, a rollback decision after."""
    from tracker.services.obligations import record_model_change

    d1, d2 = parse_day(announced, "--announced"), parse_day(effective, "--effective")
    with state.session() as session:
        result = record_model_change(session, key, d1, d2, state.context())
    click.echo(f"{key}: model change effective {d2} recorded ({result.notice_days} days' notice).")
    click.echo(f"  {result.change_id}: run parallel tests before {d2}.")
    if result.rollback_id:
        click.echo(f"  {result.rollback_id}: decide on a rollback by {result.rollback_due}.")
    if result.breach:
        from tracker.domain.checks import visible

        click.secho(visible(f"  Breach: {result.breach}. The owner is alerted at the next notify pass."), fg="yellow")


@click.command("archive")
@click.argument("key", callback=contract_key)
@pass_state
def archive(state: State, key: str) -> None:
    """Archive a contract: off the timeline, calendars and reminders; its history is kept."""
    from tracker.services.contracts import archive_contract

    with state.session() as session:
        archive_contract(session, key, state.context())
    click.echo(f"{key}: archived; `tracker list --all` and `tracker history {key}` still show it.")



COMMANDS = [add, import_, export, edit, notice, terminate, model_change, archive]
