"""`tracker init` and `tracker db current|upgrade|history`: the schema's migration state (Alembic)."""

from __future__ import annotations

import click

from tracker.cli.common import State, database_errors, pass_state


@click.command("init")
@pass_state
def init(state: State) -> None:
    """Create or upgrade the database to the newest schema (safe to run again)."""
    from tracker.store import schema as db
    from tracker.store.engine import mask_url

    engine = state.engine(migrate=False, create=True)
    with database_errors(state.db_url):
        before, after = db.upgrade(engine)
    verb = "created" if before is None else ("already up to date" if before == after else f"upgraded from {before}")
    click.echo(f"Database {mask_url(state.db_url)}: {verb} (schema {after}).")
    if state.config_path.exists():
        click.echo(f"Settings: {state.config_path}")
    else:
        click.echo(f"Settings: none yet; defaults apply (create {state.config_path} to change them).")


@click.group("db")
def db_group() -> None:
    """Inspect and upgrade the database schema (Alembic migrations)."""


@db_group.command("current")
@pass_state
def db_current(state: State) -> None:
    """Show the schema revision of the database and whether it is the newest."""
    from tracker.store import schema as db
    from tracker.store.engine import NoSchema, mask_url

    engine = state.engine(migrate=False)
    try:
        with database_errors(state.db_url):
            current, tables = db.inspect_schema(engine)
    except NoSchema:  # a missing SQLite file: as empty as it gets (and it stays missing)
        current, tables = None, []
    head = db.head_revision(engine)
    if current is None and tables:
        raise db.foreign_schema(state.db_url, tables)
    if current is None:
        click.echo(f"{mask_url(state.db_url)}: empty (run `tracker init`); newest schema is {head}.")
    else:
        if current == head:
            suffix = " (newest)"
        elif db.known_revision(engine, current):
            suffix = f" (newest is {head}: run `tracker db upgrade`)"
        else:
            suffix = f" (unknown to this tracker, whose newest is {head}: a newer tracker migrated it)"
        click.echo(f"{mask_url(state.db_url)}: schema {current}{suffix}")


@db_group.command("upgrade")
@click.argument("revision", default="head")
@pass_state
def db_upgrade(state: State, revision: str) -> None:
    """Upgrade the schema to REVISION (default: the newest). Back up the database first."""
    from tracker.store import schema as db

    engine = state.engine(migrate=False, create=True)
    with database_errors(state.db_url):
        before, after = db.upgrade(engine, revision)
    click.echo(f"Schema {before or 'empty'} -> {after}.")


@db_group.command("history")
@pass_state
def db_history(state: State) -> None:
    """List the migrations, newest first."""
    from tracker.store import schema as db

    for revision, down, message in db.migration_history(state.engine(migrate=False)):
        click.echo(f"{down or '<base>'} -> {revision}: {message}")


COMMANDS = [init, db_group]
