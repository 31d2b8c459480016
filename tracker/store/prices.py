"""Queries on price changes."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from tracker.store.chunks import chunked
from tracker.store.tables import PriceChange


def of_contracts(session: Session, contract_ids: Iterable[int]) -> dict[int, list[PriceChange]]:
    """Price changes of many contracts, oldest first, keyed by contract id."""
    found: dict[int, list[PriceChange]] = {}
    for batch in chunked(contract_ids):
        rows = session.exec(
            select(PriceChange).where(col(PriceChange.contract_id).in_(batch))
            .order_by(col(PriceChange.effective_from), col(PriceChange.id))
        )
        for row in rows:
            found.setdefault(row.contract_id, []).append(row)
    return found
