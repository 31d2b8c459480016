"""Engines and sessions: the only module that knows which database engine is in use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tracker.errors import OperationalError

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
