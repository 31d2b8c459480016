"""Read-side services: the timeline of upcoming deadlines, one contract's dates, the contract list.

Each returns plain dictionaries in the stable JSON shape the README documents (dates as YYYY-MM-DD), so
the CLI, the web edge and the tests share one representation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from tracker.ledger import get_contract, open_occurrences, states_for
from tracker.models import Contract, Obligation, OccurrenceState, public_id, terms_of
from tracker.schedule import (
    Occurrence,
    final_end,
    final_term_index,
    notice_deadline,
    term_end,
    term_index_on,
    term_start,
)


@dataclass(frozen=True)
class Filters:
    owner: str | None = None
    kind: str | None = None
    contract: str | None = None


@dataclass(frozen=True)
class Item:
    """One open occurrence on the timeline, with the rows it came from."""

    contract: Contract
    obligation: Obligation
    occurrence: Occurrence
    state: OccurrenceState | None


def contract_status(contract: Contract, today: date) -> str:
    """active | notice_given | ended (archived contracts count as ended)."""
    last = final_end(terms_of(contract))
    if contract.archived or (last is not None and last < today):
        return "ended"
    return "notice_given" if contract.notice_given_on else "active"


def open_items(session: Session, today: date, until: date, filters: Filters = Filters()) -> list[Item]:
    """Every open occurrence due by ``until`` (overdue ones included), by date, then contract and id.

    Selection goes through the indexed ``next_due`` column, so the cost follows what is due.
    """
    query = (
        select(Obligation, Contract)
        .join(Contract, col(Contract.id) == Obligation.contract_id)
        # Materialised as of `refreshed_on`; a simulation before that date re-checks those rows too.
        .where(or_(col(Obligation.next_due) <= until, col(Obligation.refreshed_on) > today))
        .where(col(Contract.archived).is_(False))
    )
    if filters.owner:
        query = query.where(Contract.owner == filters.owner)
    if filters.kind:
        query = query.where(Obligation.kind == filters.kind)
    if filters.contract:
        query = query.where(Contract.key == filters.contract)
    rows = session.exec(query).all()
    states = states_for(session, [o.id for o, _ in rows if o.id is not None])
    items = []
    for obligation, contract in rows:
        for occurrence in open_occurrences(contract, obligation, states, today, until):
            items.append(Item(contract, obligation, occurrence, states.get((obligation.id or 0, occurrence.key))))
    items.sort(key=lambda i: (i.occurrence.due, i.contract.key, i.obligation.derived is False, i.obligation.number))
    return items


def item_view(item: Item, today: date) -> dict[str, Any]:
    """The stable JSON object of one timeline entry (README: `upcoming --format json`)."""
    obligation, occurrence = item.obligation, item.occurrence
    progress = None
    if obligation.required:
        progress = {"done": item.state.progress if item.state else 0, "required": obligation.required}
    return {
        "contract": item.contract.key,
        "vendor": item.contract.vendor,
        "obligation": public_id(item.contract.key, obligation),
        "occurrence": occurrence.key,
        "kind": obligation.kind,
        "title": obligation.title,
        "owed_by": obligation.owed_by,
        "owner": item.contract.owner,
        "due": occurrence.due.isoformat(),
        "days_left": (occurrence.due - today).days,
        "status": "overdue" if occurrence.due < today else "open",
        "progress": progress,
    }


def upcoming(session: Session, today: date, within: int, filters: Filters = Filters()) -> list[dict[str, Any]]:
    until = today + timedelta(days=within)
    return [item_view(item, today) for item in open_items(session, today, until, filters)]


def term_view(contract: Contract, today: date) -> dict[str, Any]:
    terms = terms_of(contract)
    k = term_index_on(terms, today)
    return {"number": k + 1, "start": term_start(terms, k).isoformat(), "end": term_end(terms, k).isoformat()}


def next_notice(contract: Contract, today: date) -> tuple[date | None, date | None]:
    """The next notice deadline on or after ``today`` that still stops a renewal, and that renewal's date."""
    terms = terms_of(contract)
    if not terms.auto_renew or terms.notice_given_on is not None or contract.archived:
        return None, None
    final = final_term_index(terms)
    k = term_index_on(terms, today)
    while final is None or k < final:
        deadline = notice_deadline(terms, k)
        if deadline >= today:
            return deadline, term_end(terms, k) + timedelta(days=1)
        k += 1
    return None, None


def contract_summary(contract: Contract, today: date) -> dict[str, Any]:
    deadline, renews_on = next_notice(contract, today)
    last = final_end(terms_of(contract))
    return {
        "key": contract.key,
        "title": contract.title,
        "vendor": contract.vendor,
        "owner": contract.owner,
        "status": contract_status(contract, today),
        "auto_renew": contract.auto_renew,
        "term": term_view(contract, today),
        "ends_on": last.isoformat() if last else None,
        "notice_deadline": deadline.isoformat() if deadline else None,
        "renews_on": renews_on.isoformat() if renews_on else None,
        "value": str(contract.value) if contract.value is not None else None,
        "currency": contract.currency,
        "tags": list(contract.tags),
    }


def list_contracts(session: Session, today: date, owner: str | None = None) -> list[dict[str, Any]]:
    query = select(Contract).where(col(Contract.archived).is_(False)).order_by(col(Contract.key))
    if owner:
        query = query.where(Contract.owner == owner)
    return [contract_summary(c, today) for c in session.exec(query).all()]


def show_contract(session: Session, key: str, today: date) -> dict[str, Any]:
    """One contract with its computed dates and every obligation's next occurrence and state."""
    contract = get_contract(session, key)
    view = contract_summary(contract, today)
    view.update({
        "backup_owner": contract.backup_owner,
        "start": contract.start.isoformat(),
        "term_length": contract.term,
        "end": contract.end.isoformat() if contract.end else None,
        "renewal_term": str(terms_of(contract).renewal) if contract.auto_renew else None,
        "max_renewals": contract.max_renewals,
        "notice": contract.notice,
        "notice_given_on": contract.notice_given_on.isoformat() if contract.notice_given_on else None,
        "holidays": contract.holidays,
        "timezone": contract.timezone,
        "notify": list(contract.notify),
        "terms": {"model_change_notice": contract.model_change_notice, "rollback_window": contract.rollback_window},
    })
    obligations = sorted(
        session.exec(select(Obligation).where(Obligation.contract_id == contract.id)).all(),
        key=lambda o: (not o.derived, -o.number if o.derived else o.number),  # derived first, in DESIGN order
    )
    states = states_for(session, [o.id for o in obligations if o.id is not None])
    items = []
    for obligation in obligations:
        first = open_occurrences(contract, obligation, states, today, today + timedelta(days=3 * 366))[:1]
        if obligation.derived and not first:
            continue  # e.g. no renewal for a contract that ends: nothing to show
        state = states.get((obligation.id or 0, first[0].key)) if first else None
        items.append({
            "id": public_id(contract.key, obligation),
            "kind": obligation.kind,
            "title": obligation.title,
            "owed_by": obligation.owed_by,
            "derived": obligation.derived,
            "due": obligation.due.isoformat() if obligation.due else None,
            "every": obligation.every,
            "start": obligation.start.isoformat() if obligation.start else None,
            "until": obligation.until.isoformat() if obligation.until else None,
            "next_due": first[0].due.isoformat() if first else None,
            "status": "overdue" if first and first[0].due < today else ("open" if first else obligation.status),
            "progress": ({"done": state.progress if state else 0, "required": obligation.required}
                         if obligation.required else None),
            "lead": obligation.lead,
            "clause": obligation.clause,
            "breach": obligation.breach,
        })
    view["obligations"] = items
    return view
