"""The exactly-once outbox: claim due rows under a lease, drop stale ones, record each outcome.

Rows are unique per (obligation, occurrence, stage, channel) and written before sending
(:mod:`tracker.services.notify.planner`); this module claims them, checks a claimed reminder is still
wanted, and marks it ``sent`` only after the channel reported success, else ``failed`` with a retry time
(exponential backoff) or ``dead`` after ``max_attempts``, each with its ledger event in the same
transaction.
"""

from __future__ import annotations

import os
import socket
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tracker.domain.occurrences import Occurrence
from tracker.errors import InvalidInput
from tracker.services.context import Context
from tracker.services.events import instant_text, record_event
from tracker.services.occurrences import is_open
from tracker.services.wording import occurrence_ref
from tracker.store import Session
from tracker.store import outbox as outbox_rows
from tracker.store.tables import Contract, Delivery, Obligation, OccurrenceState

if TYPE_CHECKING:
    from tracker.services.notify.channels import Channels
    from tracker.services.notify.passes import PassReport
    from tracker.store import Engine

LEASE = timedelta(minutes=10)
BACKOFF_BASE = timedelta(minutes=5)
BACKOFF_CAP = timedelta(hours=6)
CLAIM_BATCH = 1  # rows leased at a time: after a crash only the row in flight waits for its lease
ALERT_KINDS = ("reminder", "breach")  # re-checked before sending; invites and cancellations always go out


def backoff(attempts: int, base: timedelta = BACKOFF_BASE, cap: timedelta = BACKOFF_CAP) -> timedelta:
    """Delay before retry number ``attempts`` (1-based): base × 2^(attempts−1), capped."""
    return min(cap, base * (2 ** max(0, attempts - 1)))


def default_worker() -> str:
    """A worker name for ``claimed_by``: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(
    engine: Engine, channels: Channels, worker: str, now: datetime, lease: timedelta = LEASE, *,
    today: date | None = None, dropped: list[dict[str, Any]] | None = None, lease_clock: datetime | None = None,
) -> list[outbox_rows.Claimed]:
    """Claim due rows for this worker in one statement (FOR UPDATE SKIP LOCKED on PostgreSQL).

    Leases run on the database's clock unless a simulation hands in its ``lease_clock``
    (:func:`tracker.store.outbox.claim_due`).

    A claimed reminder or breach alert whose occurrence is no longer open on ``today`` (settled, waived,
    lapsed, acknowledged for the obligation's current revision, or its contract archived) is not sent: it
    is marked ``superseded`` with the reason, in the same transaction, and appended to ``dropped``.
    Invites and cancellations always go out. Claims again until a row is left to send or none is due.
    """
    while True:
        claimed, skipped = _claim_once(engine, channels, worker, now, lease, today or now.date(), lease_clock)
        if dropped is not None:
            dropped += skipped
        if claimed or not skipped:
            return claimed


def _claim_once(
    engine: Engine, channels: Channels, worker: str, now: datetime, lease: timedelta, today: date,
    lease_clock: datetime | None,
) -> tuple[list[outbox_rows.Claimed], list[dict[str, Any]]]:
    with outbox_rows.transaction(engine) as session:
        ids = outbox_rows.claim_due(session, worker, now, lease, bool(channels.email_url),
                                    channels.apprise is not None, CLAIM_BATCH, lease_clock)
        if not ids:
            return [], []
        rows = outbox_rows.with_rows(session, ids)
        states = outbox_rows.states_of(session, {(d.obligation_id, d.occurrence) for d, _, _ in rows
                                                 if d.kind in ALERT_KINDS})
        claimed, skipped = [], []
        for d, o, c in rows:
            reason = None
            if d.kind in ALERT_KINDS:
                reason = unsendable(d, o, c, states.get((d.obligation_id, d.occurrence)), today)
            if reason is None:
                claimed.append((d, o, c))
                continue
            d.status, d.last_error, d.claimed_by, d.lease_until = "superseded", reason, None, None
            session.add(d)
            skipped.append({"id": d.id, "obligation": occurrence_ref(c, o, d.occurrence), "contract": c.key,
                            "stage": d.stage, "channel": d.channel, "due": d.due.isoformat(), "reason": reason})
        return claimed, skipped


def unsendable(delivery: Delivery, obligation: Obligation, contract: Contract, state: OccurrenceState | None,
               today: date) -> str | None:
    """Why a queued reminder or breach alert must no longer go out (None: send it).

    It is stale once its contract is archived, its occurrence settled, waived or lapsed (:func:`is_open`),
    or acknowledged for the obligation's current revision.
    """
    if contract.archived:
        return "the contract was archived before it could be sent"
    if state is not None and state.acked_revision == obligation.revision:
        return "acknowledged before it could be sent"
    occurrence = Occurrence(delivery.due, delivery.due, delivery.occurrence, None)
    if is_open(obligation, occurrence, state, today):
        return None
    if state is not None and state.status != "open":
        return f"settled ({state.status}) before it could be sent"
    if obligation.status != "open" and not obligation.every:
        return f"settled ({obligation.status}) before it could be sent"
    return "the deadline passed before it could be sent"


def mark(
    engine: Engine, ctx: Context, row: Delivery, obligation: Obligation, contract: Contract, error: str | None,
    now: datetime, backoff_base: timedelta, report: PassReport,
) -> None:
    """Record the outcome of one send and its ledger event, in one transaction."""
    with outbox_rows.transaction(engine) as session:
        current = outbox_rows.get(session, row.id)
        assert current is not None
        ref = occurrence_ref(contract, obligation, row.occurrence)
        view = {"id": row.id, "obligation": ref, "contract": contract.key, "stage": row.stage,
                "channel": row.channel, "due": row.due.isoformat()}
        if error is None:
            current.status, current.sent_at, current.last_error = "sent", now, None
            current.attempts += 1
            event = "invite_sent" if row.kind in ("invite", "cancel") else "alert_sent"
            record_event(session, ctx, event, contract, obligation, delivery=row.id, occurrence=row.occurrence,
                         stage=row.stage, channel=row.channel, due=row.due, subject=row.subject)
            report.sent.append(view)
        else:
            current.attempts += 1
            current.last_error = error
            view.update(error=error, attempts=current.attempts)
            if current.attempts >= ctx.settings.max_attempts:
                current.status = "dead"
                record_event(session, ctx, "alert_dead", contract, obligation, delivery=row.id,
                             occurrence=row.occurrence, stage=row.stage, channel=row.channel, due=row.due,
                             error=error, attempts=current.attempts)
                report.dead.append(view)
            else:
                current.status = "failed"
                current.next_attempt_at = now + backoff(current.attempts, backoff_base)
                view["next_attempt_at"] = instant_text(current.next_attempt_at)
                record_event(session, ctx, "alert_failed", contract, obligation, delivery=row.id,
                             occurrence=row.occurrence, stage=row.stage, channel=row.channel, due=row.due,
                             error=error, attempts=current.attempts, next_attempt_at=current.next_attempt_at)
                report.failed.append(view)
        current.claimed_by, current.lease_until = None, None
        session.add(current)


def recent(session: Session, limit: int = 50, status: str | None = None) -> list[dict[str, Any]]:
    """Recent deliveries, newest first, with status, attempts and last error (``tracker deliveries``)."""
    return [{
        "id": d.id, "contract": c.key, "obligation": occurrence_ref(c, o, d.occurrence), "kind": d.kind,
        "stage": d.stage, "channel": d.channel, "due": d.due.isoformat(), "status": d.status,
        "attempts": d.attempts, "last_error": d.last_error, "subject": d.subject,
        "created_at": instant_text(d.created_at), "sent_at": instant_text(d.sent_at) if d.sent_at else None,
        "next_attempt_at": instant_text(d.next_attempt_at) if d.status == "failed" else None,
    } for d, o, c in outbox_rows.recent(session, limit, status)]


STATUSES = ("pending", "sending", "sent", "failed", "dead", "superseded")


def check_status(value: str | None) -> str | None:
    if value is not None and value not in STATUSES:
        raise InvalidInput.field("--status", value, "one of " + ", ".join(STATUSES))
    return value
