"""Read-side services: the timeline of upcoming deadlines, one contract's dates, the contract list.

Each returns plain dictionaries in the stable JSON shape the README documents (dates as YYYY-MM-DD), so
the CLI, the web edge and the tests share one representation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session, col
from sqlmodel import select as select_rows

from tracker.ledger import get_contract, occurrence_open, open_occurrences, states_for
from tracker.models import Contract, Obligation, OccurrenceState, public_id, terms_from, terms_of
from tracker.schedule import (
    Recurrence,
    Terms,
    derived_occurrences,
    final_end,
    final_term_index,
    notice_deadline,
    occurrences,
    term_end,
    term_index_on,
    term_start,
)


@dataclass(frozen=True)
class Filters:
    owner: str | None = None
    kind: str | None = None
    contract: str | None = None


def contract_status(contract: Contract, today: date) -> str:
    """active | notice_given | ended (archived contracts count as ended)."""
    last = final_end(terms_of(contract))
    if contract.archived or (last is not None and last < today):
        return "ended"
    return "notice_given" if contract.notice_given_on else "active"


def _tables() -> tuple[Any, Any, Any]:
    return (Obligation.__table__, Contract.__table__, OccurrenceState.__table__)  # type: ignore[attr-defined]


def _timeline_conditions(today: date, until: date, filters: Filters) -> list[Any]:
    """Which rows of ``obligation ⋈ contract`` can have an open occurrence due by ``until``."""
    obligation, contract, _ = _tables()
    conditions = [
        # Materialised as of `refreshed_on`; a simulation before that date re-checks those rows too.
        or_(obligation.c.next_due <= until, obligation.c.refreshed_on > today),
        contract.c.archived.is_(False),
    ]
    if filters.owner:
        conditions.append(contract.c.owner == filters.owner)
    if filters.kind:
        conditions.append(obligation.c.kind == filters.kind)
    if filters.contract:
        conditions.append(contract.c.key == filters.contract)
    return conditions


def upcoming(session: Session, today: date, within: int, filters: Filters = Filters()) -> list[dict[str, Any]]:
    """Every open occurrence due within ``within`` days (overdue ones included), by date, then contract and id.

    The stable JSON objects of the README (`upcoming --format json`). Selection goes through the indexed
    ``next_due`` column, so the cost follows what is due. Two queries of plain columns (no ORM objects):
    the candidate obligations with their contracts, then their occurrence states. Each contract's
    :class:`Terms` is built once, and the ledger's rules apply as in ``ledger.open_occurrences``.
    """
    until = today + timedelta(days=within)
    obligation, contract, state = _tables()
    conditions = _timeline_conditions(today, until, filters)
    joined = obligation.join(contract, contract.c.id == obligation.c.contract_id)
    connection = session.connection()
    rows = connection.execute(
        select(
            contract.c.id, contract.c.key, contract.c.vendor, contract.c.owner, contract.c.start, contract.c.term,
            contract.c.end, contract.c.auto_renew, contract.c.renewal_term, contract.c.max_renewals,
            contract.c.notice, contract.c.holidays, contract.c.notice_given_on,
            obligation.c.id, obligation.c.number, obligation.c.kind, obligation.c.title, obligation.c.owed_by,
            obligation.c.derived, obligation.c.due, obligation.c.every, obligation.c.start, obligation.c.until,
            obligation.c.roll, obligation.c.required, obligation.c.status, obligation.c.next_due,
        ).select_from(joined).where(*conditions)
    ).all()
    states = {
        (obligation_id, key): (status, progress) for obligation_id, key, status, progress in connection.execute(
            select(state.c.obligation_id, state.c.occurrence, state.c.status, state.c.progress)
            .select_from(state.join(joined, obligation.c.id == state.c.obligation_id)).where(*conditions)
        )
    }
    terms_by_contract: dict[int, Terms] = {}
    # (due, contract, entered, number, position, view): derived deadlines first on a day; the position keeps
    # an obligation's occurrences in schedule order and is never equal, so views are never compared.
    entries: list[tuple[date, str, bool, int, int, dict[str, Any]]] = []
    for (contract_id, key, vendor, owner, c_start, term, c_end, auto_renew, renewal_term, max_renewals, notice,
         holidays, notice_given_on, obligation_id, number, kind, title, owed_by, derived, due, every, o_start,
         o_until, roll, required, status, next_due) in rows:
        if status != "open" and not every:
            continue  # settled as a whole: none of its occurrences is open (ledger.occurrence_open)
        terms = terms_by_contract.get(contract_id)
        if terms is None:
            terms = terms_by_contract[contract_id] = terms_from(
                c_start, term, c_end, auto_renew, renewal_term, max_renewals, notice, holidays, notice_given_on)
        # As ledger.open_occurrences: derived deadlines from today, entered ones from the earliest unsettled.
        if derived:
            found = derived_occurrences(terms, kind, today, until)
        else:
            schedule = Recurrence(due=due, every=every, start=o_start, until=o_until, roll=roll, holidays=holidays)
            found = occurrences(schedule, min(next_due or today, today), until, final_end(terms))
        if not found:
            continue
        public = f"{key}/{kind if derived else number}"
        entered = not derived
        for occurrence in found:
            occurrence_key, day = occurrence.key, occurrence.due
            row_state = states.get((obligation_id, occurrence_key))
            if not occurrence_open(derived, status, every, row_state[0] if row_state else None, day, today):
                continue
            progress = None
            if required:
                progress = {"done": row_state[1] if row_state else 0, "required": required}
            entries.append((day, key, entered, number, len(entries), {
                "contract": key,
                "vendor": vendor,
                "obligation": public,
                "occurrence": occurrence_key,
                "kind": kind,
                "title": title,
                "owed_by": owed_by,
                "owner": owner,
                "due": day.isoformat(),
                "days_left": (day - today).days,
                "status": "overdue" if day < today else "open",
                "progress": progress,
            }))
    entries.sort()
    return [entry[5] for entry in entries]


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


def list_contracts(
    session: Session, today: date, owner: str | None = None, include_archived: bool = False
) -> list[dict[str, Any]]:
    query = select_rows(Contract).order_by(col(Contract.key))
    if not include_archived:
        query = query.where(col(Contract.archived).is_(False))
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
        session.exec(select_rows(Obligation).where(Obligation.contract_id == contract.id)).all(),
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
