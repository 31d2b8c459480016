"""Engines and sessions: the only module that knows which database engine is in use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tracker.errors import OperationalError

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.engine import Connection, Engine
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


WRITE_OPTION = "tracker_write"  # execution option: False marks a read-only transaction (a plain BEGIN on SQLite)
DATABASE_FILE_MODE = 0o600  # owner only: the ledger names vendors, owners and contract values


def make_engine(url: str, *, create: bool = True) -> Engine:
    """An engine for ``url``. SQLite gets a busy timeout, and write transactions that lock up front.

    ``create=False`` never creates an SQLite file: a missing one fails to open (reported as "no tracker
    schema" by :func:`database_failure`) instead of appearing as an empty ledger. A file that is created
    gets mode 0600 whatever the umask; SQLite gives its -wal and -shm files the same mode.
    """
    from sqlalchemy import create_engine, event
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 60, "isolation_level": None})
            path = sqlite_path(url)

            @event.listens_for(engine, "do_connect")
            def _sqlite_open(_dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> None:
                if path is None:
                    return
                if create:
                    _create_private_file(path)
                else:
                    # mode=rw: open an existing file (read-only if the OS says so), never create one.
                    from urllib.parse import quote

                    cargs[:1] = [f"file:{quote(str(path))}?mode=rw"]
                    cparams["uri"] = True

            @event.listens_for(engine, "connect")
            def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
                cursor = dbapi_connection.cursor()
                # No journal_mode here: WAL is persistent, set once by `use_wal` when the schema is created
                # or upgraded. Switching on connect would rewrite another application's file before its
                # schema is even checked, and fails on a read-only copy in rollback-journal mode.
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA busy_timeout=60000")
                cursor.close()

            @event.listens_for(engine, "begin")
            def _sqlite_begin(connection: Any) -> None:
                # A writer takes the write lock up front: two processes upgrading a read lock to a write
                # lock would otherwise fail with "database is locked" instead of waiting their turn. A
                # reader begins a plain (deferred) transaction: under WAL it never waits for a writer, and
                # it works on a file it cannot write.
                write = connection.get_execution_options().get(WRITE_OPTION, True)
                connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

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


def use_wal(engine: Engine) -> None:
    """Put an SQLite database in WAL mode (persistent in the file): readers and the writer never block each
    other. Outside any transaction, as SQLite requires; nothing to do on other engines."""
    if engine.dialect.name != "sqlite":
        return
    connection = engine.raw_connection()
    try:
        connection.cursor().execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL; None for an in-memory database, another engine or a ``file:`` URI."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:") or parsed.query.get("uri"):
        return None
    return Path(database).expanduser().absolute()


def _create_private_file(path: Path) -> None:
    """Create the database file with mode 0600 if it is missing (an empty file is an empty SQLite database).

    ``os.open``'s mode is filtered through the umask, so the mode is set again explicitly. A missing folder
    is left alone: SQLite then reports that it cannot open the file.
    """
    import os

    if path.exists() or not path.parent.is_dir():
        return
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, DATABASE_FILE_MODE)
    except FileExistsError:  # another process created it meanwhile
        return
    except OSError:
        return  # SQLite reports the same problem in its own words when it opens the file
    try:
        os.fchmod(descriptor, DATABASE_FILE_MODE)
    finally:
        os.close(descriptor)


# What a driver error means for the user: SQLite result codes (by name, subcodes folded into their
# primary code) and PostgreSQL SQLSTATEs. Anything else that stops the connection is "unreachable".
_SQLITE_MEANINGS = {
    "SQLITE_FULL": "full", "SQLITE_READONLY": "read-only", "SQLITE_BUSY": "busy", "SQLITE_LOCKED": "busy",
    "SQLITE_NOTADB": "damaged", "SQLITE_CORRUPT": "damaged",
}
_POSTGRESQL_MEANINGS = {
    "53100": "full",  # disk_full
    "25006": "read-only",  # read_only_sql_transaction (also a hot standby)
    "55P03": "busy", "57014": "busy", "40P01": "busy",  # lock_not_available, query_canceled (timeouts), deadlock
    "42501": "refused",  # insufficient_privilege
}
_MEANING_TEXT = {
    "full": "is full: {reason} (free some disk space, then try again)",
    "read-only": "is read-only: {reason} (this command writes: use a writable database)",
    "busy": "is busy: {reason} (another process held it too long; try again)",
    "damaged": "is damaged or not a database: {reason} (check the path, or restore it from a backup)",
    "refused": "refused access: {reason} (grant the user its rights)",
    "unreachable": "is unreachable: {reason}",
}


class NoSchema(OperationalError):
    """A missing or empty database: only `tracker init` (or `tracker db upgrade`) creates the schema."""


def no_schema(url: str, detail: str = "") -> NoSchema:
    """The error for a missing or empty database, in one line."""
    return NoSchema(f"database {mask_url(url)} has no tracker schema{detail}; run `tracker init`")


def database_failure(url: str, exc: BaseException) -> OperationalError | None:
    """One line saying what went wrong with the database (full, read-only, busy, damaged, unreachable …),
    the password masked; None when ``exc`` is not about the database itself (a bug, a constraint)."""
    from sqlalchemy.exc import DBAPIError, InterfaceError
    from sqlalchemy.exc import OperationalError as DriverOperationalError

    if not isinstance(exc, DBAPIError):
        return None
    orig = exc.orig
    text = str(orig or exc).strip()
    reason = text.splitlines()[0] if text else type(orig or exc).__name__
    sqlite_name = getattr(orig, "sqlite_errorname", None)
    sqlstate = getattr(orig, "sqlstate", None) or ""
    meaning: str | None
    if sqlite_name:
        meaning = _SQLITE_MEANINGS.get("_".join(sqlite_name.split("_")[:2]))
        if meaning is None and sqlite_name.startswith("SQLITE_CANTOPEN"):
            path = sqlite_path(url)
            if path is not None and path.parent.is_dir() and not path.exists():
                return no_schema(url, " (the file does not exist)")
    else:
        meaning = _POSTGRESQL_MEANINGS.get(sqlstate)
    if meaning is None:
        # No statement: the connection itself failed (e.g. a bad option in the URL); 28xxx: invalid
        # authorization.
        connection_failed = isinstance(exc, DriverOperationalError | InterfaceError) or exc.statement is None
        if connection_failed or sqlstate.startswith("28"):
            meaning = "unreachable"
        else:
            return None
    return OperationalError(f"database {mask_url(url)} " + _MEANING_TEXT[meaning].format(reason=reason))


@contextmanager
def session_scope(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back (nothing written) on any error.

    ``write=False`` is for a transaction that only reads: on SQLite it does not take the write lock, so
    it neither waits for a writer nor makes one wait, and it works on a read-only file.
    """
    from sqlmodel import Session

    bind = engine if write else engine.execution_options(**{WRITE_OPTION: False})
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A connection for reads only (schema checks, the health check): never takes SQLite's write lock."""
    with engine.connect() as connection:
        yield connection.execution_options(**{WRITE_OPTION: False})
