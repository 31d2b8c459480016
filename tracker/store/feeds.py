"""Queries on calendar feeds."""

from __future__ import annotations

from sqlmodel import Session, col, select

from tracker.store.tables import Feed


def by_name(session: Session, name: str) -> Feed | None:
    return session.exec(select(Feed).where(Feed.name == name)).first()


def by_token_hash(session: Session, token_hash: str) -> Feed | None:
    return session.exec(select(Feed).where(Feed.token_hash == token_hash)).first()


def listed(session: Session) -> list[Feed]:
    """Every feed, oldest first."""
    return list(session.exec(select(Feed).order_by(col(Feed.created_at), col(Feed.id))).all())
