"""The append-only ledger of events."""

from __future__ import annotations

from sqlmodel import Session, col, select

from tracker.store.tables import Event


def of_contract(session: Session, contract_id: int) -> list[Event]:
    """A contract's events, oldest first."""
    return list(session.exec(
        select(Event).where(Event.contract_id == contract_id).order_by(col(Event.at), col(Event.id))
    ).all())
