"""Queries on meters and usage records."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from tracker.store.chunks import chunked
from tracker.store.tables import Meter, UsageRecord


def meters_of(session: Session, contract_ids: Iterable[int]) -> dict[int, list[Meter]]:
    """The meters of many contracts by name, keyed by contract id."""
    found: dict[int, list[Meter]] = {}
    for batch in chunked(contract_ids):
        for row in session.exec(select(Meter).where(col(Meter.contract_id).in_(batch)).order_by(col(Meter.name))):
            found.setdefault(row.contract_id, []).append(row)
    return found


def meter(session: Session, contract_id: int, name: str) -> Meter | None:
    return session.exec(select(Meter).where(Meter.contract_id == contract_id, Meter.name == name)).first()


def records_of(session: Session, meter_ids: Iterable[int]) -> dict[int, list[UsageRecord]]:
    """Usage records of many meters in the order they happened (then as recorded), keyed by meter id."""
    found: dict[int, list[UsageRecord]] = {}
    for batch in chunked(meter_ids):
        rows = session.exec(select(UsageRecord).where(col(UsageRecord.meter_id).in_(batch))
                            .order_by(col(UsageRecord.on), col(UsageRecord.id)))
        for row in rows:
            found.setdefault(row.meter_id, []).append(row)
    return found


def imported_keys(session: Session, meter_id: int) -> set[str]:
    """The import keys already recorded for a meter."""
    return {key for key in session.exec(select(UsageRecord.import_key).where(
        UsageRecord.meter_id == meter_id, col(UsageRecord.import_key).is_not(None))) if key}
