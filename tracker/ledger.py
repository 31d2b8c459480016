"""Ledger services: every change to contracts and obligations, each one transaction with its events.

One public function per use case. Each takes a session and a :class:`Context` (``today``, ``now``,
actor, settings) from the edge; none reads the clock. Derived obligations and the materialised
``next_due`` / ``next_remind_on`` dates are kept current on every write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from tracker.config import Settings
from tracker.durations import Duration, parse_duration
from tracker.errors import InvalidInput, NotFound, Problem
from tracker.models import Contract, Event, Obligation, OccurrenceState, Progress, public_id, recurrence_of, terms_of
from tracker.schedule import (
    DERIVED_KINDS,
    Occurrence,
    derived_occurrences,
    final_end,
    final_term_index,
    occurrences,
    shift,
    term_index_on,
)
from tracker.specs import ContractSpec, ObligationSpec, parse_contract

DERIVED_TITLES = {
    "notice_deadline": "Last day to give notice of non-renewal",
    "renewal": "Auto-renewal takes effect",
    "term_end": "Contract ends",
}
# Renewals are informational: the notice deadline before them carries the reminders.
NO_REMINDER_KINDS = frozenset({"renewal"})
LOOKAHEAD = timedelta(days=3 * 366)
FAR_AHEAD = timedelta(days=100 * 366)  # how far the next occurrence is looked for
ROLL_SLACK = timedelta(days=10)


@dataclass(frozen=True)
class Context:
    """What the edge hands every service: the as-of date, the instant, who acts, and the settings."""

    today: date
    now: datetime
    actor: str
    settings: Settings


# --- events --------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """JSON-safe payload values: dates as ISO text, amounts as text, durations in their words."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal | Duration):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def record_event(
    session: Session, ctx: Context, event_kind: str, contract: Contract | None = None,
    obligation: Obligation | None = None, **payload: Any,
) -> Event:
    event = Event(
        at=ctx.now, actor=ctx.actor, kind=event_kind, contract_id=contract.id if contract else None,
        obligation_id=obligation.id if obligation else None, payload=_plain(payload),
    )
    session.add(event)
    return event


# --- lookups -------------------------------------------------------------------------------------


def get_contract(session: Session, key: str) -> Contract:
    contract = session.exec(select(Contract).where(Contract.key == key)).first()
    if contract is None:
        raise NotFound.field("key", key, "the key of an existing contract (see `tracker list`)")
    return contract


def resolve_obligation(session: Session, ref: str) -> tuple[Contract, Obligation, str | None]:
    """Find an obligation by its public id ``<contract>/<n|kind>[@<occurrence>]``."""
    expected = "an obligation id such as acme-ai-support/2 or acme-ai-support/2@2026-12-05 (see `tracker show`)"
    base, _, occurrence = ref.partition("@")
    key, sep, suffix = base.rpartition("/")
    if not sep or not key or not suffix:
        raise InvalidInput.field("id", ref, expected)
    contract = session.exec(select(Contract).where(Contract.key == key)).first()
    query = select(Obligation).where(Obligation.contract_id == (contract.id if contract else -1))
    if suffix.isdigit():
        query = query.where(Obligation.number == int(suffix), col(Obligation.derived).is_(False))
    else:
        query = query.where(Obligation.kind == suffix, col(Obligation.derived).is_(True))
    obligation = session.exec(query).first() if contract else None
    if contract is None or obligation is None:
        raise NotFound.field("id", ref, expected)
    return contract, obligation, occurrence or None


def states_for(session: Session, obligation_ids: list[int]) -> dict[tuple[int, str], OccurrenceState]:
    """Occurrence states of many obligations in one query."""
    if not obligation_ids:
        return {}
    rows = session.exec(select(OccurrenceState).where(col(OccurrenceState.obligation_id).in_(obligation_ids)))
    return {(row.obligation_id, row.occurrence): row for row in rows}


# --- occurrences of one obligation ---------------------------------------------------------------


def obligation_occurrences(
    contract: Contract, obligation: Obligation, start: date, end: date
) -> list[Occurrence]:
    """Occurrences of any obligation (derived or entered) with due dates in [start, end]."""
    terms = terms_of(contract)
    if obligation.derived:
        return derived_occurrences(terms, obligation.kind, start, end)
    return occurrences(recurrence_of(obligation, contract), start, end, final_end(terms))


def is_open(
    obligation: Obligation, occurrence: Occurrence, state: OccurrenceState | None, today: date
) -> bool:
    """Open: not settled; a derived deadline whose day has passed has lapsed (it cannot be met late)."""
    return occurrence_open(
        obligation.derived, obligation.status, obligation.every, state.status if state is not None else None,
        occurrence.due, today,
    )


def occurrence_open(
    derived: bool, status: str, every: str | None, state_status: str | None, due: date, today: date
) -> bool:
    """:func:`is_open` on plain values: an obligation's flags, its occurrence state's status (None: no row)."""
    if derived and due < today:
        return False
    if status != "open" and not every:
        return False
    return state_status is None or state_status == "open"


def open_occurrences(
    contract: Contract, obligation: Obligation, states: dict[tuple[int, str], OccurrenceState],
    today: date, until: date,
) -> list[Occurrence]:
    """Open occurrences due by ``until``, from the earliest unsettled one (overdue ones included)."""
    assert obligation.id is not None
    if contract.archived:
        return []
    start = today if obligation.derived else (obligation.next_due or today)
    return [
        occ for occ in obligation_occurrences(contract, obligation, min(start, today), until)
        if is_open(obligation, occ, states.get((obligation.id, occ.key)), today)
    ]


def refresh_schedule(session: Session, contract: Contract, obligation: Obligation, ctx: Context) -> None:
    """Recompute the materialised next-due and next-reminder dates of one obligation."""
    assert obligation.id is not None
    _materialise(session, contract, obligation, states_for(session, [obligation.id]), ctx)


def _materialise(
    session: Session, contract: Contract, obligation: Obligation,
    states: dict[tuple[int, str], OccurrenceState], ctx: Context,
) -> None:
    """Set ``next_due``, ``next_remind_on`` and ``refreshed_on`` from the obligation's occurrence states."""
    first = _first_open(contract, obligation, states, ctx.today)
    obligation.next_due = first.due if first else None
    obligation.refreshed_on = ctx.today
    if obligation.kind in ctx.settings.invite_kinds:
        obligation.invite_on = ctx.today  # a write may need an invite, an update or a cancellation
    if first is None or obligation.kind in NO_REMINDER_KINDS:
        obligation.next_remind_on = None
    else:
        leads = ctx.settings.lead_days_for(obligation.kind, obligation.lead)
        obligation.next_remind_on = first.due - timedelta(days=max(leads))
    if obligation.breach:
        obligation.next_remind_on = min(filter(None, [obligation.next_remind_on, ctx.today]))
    session.add(obligation)


def _first_open(
    contract: Contract, obligation: Obligation, states: dict[tuple[int, str], OccurrenceState], today: date
) -> Occurrence | None:
    if contract.archived:
        return None
    if obligation.derived:
        start = today
    elif obligation.every:
        start = (obligation.start or today) - ROLL_SLACK  # a roll can move the first date earlier
    else:
        start = date.min
    return first_occurrence(
        contract, obligation, start, today,
        lambda occ: is_open(obligation, occ, states.get((obligation.id or 0, occ.key)), today),
    )


def first_occurrence(
    contract: Contract, obligation: Obligation, start: date, today: date,
    accept: Callable[[Occurrence], bool] = lambda _: True,
) -> Occurrence | None:
    """The first occurrence due on or after ``start`` that ``accept`` takes, however far ahead it is.

    Looks window by window (a 5-year term's next deadline is years away), up to a century past ``today``,
    and stops early once a recurrence or the contract has ended.
    """
    if not obligation.derived and obligation.due is not None:  # a one-off: its one date, wherever it is
        return next(iter(o for o in obligation_occurrences(contract, obligation, start, date.max) if accept(o)), None)
    last = final_end(terms_of(contract))
    if obligation.until is not None:
        last = obligation.until if last is None else min(last, obligation.until)
    stop = today + FAR_AHEAD
    low = start
    while low <= stop:
        high = low + LOOKAHEAD
        for occ in obligation_occurrences(contract, obligation, low, high):
            if accept(occ):
                return occ
        if last is not None and high > last + ROLL_SLACK:
            return None  # nothing can come after the end
        low = high + timedelta(days=1)
    return None


def refresh_contract(session: Session, contract: Contract, ctx: Context) -> None:
    session.flush()
    for obligation in session.exec(select(Obligation).where(Obligation.contract_id == contract.id)):
        refresh_schedule(session, contract, obligation, ctx)


def next_occurrence(
    session: Session, contract: Contract, obligation: Obligation, today: date, ref: str | None
) -> tuple[Occurrence, OccurrenceState | None]:
    """The occurrence a command acts on: the one named by ``@ref``, else the earliest open one."""
    assert obligation.id is not None
    states = states_for(session, [obligation.id])
    if ref is None:
        first = _first_open(contract, obligation, states, today)
        if first is None:
            ref_id = public_id(contract.key, obligation)
            raise InvalidInput.field("id", ref_id, "an obligation with an open occurrence")
        return first, states.get((obligation.id, first.key))
    day = _occurrence_day(ref)
    window = (day - timedelta(days=10), day + timedelta(days=10)) if day else (date.min, today + LOOKAHEAD)
    for occ in obligation_occurrences(contract, obligation, *window):
        # By its key, its unadjusted date, or the (rolled) due date `tracker upcoming` shows.
        if occ.key == ref or day in (occ.nominal, occ.due):
            return occ, states.get((obligation.id, occ.key))
    expected = "an occurrence of this obligation (its date as shown by `tracker upcoming`)"
    raise NotFound.field("occurrence", ref, expected)


def _occurrence_day(ref: str) -> date | None:
    try:
        return date.fromisoformat(ref)
    except ValueError:
        return None


def _state(session: Session, obligation: Obligation, occurrence: Occurrence, ctx: Context) -> OccurrenceState:
    assert obligation.id is not None
    state = session.exec(
        select(OccurrenceState).where(
            OccurrenceState.obligation_id == obligation.id, OccurrenceState.occurrence == occurrence.key
        )
    ).first()
    if state is None:
        state = OccurrenceState(
            obligation_id=obligation.id, occurrence=occurrence.key, due=occurrence.due, updated_at=ctx.now
        )
    state.updated_at = ctx.now
    session.add(state)
    return state


# --- contracts -----------------------------------------------------------------------------------


def _contract_values(spec: ContractSpec) -> dict[str, Any]:
    return {
        "key": spec.key, "title": spec.title, "vendor": spec.vendor, "owner": spec.owner,
        "backup_owner": spec.backup_owner, "start": spec.start, "term": _text(spec.term), "end": spec.end,
        "auto_renew": spec.auto_renew, "renewal_term": _text(spec.renewal_term),
        "max_renewals": spec.max_renewals, "notice": _text(spec.notice), "holidays": spec.holidays,
        "timezone": spec.timezone, "value": spec.value, "currency": spec.currency, "tags": list(spec.tags),
        "notify": list(spec.notify), "model_change_notice": _text(spec.model_change_notice),
        "rollback_window": _text(spec.rollback_window), "notice_given_on": spec.notice_given_on,
        "archived": spec.archived,
    }


def _text(duration: Duration | None) -> str | None:
    return str(duration) if duration is not None else None


BATCH = 500


def add_contracts(
    session: Session, specs: list[ContractSpec], ctx: Context, source: str = "add",
    progress: Callable[[int], None] | None = None,
) -> list[Contract]:
    """Add validated contracts with their obligations; duplicate keys are reported together.

    Rows are written in batches (a few multi-row INSERTs per batch rather than several statements per
    contract); new obligations have no occurrence states but the ones their specs carry, so their
    materialised dates are computed without a query. ``progress`` is called with the number of contracts
    added so far (for a progress bar at the edge).
    """
    keys = [spec.key for spec in specs]
    taken = set(session.exec(select(Contract.key).where(col(Contract.key).in_(keys))).all()) if keys else set()
    if taken:
        raise InvalidInput(
            [Problem("key", key, "a key not used by an existing contract") for key in keys if key in taken]
        )
    added: list[Contract] = []
    for offset in range(0, len(specs), BATCH):
        batch = specs[offset:offset + BATCH]
        contracts = [Contract(**_contract_values(spec), created_at=ctx.now, updated_at=ctx.now) for spec in batch]
        session.add_all(contracts)
        session.flush()
        obligations: list[tuple[Contract, ObligationSpec | None, Obligation]] = []
        for spec, contract in zip(batch, contracts, strict=True):
            for index, kind in enumerate(DERIVED_KINDS, start=1):
                obligations.append((contract, None, Obligation(
                    contract_id=contract.id, number=-index, kind=kind, title=DERIVED_TITLES[kind], owed_by="us",
                    derived=True, created_at=ctx.now, updated_at=ctx.now,
                )))
            for number, obligation_spec in enumerate(spec.obligations, start=1):
                obligations.append((contract, obligation_spec, _new_obligation(contract, number, obligation_spec, ctx)))
        session.add_all([obligation for _, _, obligation in obligations])
        session.flush()
        by_contract: dict[int | None, list[tuple[ObligationSpec | None, Obligation]]] = {}
        for contract, obligation_spec, obligation in obligations:
            by_contract.setdefault(contract.id, []).append((obligation_spec, obligation))
        states: dict[tuple[int, str], OccurrenceState] = {}
        for spec, contract in zip(batch, contracts, strict=True):
            record_event(session, ctx, "contract_added", contract, source=source, fields=_contract_values(spec))
            if spec.notice_given_on:
                record_event(session, ctx, "notice_given", contract, sent_on=spec.notice_given_on,
                             ends_on=final_end(terms_of(contract)))
            for obligation_spec, obligation in by_contract[contract.id]:
                if obligation_spec is not None:
                    for state in _added_obligation(session, contract, obligation, obligation_spec, ctx):
                        states[(obligation.id or 0, state.occurrence)] = state
        for contract, _, obligation in obligations:
            _materialise(session, contract, obligation, states, ctx)
        added.extend(contracts)
        if progress is not None:
            progress(len(added))
    if source == "import":
        record_event(session, ctx, "imported", None, contracts=keys)
    return added


def _new_obligation(contract: Contract, number: int, spec: ObligationSpec, ctx: Context) -> Obligation:
    return Obligation(
        contract_id=contract.id, number=number, kind=spec.kind, title=spec.title, owed_by=spec.owed_by,
        due=spec.due, every=spec.every, start=spec.start, until=spec.until,
        lead=list(spec.lead) if spec.lead else None, required=spec.required, roll=spec.roll,
        clause=spec.clause, status=spec.status if not spec.every else "open",
        created_at=ctx.now, updated_at=ctx.now,
    )


def _added_obligation(
    session: Session, contract: Contract, obligation: Obligation, spec: ObligationSpec, ctx: Context
) -> list[OccurrenceState]:
    """The event of an obligation just inserted, and the occurrence states its spec carries (new rows)."""
    record_event(session, ctx, "obligation_added", contract, obligation,
                 id=public_id(contract.key, obligation), **_obligation_fields(spec))
    states: dict[str, OccurrenceState] = {}
    for settled in spec.settled:
        state = states.get(settled.occurrence)
        if state is None:  # a repeated occurrence updates its first row: the last entry wins
            day = _occurrence_day(settled.occurrence) or spec.due or ctx.today
            state = states[settled.occurrence] = OccurrenceState(
                obligation_id=obligation.id, occurrence=settled.occurrence, due=day, updated_at=ctx.now
            )
            session.add(state)
        state.status, state.settled_on, state.progress = settled.status, settled.on, settled.progress
    return list(states.values())


def _insert_obligation(
    session: Session, contract: Contract, number: int, spec: ObligationSpec, ctx: Context
) -> Obligation:
    obligation = _new_obligation(contract, number, spec, ctx)
    session.add(obligation)
    session.flush()
    _added_obligation(session, contract, obligation, spec, ctx)
    return obligation


def _obligation_fields(spec: ObligationSpec) -> dict[str, Any]:
    fields = {
        "kind": spec.kind, "title": spec.title, "owed_by": spec.owed_by, "due": spec.due, "every": spec.every,
        "start": spec.start, "until": spec.until, "lead": spec.lead, "required": spec.required,
        "roll": spec.roll, "clause": spec.clause,
    }
    return {k: v for k, v in fields.items() if v is not None}


def contract_as_raw(session: Session, contract: Contract, with_obligations: bool = True) -> dict[str, Any]:
    """The contract in the import/export schema (DESIGN §5), so an export imports back unchanged."""
    raw: dict[str, Any] = {
        "key": contract.key, "title": contract.title, "vendor": contract.vendor, "owner": contract.owner,
        "backup_owner": contract.backup_owner, "start": contract.start, "term": contract.term,
        "end": contract.end, "auto_renew": contract.auto_renew, "renewal_term": contract.renewal_term,
        "max_renewals": contract.max_renewals, "notice": contract.notice, "holidays": contract.holidays,
        "timezone": contract.timezone, "value": contract.value, "currency": contract.currency,
        "tags": list(contract.tags), "notify": list(contract.notify),
        "terms": {k: v for k, v in (("model_change_notice", contract.model_change_notice),
                                    ("rollback_window", contract.rollback_window)) if v},
        "notice_given_on": contract.notice_given_on,
        "archived": contract.archived or None,
    }
    raw = {k: v for k, v in raw.items() if v not in (None, [], {})}
    if with_obligations:
        obligations = session.exec(
            select(Obligation).where(Obligation.contract_id == contract.id, col(Obligation.derived).is_(False))
            .order_by(col(Obligation.number))
        ).all()
        states = states_for(session, [o.id for o in obligations if o.id is not None])
        items = []
        for obligation in obligations:
            item: dict[str, Any] = {
                "kind": obligation.kind, "title": obligation.title, "owed_by": obligation.owed_by,
                "due": obligation.due, "every": obligation.every, "start": obligation.start,
                "until": obligation.until, "lead": obligation.lead, "required": obligation.required,
                "roll": obligation.roll if obligation.roll != "previous" else None, "clause": obligation.clause,
                "status": obligation.status if obligation.status != "open" else None,
            }
            settled = [
                {k: v for k, v in {"occurrence": s.occurrence, "status": s.status, "on": s.settled_on,
                                   "progress": s.progress or None}.items() if v not in (None, "")}
                for (oid, _), s in sorted(states.items(), key=lambda kv: kv[0][1])
                if oid == obligation.id and (s.status != "open" or s.progress)
            ]
            item["settled"] = settled or None
            items.append({k: v for k, v in item.items() if v is not None})
        if items:
            raw["obligations"] = items
    return raw


EDITABLE = (
    "title", "vendor", "owner", "backup_owner", "start", "term", "end", "auto_renew", "renewal_term",
    "max_renewals", "notice", "holidays", "timezone", "value", "currency", "tags", "notify",
    "model_change_notice", "rollback_window",
)


def edit_contract(session: Session, key: str, changes: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Change contract fields; returns {field: {old, new}}. Derived deadlines follow; revisions rise."""
    contract = get_contract(session, key)
    for name in changes:
        if name not in EDITABLE:
            raise InvalidInput.field(name, changes[name], f"one of the editable fields: {', '.join(EDITABLE)}")
    raw = contract_as_raw(session, contract, with_obligations=False)
    for name, value in changes.items():
        if name in ("model_change_notice", "rollback_window"):
            raw.setdefault("terms", {})[name] = value
        elif value in (None, "") and name in raw:
            del raw[name]
        else:
            raw[name] = value
        if name == "term" and value not in (None, ""):
            raw.pop("end", None)
        if name == "end" and value not in (None, ""):
            raw.pop("term", None)
    spec, problems = parse_contract(raw)
    if problems or spec is None:
        raise InvalidInput(problems)
    new_values = _contract_values(spec)
    diff = {}
    for name, new in new_values.items():
        old = getattr(contract, name)
        if old != new:
            diff[name] = {"old": _plain(old), "new": _plain(new)}
            setattr(contract, name, new)
    if not diff:
        return diff
    contract.revision += 1
    contract.updated_at = ctx.now
    session.add(contract)
    _touch_obligations(session, contract, ctx)
    record_event(session, ctx, "contract_updated", contract, changes=diff)
    refresh_contract(session, contract, ctx)
    return diff


def _touch_obligations(session: Session, contract: Contract, ctx: Context) -> None:
    """A contract change can change every occurrence's dates or text: raise each revision (SEQUENCE)."""
    for obligation in session.exec(select(Obligation).where(Obligation.contract_id == contract.id)):
        obligation.revision += 1
        obligation.updated_at = ctx.now
        session.add(obligation)


def record_notice(session: Session, key: str, sent_on: date, ctx: Context) -> date:
    """Record notice of non-renewal; return the contract's last day. Derived renewals disappear."""
    contract = get_contract(session, key)
    if contract.notice_given_on is not None:
        raise InvalidInput.field("key", key, f"a contract without recorded notice (notice was given on "
                                 f"{contract.notice_given_on.isoformat()})")
    if sent_on < contract.start:
        raise InvalidInput.field("sent_on", sent_on.isoformat(), "a date on or after the contract's start")
    terms = terms_of(contract)
    last = final_end(terms)
    if last is not None and sent_on > last:
        raise InvalidInput.field("sent_on", sent_on.isoformat(), f"a date on or before the contract's end ({last})")
    contract.notice_given_on = sent_on
    contract.revision += 1
    contract.updated_at = ctx.now
    session.add(contract)
    ends_on = final_end(terms_of(contract))
    assert ends_on is not None
    timely = final_term_index(terms_of(contract)) == term_index_on(terms, sent_on)
    _touch_obligations(session, contract, ctx)
    record_event(session, ctx, "notice_given", contract, sent_on=sent_on, ends_on=ends_on,
                 timely_for_current_term=timely)
    refresh_contract(session, contract, ctx)
    return ends_on


def archive_contract(session: Session, key: str, ctx: Context) -> Contract:
    """Archive a contract: it leaves the timeline, calendars and reminders, and keeps its history.

    Contracts are never deleted; sent calendar invites for its deadlines are cancelled at the next pass.
    """
    contract = get_contract(session, key)
    if contract.archived:
        raise InvalidInput.field("key", key, "a contract that is not archived already")
    contract.archived = True
    contract.revision += 1
    contract.updated_at = ctx.now
    session.add(contract)
    _touch_obligations(session, contract, ctx)
    record_event(session, ctx, "contract_archived", contract)
    refresh_contract(session, contract, ctx)
    return contract


# --- obligations ---------------------------------------------------------------------------------


def add_obligation(session: Session, key: str, spec: ObligationSpec, ctx: Context) -> Obligation:
    contract = get_contract(session, key)
    obligation = _insert_obligation(session, contract, _next_number(session, contract), spec, ctx)
    refresh_schedule(session, contract, obligation, ctx)
    return obligation


def _next_number(session: Session, contract: Contract) -> int:
    numbers = session.exec(select(Obligation.number).where(Obligation.contract_id == contract.id)).all()
    return max((n for n in numbers if n > 0), default=0) + 1


def _settleable(contract: Contract, obligation: Obligation) -> None:
    if obligation.derived:
        hint = "`tracker notice` to stop a renewal, or `tracker ack` to stop its reminders"
        raise InvalidInput.field("id", public_id(contract.key, obligation), f"an entered obligation ({hint})")


def settle(
    session: Session, ref: str, status: str, on: date, note: str | None, ctx: Context
) -> tuple[Contract, Obligation, Occurrence]:
    """Mark an occurrence done or waived (the earliest open one unless ``@occurrence`` is given)."""
    contract, obligation, occurrence_ref = resolve_obligation(session, ref)
    _settleable(contract, obligation)
    occurrence, state = next_occurrence(session, contract, obligation, ctx.today, occurrence_ref)
    if state is not None and state.status != "open":
        raise InvalidInput.field("id", ref, f"an open occurrence (this one is already {state.status})")
    state = _state(session, obligation, occurrence, ctx)
    state.status, state.settled_on = status, on
    if not obligation.every:
        obligation.status = status
    obligation.updated_at = ctx.now
    record_event(session, ctx, f"obligation_{status}", contract, obligation, id=public_id(contract.key, obligation),
                 occurrence=occurrence.key, due=occurrence.due, on=on, note=note)
    session.flush()
    refresh_schedule(session, contract, obligation, ctx)
    return contract, obligation, occurrence


def record_progress(
    session: Session, ref: str, count: int, on: date, note: str | None, ctx: Context
) -> tuple[Contract, Obligation, OccurrenceState]:
    """Count progress on a counted obligation; reaching the required count completes the occurrence."""
    if count < 1:
        raise InvalidInput.field("count", count, "a whole number of at least 1")
    contract, obligation, occurrence_ref = resolve_obligation(session, ref)
    _settleable(contract, obligation)
    if not obligation.required:
        raise InvalidInput.field("id", ref, "a counted obligation (one with `required`); use `obligation done`")
    occurrence, state = next_occurrence(session, contract, obligation, ctx.today, occurrence_ref)
    if state is not None and state.status != "open":
        raise InvalidInput.field("id", ref, f"an open occurrence (this one is already {state.status})")
    state = _state(session, obligation, occurrence, ctx)
    state.progress += count
    session.add(Progress(obligation_id=obligation.id, occurrence=occurrence.key, count=count, on=on, note=note,
                         created_at=ctx.now))
    record_event(session, ctx, "progress_recorded", contract, obligation, id=public_id(contract.key, obligation),
                 occurrence=occurrence.key, count=count, done=state.progress, required=obligation.required,
                 on=on, note=note)
    if state.progress >= obligation.required:
        state.status, state.settled_on = "done", on
        if not obligation.every:
            obligation.status = "done"
        record_event(session, ctx, "obligation_done", contract, obligation, id=public_id(contract.key, obligation),
                     occurrence=occurrence.key, due=occurrence.due, on=on, note="required count reached")
    obligation.updated_at = ctx.now
    session.flush()
    refresh_schedule(session, contract, obligation, ctx)
    return contract, obligation, state


def acknowledge(session: Session, ref: str, ctx: Context) -> tuple[Contract, Obligation, Occurrence]:
    """Stop reminders for the current occurrence until the obligation changes (its revision rises)."""
    contract, obligation, occurrence_ref = resolve_obligation(session, ref)
    occurrence, _ = next_occurrence(session, contract, obligation, ctx.today, occurrence_ref)
    state = _state(session, obligation, occurrence, ctx)
    state.acked_revision = obligation.revision
    record_event(session, ctx, "acknowledged", contract, obligation, id=public_id(contract.key, obligation),
                 occurrence=occurrence.key, due=occurrence.due)
    return contract, obligation, occurrence


@dataclass(frozen=True)
class ModelChange:
    model_change: Obligation
    rollback: Obligation | None
    notice_days: int
    promised: Duration | None
    breach: str | None


def record_model_change(session: Session, key: str, announced: date, effective: date, ctx: Context) -> ModelChange:
    """Record a vendor's model-change notice (DESIGN §3.4): test before D2, decide on rollback after."""
    contract = get_contract(session, key)
    if effective < announced:
        raise InvalidInput.field("effective", effective.isoformat(), f"a date on or after announced ({announced})")
    promised = parse_duration(contract.model_change_notice) if contract.model_change_notice else None
    breach = None
    if promised is not None:
        required_by = shift(effective, promised, -1, terms_of(contract).calendar)
        if announced > required_by:
            breach = (f"{contract.vendor} announced on {announced} a model change effective {effective}: "
                      f"{(effective - announced).days} days' notice where the contract promises {promised} "
                      f"(notice was due by {required_by})")
    number = _next_number(session, contract)
    change = _insert_obligation(session, contract, number, ObligationSpec(
        kind="model_change", title=f"Run parallel tests before the model change of {effective}", owed_by="us",
        due=effective, roll="none"), ctx)
    change.breach = breach
    rollback = None
    if contract.rollback_window:
        window = parse_duration(contract.rollback_window)
        rollback = _insert_obligation(session, contract, number + 1, ObligationSpec(
            kind="rollback_window", title=f"Decide whether to roll back the model change of {effective}",
            owed_by="us", due=shift(effective, window, 1, terms_of(contract).calendar), roll="previous"), ctx)
    record_event(session, ctx, "model_change_recorded", contract, change, announced=announced,
                 effective=effective, notice_days=(effective - announced).days, promised=promised, breach=breach)
    refresh_schedule(session, contract, change, ctx)
    if rollback:
        refresh_schedule(session, contract, rollback, ctx)
    return ModelChange(change, rollback, (effective - announced).days, promised, breach)


def history(session: Session, key: str) -> list[Event]:
    contract = get_contract(session, key)
    return list(session.exec(
        select(Event).where(Event.contract_id == contract.id).order_by(col(Event.at), col(Event.id))
    ).all())
