"""Operational state: the scheduler's heartbeat rows, and the outbox counts `tracker status` reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col
from sqlmodel import select as select_rows

from tracker.store.tables import Delivery, Heartbeat


def record(
    session: Session, name: str, worker: str, started_at: datetime, finished_at: datetime, ok: bool,
    detail: str | None,
) -> None:
    """Write loop ``name``'s last pass, replacing the one before: one upsert, on SQLite and PostgreSQL.

    An upsert (not read-then-write) because two schedulers may finish a pass at the same moment.
    """
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table: Any = Heartbeat.__table__  # type: ignore[attr-defined]
    values = {"worker": worker, "started_at": started_at, "finished_at": finished_at, "ok": ok, "detail": detail}
    statement: Any = dialect.insert(table).values(name=name, **values)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.name], set_={key: statement.excluded[key] for key in values},
    )
    session.execute(statement)


def passes(session: Session) -> list[Heartbeat]:
    """Every loop's last pass, the most recently finished first."""
    return list(session.exec(select_rows(Heartbeat).order_by(col(Heartbeat.finished_at).desc())))


def delivery_counts(session: Session, statuses: tuple[str, ...]) -> dict[str, int]:
    """How many outbox rows have each of ``statuses`` (0 for none): one grouped, indexed count."""
    status = col(Delivery.status)
    rows = session.execute(select(status, func.count()).where(status.in_(statuses)).group_by(status)).all()
    counts = dict.fromkeys(statuses, 0)
    counts.update({status: count for status, count in rows})
    return counts
