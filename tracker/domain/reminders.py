"""Reminder planning: which stage each open occurrence has reached, and on which channels it goes out.

Pure domain code (DESIGN §6): no database, no clock. The outbox service (:mod:`tracker.services.notify`)
hands in plain values (:class:`Target`) and the stages already recorded per channel, and gets back the
deliveries to create (:class:`Planned`).

Stages:

- ``lead:<L>``: reached on ``due − L`` for each lead day L;
- ``overdue:<n>``: reached on ``due + 1`` (n = 1), then every ``overdue_every`` after that;
- ``breach``: a vendor's model-change notice shorter than promised (alerted once);
- ``invite:<sequence>`` / ``cancel:<sequence>``: calendar invites (planned by the delivery service).

Catch-up rule: per occurrence and channel only the most advanced stage reached is sent, and only if no
stage at least as advanced was recorded for that channel, so a contract entered late gets one reminder
and a skipped day does not produce a burst.

One reminder per obligation and channel in a pass (:func:`plan_obligation`): only the most urgent open
occurrence is reminded (overdue first, then the nearest due), so a daily rule that started a year ago
or a monthly contract with a long notice period sends one reminder, not one per occurrence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from tracker.domain.dates import shift
from tracker.domain.durations import Duration
from tracker.errors import InvalidInput

ONE_DAY = timedelta(days=1)
DEFAULT_LEAD_DAYS = (90, 30, 14, 7, 1, 0)


@dataclass(frozen=True)
class Policy:
    """The alert settings planning needs, as plain values."""

    overdue_every: Duration = Duration(7, "days")
    escalation_tag: str = "escalation"
    escalate_within_days: int = 1


@dataclass(frozen=True)
class Target:
    """One open occurrence to plan reminders for, with its routing."""

    obligation_id: int
    occurrence: str
    due: date
    kind: str
    derived: bool
    leads: tuple[int, ...]
    owner: str
    backup_owner: str | None = None
    tags: tuple[str, ...] = ()
    acked: bool = False
    breach: str | None = None


@dataclass(frozen=True)
class Stage:
    """A reminder stage reached by an occurrence."""

    name: str
    reached_on: date
    escalate: bool

    @property
    def kind(self) -> str:
        return "breach" if self.name == "breach" else "reminder"


@dataclass(frozen=True)
class Planned:
    """One delivery to create: (obligation, occurrence, stage, channel)."""

    target: Target
    stage: Stage
    channel: str


@dataclass(frozen=True)
class Plan:
    """Deliveries to create, and the next day on which a new stage is reached (None: no more)."""

    deliveries: list[Planned] = field(default_factory=list)
    next_on: date | None = None


def stage_rank(name: str) -> int | None:
    """Order of reminder stages (a higher rank is more advanced); None for non-reminder stages."""
    prefix, _, number = name.partition(":")
    if prefix == "lead":
        return -int(number)
    if prefix == "overdue":
        return int(number)
    return None


def overdue_on(due: date, n: int, every: Duration) -> date:
    """The day overdue reminder ``n`` (1-based) is reached: due + 1, then every ``every``."""
    return shift(due + ONE_DAY, every, n - 1)


def overdue_reached(due: date, today: date, every: Duration) -> int:
    """The number of the latest overdue stage reached on ``today`` (0: none yet).

    Days and weeks are counted in one step, so a deadline missed decades ago costs no more than one
    missed yesterday; months and years (at most twelve a year) are walked.
    """
    first = due + ONE_DAY
    if today < first:
        return 0
    if every.unit in ("days", "weeks"):
        step = every.amount * (7 if every.unit == "weeks" else 1)
        return (today - first).days // step + 1
    n = 1
    while overdue_on(due, n + 1, every) <= today:
        n += 1
    return n


def reached_stage(target: Target, today: date, policy: Policy) -> Stage | None:
    """The most advanced reminder stage ``target`` has reached on ``today`` (None: none yet)."""
    if target.acked or not target.leads:
        return None
    days_left = (target.due - today).days
    if days_left >= 0:
        reached = [lead for lead in target.leads if lead >= days_left]
        if not reached:
            return None
        lead = min(reached)
        return Stage(f"lead:{lead}", target.due - timedelta(days=lead), lead <= policy.escalate_within_days)
    if target.derived:
        return None  # a derived deadline that passed has lapsed: nothing left to do in time
    n = overdue_reached(target.due, today, policy.overdue_every)
    return Stage(f"overdue:{n}", overdue_on(target.due, n, policy.overdue_every), True)


def next_stage_on(target: Target, today: date, policy: Policy) -> date | None:
    """The first day after ``today`` on which ``target`` reaches a new reminder stage."""
    if target.acked or not target.leads:
        return None
    ahead = [target.due - timedelta(days=lead) for lead in target.leads if target.due - timedelta(days=lead) > today]
    if ahead:
        return min(ahead)
    if target.derived:
        return None
    return overdue_on(target.due, overdue_reached(target.due, today, policy.overdue_every) + 1, policy.overdue_every)


def channels_for(target: Target, escalate: bool, policy: Policy) -> list[str]:
    """Owner's email and the contract's tags; the backup owner and escalation tag when escalating."""
    channels = [f"email:{target.owner}"]
    channels += [f"tag:{tag}" for tag in (target.tags or ("default",))]
    if escalate:
        if target.backup_owner:
            channels.append(f"email:{target.backup_owner}")
        channels.append(f"tag:{policy.escalation_tag}")
    return list(dict.fromkeys(channels))


def superseded(stage: str, recorded: Iterable[str]) -> bool:
    """True when ``stage`` or a more advanced reminder stage was already recorded for a channel."""
    rank = stage_rank(stage)
    if rank is None:
        return stage in recorded
    return any((other := stage_rank(name)) is not None and other >= rank for name in recorded)


def plan_target(
    target: Target, today: date, recorded: Mapping[str, set[str]], policy: Policy, remind: bool = True,
) -> Plan:
    """Plan one occurrence: its most advanced unsent stage per channel, plus a breach alert once.

    ``recorded`` maps each channel to the stages that already have a delivery row for this occurrence.
    With ``remind`` false only the breach alert is planned (a more urgent occurrence is being reminded).
    """
    deliveries: list[Planned] = []
    stage = reached_stage(target, today, policy) if remind else None
    if stage is not None:
        for channel in channels_for(target, stage.escalate, policy):
            if not superseded(stage.name, recorded.get(channel, set())):
                deliveries.append(Planned(target, stage, channel))
    if target.breach:
        breach = Stage("breach", today, True)
        for channel in channels_for(target, True, policy):
            if "breach" not in recorded.get(channel, set()):
                deliveries.append(Planned(target, breach, channel))
    return Plan(deliveries, next_stage_on(target, today, policy))


def urgency(target: Target, today: date) -> tuple[bool, int]:
    """Sort key, most urgent first: overdue occurrences (the latest first), then the nearest due."""
    return target.due >= today, abs((target.due - today).days)


def plan_obligation(
    targets: Sequence[Target], today: date, recorded: Mapping[str, Mapping[str, set[str]]], policy: Policy,
) -> Plan:
    """Plan one obligation's open occurrences: at most one reminder per channel in a pass.

    Only the most urgent occurrence that has reached a stage (and is not acknowledged) is reminded, so a
    catch-up never replays history and several deadlines inside the lead window never arrive together;
    a later occurrence gets its most advanced stage once it is the most urgent. Breach alerts go out for
    every target that carries one. ``recorded`` maps occurrence key → channel → recorded stages.
    """
    chosen = next((t for t in sorted(targets, key=lambda t: urgency(t, today))
                   if reached_stage(t, today, policy) is not None), None)
    deliveries: list[Planned] = []
    next_days: list[date] = []
    for target in targets:
        plan = plan_target(target, today, recorded.get(target.occurrence, {}), policy, remind=target is chosen)
        deliveries += plan.deliveries
        if plan.next_on is not None:
            next_days.append(plan.next_on)
    return Plan(deliveries, min(next_days, default=None))


def parse_lead_days(value: Any, field_name: str = "lead") -> tuple[int, ...]:
    """Lead days as a list of whole non-negative numbers ("30,7,1" or [30, 7, 1])."""
    expected = "a list of whole numbers of days, zero or more, such as 30,7,1"
    items: list[Any]
    if isinstance(value, str):
        items = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, list | tuple):
        items = list(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        items = [value]
    else:
        raise InvalidInput.field(field_name, value, expected)
    days: list[int] = []
    for item in items:
        if isinstance(item, bool):
            raise InvalidInput.field(field_name, value, expected)
        try:
            number = int(item)
        except (TypeError, ValueError):
            raise InvalidInput.field(field_name, value, expected) from None
        if (isinstance(item, float) and item != number) or number < 0 or number > 3650:
            raise InvalidInput.field(field_name, value, expected)
        days.append(number)
    if not days:
        raise InvalidInput.field(field_name, value, expected)
    return tuple(sorted(set(days), reverse=True))
