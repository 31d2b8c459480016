"""`tracker demo`: a guided run on the shipped sample data in a temporary database."""

from __future__ import annotations

import click

from tracker.cli.common import State, pass_state


@click.command("demo")
@click.option("--keep", is_flag=True, help="Keep the temporary database and files, and print where.")
@click.pass_context
@pass_state
def demo(state: State, ctx: click.Context, keep: bool) -> None:
    """Load sample_data/ into a temporary SQLite database and show what the tracker does with it."""
    import tempfile
    from importlib import resources
    from pathlib import Path

    from tracker.cli import calendar, contracts, notify, renewal, spend, timeline, usage

    workdir = Path(tempfile.mkdtemp(prefix="tracker-demo-"))
    sample = resources.files("tracker.sample_data")
    demo_state = State(
        db_option=f"sqlite:///{workdir / 'demo.db'}", config_option=state.config_option,
        today_option=state.today.isoformat(), actor_option="demo",
    )
    ctx.obj = demo_state
    demo_state.engine(create=True)  # the scratch database is created and migrated here, as `init` would

    def step(title: str) -> None:
        click.echo("")
        click.secho(f"== {title}", bold=True)

    step(f"Importing the sample ledger (as of {demo_state.today})")
    with resources.as_file(sample / "contracts.yaml") as path:
        ctx.invoke(contracts.import_, file=path, fmt="auto", dry_run=False)
    with resources.as_file(sample / "contracts.csv") as path:
        ctx.invoke(contracts.import_, file=path, fmt="auto", dry_run=False)
    with resources.as_file(sample / "usage-northwind-credits.csv") as path:
        ctx.invoke(usage.import_, file=str(path), reference="northwind-crm-ai/credits")
    step("Contracts, their current terms and notice deadlines  (tracker list)")
    ctx.invoke(timeline.list_, owner=None, include_archived=False, fmt="table")
    step("Everything due in the next 90 days, overdue first  (tracker upcoming)")
    ctx.invoke(timeline.upcoming, within="90d", owner=None, kind=None, contract=None, fmt="table")
    step("The ways out of a contract if you act today  (tracker show cortex-agents --format json: earliest_exit)")
    _earliest_exit(demo_state, "cortex-agents")
    step("AI credits against the allowance, with the forecast  (tracker usage northwind-crm-ai)")
    ctx.invoke(usage.show, key="northwind-crm-ai", fmt="table")
    step("What renews automatically in the next 90 days unless notice is given  (tracker spend)")
    ctx.invoke(spend.spend, by="vendor", within="90d", fmt="table")
    step("A renewal brief: dates, spend, review findings and asks  (tracker brief cortex-agents)")
    ctx.invoke(renewal.brief, key="cortex-agents", html=False, output=None)
    for extra in (calendar.demo_step, notify.demo_step):
        extra(ctx, demo_state, workdir, step)
    step("Done")
    if keep:
        click.echo(f"The demo database is {workdir / 'demo.db'}; try:")
        click.echo(f"  tracker --db sqlite:///{workdir / 'demo.db'} show acme-ai-support")
    else:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
        click.echo("The temporary database was removed (pass --keep to explore it).")


def _earliest_exit(state: State, key: str) -> None:
    """Print a contract's two exits: notice of non-renewal, and termination for convenience."""
    import json

    from tracker.services.timeline import show_contract

    with state.session() as session:
        view = show_contract(session, key, state.today, state.context().today_for)
    exits = view["earliest_exit"]
    click.echo(json.dumps({"earliest_exit": exits}, indent=2))
    if exits["non_renewal"]:
        click.echo(f"Non-renewal: give notice by {exits['non_renewal']['notice_by']}, "
                   f"it ends on {exits['non_renewal']['ends_on']}.")
    if exits["termination"]:
        click.echo(f"Termination for convenience: give notice today, it ends on {exits['termination']['ends_on']}.")


COMMANDS = [demo]
