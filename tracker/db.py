"""Engines, sessions and migrations. The only module that knows which database engine is in use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import TYPE_CHECKING, Any

from tracker.errors import OperationalError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session


def mask_url(url: str) -> str:
    """The URL with any password replaced by ***, safe for messages and logs."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable database URL>"


def make_engine(url: str) -> Engine:
    """An engine for ``url``. SQLite gets WAL, a busy timeout and write-locking transactions."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 60, "isolation_level": None})

            @event.listens_for(engine, "connect")
            def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA busy_timeout=60000")
                cursor.close()

            @event.listens_for(engine, "begin")
            def _sqlite_begin(connection: Any) -> None:
                # Take the write lock up front: two processes upgrading a read lock to a write lock
                # would otherwise fail with "database is locked" instead of waiting their turn.
                connection.exec_driver_sql("BEGIN IMMEDIATE")

            return engine
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return create_engine(url, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise OperationalError(f"cannot use database URL {mask_url(url)}: {exc}") from exc


def unreachable(url: str, exc: BaseException) -> OperationalError:
    """One clear line for a database that cannot be reached, the password masked."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc).strip() else type(exc)
    return OperationalError(f"database {mask_url(url)} is unreachable: {reason}")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back (nothing written) on any error."""
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("tracker.migrations")))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    config.attributes["engine"] = engine
    return config


def head_revision(engine: Engine) -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The schema's revision, or None for an empty database."""
    from sqlalchemy import inspect, text

    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Run the migrations up to ``revision``; return (before, after)."""
    from alembic import command

    before = current_revision(engine)
    command.upgrade(_alembic_config(engine), revision)
    after = current_revision(engine)
    assert after is not None
    return before, after


def migration_history(engine: Engine) -> list[tuple[str, str | None, str]]:
    """(revision, down_revision, message) from the newest to the oldest migration."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config(engine))
    return [
        (rev.revision, rev.down_revision if isinstance(rev.down_revision, str) else None, rev.doc or "")
        for rev in script.walk_revisions()
    ]
