"""The ledger's version: a cheap fingerprint of everything a calendar is built from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, cast, func, select
from sqlmodel import Session

from tracker.store.tables import Event


def ledger_version(session: Session) -> tuple[Any, ...]:
    """The newest ledger event's id (plus the transaction snapshot on PostgreSQL).

    Every write that can change a feed (contracts, obligations, occurrence states, notices, model changes,
    observed renewals, feeds added or revoked) appends an :class:`Event` in the same transaction, so
    ``max(event.id)`` (the primary key's last entry: no scan) moves with each committed change. SQLite
    writers are serialised, so ids are committed in order. PostgreSQL hands out ids before commit: a
    transaction holding a lower id can commit after a higher one, leaving the maximum unchanged. So there
    the snapshot (``xmin:xmax:in-progress``) is part of the fingerprint: such a commit moves ``xmax`` or
    leaves the in-progress list. Any write in the cluster changes it too, which costs one rebuild, never
    a stale feed.
    """
    newest = select(func.max(Event.id)).scalar_subquery()
    if session.get_bind().dialect.name == "postgresql":
        event_id, snapshot = session.execute(select(newest, cast(func.pg_current_snapshot(), String))).one()
        return str(event_id), snapshot
    return (str(session.execute(select(newest)).scalar()),)
