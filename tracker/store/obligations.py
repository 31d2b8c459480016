"""Queries on obligations, their occurrence states and progress."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from tracker.store.chunks import chunked
from tracker.store.tables import Obligation, OccurrenceState

StateMap = dict[tuple[int, str], OccurrenceState]


def of_contract(session: Session, contract_id: int | None, *, entered_only: bool = False) -> list[Obligation]:
    """A contract's obligations by number (derived ones have negative numbers)."""
    query = select(Obligation).where(Obligation.contract_id == contract_id).order_by(col(Obligation.number))
    if entered_only:
        query = query.where(col(Obligation.derived).is_(False))
    return list(session.exec(query).all())


def entered_of_contracts(session: Session, contract_ids: Iterable[int]) -> dict[int, list[Obligation]]:
    """The entered obligations of many contracts by number, keyed by contract id (chunked IN lists)."""
    found: dict[int, list[Obligation]] = {}
    for batch in chunked(contract_ids):
        rows = session.exec(
            select(Obligation).where(col(Obligation.contract_id).in_(batch), col(Obligation.derived).is_(False))
            .order_by(col(Obligation.contract_id), col(Obligation.number))
        )
        for row in rows:
            found.setdefault(row.contract_id, []).append(row)
    return found


def find(session: Session, contract_id: int, number: int | None, kind: str | None) -> Obligation | None:
    """An entered obligation by its number, or a derived one by its kind."""
    query = select(Obligation).where(Obligation.contract_id == contract_id)
    if number is not None:
        query = query.where(Obligation.number == number, col(Obligation.derived).is_(False))
    else:
        query = query.where(Obligation.kind == kind, col(Obligation.derived).is_(True))
    return session.exec(query).first()


def next_number(session: Session, contract_id: int | None) -> int:
    """The number the contract's next entered obligation gets."""
    numbers = session.exec(select(Obligation.number).where(Obligation.contract_id == contract_id)).all()
    return max((n for n in numbers if n > 0), default=0) + 1


def add(session: Session, obligations: list[Obligation]) -> None:
    """Insert new obligations and give them their ids."""
    session.add_all(obligations)
    session.flush()


def states_for(session: Session, obligation_ids: Iterable[int]) -> StateMap:
    """Occurrence states of many obligations, keyed by (obligation id, occurrence key)."""
    found: StateMap = {}
    for batch in chunked(obligation_ids):
        rows = session.exec(select(OccurrenceState).where(col(OccurrenceState.obligation_id).in_(batch)))
        found.update({(row.obligation_id, row.occurrence): row for row in rows})
    return found


def state(session: Session, obligation_id: int, occurrence: str) -> OccurrenceState | None:
    return session.exec(
        select(OccurrenceState).where(
            OccurrenceState.obligation_id == obligation_id, OccurrenceState.occurrence == occurrence
        )
    ).first()
