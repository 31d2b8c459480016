"""The append-only ledger: every change is recorded as an event in the transaction that makes it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypedDict

from tracker.domain.durations import Duration
from tracker.services.context import Context
from tracker.store import Session
from tracker.store import events as event_rows
from tracker.store.tables import Contract, Event, Obligation


class EventView(TypedDict):
    """One event as `history --format json` prints it."""

    at: str
    actor: str
    kind: str
    payload: dict[str, Any]


def instant_text(instant: datetime) -> str:
    """An instant as every JSON output writes it: ISO 8601 in UTC with ``Z``, to the second."""
    aware = instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
    return aware.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def plain(value: Any) -> Any:
    """JSON-safe payload values: dates as ISO text, amounts as text, durations in their words."""
    if isinstance(value, datetime):
        return instant_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | Duration):
        return str(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def record_event(
    session: Session, ctx: Context, event_kind: str, contract: Contract | None = None,
    obligation: Obligation | None = None, **payload: Any,
) -> Event:
    """Append one event (actor and instant from ``ctx``) in the caller's transaction."""
    event = Event(
        at=ctx.now, actor=ctx.actor, kind=event_kind, contract_id=contract.id if contract else None,
        obligation_id=obligation.id if obligation else None, payload=plain(payload),
    )
    session.add(event)
    return event


def history(session: Session, contract: Contract) -> list[EventView]:
    """A contract's events, oldest first."""
    assert contract.id is not None
    return [
        EventView(at=instant_text(e.at), actor=e.actor, kind=e.kind, payload=e.payload)
        for e in event_rows.of_contract(session, contract.id)
    ]
