"""An obligation row's occurrences: which are open, which comes next, and the materialised next dates.

The rules themselves are pure (:mod:`tracker.domain.occurrences`); this module applies them to rows and
keeps ``next_due`` / ``next_remind_on`` / ``invite_on`` current on every write.
"""

from __future__ import annotations

from datetime import date, timedelta

from tracker.domain import occurrences as rules
from tracker.domain.kinds import kind_of
from tracker.domain.occurrences import Occurrence
from tracker.domain.terms import Terms
from tracker.errors import InvalidInput, NotFound
from tracker.services.context import Context
from tracker.store import Session
from tracker.store import obligations as obligation_rows
from tracker.store.mapping import public_id, schedule_of
from tracker.store.obligations import StateMap
from tracker.store.tables import Contract, Obligation, OccurrenceState


def between(contract: Contract, obligation: Obligation, start: date, end: date) -> list[Occurrence]:
    """Occurrences of any obligation (derived or entered) with due dates in [start, end]."""
    return rules.occurrences_between(schedule_of(contract, obligation), start, end)


def is_open(obligation: Obligation, occurrence: Occurrence, state: OccurrenceState | None, today: date) -> bool:
    """:func:`tracker.domain.occurrences.is_open` for a row and its occurrence state."""
    return rules.is_open(
        obligation.derived, obligation.status, bool(obligation.every), state.status if state is not None else None,
        occurrence.due, today,
    )


def open_between(
    contract: Contract, obligation: Obligation, states: StateMap, today: date, until: date,
) -> list[Occurrence]:
    """Open occurrences due by ``until``, from the earliest unsettled one (overdue ones included)."""
    assert obligation.id is not None
    if contract.archived:
        return []
    start = today if obligation.derived else (obligation.next_due or today)
    return [
        occ for occ in between(contract, obligation, min(start, today), until)
        if is_open(obligation, occ, states.get((obligation.id, occ.key)), today)
    ]


def first_open(
    contract: Contract, obligation: Obligation, states: StateMap, today: date, terms: Terms | None = None,
    start: date | None = None,
) -> Occurrence | None:
    """The earliest open occurrence (from ``start``, else overdue ones first), however far ahead."""
    if contract.archived:
        return None
    schedule = schedule_of(contract, obligation, terms)
    return rules.first_occurrence(
        schedule, start if start is not None else rules.search_start(schedule, today), today,
        lambda occ: is_open(obligation, occ, states.get((obligation.id or 0, occ.key)), today),
    )


def first_after(contract: Contract, obligation: Obligation, start: date, today: date) -> Occurrence | None:
    """The first occurrence due on or after ``start``, settled or not."""
    return rules.first_occurrence(schedule_of(contract, obligation), start, today)


def materialise(
    session: Session, contract: Contract, obligation: Obligation, states: StateMap, ctx: Context,
) -> None:
    """Set ``next_due``, ``next_remind_on``, ``refreshed_on`` (and ``invite_on``) from the occurrence states."""
    first = first_open(contract, obligation, states, ctx.today_for(contract.timezone))
    obligation.next_due = first.due if first else None
    obligation.refreshed_on = ctx.today
    if obligation.kind in ctx.settings.invite_kinds:
        obligation.invite_on = ctx.today  # a write may need an invite, an update or a cancellation
    if first is None or not kind_of(obligation.kind).reminders:
        obligation.next_remind_on = None
    else:
        leads = ctx.settings.lead_days_for(obligation.kind, obligation.lead)
        obligation.next_remind_on = first.due - timedelta(days=max(leads))
    if obligation.breach:
        obligation.next_remind_on = min(filter(None, [obligation.next_remind_on, ctx.today]))
    session.add(obligation)


def refresh(session: Session, contract: Contract, obligation: Obligation, ctx: Context) -> None:
    """Recompute one obligation's materialised dates."""
    assert obligation.id is not None
    materialise(session, contract, obligation, obligation_rows.states_for(session, [obligation.id]), ctx)


def refresh_contract(session: Session, contract: Contract, ctx: Context) -> None:
    """Recompute the materialised dates of every obligation of a contract (after its terms changed)."""
    session.flush()
    obligations = obligation_rows.of_contract(session, contract.id)
    states = obligation_rows.states_for(session, [o.id for o in obligations if o.id is not None])
    for obligation in obligations:
        materialise(session, contract, obligation, states, ctx)


def chosen(
    session: Session, contract: Contract, obligation: Obligation, today: date, ref: str | None,
) -> tuple[Occurrence, OccurrenceState | None]:
    """The occurrence a command acts on: the one named by ``@ref``, else the earliest open one."""
    assert obligation.id is not None
    states = obligation_rows.states_for(session, [obligation.id])
    if ref is None:
        first = first_open(contract, obligation, states, today)
        if first is None:
            raise InvalidInput.field("id", public_id(contract.key, obligation), "an obligation with an open occurrence")
        return first, states.get((obligation.id, first.key))
    found = rules.find_occurrence(schedule_of(contract, obligation), ref, today)
    if found is None:
        expected = "an occurrence of this obligation (its date as shown by `tracker upcoming`)"
        raise NotFound.field("occurrence", ref, expected)
    return found, states.get((obligation.id, found.key))


def state_row(session: Session, obligation: Obligation, occurrence: Occurrence, ctx: Context) -> OccurrenceState:
    """The occurrence's state row, created when it has none yet (in the caller's transaction)."""
    assert obligation.id is not None
    state = obligation_rows.state(session, obligation.id, occurrence.key)
    if state is None:
        state = OccurrenceState(
            obligation_id=obligation.id, occurrence=occurrence.key, due=occurrence.due, updated_at=ctx.now
        )
    state.updated_at = ctx.now
    session.add(state)
    return state
