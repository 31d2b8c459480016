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

    from tracker.cli import calendar, contracts, notify, timeline

    workdir = Path(tempfile.mkdtemp(prefix="tracker-demo-"))
    sample = resources.files("tracker.sample_data")
    demo_state = State(
        db_option=f"sqlite:///{workdir / 'demo.db'}", config_option=state.config_option,
        today_option=state.today.isoformat(), actor_option="demo",
    )
    ctx.obj = demo_state

    def step(title: str) -> None:
        click.echo("")
        click.secho(f"== {title}", bold=True)

    step(f"Importing the sample ledger (as of {demo_state.today})")
    with resources.as_file(sample / "contracts.yaml") as path:
        ctx.invoke(contracts.import_, file=path, fmt="auto", dry_run=False)
    with resources.as_file(sample / "contracts.csv") as path:
        ctx.invoke(contracts.import_, file=path, fmt="auto", dry_run=False)
    step("Contracts, their current terms and notice deadlines  (tracker list)")
    ctx.invoke(timeline.list_, owner=None, include_archived=False, fmt="table")
    step("Everything due in the next 90 days, overdue first  (tracker upcoming)")
    ctx.invoke(timeline.upcoming, within="90d", owner=None, kind=None, contract=None, fmt="table")
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


COMMANDS = [demo]
