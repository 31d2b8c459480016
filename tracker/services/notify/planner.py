"""Step 1 of a notify pass: what to queue. Reminders and breach alerts for obligations whose indexed
``next_remind_on`` has come, invites and cancellations for invite-kind deadlines, and the ``renewed`` event
once for each auto-renewal whose day has come. Each new delivery is rendered here, so the outbox holds the
exact text that is sent.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from tracker.domain import reminders
from tracker.domain.ids import term_of_key
from tracker.domain.kinds import kind_of
from tracker.domain.occurrences import Occurrence
from tracker.domain.reminders import ONE_DAY
from tracker.domain.settings import Settings
from tracker.services.context import Context
from tracker.services.events import record_event
from tracker.services.ics import horizon
from tracker.services.notify.channels import Channels
from tracker.services.occurrences import between, first_after, first_open, is_open, open_between, refresh
from tracker.services.wording import Rendered, Renderer, message_context, occurrence_ref
from tracker.store import Session
from tracker.store import obligations as obligation_rows
from tracker.store import outbox as outbox_rows
from tracker.store.obligations import StateMap
from tracker.store.tables import Contract, Delivery, Obligation, OccurrenceState


@dataclass
class Outgoing:
    """A delivery a pass creates (or, in a dry run, would create), rendered."""

    obligation_id: int
    occurrence: str
    stage: str
    channel: str
    kind: str
    due: date
    contract_key: str
    ref: str
    rendered: Rendered
    subject: str
    body: str

    def view(self) -> dict[str, Any]:
        return {"obligation": self.ref, "contract": self.contract_key, "stage": self.stage,
                "channel": self.channel, "kind": self.kind, "due": self.due.isoformat(), "subject": self.subject,
                "body": self.body}


def _policy(settings: Settings) -> reminders.Policy:
    return reminders.Policy(settings.overdue_every, settings.escalation_tag, settings.escalate_within_days)


class Planner:
    """Step 1 of a pass, in one transaction: what to create, rendered; next reminder dates."""

    def __init__(self, session: Session, ctx: Context, renderer: Renderer, channels: Channels | None) -> None:
        self.session, self.ctx, self.renderer, self.channels = session, ctx, renderer, channels
        self.policy = _policy(ctx.settings)
        self.report_skips: Counter[str] = Counter()
        self.outgoing: list[Outgoing] = []
        self.supersede: list[int] = []
        self._cache: dict[tuple[int, str, str, bool, bool], Rendered] = {}

    def usable(self, channel: str) -> bool:
        """Whether to queue a delivery on ``channel``; the ones skipped are counted by reason.

        A tag the Apprise configuration does not define is queued all the same: it fails at send time with
        the reason in ``last_error``, so one mistyped tag fails only its contract's deliveries (and a fixed
        configuration delivers them on retry) instead of stopping every reminder.
        """
        if self.channels is None or self.channels.undefined(channel):
            return True  # None: a dry run without channels shows everything
        reason = self.channels.skip_reason(channel)
        if reason is None:
            return True
        self.report_skips[reason] += 1
        return False

    def render(self, contract: Contract, obligation: Obligation, occurrence: Occurrence,
               state: OccurrenceState | None, stage: str, kind: str, escalated: bool, update: bool = False) -> Rendered:
        assert obligation.id is not None
        key = (obligation.id, occurrence.key, stage, escalated, update)
        if key not in self._cache:
            today = self.ctx.today_for(contract.timezone)  # "in 3 days" counts from the contract's own day
            context = message_context(contract, obligation, occurrence, state, stage, escalated, today, update)
            self._cache[key] = self.renderer.message(kind, context)
        return self._cache[key]

    def add(self, contract: Contract, obligation: Obligation, occurrence: Occurrence,
            state: OccurrenceState | None, stage: str, kind: str, channel: str, escalated: bool,
            update: bool = False) -> None:
        assert obligation.id is not None
        rendered = self.render(contract, obligation, occurrence, state, stage, kind, escalated, update)
        email = channel.startswith("email:")
        html = self.channels.email_html if self.channels is not None else True
        body = (rendered.html if html else rendered.text) if email else rendered.chat
        self.outgoing.append(Outgoing(
            obligation.id, occurrence.key, stage, channel, kind, occurrence.due, contract.key,
            occurrence_ref(contract, obligation, occurrence.key), rendered, rendered.subject, body,
        ))

    def existing(self, obligation_ids: list[int], kinds: tuple[str, ...], since: date | None) -> list[Delivery]:
        return outbox_rows.existing(self.session, obligation_ids, kinds, since)

    def reminders(self) -> None:
        """Reminders and breach alerts for obligations whose ``next_remind_on`` has come.

        Per obligation and channel at most one reminder, for the most urgent open occurrence
        (:func:`tracker.domain.reminders.plan_obligation`); what is read is bounded by what is due.
        """
        # A contract in a zone ahead of the settings' may already be on the next day: look one day further,
        # then plan each obligation on its contract's own day (its stages fire on that day, not ours).
        rows = outbox_rows.due_for_reminders(self.session, self.ctx.today + ONE_DAY)
        ids = [o.id for o, _ in rows if o.id is not None]
        states = obligation_rows.states_for(self.session, ids)
        work: list[tuple[Obligation, Contract, tuple[int, ...], date, list[Occurrence], date]] = []
        for obligation, contract in rows:
            assert obligation.id is not None
            today = self.ctx.today_for(contract.timezone)
            if obligation.next_remind_on is not None and obligation.next_remind_on > today:
                continue  # not yet that day where the contract is
            if not kind_of(obligation.kind).reminders:
                obligation.next_remind_on = None
                self.session.add(obligation)
                continue
            leads = self.ctx.settings.lead_days_for(obligation.kind, obligation.lead)
            until = today + timedelta(days=max(leads, default=0))
            occurrences = reminder_candidates(contract, obligation, states, today, until)
            if obligation.breach and not occurrences:
                # A breach is alerted at the first pass after it is recorded, however far ahead the deadline
                # is; the occurrence's lead-day reminders still come on their own days (next_stage_on).
                ahead = first_open(contract, obligation, states, today, start=until + timedelta(days=1))
                occurrences = [ahead] if ahead else []
            work.append((obligation, contract, leads, until, occurrences, today))
        kinds = ("reminder", "breach")
        pairs = {(o.id, occ.key) for o, _, _, _, occs, _ in work for occ in occs if o.id is not None}
        recorded: dict[int, dict[str, dict[str, set[str]]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(set)))
        for row in outbox_rows.recorded_for(self.session, pairs, kinds):
            recorded[row.obligation_id][row.occurrence][row.channel].add(row.stage)
        waiting: dict[tuple[int, str], list[Delivery]] = defaultdict(list)  # queued rows per obligation, channel
        for row in outbox_rows.queued(self.session, [o.id for o, *_ in work if o.id is not None], kinds):
            waiting[(row.obligation_id, row.channel)].append(row)
        for obligation, contract, leads, until, occurrences, today in work:
            assert obligation.id is not None
            by_key = {occurrence.key: occurrence for occurrence in occurrences}
            targets = [reminders.Target(
                obligation.id, occurrence.key, occurrence.due, obligation.kind, obligation.derived, leads,
                contract.owner, contract.backup_owner, tuple(contract.notify),
                acked=(state := states.get((obligation.id, occurrence.key))) is not None
                and state.acked_revision == obligation.revision,
                breach=obligation.breach if index == 0 else None,
            ) for index, occurrence in enumerate(occurrences)]
            result = reminders.plan_obligation(targets, today, recorded[obligation.id], self.policy)
            next_days = [result.next_on] if result.next_on else []
            for planned in result.deliveries:
                if not self.usable(planned.channel):
                    continue
                occurrence = by_key[planned.target.occurrence]
                self.add(contract, obligation, occurrence, states.get((obligation.id, occurrence.key)),
                         planned.stage.name, planned.stage.kind, planned.channel, planned.stage.escalate)
                self.supersede += replaced(planned, waiting[(obligation.id, planned.channel)])
            later = first_after(contract, obligation, until + timedelta(days=1), today)
            if later:
                next_days.append(later.due - timedelta(days=max(leads, default=0)))
            obligation.next_remind_on = max(min(next_days), today + timedelta(days=1)) if next_days else None
            self.session.add(obligation)

    def renewals(self) -> list[str]:
        """Record a ``renewed`` event once for each auto-renewal whose day has come."""
        today = self.ctx.today
        renewed = []
        for obligation, contract in outbox_rows.due_renewals(self.session, today):
            assert obligation.next_due is not None and obligation.id is not None
            for occurrence in between(contract, obligation, obligation.next_due, today):
                if outbox_rows.observe_renewal(self.session, obligation.id, occurrence.key, occurrence.due,
                                               self.ctx.now):
                    record_event(self.session, self.ctx, "renewed", contract, obligation, on=occurrence.due,
                                 term=occurrence.term, occurrence=occurrence.key)
                    renewed.append(f"{contract.key} renewed on {occurrence.due.isoformat()}")
            refresh(self.session, contract, obligation, self.ctx)
        return renewed

    def invites(self) -> None:
        """Invites for invite-kind deadlines within the horizon; cancellations once they are settled.

        Only obligations whose indexed ``invite_on`` has come are examined: the ledger sets it on every
        write, and this planner moves it to the day the next deadline comes into view or passes.
        """
        settings, today = self.ctx.settings, self.ctx.today
        if not settings.invite_kinds:
            return
        _, until = horizon(today, settings)
        ahead = until - today
        rows = outbox_rows.due_for_invites(self.session, today, settings.invite_kinds)
        ids = [o.id for o, _ in rows if o.id is not None]
        states = obligation_rows.states_for(self.session, ids)
        stages: dict[tuple[int, str, str], set[str]] = defaultdict(set)
        for row in self.existing(ids, ("invite", "cancel"), today):
            stages[(row.obligation_id, row.occurrence, row.channel)].add(row.stage)
        open_keys: set[tuple[int, str]] = set()
        for obligation, contract in rows:
            assert obligation.id is not None
            channel = f"email:{contract.owner}"
            upcoming = [o for o in open_between(contract, obligation, states, today, until) if o.due >= today]
            for occurrence in upcoming[:1]:  # the next deadline; later ones are invited when they come next
                open_keys.add((obligation.id, occurrence.key))
                stage = f"invite:{obligation.revision}"
                if stage in stages[(obligation.id, occurrence.key, channel)] or not self.usable(channel):
                    continue
                # An update only for someone who already has this deadline in their calendar.
                update = any(s.startswith("invite:") for s in stages[(obligation.id, occurrence.key, channel)])
                self.add(contract, obligation, occurrence, states.get((obligation.id, occurrence.key)), stage,
                         "invite", channel, False, update=update)
            # Look again the day after this deadline passes, or when the next one comes into view.
            if upcoming:
                obligation.invite_on = upcoming[0].due + timedelta(days=1)
            else:
                later = first_after(contract, obligation, until + timedelta(days=1), today)
                obligation.invite_on = max(later.due - ahead, today + timedelta(days=1)) if later else None
            self.session.add(obligation)
        # Cancellations: invites sent for deadlines still ahead whose occurrence is no longer open (settled,
        # waived, notice given, contract ended or archived) or whose owner changed.
        sent = outbox_rows.sent_invites(self.session, ids, today)
        sent_invites: dict[tuple[int, str, str], list[Delivery]] = defaultdict(list)
        for row, _, _ in sent:
            sent_invites[(row.obligation_id, row.occurrence, row.channel)].append(row)
        cancelled = {
            (r.obligation_id, r.occurrence, r.channel): r for r in outbox_rows.existing(self.session, ids, ("cancel",),
                                                                                          today)
        }
        seen: set[tuple[int, str, str]] = set()
        for row, obligation, contract in sent:
            key = (row.obligation_id, row.occurrence, row.channel)
            if key in seen:
                continue
            seen.add(key)
            still_open = (row.obligation_id, row.occurrence) in open_keys and row.channel == f"email:{contract.owner}"
            newest = max(sent_invites[key], key=lambda r: int(r.stage.partition(":")[2]))
            latest = int(newest.stage.partition(":")[2])
            done = cancelled.get(key)
            if still_open or (done is not None and int(done.stage.partition(":")[2]) >= latest):
                continue
            if not self.usable(row.channel):
                continue
            occurrence = occurrence_for(contract, obligation, newest.occurrence, newest.due)
            stage = f"cancel:{max(obligation.revision, latest)}"
            self.add(contract, obligation, occurrence, None, stage, "cancel", row.channel, False)


def reminder_candidates(
    contract: Contract, obligation: Obligation, states: StateMap, today: date, until: date,
) -> list[Occurrence]:
    """The open occurrences a reminder can be about: the most recent overdue one, then those due by ``until``.

    A recurrence's older overdue occurrences are not looked at (only the most urgent one is reminded), so
    the work is bounded by the lead window, not by how far back the rule starts: the search goes back
    from yesterday in widening windows, no further than the earliest open occurrence (``next_due``).
    """
    if contract.archived or obligation.derived or not obligation.every:
        return open_between(contract, obligation, states, today, until)  # a term's deadlines, or one date
    assert obligation.id is not None

    def still_open(occurrence: Occurrence) -> bool:
        return is_open(obligation, occurrence, states.get((obligation.id or 0, occurrence.key)), today)

    ahead = [o for o in between(contract, obligation, today, until) if still_open(o)]
    floor, high, span = obligation.next_due, today - ONE_DAY, timedelta(days=31)
    while floor is not None and high >= floor:
        low = max(floor, high - span)
        behind = [o for o in between(contract, obligation, low, high) if still_open(o)]
        if behind:
            return [behind[-1], *ahead]
        high, span = low - ONE_DAY, span * 2
    return ahead


def replaced(planned: reminders.Planned, waiting: list[Delivery]) -> list[int]:
    """Queued reminders on the same obligation and channel that a newly planned reminder makes stale.

    Another occurrence's reminder (one per obligation and channel at a time), or a less advanced stage
    of the same occurrence: sending them after the new one would be stale news, and a channel that was
    down for a week would otherwise receive a week of retries at once.
    """
    rank = reminders.stage_rank(planned.stage.name)
    if rank is None:
        return []
    stale = []
    for row in waiting:
        old_rank = reminders.stage_rank(row.stage)
        if old_rank is None or row.id is None:
            continue
        if row.occurrence != planned.target.occurrence or old_rank < rank:
            stale.append(row.id)
    return stale


def occurrence_for(contract: Contract, obligation: Obligation, key: str, due: date) -> Occurrence:
    """The occurrence ``key`` near ``due`` as the schedule computes it, else one rebuilt from the row."""
    for occurrence in between(contract, obligation, due - timedelta(days=31), due + timedelta(days=31)):
        if occurrence.key == key:
            return occurrence
    return Occurrence(due, due, key, term_of_key(key))


def plan_pass(session: Session, ctx: Context, renderer: Renderer, channels: Channels | None) -> Planner:
    """Plan a pass in ``session`` (the caller commits or rolls back)."""
    planner = Planner(session, ctx, renderer, channels)
    planner.reminders()
    planner.invites()
    return planner


