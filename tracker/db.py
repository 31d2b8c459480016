"""Engines, sessions and migrations. The only module that knows which database engine is in use."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from tracker.errors import InvalidInput, OperationalError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session


SECRET_WORDS = ("password", "passwd", "secret", "token", "key")


def mask_url(url: str) -> str:
    """The URL with any password replaced by ***, safe for messages and logs."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
        # libpq also takes secrets as query parameters (?password=…, ?sslpassword=…).
        secret = {k: "***" for k in parsed.query if any(word in k.lower() for word in SECRET_WORDS)}
        masked = parsed.update_query_dict(secret).render_as_string(hide_password=True)
        return masked.replace("%2A%2A%2A", "***")
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
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
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise OperationalError(f"cannot use database URL {mask_url(url)}: {exc}") from exc
    except ImportError as exc:  # a dialect whose driver is not installed, e.g. postgresql+psycopg2://
        raise OperationalError(
            f"cannot use database URL {mask_url(url)}: its driver {exc.name or exc} is not installed "
            "(use postgresql+psycopg:// or sqlite:///)"
        ) from exc


def unreachable(url: str, exc: BaseException) -> OperationalError:
    """One clear line for a database that cannot be reached (or refuses access), the password masked."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc).strip() else type(exc)
    if getattr(getattr(exc, "orig", None), "sqlstate", None) == "42501":
        return OperationalError(f"database {mask_url(url)} refused access: {reason} (grant the user its rights)")
    return OperationalError(f"database {mask_url(url)} is unreachable: {reason}")


def is_connection_failure(exc: BaseException) -> bool:
    """Whether a driver error means the database cannot be used at all (connection, login, privileges)."""
    from sqlalchemy.exc import DBAPIError, InterfaceError
    from sqlalchemy.exc import OperationalError as DriverOperationalError

    if isinstance(exc, DriverOperationalError | InterfaceError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    # No statement: the connection itself failed (e.g. a bad option in the URL). 42501: insufficient
    # privilege; 28xxx: invalid authorization.
    return exc.statement is None or sqlstate == "42501" or sqlstate.startswith("28")


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
    # The config is a ConfigParser: a literal % (an escaped character in a password) must be doubled.
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    config.attributes["engine"] = engine
    return config


def head_revision(engine: Engine) -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()
    assert head is not None
    return head


_REVISION_LINE = re.compile(r"""^(down_revision|revision)\s*(?::[^=]*)?=\s*(?:['"]([^'"]+)['"]|(None))\s*$""", re.M)


@lru_cache(maxsize=1)
def newest_revision() -> str | None:
    """The head revision read from the migration scripts' ``revision`` lines, without importing Alembic.

    Importing Alembic costs about half a second, which every command would pay just to learn that the
    schema is current. None when the scripts do not form one plain chain (a merge, an unusual header):
    callers then ask Alembic (:func:`head_revision`), which is always right.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in resources.files("tracker.migrations").joinpath("versions").iterdir():
        if not script.name.endswith(".py") or script.name.startswith("__"):
            continue
        found = {name: value for name, value, _ in _REVISION_LINE.findall(script.read_text(encoding="utf-8"))}
        if "revision" not in found or "down_revision" not in found or not found["revision"]:
            return None
        revisions.add(found["revision"])
        if found["down_revision"]:
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def current_revision(engine: Engine) -> str | None:
    """The schema's revision, or None for an empty database."""
    from sqlalchemy import inspect, text

    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def known_revision(engine: Engine, revision: str) -> bool:
    """Whether ``revision`` is one of this tracker's migrations (a newer tracker may have migrated further)."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(_alembic_config(engine)).get_revision(revision) is not None
    except CommandError:
        return False


def newer_schema(url: str, revision: str, head: str) -> OperationalError:
    """The error for a database migrated by a newer tracker than this one: nothing is changed."""
    return OperationalError(
        f"the database {mask_url(url)} is at schema {revision}, which this tracker does not know "
        f"(its newest is {head}): a newer tracker migrated it; upgrade tracker"
    )


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Run the migrations up to ``revision``; return (before, after)."""
    from alembic import command

    if revision != "head" and not known_revision(engine, revision):
        raise InvalidInput.field("REVISION", revision, "a revision listed by `tracker db history`, or head")
    before = current_revision(engine)
    if before is not None and not known_revision(engine, before):
        raise newer_schema(engine.url.render_as_string(hide_password=False), before, head_revision(engine))
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
