"""Obligations: add one, settle or waive an occurrence, count progress, acknowledge, record a model change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from tracker.domain.dates import shift
from tracker.domain.durations import Duration, parse_duration
from tracker.domain.ids import occurrence_day, occurrence_ref
from tracker.domain.specs import ObligationSpec
from tracker.errors import InvalidInput
from tracker.services.context import Context
from tracker.services.events import record_event
from tracker.services.lookup import get_contract, resolve_obligation
from tracker.services.occurrences import chosen, refresh, state_row
from tracker.store import Session
from tracker.store import obligations as obligation_rows
from tracker.store.mapping import public_id, terms_of
from tracker.store.tables import Contract, Obligation, OccurrenceState, Progress


@dataclass(frozen=True)
class AddedObligation:
    """An obligation just added: its id and its first open due date."""

    id: str
    title: str
    next_due: date | None


@dataclass(frozen=True)
class SettledOccurrence:
    """An occurrence just settled, counted or acknowledged."""

    id: str  # the obligation id
    ref: str  # the id with @occurrence
    due: date
    done: int = 0  # counted obligations: the progress now
    required: int | None = None
    complete: bool = False


@dataclass(frozen=True)
class ModelChange:
    """A recorded vendor model change: the two obligations it created and whether the notice was short."""

    change_id: str
    rollback_id: str | None
    rollback_due: date | None
    notice_days: int
    promised: Duration | None
    breach: str | None


def new_obligation(contract: Contract, number: int, spec: ObligationSpec, ctx: Context) -> Obligation:
    """The row of an entered obligation (not yet added to the session)."""
    assert contract.id is not None
    return Obligation(
        contract_id=contract.id, number=number, kind=spec.kind, title=spec.title, owed_by=spec.owed_by,
        due=spec.due, every=spec.every, start=spec.start, until=spec.until,
        lead=list(spec.lead) if spec.lead else None, required=spec.required, roll=spec.roll,
        clause=spec.clause, status=spec.status if not spec.every else "open",
        created_at=ctx.now, updated_at=ctx.now,
    )


def _spec_fields(spec: ObligationSpec) -> dict[str, Any]:
    fields = {
        "kind": spec.kind, "title": spec.title, "owed_by": spec.owed_by, "due": spec.due, "every": spec.every,
        "start": spec.start, "until": spec.until, "lead": spec.lead, "required": spec.required,
        "roll": spec.roll, "clause": spec.clause,
    }
    return {k: v for k, v in fields.items() if v is not None}


def record_added(
    session: Session, contract: Contract, obligation: Obligation, spec: ObligationSpec, ctx: Context
) -> list[OccurrenceState]:
    """The event of an obligation just inserted, and the occurrence states its spec carries (new rows)."""
    record_event(session, ctx, "obligation_added", contract, obligation,
                 id=public_id(contract.key, obligation), **_spec_fields(spec))
    assert obligation.id is not None
    states: dict[str, OccurrenceState] = {}
    for settled in spec.settled:
        state = states.get(settled.occurrence)
        if state is None:  # a repeated occurrence updates its first row: the last entry wins
            day = occurrence_day(settled.occurrence) or spec.due or ctx.today
            state = states[settled.occurrence] = OccurrenceState(
                obligation_id=obligation.id, occurrence=settled.occurrence, due=day, updated_at=ctx.now
            )
            session.add(state)
        state.status, state.settled_on, state.progress = settled.status, settled.on, settled.progress
    return list(states.values())


def _insert(session: Session, contract: Contract, number: int, spec: ObligationSpec, ctx: Context) -> Obligation:
    obligation = new_obligation(contract, number, spec, ctx)
    obligation_rows.add(session, [obligation])
    record_added(session, contract, obligation, spec, ctx)
    return obligation


def add_obligation(session: Session, key: str, spec: ObligationSpec, ctx: Context) -> AddedObligation:
    """Add an entered obligation to contract ``key``."""
    contract = get_contract(session, key)
    obligation = _insert(session, contract, obligation_rows.next_number(session, contract.id), spec, ctx)
    refresh(session, contract, obligation, ctx)
    return AddedObligation(public_id(contract.key, obligation), obligation.title, obligation.next_due)


def _settleable(contract: Contract, obligation: Obligation) -> None:
    if obligation.derived:
        hint = "`tracker notice` to stop a renewal, or `tracker ack` to stop its reminders"
        raise InvalidInput.field("id", public_id(contract.key, obligation), f"an entered obligation ({hint})")


def _open_state(state: OccurrenceState | None, text: str) -> None:
    if state is not None and state.status != "open":
        raise InvalidInput.field("id", text, f"an open occurrence (this one is already {state.status})")


def settle(session: Session, text: str, status: str, on: date, note: str | None, ctx: Context) -> SettledOccurrence:
    """Mark an occurrence done or waived (the earliest open one unless ``@occurrence`` is given)."""
    contract, obligation, occurrence_key = resolve_obligation(session, text)
    _settleable(contract, obligation)
    occurrence, state = chosen(session, contract, obligation, ctx.today_for(contract.timezone), occurrence_key)
    _open_state(state, text)
    state = state_row(session, obligation, occurrence, ctx)
    state.status, state.settled_on = status, on
    if not obligation.every:
        obligation.status = status
    obligation.updated_at = ctx.now
    ident = public_id(contract.key, obligation)
    record_event(session, ctx, f"obligation_{status}", contract, obligation, id=ident,
                 occurrence=occurrence.key, due=occurrence.due, on=on, note=note)
    session.flush()
    refresh(session, contract, obligation, ctx)
    return SettledOccurrence(ident, occurrence_ref(ident, occurrence.key), occurrence.due)


def record_progress(
    session: Session, text: str, count: int, on: date, note: str | None, ctx: Context
) -> SettledOccurrence:
    """Count progress on a counted obligation; reaching the required count completes the occurrence."""
    if count < 1:
        raise InvalidInput.field("count", count, "a whole number of at least 1")
    contract, obligation, occurrence_key = resolve_obligation(session, text)
    _settleable(contract, obligation)
    required = obligation.required
    if not required:
        raise InvalidInput.field("id", text, "a counted obligation (one with `required`); use `obligation done`")
    occurrence, state = chosen(session, contract, obligation, ctx.today_for(contract.timezone), occurrence_key)
    _open_state(state, text)
    state = state_row(session, obligation, occurrence, ctx)
    state.progress += count
    session.add(Progress(obligation_id=state.obligation_id, occurrence=occurrence.key, count=count, on=on, note=note,
                         created_at=ctx.now))
    ident = public_id(contract.key, obligation)
    record_event(session, ctx, "progress_recorded", contract, obligation, id=ident, occurrence=occurrence.key,
                 count=count, done=state.progress, required=required, on=on, note=note)
    complete = state.progress >= required
    if complete:
        state.status, state.settled_on = "done", on
        if not obligation.every:
            obligation.status = "done"
        record_event(session, ctx, "obligation_done", contract, obligation, id=ident, occurrence=occurrence.key,
                     due=occurrence.due, on=on, note="required count reached")
    obligation.updated_at = ctx.now
    session.flush()
    refresh(session, contract, obligation, ctx)
    return SettledOccurrence(ident, occurrence_ref(ident, occurrence.key), occurrence.due, state.progress, required,
                             complete)


def acknowledge(session: Session, text: str, ctx: Context) -> SettledOccurrence:
    """Stop reminders for the current occurrence until the obligation changes (its revision rises)."""
    contract, obligation, occurrence_key = resolve_obligation(session, text)
    occurrence, _ = chosen(session, contract, obligation, ctx.today_for(contract.timezone), occurrence_key)
    state = state_row(session, obligation, occurrence, ctx)
    state.acked_revision = obligation.revision
    ident = public_id(contract.key, obligation)
    record_event(session, ctx, "acknowledged", contract, obligation, id=ident, occurrence=occurrence.key,
                 due=occurrence.due)
    return SettledOccurrence(ident, occurrence_ref(ident, occurrence.key), occurrence.due)


def record_model_change(session: Session, key: str, announced: date, effective: date, ctx: Context) -> ModelChange:
    """Record a vendor's model-change notice (DESIGN §3.4): test before D2, decide on rollback after."""
    contract = get_contract(session, key)
    if effective < announced:
        raise InvalidInput.field("effective", effective.isoformat(), f"a date on or after announced ({announced})")
    promised = parse_duration(contract.model_change_notice) if contract.model_change_notice else None
    calendar = terms_of(contract).calendar
    breach = None
    if promised is not None:
        required_by = shift(effective, promised, -1, calendar)
        if announced > required_by:
            breach = (f"{contract.vendor} announced on {announced} a model change effective {effective}: "
                      f"{(effective - announced).days} days' notice where the contract promises {promised} "
                      f"(notice was due by {required_by})")
    number = obligation_rows.next_number(session, contract.id)
    change = _insert(session, contract, number, ObligationSpec(
        kind="model_change", title=f"Run parallel tests before the model change of {effective}", owed_by="us",
        due=effective, roll="none"), ctx)
    change.breach = breach
    rollback = None
    if contract.rollback_window:
        window = parse_duration(contract.rollback_window)
        rollback = _insert(session, contract, number + 1, ObligationSpec(
            kind="rollback_window", title=f"Decide whether to roll back the model change of {effective}",
            owed_by="us", due=shift(effective, window, 1, calendar), roll="previous"), ctx)
    record_event(session, ctx, "model_change_recorded", contract, change, announced=announced,
                 effective=effective, notice_days=(effective - announced).days, promised=promised, breach=breach)
    refresh(session, contract, change, ctx)
    if rollback:
        refresh(session, contract, rollback, ctx)
    return ModelChange(
        public_id(contract.key, change), public_id(contract.key, rollback) if rollback else None,
        (rollback.next_due or rollback.due) if rollback else None, (effective - announced).days, promised, breach,
    )
