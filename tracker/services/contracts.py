"""Contracts: add (one or an import's thousands), edit, record notice, archive, and their import-schema form.

Each use case is one transaction with its ledger events; derived obligations and the materialised next
dates follow every change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from tracker.domain.durations import Duration
from tracker.domain.kinds import DERIVED_KINDS, derived_number, kind_of
from tracker.domain.specs import EDITABLE_FIELDS, TERMS_FIELDS, ContractSpec, ObligationSpec, parse_contract
from tracker.domain.spend import Price, format_percent
from tracker.domain.terms import (
    Terms,
    final_end,
    final_term_index,
    missed_deadline,
    notice_deadline,
    term_index_on,
    term_start,
    termination_end,
)
from tracker.errors import InvalidInput, Problem
from tracker.services.context import Context
from tracker.services.events import plain, record_event
from tracker.services.lookup import get_contract
from tracker.services.obligations import new_obligation, record_added
from tracker.services.occurrences import materialise, refresh_contract
from tracker.services.spend import prices_of, termination_fee
from tracker.store import Session
from tracker.store import contracts as contract_rows
from tracker.store import obligations as obligation_rows
from tracker.store import usage as usage_rows
from tracker.store.mapping import meter_spec, terms_of
from tracker.store.obligations import StateMap
from tracker.store.tables import Contract, Meter, Obligation

BATCH = 500


def _text(duration: Duration | None) -> str | None:
    return str(duration) if duration is not None else None


def row_values(spec: ContractSpec) -> dict[str, Any]:
    """A validated spec as the contract row's column values."""
    return {
        "key": spec.key, "title": spec.title, "vendor": spec.vendor, "owner": spec.owner,
        "backup_owner": spec.backup_owner, "start": spec.start, "term": _text(spec.term), "end": spec.end,
        "auto_renew": spec.auto_renew, "renewal_term": _text(spec.renewal_term),
        "max_renewals": spec.max_renewals, "notice": _text(spec.notice), "holidays": spec.holidays,
        "timezone": spec.timezone, "value": spec.value, "currency": spec.currency, "tags": list(spec.tags),
        "notify": list(spec.notify), "model_change_notice": _text(spec.model_change_notice),
        "rollback_window": _text(spec.rollback_window), "notice_given_on": spec.notice_given_on,
        "termination_notice": _text(spec.termination_notice), "termination_sent_on": spec.termination_sent_on,
        "value_basis": spec.value_basis, "renewal_uplift_cap": spec.renewal_uplift_cap,
        "termination_fee": spec.termination_fee, "protections": dict(spec.protections) or None,
        "archived": spec.archived,
    }


def add_contracts(
    session: Session, specs: list[ContractSpec], ctx: Context, source: str = "add",
    progress: Callable[[int], None] | None = None,
) -> list[Contract]:
    """Add validated contracts with their obligations; keys already in use are reported together.

    Rows are written in batches (a few multi-row INSERTs per batch rather than several statements per
    contract); new obligations have no occurrence states but the ones their specs carry, so their
    materialised dates are computed without a query. ``progress`` is called with the number of contracts
    added so far (for a progress bar at the edge).
    """
    keys = [spec.key for spec in specs]
    taken = contract_rows.taken_keys(session, keys)
    if taken:
        raise InvalidInput(
            [Problem("key", key, "a key not used by an existing contract") for key in keys if key in taken]
        )
    added: list[Contract] = []
    for offset in range(0, len(specs), BATCH):
        batch = specs[offset:offset + BATCH]
        contracts = [Contract(**row_values(spec), created_at=ctx.now, updated_at=ctx.now) for spec in batch]
        contract_rows.add_all(session, contracts)
        session.add_all([Meter(contract_id=contract.id or 0, name=m.name, unit=m.unit, limit=m.limit, period=m.period,
                               kind=m.kind, thresholds=list(m.thresholds))
                         for spec, contract in zip(batch, contracts, strict=True) for m in spec.meters])
        obligations: list[tuple[Contract, ObligationSpec | None, Obligation]] = []
        for spec, contract in zip(batch, contracts, strict=True):
            for kind in DERIVED_KINDS:
                assert contract.id is not None
                obligations.append((contract, None, Obligation(
                    contract_id=contract.id, number=derived_number(kind), kind=kind,
                    title=kind_of(kind).default_title, owed_by="us", derived=True,
                    created_at=ctx.now, updated_at=ctx.now,
                )))
            for number, entered in enumerate(spec.obligations, start=1):
                obligations.append((contract, entered, new_obligation(contract, number, entered, ctx)))
        obligation_rows.add(session, [obligation for _, _, obligation in obligations])
        by_contract: dict[int | None, list[tuple[ObligationSpec | None, Obligation]]] = {}
        for contract, maybe_spec, obligation in obligations:
            by_contract.setdefault(contract.id, []).append((maybe_spec, obligation))
        states: StateMap = {}
        for spec, contract in zip(batch, contracts, strict=True):
            record_event(session, ctx, "contract_added", contract, source=source, fields=row_values(spec))
            if spec.notice_given_on:
                record_event(session, ctx, "notice_given", contract, sent_on=spec.notice_given_on,
                             ends_on=final_end(terms_of(contract)))
            for maybe_spec, obligation in by_contract[contract.id]:
                if maybe_spec is not None:
                    for state in record_added(session, contract, obligation, maybe_spec, ctx):
                        states[(obligation.id or 0, state.occurrence)] = state
        for contract, _, obligation in obligations:
            materialise(session, contract, obligation, states, ctx)
        added.extend(contracts)
        if progress is not None:
            progress(len(added))
    if source == "import":
        record_event(session, ctx, "imported", None, contracts=keys)
    return added


def contract_as_raw(session: Session, contract: Contract, with_obligations: bool = True) -> dict[str, Any]:
    """The contract in the import/export schema (DESIGN §5), so an export imports back unchanged."""
    return contracts_as_raw(session, [contract], with_obligations)[0]


def contracts_as_raw(
    session: Session, contracts: list[Contract], with_obligations: bool = True,
) -> list[dict[str, Any]]:
    """Many contracts in the import/export schema, with two queries for all their obligations and states."""
    raws = [_scalar_raw(contract) for contract in contracts]
    if not with_obligations:
        return raws
    meters = usage_rows.meters_of(session, [c.id for c in contracts if c.id is not None])
    for contract, raw in zip(contracts, raws, strict=True):
        if meters.get(contract.id or 0):
            raw["meters"] = [meter_spec(m).raw() for m in meters[contract.id or 0]]
    by_contract = obligation_rows.entered_of_contracts(session, [c.id for c in contracts if c.id is not None])
    ids = [o.id for obligations in by_contract.values() for o in obligations if o.id is not None]
    states = obligation_rows.states_for(session, ids)
    settled_by_obligation: dict[int, list[dict[str, Any]]] = {}
    for (obligation_id, occurrence), state in sorted(states.items(), key=lambda kv: kv[0][1]):
        if state.status != "open" or state.progress:
            settled_by_obligation.setdefault(obligation_id, []).append({
                k: v for k, v in {"occurrence": occurrence, "status": state.status, "on": state.settled_on,
                                  "progress": state.progress or None}.items() if v not in (None, "")
            })
    for contract, raw in zip(contracts, raws, strict=True):
        items = []
        for obligation in by_contract.get(contract.id or 0, []):
            item: dict[str, Any] = {
                "kind": obligation.kind, "title": obligation.title, "owed_by": obligation.owed_by,
                "due": obligation.due, "every": obligation.every, "start": obligation.start,
                "until": obligation.until, "lead": obligation.lead, "required": obligation.required,
                "roll": obligation.roll if obligation.roll != "previous" else None, "clause": obligation.clause,
                "status": obligation.status if obligation.status != "open" else None,
                "settled": settled_by_obligation.get(obligation.id or 0) or None,
            }
            items.append({k: v for k, v in item.items() if v is not None})
        if items:
            raw["obligations"] = items
    return raws


def _percent(value: Decimal | None) -> str | None:
    """A percentage as a file writes it: ``5%``, ``12.5%``."""
    return None if value is None else format_percent(value)


def _scalar_raw(contract: Contract) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "key": contract.key, "title": contract.title, "vendor": contract.vendor, "owner": contract.owner,
        "backup_owner": contract.backup_owner, "start": contract.start, "term": contract.term,
        "end": contract.end, "auto_renew": contract.auto_renew, "renewal_term": contract.renewal_term,
        "max_renewals": contract.max_renewals, "notice": contract.notice,
        "termination_notice": contract.termination_notice, "termination_fee": _percent(contract.termination_fee),
        "holidays": contract.holidays, "timezone": contract.timezone, "value": contract.value,
        "value_basis": f"per {contract.value_basis}" if contract.value_basis else None, "currency": contract.currency,
        "renewal_uplift_cap": _percent(contract.renewal_uplift_cap),
        "tags": list(contract.tags), "notify": list(contract.notify),
        "terms": {**{name: getattr(contract, name) for name in TERMS_FIELDS if getattr(contract, name)},
                  **(contract.protections or {})},
        "notice_given_on": contract.notice_given_on,
        "termination_sent_on": contract.termination_sent_on,
        "archived": contract.archived or None,
    }
    return {k: v for k, v in raw.items() if v not in (None, [], {})}


def edit_contract(session: Session, key: str, changes: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Change contract fields; returns {field: {old, new}}. Derived deadlines follow; revisions rise."""
    contract = get_contract(session, key)
    for name in changes:
        if name not in (*EDITABLE_FIELDS, "protections"):
            expected = f"one of the editable fields: {', '.join(EDITABLE_FIELDS)}"
            raise InvalidInput.field(name, changes[name], expected)
    raw = contract_as_raw(session, contract, with_obligations=False)
    for name, value in changes.items():
        if name == "protections":  # {name: value}; an empty value removes the protection
            terms = raw.setdefault("terms", {})
            for protection, text in value.items():
                if text in (None, ""):
                    terms.pop(protection, None)
                else:
                    terms[protection] = text
            continue
        if name in TERMS_FIELDS:
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
    diff = {}
    for name, new in row_values(spec).items():
        old = getattr(contract, name)
        if old != new:
            diff[name] = {"old": plain(old), "new": plain(new)}
            setattr(contract, name, new)
    if not diff:
        return diff
    _changed(session, contract, ctx)
    record_event(session, ctx, "contract_updated", contract, changes=diff)
    refresh_contract(session, contract, ctx)
    return diff


def _changed(session: Session, contract: Contract, ctx: Context) -> None:
    """A contract change can change every occurrence's dates or text: raise each revision (SEQUENCE)."""
    contract.revision += 1
    contract.updated_at = ctx.now
    session.add(contract)
    for obligation in obligation_rows.of_contract(session, contract.id):
        obligation.revision += 1
        obligation.updated_at = ctx.now
        session.add(obligation)


@dataclass(frozen=True)
class Ending:
    """What recorded notice does: the contract's last day and the renewals that still happen before it."""

    key: str
    sent_on: date
    ends_on: date
    renewals: tuple[date, ...]  # renewals between the notice and the end (long notice: one or more)
    termination: bool = False  # termination for convenience rather than notice of non-renewal
    fee: Decimal | None = None  # the termination fee, in the contract's currency
    currency: str | None = None


def _check_sent_on(contract: Contract, sent_on: date, ctx: Context, field: str) -> None:
    """Notice cannot predate the contract, nor be recorded before it was sent (after the as-of date)."""
    if sent_on < contract.start:
        raise InvalidInput.field(field, sent_on.isoformat(), "a date on or after the contract's start")
    today = ctx.today_for(contract.timezone)
    if sent_on > today:
        raise InvalidInput.field(field, sent_on.isoformat(), f"a date on or before today ({today}): record notice "
                                 "once it has been sent")


def _renewals_between(terms: Terms, start: date, end: date) -> tuple[date, ...]:
    """Renewal days after ``start`` up to ``end`` (the contract's last day)."""
    found: list[date] = []
    k = term_index_on(terms, start, _cap=None) + 1
    while term_start(terms, k) <= end:
        found.append(term_start(terms, k))
        k += 1
    return tuple(found)


def record_notice(session: Session, key: str, sent_on: date, ctx: Context) -> Ending:
    """Record notice of non-renewal: the contract ends at the end of the first term whose deadline it meets."""
    contract = get_contract(session, key)
    if contract.notice_given_on is not None:
        raise InvalidInput.field("key", key, f"a contract without recorded notice (notice was given on "
                                 f"{contract.notice_given_on.isoformat()})")
    _check_sent_on(contract, sent_on, ctx, "sent_on")
    terms = terms_of(contract)
    last = final_end(terms)
    if last is not None and sent_on > last:
        raise InvalidInput.field("sent_on", sent_on.isoformat(), f"a date on or before the contract's end ({last})")
    contract.notice_given_on = sent_on
    after = terms_of(contract)
    ends_on = final_end(after)
    assert ends_on is not None
    timely = final_term_index(after) == term_index_on(terms, sent_on)
    _changed(session, contract, ctx)
    record_event(session, ctx, "notice_given", contract, sent_on=sent_on, ends_on=ends_on,
                 timely_for_current_term=timely)
    refresh_contract(session, contract, ctx)
    return Ending(key, sent_on, ends_on, _renewals_between(after, sent_on, ends_on))


def termination_outcome(contract: Contract, sent_on: date, prices: list[Price] | None = None) -> Ending:
    """What termination for convenience with notice sent on ``sent_on`` would do (nothing is written).

    With ``prices`` (the contract's price changes) and a ``termination_fee``, the fee is computed too.
    """
    terms = terms_of(contract)
    if terms.termination_notice is None:
        raise InvalidInput.field("key", contract.key, "a contract with termination_notice (termination for "
                                 "convenience); set it with `tracker edit KEY --termination-notice 60d`")
    ends_on = termination_end(terms, sent_on)
    last = final_end(terms)
    if last is not None:
        ends_on = min(ends_on, last)
    fee = termination_fee(contract, prices or [], ends_on)
    return Ending(contract.key, sent_on, ends_on, _renewals_between(terms, sent_on, ends_on), termination=True,
                  fee=fee, currency=contract.currency)


def terminate(session: Session, key: str, sent_on: date, ctx: Context, dry_run: bool = False) -> Ending:
    """Record notice of termination for convenience: the contract ends on ``sent_on + termination_notice``,
    or at the current term end if that comes first. Later renewals, deadlines and recurrences leave the
    timeline; obligations that outlive the contract (a one-off data export) stay.
    """
    contract = get_contract(session, key)
    if contract.termination_sent_on is not None:
        raise InvalidInput.field("key", key, f"a contract not terminated already (notice of termination was sent "
                                 f"on {contract.termination_sent_on.isoformat()})")
    _check_sent_on(contract, sent_on, ctx, "sent_on")
    last = final_end(terms_of(contract))
    if last is not None and sent_on > last:
        raise InvalidInput.field("sent_on", sent_on.isoformat(), f"a date on or before the contract's end ({last})")
    outcome = termination_outcome(contract, sent_on, prices_of(session, contract))
    if dry_run:
        return outcome
    contract.termination_sent_on = sent_on
    _changed(session, contract, ctx)
    record_event(session, ctx, "termination_given", contract, sent_on=sent_on, ends_on=outcome.ends_on,
                 termination_notice=contract.termination_notice, fee=outcome.fee)
    refresh_contract(session, contract, ctx)
    return outcome


def archive_contract(session: Session, key: str, ctx: Context) -> Contract:
    """Archive a contract: it leaves the timeline, calendars and reminders, and keeps its history.

    Contracts are never deleted; sent calendar invites for its deadlines are cancelled at the next pass.
    """
    contract = get_contract(session, key)
    if contract.archived:
        raise InvalidInput.field("key", key, "a contract that is not archived already")
    contract.archived = True
    _changed(session, contract, ctx)
    record_event(session, ctx, "contract_archived", contract)
    refresh_contract(session, contract, ctx)
    return contract


def missed_window_warnings(session: Session, key: str, ctx: Context) -> list[str]:
    """Warnings for a contract just entered: a notice window that closed before anyone could act on it."""
    contract = get_contract(session, key)
    terms = terms_of(contract)
    today = ctx.today_for(contract.timezone)
    missed = missed_deadline(terms, today)
    if missed is None:
        return []
    renewal, deadline = missed
    k = term_index_on(terms, today) + 1
    final = final_term_index(terms)
    following = notice_deadline(terms, k) if final is None or k < final else None
    tail = f"; the next is {following}" if following is not None else ""
    return [f"the deadline to stop the {renewal} renewal passed on {deadline}{tail}"]
