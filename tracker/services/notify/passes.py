"""A notify pass: plan reminders and invites, record each delivery before sending, send once (DESIGN §6).

A pass (:func:`run_pass`) runs in short transactions:

1. **plan** — obligations whose indexed ``next_remind_on`` is due are planned with the pure
   :mod:`tracker.domain.reminders`; invite-kind deadlines within the calendar horizon get invites (and
   cancellations once settled); each new delivery is rendered and inserted with
   ``INSERT … ON CONFLICT DO NOTHING`` on (obligation, occurrence, stage, channel); ``next_remind_on``
   moves to the next day a new stage is reached. Committed.
2. **claim** — due rows (pending or failed whose ``next_attempt_at`` has come, or ``sending`` rows whose
   lease expired after a crash) are marked ``sending`` with this worker's name and a lease, in one
   ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING`` statement. Committed. On SQLite the
   engine's ``BEGIN IMMEDIATE`` serialises claimers; on PostgreSQL ``SKIP LOCKED`` lets several
   schedulers share the work. In the same transaction a claimed reminder or breach alert whose occurrence
   was settled, waived, acknowledged or archived since it was queued is marked ``superseded`` instead
   (:func:`unsendable`): a retry never reports "still open" for a deadline that is done.
3. **send** — each claimed row goes to its channel through Apprise, outside any transaction, one channel
   at a time, so a failing channel never holds the others back.
4. **mark** — one transaction per row: ``sent`` (with ``sent_at``) only after Apprise reported success for
   that channel; otherwise ``failed`` with the error and a retry time (exponential backoff), or ``dead``
   after ``max_attempts``. The ledger event (``alert_sent``, ``invite_sent``, ``alert_failed``,
   ``alert_dead``) is written in the same transaction as the status.

Exactly once, and the one duplicate window: a crash before the send leaves the row ``pending`` or
``sending``; it is sent by a later pass (a ``sending`` row once its lease expires), so nothing is lost.
A crash *after* the channel accepted the message but *before* step 4 commits leaves the row ``sending``
too; when its lease expires it is sent again, at most once more per crash: no channel offers a
transaction the database could join. The second window is a timeout after acceptance: a service that
takes the message but answers later than its timeout (``[alerts] timeout``, 30 s unless a URL sets
``cto``/``rto``) is marked failed and retried, so it receives the message again. Leases run on the
database's clock (a fast scheduler clock cannot take over a live claim). A tag that routes to several
Apprise URLs is one channel: if one of its URLs fails, the retry goes to all of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tracker.services.context import Context
from tracker.services.ics import invite_ics
from tracker.services.notify.channels import Channels
from tracker.services.notify.outbox import BACKOFF_BASE, LEASE, claim, default_worker, mark
from tracker.services.notify.planner import Outgoing, Planner, occurrence_for, plan_pass
from tracker.services.wording import Renderer
from tracker.store import outbox as outbox_rows
from tracker.store.tables import Contract, Delivery, Obligation

if TYPE_CHECKING:
    from tracker.store import Engine


@dataclass
class PassReport:
    """What one pass did: deliveries created, sent, failed, dead, superseded, skipped channels, renewals."""

    today: date
    dry_run: bool = False
    created: list[Outgoing] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    dead: list[dict[str, Any]] = field(default_factory=list)
    superseded: list[dict[str, Any]] = field(default_factory=list)  # queued alerts settled before sending
    skipped: Counter[str] = field(default_factory=Counter)
    renewed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.dead

    def view(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(), "dry_run": self.dry_run,
            "planned" if self.dry_run else "created": [o.view() for o in self.created],
            "sent": self.sent, "failed": self.failed, "dead": self.dead, "superseded": self.superseded,
            "skipped": dict(self.skipped), "renewed": self.renewed,
        }


def dry_run(engine: Engine, ctx: Context, channels: Channels | None = None,
            renderer: Renderer | None = None) -> PassReport:
    """What a pass on ``ctx.today`` would send, rendered; nothing is written."""
    renderer = renderer or Renderer(ctx.settings)
    with outbox_rows.transaction(engine, commit=False) as session:
        planner = plan_pass(session, ctx, renderer, channels)
    return PassReport(ctx.today, dry_run=True, created=planner.outgoing, skipped=planner.report_skips)


def run_pass(
    engine: Engine, ctx: Context, channels: Channels, *, renderer: Renderer | None = None,
    worker: str | None = None, clock: Callable[[], datetime] | None = None,
    backoff_base: timedelta = BACKOFF_BASE, lease: timedelta = LEASE,
    lease_clock: Callable[[], datetime] | None = None, keep_claiming: Callable[[], bool] | None = None,
) -> PassReport:
    """One scheduler pass: plan and record deliveries, then claim, send and mark them (module docstring).

    ``lease_clock`` is for simulations only (leases otherwise run on the database's clock); once
    ``keep_claiming`` answers False (a shutdown deadline passed) no more rows are claimed: the row in
    flight is marked, and the rest stay due for the next pass.
    """
    renderer = renderer or Renderer(ctx.settings)
    worker = worker or default_worker()
    clock = clock or (lambda: ctx.now)
    report = PassReport(ctx.today)
    with outbox_rows.transaction(engine) as session:
        report.renewed = Planner(session, ctx, renderer, channels).renewals()
    with outbox_rows.transaction(engine) as session:
        planner = plan_pass(session, ctx, renderer, channels)
        now = clock()
        outbox_rows.insert_ignoring_duplicates(session, outbox_rows.delivery_table(), [{
            "obligation_id": o.obligation_id, "occurrence": o.occurrence, "stage": o.stage, "channel": o.channel,
            "kind": o.kind, "due": o.due, "status": "pending", "attempts": 0, "subject": o.subject, "body": o.body,
            "next_attempt_at": now, "created_at": now,
        } for o in planner.outgoing], outbox_rows.DELIVERY_KEY)
        if planner.supersede:
            outbox_rows.supersede(session, planner.supersede, "a newer reminder for this obligation replaced it")
    report.created, report.skipped = planner.outgoing, planner.report_skips
    while keep_claiming is None or keep_claiming():
        claimed = claim(engine, channels, worker, clock(), lease, today=ctx.today, dropped=report.superseded,
                        lease_clock=lease_clock() if lease_clock is not None else None)
        if not claimed:
            break
        for row, obligation, contract in claimed:
            invite = invite_for(row, obligation, contract, ctx, channels) if row.kind in ("invite", "cancel") else None
            error = channels.send(row.channel, row.subject or "", row.body or "", invite)
            mark(engine, ctx, row, obligation, contract, error, clock(), backoff_base, report)
    return report




def invite_for(row: Delivery, obligation: Obligation, contract: Contract, ctx: Context, channels: Channels) -> bytes:
    """The invite (METHOD:REQUEST) or cancellation (METHOD:CANCEL) a queued invite row carries."""
    method, _, sequence = row.stage.partition(":")
    occurrence = occurrence_for(contract, obligation, row.occurrence, row.due)
    return invite_ics(
        contract, obligation, occurrence, method="CANCEL" if method == "cancel" else "REQUEST",
        sequence=int(sequence), organizer=channels.organizer, attendee=row.channel.removeprefix("email:"),
        stamp=row.created_at, settings=ctx.settings,
    )
