"""Alembic environment: runs on the engine the tracker hands over (or the URL in the config)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

config = context.config
# Migrations never import the live tables: each revision spells out its own schema, so a later change to
# the tables cannot rewrite history. Only autogenerate compares with them (tracker.store.schema passes them).
target_metadata = config.attributes.get("target_metadata")


def run_migrations() -> None:
    engine = config.attributes.get("engine") or create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
