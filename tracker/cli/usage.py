"""`tracker usage`: record usage against a contract's meters, import it from a CSV, show history and forecast."""

from __future__ import annotations

from typing import Any

import click

from tracker.cli.common import State, emit, parse_day, pass_state
from tracker.cli.inputs import FilePath, contract_key

BAR = 40  # characters of the terminal chart's bars


class UsageGroup(click.Group):
    """`tracker usage KEY` shows a contract's usage; `record` and `import` are the subcommands."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None,
                                                                            list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["show", *args]
        return super().resolve_command(ctx, args)


@click.group("usage", cls=UsageGroup)
def usage() -> None:
    """Usage against a contract's meters: `usage KEY`, `usage record`, `usage import`."""


@usage.command("record")
@click.argument("key", callback=contract_key)
@click.argument("meter")
@click.argument("amount")
@click.option("--on", "on", help="The day of the usage (default: today).")
@click.option("--total", is_flag=True, help="AMOUNT is a reading of the period's total, not an increment.")
@click.option("--reset", is_flag=True, help="A reading lower than the one before it: the counter was reset.")
@click.option("--note", help="A note, e.g. 'from the vendor dashboard'.")
@pass_state
def record(state: State, key: str, meter: str, amount: str, on: str | None, total: bool, reset: bool,
           note: str | None) -> None:
    """Record AMOUNT of METER used on contract KEY (an increment, or a reading with --total)."""
    from tracker.domain.checks import checked_note, visible
    from tracker.domain.money import parse_amount
    from tracker.errors import InvalidInput
    from tracker.services.usage import record_usage

    value = parse_amount(amount)
    if value is None:
        raise InvalidInput.field("AMOUNT", amount, "a non-negative amount such as 1500 or 12.5")
    day = parse_day(on, "--on") if on else state.today
    note = checked_note(note)
    with state.session() as session:
        view = record_usage(session, key, meter, value, day, state.context(), total=total, reset=reset, note=note)
    click.echo(visible(f"{key}/{meter}: {_q(view['used'])} of {_q(view['limit'])} {view['unit']} ({view['percent']}%) "
                       f"from {view['period']['start']} to {view['period']['end']}; {view['forecast']}."))


@usage.command("import")
@click.argument("file", type=FilePath(dir_okay=False))
@click.option("--meter", "reference", required=True, metavar="KEY/METER", help="The meter the rows are for.")
@pass_state
def import_(state: State, file: str, reference: str) -> None:
    """Import usage rows (date, amount[, note, total]) from a vendor dashboard's CSV; re-importing adds nothing."""
    from pathlib import Path

    from tracker.services.usage import import_usage

    with state.session() as session:
        result = import_usage(session, Path(file), reference, state.context())
    click.echo(f"{reference}: {result.added} rows added, {result.unchanged} already recorded.")


@usage.command("show", hidden=True)
@click.argument("key", callback=contract_key)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_state
def show(state: State, key: str, fmt: str) -> None:
    """The meters of contract KEY with their usage history, forecast and a small chart."""
    from tracker.domain.checks import visible
    from tracker.services.usage import usage_history

    with state.session() as session:
        meters, history = usage_history(session, key, state.context())
    if fmt == "json":
        emit({"contract": key, "meters": [{**m, "history": history[m["name"]]} for m in meters]}, "json", [])
        return
    if not meters:
        click.echo(f"{key} declares no meters (add `meters:` to the contract in its YAML).")
        return
    for meter in meters:
        click.echo(visible(f"{meter['name']} ({meter['kind']}): {_q(meter['used'])} of {_q(meter['limit'])} "
                           f"{meter['unit']} ({meter['percent']}%) from {meter['period']['start']} to "
                           f"{meter['period']['end']}"))
        click.echo(visible(f"  {meter['forecast']}"))
        _chart(meter, history[meter["name"]])


def _chart(meter: Any, rows: list[Any]) -> None:
    """The period's usage so far as bars against the limit, one per record."""
    from decimal import Decimal

    limit = Decimal(meter["limit"])
    running = Decimal(0)
    for row in rows:
        if not meter["period"]["start"] <= row["on"] <= meter["period"]["end"]:
            continue
        running = Decimal(row["amount"]) if row["total"] else running + Decimal(row["amount"])
        filled = min(BAR, int(running / limit * BAR)) if limit else 0
        click.echo(f"  {row['on']} |{'#' * filled}{'.' * (BAR - filled)}| {_q(str(running))}")


def _q(amount: str) -> str:
    """A quantity for people: ``826,000``."""
    from decimal import Decimal

    from tracker.domain.meters import format_quantity

    return format_quantity(Decimal(amount))


COMMANDS = [usage]
