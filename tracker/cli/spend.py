"""Money commands: `price` (a new price from a date on) and `spend` (annualised spend and renewal exposure)."""

from __future__ import annotations

import click

from tracker.cli.common import State, emit, format_option, parse_day, pass_state, print_table
from tracker.cli.inputs import contract_key

SPEND_COLUMNS = [("group", "Group"), ("annual", "Per year"), ("contracts", "Contracts")]
EXPOSURE_COLUMNS = [
    ("notice_by", "Notice by"), ("renews_on", "Renews on"), ("contract", "Contract"), ("vendor", "Vendor"),
    ("owner", "Owner"), ("amount", "Commits"),
]
EXPOSURE_CSV_COLUMNS = [*EXPOSURE_COLUMNS, ("currency", "Currency")]


@click.command("price")
@click.argument("key", callback=contract_key)
@click.argument("amount")
@click.option("--from", "effective_from", required=True, help="The day the new price applies from, YYYY-MM-DD.")
@click.option("--note", help="A note for the ledger, e.g. 'renewal quote, 5% over list'.")
@pass_state
def price(state: State, key: str, amount: str, effective_from: str, note: str | None) -> None:
    """Record a new price for contract KEY (in its currency and value basis); uplifts above the cap are flagged."""
    from tracker.domain.checks import checked_note
    from tracker.domain.money import EXPECTED, parse_amount
    from tracker.domain.spend import format_percent
    from tracker.errors import InvalidInput
    from tracker.services.spend import record_price

    value = parse_amount(amount)
    if value is None:
        raise InvalidInput.field("AMOUNT", amount, EXPECTED)
    day = parse_day(effective_from, "--from")
    note = checked_note(note)
    with state.session() as session:
        view = record_price(session, key, value, day, note, state.context())
    rise = f" ({view.uplift:+}%)" if view.uplift is not None else ""
    click.echo(f"{key}: {view.amount} from {view.effective_from}{rise}.")
    if view.above_cap:
        cap = format_percent(view.cap) if view.cap is not None else "?"
        click.secho(f"  Above the renewal uplift cap of {cap}: raise it with the vendor before accepting.", fg="yellow")


@click.command("spend")
@click.option("--by", "by", type=click.Choice(["vendor", "owner", "tag", "currency"]), default="vendor",
              show_default=True, help="How to group the annualised spend.")
@click.option("--within", default="90d", show_default=True,
              help="Renewal exposure: what renews automatically within this duration unless notice is given.")
@format_option()
@pass_state
def spend(state: State, by: str, within: str, fmt: str) -> None:
    """Annualised committed spend per currency, and the renewal exposure: what renews unless notice is given."""
    from decimal import Decimal

    from tracker.domain.dates import days_spanned
    from tracker.domain.durations import parse_duration
    from tracker.domain.money import format_money
    from tracker.services.spend import spend_report

    days = days_spanned(state.today, parse_duration(within, "--within", allow_zero=True))
    with state.session() as session:
        report = spend_report(session, state.today, by, days, state.settings.base_currency, state.settings.rates)
    if fmt == "json":
        emit(dict(report), "json", [])
        return
    if fmt == "csv":
        emit([dict(row) for row in report["exposure"]], "csv", EXPOSURE_CSV_COLUMNS)
        return
    # People read amounts one way everywhere: "USD 120,000.00" (JSON and CSV keep the plain figures).
    spend_rows = [{**row, "annual": format_money(Decimal(row["annual"]), row["currency"])} for row in report["spend"]]
    print_table(spend_rows, SPEND_COLUMNS, title=f"Annualised spend by {by}")
    converted = report["converted"]
    if converted is not None:
        click.echo(f"In {converted['currency']} at the configured rates: "
                   f"{format_money(Decimal(converted['annual']), converted['currency'])} a year, "
                   f"{format_money(Decimal(converted['exposure']), converted['currency'])} exposed.")
    click.echo("")
    if not report["exposure"]:
        click.echo(f"Nothing renews automatically within {within} of {state.today}.")
        return
    exposure_rows = [{**row, "amount": format_money(Decimal(row["amount"]), row["currency"])}
                     for row in report["exposure"]]
    print_table(exposure_rows, EXPOSURE_COLUMNS,
                title=f"Renewal exposure: auto-renews within {within} unless notice is given")
    sums: dict[str, Decimal] = {}  # per currency: amounts in different currencies are never added up
    for row in report["exposure"]:
        sums[row["currency"] or "-"] = sums.get(row["currency"] or "-", Decimal(0)) + Decimal(row["amount"])
    click.echo("Exposure: " + "; ".join(format_money(total, currency) for currency, total in sorted(sums.items())))



COMMANDS = [price, spend]
