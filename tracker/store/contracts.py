"""Queries on contracts."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from tracker.store.chunks import chunked
from tracker.store.tables import Contract


def by_key(session: Session, key: str) -> Contract | None:
    return session.exec(select(Contract).where(Contract.key == key)).first()


def taken_keys(session: Session, keys: Iterable[str]) -> set[str]:
    """Which of ``keys`` existing contracts already use."""
    taken: set[str] = set()
    for batch in chunked(keys):
        taken.update(session.exec(select(Contract.key).where(col(Contract.key).in_(batch))).all())
    return taken


def listed(session: Session, owner: str | None = None, include_archived: bool = False) -> list[Contract]:
    """Contracts by key, optionally one owner's, archived ones only when asked."""
    query = select(Contract).order_by(col(Contract.key))
    if not include_archived:
        query = query.where(col(Contract.archived).is_(False))
    if owner:
        query = query.where(Contract.owner == owner)
    return list(session.exec(query).all())


def owner_exists(session: Session, owner: str) -> bool:
    return session.exec(select(Contract.id).where(Contract.owner == owner)).first() is not None


def add_all(session: Session, contracts: list[Contract]) -> None:
    """Insert new contracts and give them their ids."""
    session.add_all(contracts)
    session.flush()
