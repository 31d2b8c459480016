"""The outbox's rows: idempotent inserts, claims under a lease, and the reads a notify pass plans from.

Claims are one ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING`` statement: on SQLite
the engine serialises writers; on PostgreSQL ``SKIP LOCKED`` lets several schedulers share the work.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col
from sqlmodel import select as select_rows

from tracker.store.chunks import chunked
from tracker.store.tables import Contract, Delivery, Obligation, OccurrenceState

Claimed = tuple[Delivery, Obligation, Contract]
DELIVERY_KEY = ["obligation_id", "occurrence", "stage", "channel"]
STATE_KEY = ["obligation_id", "occurrence"]


def delivery_table() -> Any:
    return Delivery.__table__  # type: ignore[attr-defined]


def state_table() -> Any:
    return OccurrenceState.__table__  # type: ignore[attr-defined]


@contextmanager
def transaction(engine: Engine, commit: bool = True) -> Iterator[Session]:
    """A short transaction of its own: committed (or rolled back when ``commit`` is false) at the end."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            if commit:
                session.commit()
            else:
                session.rollback()
        except BaseException:
            session.rollback()
            raise


def insert_ignoring_duplicates(session: Session, table: Any, rows: list[dict[str, Any]], keys: list[str]) -> int:
    """INSERT … ON CONFLICT DO NOTHING on ``keys`` for SQLite and PostgreSQL; returns rows inserted."""
    if not rows:
        return 0
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    result = connection.execute(insert(table).on_conflict_do_nothing(index_elements=keys), rows)
    return result.rowcount or 0


def supersede(session: Session, ids: list[int], reason: str) -> None:
    """Mark queued rows (pending or failed) superseded: a more advanced stage replaced them."""
    table = delivery_table()
    for batch in chunked(ids):
        session.connection().execute(
            update(table).where(table.c.id.in_(batch), table.c.status.in_(("pending", "failed")))
            .values(status="superseded", last_error=reason)
        )


def claim_due(session: Session, worker: str, now: datetime, lease: timedelta, email: bool, tags: bool,
              limit: int, lease_clock: datetime | None = None) -> list[int]:
    """Lease up to ``limit`` due rows (pending or failed whose time has come, or expired leases) to ``worker``.

    Retry times are compared with ``now`` (the pass's clock, which set them). Leases are measured on the
    database's clock, so a scheduler whose own clock runs fast cannot take over a claim that is still
    live; a simulation (``--today``/``--now``) passes its simulated instant as ``lease_clock`` instead, so
    a lease taken on a simulated day has expired when the simulation moves on a day.
    """
    table = delivery_table()
    kinds = []
    if email:
        kinds.append(table.c.channel.like("email:%"))
    if tags:
        kinds.append(table.c.channel.like("tag:%"))
    if not kinds:
        return []
    dialect = session.connection().dialect.name
    clock_now: Any = lease_clock if lease_clock is not None else database_now(dialect)
    lease_until: Any = lease_clock + lease if lease_clock is not None else database_now(dialect, lease)
    due = or_(
        and_(table.c.status.in_(("pending", "failed")), table.c.next_attempt_at <= now),
        and_(table.c.status == "sending", table.c.lease_until < clock_now),
    )
    candidates = (
        select(table.c.id).where(due, or_(*kinds)).order_by(table.c.id).limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [r[0] for r in session.connection().execute(
        update(table).where(table.c.id.in_(candidates.scalar_subquery()))
        .values(status="sending", claimed_by=worker, lease_until=lease_until)
        .returning(table.c.id)
    )]


def database_now(dialect: str, plus: timedelta = timedelta(0)) -> Any:
    """The database's current instant (plus ``plus``) as SQL, comparable with a UTCDateTime column.

    PostgreSQL: ``now()``, a timestamptz. SQLite has no date type: UTCDateTime stores UTC as text
    (``YYYY-MM-DD HH:MM:SS.ffffff``), and ``strftime(…, 'now')`` gives UTC text in the same order, so
    the two compare correctly as strings (to the millisecond).
    """
    if dialect == "postgresql":
        return func.now() + plus if plus else func.now()
    modifiers = [f"{plus.total_seconds():+f} seconds"] if plus else []
    return func.strftime("%Y-%m-%d %H:%M:%f", "now", *modifiers)


def _with_parents() -> Any:
    """Deliveries joined with the obligation and the contract they belong to."""
    return (
        select_rows(Delivery, Obligation, Contract)
        .join(Obligation, col(Obligation.id) == Delivery.obligation_id)
        .join(Contract, col(Contract.id) == Obligation.contract_id)
    )


def with_rows(session: Session, ids: list[int]) -> list[Claimed]:
    """Deliveries with their obligations and contracts, by id."""
    found: list[Claimed] = []
    for batch in chunked(ids):
        found += [(d, o, c) for d, o, c in session.exec(
            _with_parents()
            .where(col(Delivery.id).in_(batch)).order_by(col(Delivery.id))
        ).all()]
    return found


def states_of(session: Session, pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], OccurrenceState]:
    """Occurrence states for (obligation id, occurrence key) pairs."""
    pairs = list(pairs)
    if not pairs:
        return {}
    ids = {obligation_id for obligation_id, _ in pairs}
    keys = {key for _, key in pairs}
    found: dict[tuple[int, str], OccurrenceState] = {}
    for batch in chunked(ids):
        for state in session.exec(select_rows(OccurrenceState).where(
                col(OccurrenceState.obligation_id).in_(batch), col(OccurrenceState.occurrence).in_(keys))).all():
            found[(state.obligation_id, state.occurrence)] = state
    return found


def get(session: Session, delivery_id: int | None) -> Delivery | None:
    return session.get(Delivery, delivery_id)


def existing(session: Session, obligation_ids: list[int], kinds: tuple[str, ...], since: date | None) -> list[Delivery]:
    """Rows of these kinds already recorded for these obligations (due on or after ``since``)."""
    found: list[Delivery] = []
    for batch in chunked(obligation_ids):
        query = select_rows(Delivery).where(col(Delivery.obligation_id).in_(batch), col(Delivery.kind).in_(kinds))
        if since is not None:
            query = query.where(col(Delivery.due) >= since)
        found += list(session.exec(query).all())
    return found


def recorded_for(session: Session, pairs: Iterable[tuple[int, str]], kinds: tuple[str, ...]) -> list[Delivery]:
    """Rows of these kinds recorded for these (obligation id, occurrence key) pairs, whatever their status."""
    wanted = set(pairs)
    found: list[Delivery] = []
    for batch in chunked(sorted(wanted)):
        ids = {obligation_id for obligation_id, _ in batch}
        keys = {key for _, key in batch}
        found += [row for row in session.exec(select_rows(Delivery).where(
            col(Delivery.obligation_id).in_(ids), col(Delivery.occurrence).in_(keys), col(Delivery.kind).in_(kinds),
        )).all() if (row.obligation_id, row.occurrence) in wanted]
    return found


def queued(session: Session, obligation_ids: list[int], kinds: tuple[str, ...]) -> list[Delivery]:
    """Rows of these kinds still waiting to be sent (pending, or failed and due for a retry)."""
    found: list[Delivery] = []
    for batch in chunked(obligation_ids):
        found += list(session.exec(select_rows(Delivery).where(
            col(Delivery.obligation_id).in_(batch), col(Delivery.kind).in_(kinds),
            col(Delivery.status).in_(("pending", "failed")),
        )).all())
    return found


def due_for_reminders(session: Session, today: date) -> list[tuple[Obligation, Contract]]:
    """Obligations whose indexed ``next_remind_on`` has come, of live contracts, by next due date."""
    return [(o, c) for o, c in session.exec(
        select_rows(Obligation, Contract).join(Contract, col(Contract.id) == Obligation.contract_id)
        .where(col(Obligation.next_remind_on).is_not(None), col(Obligation.next_remind_on) <= today)
        .where(col(Contract.archived).is_(False))
        .order_by(col(Obligation.next_due), col(Obligation.id))
    ).all()]


def due_renewals(session: Session, today: date) -> list[tuple[Obligation, Contract]]:
    """Renewal obligations whose next renewal day has come, of live contracts."""
    return [(o, c) for o, c in session.exec(
        select_rows(Obligation, Contract).join(Contract, col(Contract.id) == Obligation.contract_id)
        .where(Obligation.kind == "renewal", col(Obligation.next_due).is_not(None),
               col(Obligation.next_due) <= today, col(Contract.archived).is_(False))
    ).all()]


def observe_renewal(session: Session, obligation_id: int, occurrence: str, due: date, now: datetime) -> bool:
    """Mark a renewal occurrence observed; True only for the one caller that changed it (exactly once)."""
    table = state_table()
    insert_ignoring_duplicates(session, table, [{
        "obligation_id": obligation_id, "occurrence": occurrence, "due": due, "status": "open", "progress": 0,
        "observed": False, "updated_at": now,
    }], STATE_KEY)
    changed = session.connection().execute(
        update(table).where(table.c.obligation_id == obligation_id, table.c.occurrence == occurrence,
                            table.c.observed.is_(False))
        .values(observed=True, updated_at=now)
    ).rowcount
    return bool(changed)


def due_for_invites(session: Session, today: date, kinds: tuple[str, ...]) -> list[tuple[Obligation, Contract]]:
    """Invite-kind obligations whose indexed ``invite_on`` has come."""
    return [(o, c) for o, c in session.exec(
        select_rows(Obligation, Contract).join(Contract, col(Contract.id) == Obligation.contract_id)
        .where(col(Obligation.invite_on).is_not(None), col(Obligation.invite_on) <= today)
        .where(col(Obligation.kind).in_(kinds))
    ).all()]


def sent_invites(session: Session, obligation_ids: list[int], today: date) -> list[Claimed]:
    """Invites sent for deadlines still ahead, with their obligations and contracts."""
    found: list[Claimed] = []
    for batch in chunked(obligation_ids):
        found += [(d, o, c) for d, o, c in session.exec(
            _with_parents()
            .where(col(Delivery.obligation_id).in_(batch))
            .where(Delivery.status == "sent", Delivery.kind == "invite", col(Delivery.due) >= today)
        ).all()]
    return found


def recent(session: Session, limit: int, status: str | None) -> list[Claimed]:
    """The newest deliveries with their obligations and contracts."""
    query = (
        _with_parents().order_by(col(Delivery.id).desc()).limit(limit)
    )
    if status:
        query = query.where(Delivery.status == status)
    return [(d, o, c) for d, o, c in session.exec(query).all()]
