"""Read commands: list, show, upcoming, history. Each makes one service call and prints its typed view."""

from __future__ import annotations

from typing import Any

import click

from tracker.cli.common import State, emit, format_option, pass_state, print_table
from tracker.cli.inputs import contract_key, one_line
from tracker.errors import InvalidInput

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


def describe_dates(view: Any) -> None:
    """The contract's current term and what to do next, in words."""
    term = view["term"]
    click.echo(f"  Term {term['number']}: {term['start']} to {term['end']}")
    if view["notice_deadline"]:
        click.echo(f"  Give notice by {view['notice_deadline']} to stop the renewal of {view['renews_on']}.")
    elif view["ends_on"]:
        click.echo(f"  Ends on {view['ends_on']}.")


@click.command("list")
@click.option("--owner", callback=one_line, help="Only contracts this person owns.")
@click.option("--all", "include_archived", is_flag=True, help="Include archived contracts.")
@format_option()
@pass_state
def list_(state: State, owner: str | None, include_archived: bool, fmt: str) -> None:
    """Contracts with status, current term end and next notice deadline."""
    from tracker.services.timeline import list_contracts

    with state.session() as session:
        rows = list_contracts(session, state.today, owner, include_archived, state.context().today_for)
    emit([dict(row) for row in rows], fmt, LIST_COLUMNS)


@click.command("show")
@click.argument("key", callback=contract_key)
@format_option()
@pass_state
def show(state: State, key: str, fmt: str) -> None:
    """One contract with its computed dates and obligations."""
    from tracker.domain.money import format_money
    from tracker.services.timeline import show_contract

    with state.session() as session:
        view = show_contract(session, key, state.today, state.context().today_for)
    if fmt != "table":
        columns = [(k, k) for k in view if k != "obligations"]
        emit(dict(view), fmt, columns)
        return
    from tracker.domain.checks import visible

    # Stored text is shown, never executed: escape sequences in a title must not reach the terminal.
    click.echo(visible(f"{view['key']}: {view['vendor']}, {view['title']} [{view['status']}]"))
    click.echo(visible(f"  Owner {view['owner']}" + (f", backup {view['backup_owner']}" if view["backup_owner"]
                                                        else "")))
    if view["value"]:
        from decimal import Decimal

        click.echo(f"  Value {format_money(Decimal(view['value']), view['currency'])}")
    describe_dates(view)
    if view["minimum_commitment_until"]:
        click.echo(f"  Minimum commitment until {view['minimum_commitment_until']}: its notice deadlines fell "
                   "before the start.")
    sent = view["notice_given_on"] or view["termination_sent_on"]
    if sent:
        what = "Notice" if view["notice_given_on"] else "Termination notice"
        renewals = view["renewals_before_end"]
        more = f"; it renews {len(renewals)} more time(s) first ({', '.join(renewals)})" if renewals else ""
        click.echo(f"  {what} given on {sent} reached the end on {view['ends_on']}{more}.")
    from decimal import Decimal

    from tracker.domain.checks import visible
    from tracker.domain.meters import format_quantity

    for meter in view["meters"]:
        click.echo(visible(f"  Meter {meter['name']}: {format_quantity(Decimal(meter['used']))} of "
                           f"{format_quantity(Decimal(meter['limit']))} {meter['unit']} "
                           f"({meter['percent']}%); {meter['forecast']}."))
    exit_ = view["earliest_exit"]
    if exit_["termination"]:
        click.echo(f"  Terminate for convenience today and it ends on {exit_['termination']['ends_on']}.")
    click.echo("")
    print_table([dict(o) for o in view["obligations"]], [
        ("id", "Id"), ("kind", "Kind"), ("title", "Title"), ("owed_by", "Owed by"), ("next_due", "Next due"),
        ("status", "Status"), ("progress", "Progress"), ("every", "Repeats"),
    ])


@click.command("upcoming")
@click.option("--within", default="90d", show_default=True, help="How far ahead, as a duration.")
@click.option("--owner", callback=one_line, help="Only this owner's contracts.")
@click.option("--kind", help="Only this kind of obligation.")
@click.option("--contract", callback=contract_key, help="Only this contract (key).")
@format_option()
@pass_state
def upcoming(state: State, within: str, owner: str | None, kind: str | None, contract: str | None, fmt: str) -> None:
    """The timeline: every deadline due within --within, plus overdue ones, by date."""
    from tracker.domain.dates import days_spanned
    from tracker.domain.durations import parse_duration
    from tracker.domain.kinds import ALL_KINDS
    from tracker.services.lookup import get_contract
    from tracker.services.timeline import Filters
    from tracker.services.timeline import upcoming as timeline

    days = days_spanned(state.today, parse_duration(within, "--within", allow_zero=True))
    if kind and kind not in ALL_KINDS:
        raise InvalidInput.field("--kind", kind, f"one of {', '.join(ALL_KINDS)}")
    with state.session() as session:
        if contract:
            get_contract(session, contract)
        rows = timeline(session, state.today, days, Filters(owner=owner, kind=kind, contract=contract),
                        state.context().today_for)
    if fmt == "table" and not rows:
        click.echo(f"Nothing due within {within} of {state.today}.")
        return
    emit([dict(row) for row in rows], fmt, UPCOMING_COLUMNS)


@click.command("history")
@click.argument("key", callback=contract_key)
@format_option()
@pass_state
def history(state: State, key: str, fmt: str) -> None:
    """The ledger events of one contract, oldest first."""
    from tracker.services.events import history as events
    from tracker.services.lookup import get_contract

    with state.session() as session:
        views = events(session, get_contract(session, key))
    rows: list[dict[str, Any]] = [dict(view) for view in views]
    if fmt != "json":
        for row in rows:
            row["summary"] = _summary(row["payload"])
    emit(rows, fmt, HISTORY_COLUMNS if fmt == "table" else [("at", "at"), ("actor", "actor"), ("kind", "kind"),
                                                              ("payload", "payload")])


def _summary(payload: dict[str, Any]) -> str:
    if "changes" in payload:
        return "; ".join(f"{k}: {v['old']} -> {v['new']}" for k, v in payload["changes"].items())
    keep = [f"{k}={v}" for k, v in payload.items() if k not in ("fields",) and v not in (None, "", [])]
    return ", ".join(keep)[:160]



COMMANDS = [list_, show, upcoming, history]
