"""Contracts: add (one or an import's thousands), edit, record notice, archive, and their import-schema form.

Each use case is one transaction with its ledger events; derived obligations and the materialised next
dates follow every change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from tracker.domain.durations import Duration
from tracker.domain.kinds import DERIVED_KINDS, derived_number, kind_of
from tracker.domain.specs import EDITABLE_FIELDS, TERMS_FIELDS, ContractSpec, ObligationSpec, parse_contract
from tracker.domain.terms import final_end, final_term_index, term_index_on
from tracker.errors import InvalidInput, Problem
from tracker.services.context import Context
from tracker.services.events import plain, record_event
from tracker.services.lookup import get_contract
from tracker.services.obligations import new_obligation, record_added
from tracker.services.occurrences import materialise, refresh_contract
from tracker.store import Session
from tracker.store import contracts as contract_rows
from tracker.store import obligations as obligation_rows
from tracker.store.mapping import terms_of
from tracker.store.obligations import StateMap
from tracker.store.tables import Contract, Obligation

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
    raw: dict[str, Any] = {
        "key": contract.key, "title": contract.title, "vendor": contract.vendor, "owner": contract.owner,
        "backup_owner": contract.backup_owner, "start": contract.start, "term": contract.term,
        "end": contract.end, "auto_renew": contract.auto_renew, "renewal_term": contract.renewal_term,
        "max_renewals": contract.max_renewals, "notice": contract.notice, "holidays": contract.holidays,
        "timezone": contract.timezone, "value": contract.value, "currency": contract.currency,
        "tags": list(contract.tags), "notify": list(contract.notify),
        "terms": {name: getattr(contract, name) for name in TERMS_FIELDS if getattr(contract, name)},
        "notice_given_on": contract.notice_given_on,
        "archived": contract.archived or None,
    }
    raw = {k: v for k, v in raw.items() if v not in (None, [], {})}
    if with_obligations:
        obligations = obligation_rows.of_contract(session, contract.id, entered_only=True)
        states = obligation_rows.states_for(session, [o.id for o in obligations if o.id is not None])
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


def edit_contract(session: Session, key: str, changes: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Change contract fields; returns {field: {old, new}}. Derived deadlines follow; revisions rise."""
    contract = get_contract(session, key)
    for name in changes:
        if name not in EDITABLE_FIELDS:
            expected = f"one of the editable fields: {', '.join(EDITABLE_FIELDS)}"
            raise InvalidInput.field(name, changes[name], expected)
    raw = contract_as_raw(session, contract, with_obligations=False)
    for name, value in changes.items():
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
    ends_on = final_end(terms_of(contract))
    assert ends_on is not None
    timely = final_term_index(terms_of(contract)) == term_index_on(terms, sent_on)
    _changed(session, contract, ctx)
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
    _changed(session, contract, ctx)
    record_event(session, ctx, "contract_archived", contract)
    refresh_contract(session, contract, ctx)
    return contract
