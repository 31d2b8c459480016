"""Bulk reads for the timeline and calendars: plain columns through SQLAlchemy Core, no ORM objects.

The timeline selects through the indexed ``next_due`` column, so its cost follows what is due, not the
size of the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session, col
from sqlmodel import select as select_rows

from tracker.store.tables import Contract, Obligation, OccurrenceState


@dataclass(frozen=True)
class Filters:
    """Narrow a timeline or a calendar to one owner, one kind or one contract."""

    owner: str | None = None
    kind: str | None = None
    contract: str | None = None


def _tables() -> tuple[Any, Any, Any]:
    return (Obligation.__table__, Contract.__table__, OccurrenceState.__table__)  # type: ignore[attr-defined]


TIMELINE_COLUMNS = (
    "contract_id", "key", "vendor", "owner", "c_start", "term", "c_end", "auto_renew", "renewal_term",
    "max_renewals", "notice", "holidays", "notice_given_on", "termination_notice", "termination_sent_on",
    "timezone", "obligation_id", "number", "kind", "title", "owed_by", "derived", "due", "every", "o_start",
    "o_until", "roll", "required", "status", "next_due",
)


def timeline_rows(
    session: Session, today: date, until: date, filters: Filters,
) -> tuple[list[Any], dict[tuple[int, str], tuple[str, int]]]:
    """Candidate obligations with their contracts' columns (``TIMELINE_COLUMNS``), and their states.

    Candidates can have an open occurrence due by ``until``: materialised as of ``refreshed_on``, so a
    simulation before that date re-checks those rows too. (Callers widen the window by a day on each side
    for contracts whose own time zone is a day ahead or behind.) States map (obligation id, occurrence key) to
    (status, progress).
    """
    obligation, contract, state = _tables()
    conditions = [
        or_(obligation.c.next_due <= until, obligation.c.refreshed_on > today),
        contract.c.archived.is_(False),
    ]
    if filters.owner:
        conditions.append(contract.c.owner == filters.owner)
    if filters.kind:
        conditions.append(obligation.c.kind == filters.kind)
    if filters.contract:
        conditions.append(contract.c.key == filters.contract)
    joined = obligation.join(contract, contract.c.id == obligation.c.contract_id)
    connection = session.connection()
    rows = connection.execute(
        select(
            contract.c.id, contract.c.key, contract.c.vendor, contract.c.owner, contract.c.start, contract.c.term,
            contract.c.end, contract.c.auto_renew, contract.c.renewal_term, contract.c.max_renewals,
            contract.c.notice, contract.c.holidays, contract.c.notice_given_on, contract.c.termination_notice,
            contract.c.termination_sent_on, contract.c.timezone,
            obligation.c.id, obligation.c.number, obligation.c.kind, obligation.c.title, obligation.c.owed_by,
            obligation.c.derived, obligation.c.due, obligation.c.every, obligation.c.start, obligation.c.until,
            obligation.c.roll, obligation.c.required, obligation.c.status, obligation.c.next_due,
        ).select_from(joined).where(*conditions)
    ).all()
    states = {
        (obligation_id, key): (status, progress) for obligation_id, key, status, progress in connection.execute(
            select(state.c.obligation_id, state.c.occurrence, state.c.status, state.c.progress)
            .select_from(state.join(joined, obligation.c.id == state.c.obligation_id)).where(*conditions)
        )
    }
    return list(rows), states


def calendar_rows(
    session: Session, owner: str | None = None, contract_key: str | None = None,
) -> list[tuple[Obligation, Contract]]:
    """Every obligation of non-archived contracts with its contract, optionally one owner's or contract's."""
    query = (
        select_rows(Obligation, Contract)
        .join(Contract, col(Contract.id) == Obligation.contract_id)
        .where(col(Contract.archived).is_(False))
    )
    if owner is not None:
        query = query.where(Contract.owner == owner)
    if contract_key is not None:
        query = query.where(Contract.key == contract_key)
    return [(o, c) for o, c in session.exec(query).all()]
