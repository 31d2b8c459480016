"""The tracker's operational state: the scheduler's heartbeat, the outbox backlog, the channel configuration.

The `tracker run` loop records each completed pass (:func:`record_pass`); ``/healthz`` (:func:`health`)
and `tracker status` (:func:`status`) read it back.

When is the scheduler late? A pass older than ``[web] heartbeat_max_age`` seconds (default: twice `tracker
run`'s default interval). A database where no pass was ever recorded is healthy unless
``heartbeat_max_age`` is set: a feed-only deployment runs no scheduler, and setting the limit is how an
operator says that one is expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypedDict

from tracker.errors import ConfigError
from tracker.services.events import instant_text
from tracker.store import heartbeat as heartbeat_rows
from tracker.store.engine import session_scope

if TYPE_CHECKING:
    from tracker.domain.settings import Settings
    from tracker.store import Engine, Session

DEFAULT_RUN_INTERVAL = 300  # seconds: `tracker run --interval`'s default
DEFAULT_MAX_AGE = 2 * DEFAULT_RUN_INTERVAL  # one missed pass is tolerated, two are not
BACKLOG_STATUSES = ("pending", "failed", "dead")


class PassView(TypedDict):
    """A loop's last completed pass, as `tracker status --format json` prints it."""

    name: str
    worker: str
    started_at: str
    finished_at: str
    ok: bool
    detail: str | None
    age_seconds: int


class SchedulerView(TypedDict):
    state: str  # ok | late | missing | none (no pass, none expected)
    summary: str
    max_age_seconds: int
    expected: bool
    last_pass: PassView | None


class ChannelsView(TypedDict):
    loads: bool
    configured: bool
    error: str | None


class StatusView(TypedDict):
    scheduler: SchedulerView
    deliveries: dict[str, int]
    channels: ChannelsView


@dataclass(frozen=True)
class Health:
    """What ``/healthz`` answers: 200 when healthy, else 503; ``lines`` is the plain-text body."""

    healthy: bool
    lines: tuple[str, ...]


def record_pass(
    engine: Engine, name: str, worker: str, started_at: datetime, finished_at: datetime, ok: bool,
    detail: str | None = None,
) -> None:
    """Record that loop ``name`` (run by ``worker``, e.g. host:pid) finished a pass, in its own transaction.

    Instants must be aware. ``ok`` is False for a pass that failed as a whole; ``detail`` says why.
    """
    with session_scope(engine) as session:
        heartbeat_rows.record(session, name, worker, started_at, finished_at, ok, detail)


def max_age(settings: Settings) -> int:
    """Seconds after which the last pass is late."""
    return settings.heartbeat_max_age or DEFAULT_MAX_AGE


def scheduler(session: Session, settings: Settings, now: datetime) -> SchedulerView:
    """The most recent pass of any loop, and whether it is recent enough."""
    rows = heartbeat_rows.passes(session)
    limit = max_age(settings)
    expected = settings.heartbeat_max_age is not None
    if not rows:
        if expected:
            return SchedulerView(state="missing", summary="none recorded, but [web] heartbeat_max_age expects one",
                                 max_age_seconds=limit, expected=True, last_pass=None)
        return SchedulerView(state="none", summary="none recorded (no scheduler expected)",
                             max_age_seconds=limit, expected=False, last_pass=None)
    row = rows[0]
    age = max(0, int((now - row.finished_at).total_seconds()))
    last = PassView(name=row.name, worker=row.worker, started_at=instant_text(row.started_at),
                    finished_at=instant_text(row.finished_at), ok=row.ok, detail=row.detail, age_seconds=age)
    detail = " ".join((row.detail or "").split())  # one line, whatever the loop wrote
    outcome = "ok" if row.ok else f"failed: {detail}" if detail else "failed"
    summary = f"{last['finished_at']} by {row.worker} ({outcome}), {age} s ago"
    if age > limit:
        return SchedulerView(state="late", summary=summary, max_age_seconds=limit,
                             expected=True, last_pass=last)
    return SchedulerView(state="ok", summary=summary, max_age_seconds=limit, expected=True, last_pass=last)


_HEALTH_FIRST_LINE = {"ok": "ok", "none": "ok", "late": "scheduler late", "missing": "scheduler missing"}


def health(engine: Engine, settings: Settings, now: datetime) -> Health:
    """The health check: the database answers (a read that never waits for a writer) and the scheduler is
    not late. Database errors propagate: the caller answers 503."""
    with session_scope(engine, write=False) as session:
        view = scheduler(session, settings, now)
    last = view["last_pass"]
    # Anyone who reaches /healthz reads this: the time and the outcome, not the host, pid or error text.
    summary = view["summary"] if last is None else (
        f"{last['finished_at']} ({'ok' if last['ok'] else 'failed'}), {last['age_seconds']} s ago")
    lines = (_HEALTH_FIRST_LINE[view["state"]], f"last pass: {summary} (limit {view['max_age_seconds']} s)")
    return Health(view["state"] in ("ok", "none"), lines)


def channels_state(settings: Settings) -> ChannelsView:
    """Whether ``[email] url`` and the Apprise configuration load (the check `tracker run` does at start)."""
    from tracker.services.notify.channels import load_channels

    try:
        channels = load_channels(settings)
    except ConfigError as exc:
        return ChannelsView(loads=False, configured=False, error=" ".join(exc.message.split()))
    return ChannelsView(loads=True, configured=channels.configured, error=None)


def status(session: Session, settings: Settings, now: datetime) -> StatusView:
    """Everything `tracker status` shows: the last pass, the outbox backlog, the channel configuration."""
    return StatusView(
        scheduler=scheduler(session, settings, now),
        deliveries=heartbeat_rows.delivery_counts(session, BACKLOG_STATUSES),
        channels=channels_state(settings),
    )
