"""Read-side use cases: the timeline of upcoming deadlines, the contract list, one contract's dates.

Each returns typed views in the stable JSON shape the README documents (dates as YYYY-MM-DD), so the CLI,
the web edge and the tests share one representation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import TypedDict

from tracker.domain import occurrences as rules
from tracker.domain.ids import obligation_id
from tracker.domain.recurrence import Recurrence
from tracker.domain.spend import Price
from tracker.domain.terms import (
    Terms,
    commitment_end,
    final_end,
    final_term_index,
    notice_deadline,
    raw_notice_deadline,
    term_end,
    term_index_on,
    term_start,
)
from tracker.services.contracts import termination_outcome
from tracker.services.lookup import get_contract
from tracker.services.occurrences import first_open
from tracker.services.spend import prices_of
from tracker.services.usage import MeterView, meter_views
from tracker.store import Session
from tracker.store import contracts as contract_rows
from tracker.store import obligations as obligation_rows
from tracker.store.mapping import public_id, terms_from, terms_of
from tracker.store.reads import Filters, timeline_rows
from tracker.store.tables import Contract, Obligation, OccurrenceState

__all__ = ["Filters", "contract_status", "list_contracts", "show_contract", "upcoming"]


class ProgressView(TypedDict):
    done: int
    required: int


class UpcomingItem(TypedDict):
    """One open occurrence on the timeline (`upcoming --format json`)."""

    contract: str
    vendor: str
    obligation: str
    occurrence: str
    kind: str
    title: str
    owed_by: str
    owner: str
    due: str
    days_left: int
    status: str
    progress: ProgressView | None


class TermView(TypedDict):
    number: int
    start: str
    end: str


class ContractSummary(TypedDict):
    """One contract in `list --format json`."""

    key: str
    title: str
    vendor: str
    owner: str
    status: str
    auto_renew: bool
    term: TermView
    ends_on: str | None
    notice_deadline: str | None
    renews_on: str | None
    value: str | None
    currency: str | None
    tags: list[str]


class ObligationView(TypedDict):
    """One obligation in `show --format json`."""

    id: str
    kind: str
    title: str
    owed_by: str
    derived: bool
    due: str | None
    every: str | None
    start: str | None
    until: str | None
    next_due: str | None
    status: str
    progress: ProgressView | None
    lead: list[int] | None
    clause: str | None
    breach: str | None


class TermsView(TypedDict):
    model_change_notice: str | None
    rollback_window: str | None


class ExitView(TypedDict):
    notice_by: str
    ends_on: str


class TerminationView(ExitView):
    fee: str | None  # "36000.00" in the contract's currency, when the contract charges one


class EarliestExit(TypedDict):
    """The ways out if the owner acts today: notice of non-renewal, and termination for convenience."""

    non_renewal: ExitView | None
    termination: TerminationView | None


class ContractView(ContractSummary):
    """One contract in `show --format json`: the summary, every stored field and the obligations."""

    backup_owner: str | None
    start: str
    term_length: str | None
    end: str | None
    renewal_term: str | None
    max_renewals: int | None
    notice: str | None
    notice_given_on: str | None
    holidays: str | None
    timezone: str | None
    notify: list[str]
    terms: TermsView
    termination_notice: str | None
    termination_sent_on: str | None
    minimum_commitment_until: str | None  # the last term end no notice can stop (its deadline preceded the start)
    renewals_before_end: list[str]  # after notice: the renewals that still happen before the contract ends
    earliest_exit: EarliestExit
    meters: list[MeterView]
    obligations: list[ObligationView]


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def contract_status(contract: Contract, today: date) -> str:
    """active | notice_given | ended (archived contracts count as ended)."""
    last = final_end(terms_of(contract))
    if contract.archived or (last is not None and last < today):
        return "ended"
    return "notice_given" if contract.notice_given_on or contract.termination_sent_on else "active"


def upcoming(
    session: Session, today: date, within: int, filters: Filters | None = None,
    today_for: Callable[[str | None], date] | None = None,
) -> list[UpcomingItem]:
    """Every open occurrence due within ``within`` days (overdue ones included), by date, then contract and id.

    Two queries of plain columns (no ORM objects): the candidate obligations with their contracts, then
    their occurrence states. Each contract's :class:`Terms` is built once, and the rules are the ones of
    :mod:`tracker.domain.occurrences`. ``today_for`` gives a contract's own as-of date from its time zone
    (:meth:`Context.today_for`); without it every contract is on ``today``.
    """
    day = timedelta(days=1)
    rows, states = timeline_rows(session, today - day, today + timedelta(days=within) + day, filters or Filters())
    terms_by_contract: dict[int, Terms] = {}
    # (due, contract, entered, number, position, view): derived deadlines first on a day; the position keeps
    # an obligation's occurrences in schedule order and is never equal, so views are never compared.
    entries: list[tuple[date, str, bool, int, int, UpcomingItem]] = []
    for (contract_id, key, vendor, owner, c_start, term, c_end, auto_renew, renewal_term, max_renewals, notice,
         holidays, notice_given_on, termination_notice, termination_sent_on, zone, obligation_key, number, kind,
         title, owed_by, derived, due, every, o_start, o_until, roll, required, status, next_due) in rows:
        if status != "open" and not every:
            continue  # settled as a whole: none of its occurrences is open
        terms = terms_by_contract.get(contract_id)
        if terms is None:
            terms = terms_by_contract[contract_id] = terms_from(
                c_start, term, c_end, auto_renew, renewal_term, max_renewals, notice, holidays, notice_given_on,
                termination_notice, termination_sent_on)
        contract_today = today_for(zone) if today_for is not None and zone else today
        until = contract_today + timedelta(days=within)
        recurrence = None if derived else Recurrence(due, every, o_start, o_until, roll, holidays)
        schedule = rules.ObligationSchedule(kind, derived, terms, recurrence)
        # Derived deadlines from today (earlier ones lapsed), entered ones from the earliest unsettled.
        start = contract_today if derived else min(next_due or contract_today, contract_today)
        found = rules.occurrences_between(schedule, start, until)
        if not found:
            continue
        public = obligation_id(key, kind, number, derived)
        for occurrence in found:
            row_state = states.get((obligation_key, occurrence.key))
            if not rules.is_open(derived, status, bool(every), row_state[0] if row_state else None, occurrence.due,
                                 contract_today):
                continue
            progress = ProgressView(done=row_state[1] if row_state else 0, required=required) if required else None
            entries.append((occurrence.due, key, not derived, number, len(entries), UpcomingItem(
                contract=key, vendor=vendor, obligation=public, occurrence=occurrence.key, kind=kind, title=title,
                owed_by=owed_by, owner=owner, due=occurrence.due.isoformat(),
                days_left=(occurrence.due - contract_today).days,
                status="overdue" if occurrence.due < contract_today else "open", progress=progress,
            )))
    entries.sort()
    return [entry[5] for entry in entries]


def next_notice(contract: Contract, today: date) -> tuple[date | None, date | None]:
    """The next notice deadline on or after ``today`` that still stops a renewal, and that renewal's date."""
    terms = terms_of(contract)
    if not terms.auto_renew or terms.notice_given_on is not None or contract.archived:
        return None, None
    final = final_term_index(terms)
    k = term_index_on(terms, today)
    while final is None or k < final:
        deadline = notice_deadline(terms, k)
        if deadline >= today and raw_notice_deadline(terms, k) >= terms.start:  # not a minimum commitment
            return deadline, term_end(terms, k) + timedelta(days=1)
        k += 1
    return None, None


def contract_summary(contract: Contract, today: date) -> ContractSummary:
    """A contract's status and computed dates as of ``today``."""
    terms = terms_of(contract)
    deadline, renews_on = next_notice(contract, today)
    k = term_index_on(terms, today)
    return ContractSummary(
        key=contract.key, title=contract.title, vendor=contract.vendor, owner=contract.owner,
        status=contract_status(contract, today), auto_renew=contract.auto_renew,
        term=TermView(number=k + 1, start=term_start(terms, k).isoformat(), end=term_end(terms, k).isoformat()),
        ends_on=_iso(final_end(terms)), notice_deadline=_iso(deadline), renews_on=_iso(renews_on),
        value=str(contract.value) if contract.value is not None else None, currency=contract.currency,
        tags=list(contract.tags),
    )


def list_contracts(
    session: Session, today: date, owner: str | None = None, include_archived: bool = False,
    today_for: Callable[[str | None], date] | None = None,
) -> list[ContractSummary]:
    """Contracts by key with status, current term and next notice deadline (each as of its own today)."""
    return [
        contract_summary(c, today_for(c.timezone) if today_for is not None else today)
        for c in contract_rows.listed(session, owner, include_archived)
    ]


def _progress(obligation: Obligation, current: OccurrenceState | None, states: list[OccurrenceState],
              has_open: bool) -> ProgressView | None:
    """Progress of the open occurrence, else of the latest settled one (a completed count shows 3 of 3)."""
    if not obligation.required:
        return None
    if has_open:
        return ProgressView(done=current.progress if current else 0, required=obligation.required)
    latest = max(states, key=lambda s: s.due, default=None)
    return ProgressView(done=latest.progress if latest else 0, required=obligation.required)


def earliest_exit(contract: Contract, today: date, prices: list[Price] | None = None) -> EarliestExit:
    """The two ways out if the owner acts ``today``: the next notice deadline, and termination for convenience."""
    deadline, renews_on = next_notice(contract, today)
    non_renewal = None
    if deadline is not None and renews_on is not None:
        non_renewal = ExitView(notice_by=deadline.isoformat(), ends_on=(renews_on - timedelta(days=1)).isoformat())
    termination = None
    terms = terms_of(contract)
    last = final_end(terms)
    live = not contract.archived and (last is None or last >= today)
    if terms.termination_notice is not None and terms.termination_sent_on is None and live:
        outcome = termination_outcome(contract, today, prices)
        termination = TerminationView(notice_by=today.isoformat(), ends_on=outcome.ends_on.isoformat(),
                                      fee=str(outcome.fee) if outcome.fee is not None else None)
    return EarliestExit(non_renewal=non_renewal, termination=termination)


def _renewals_before_end(terms: Terms) -> list[str]:
    sent = terms.notice_given_on or terms.termination_sent_on
    last = final_end(terms)
    if sent is None or last is None:
        return []
    renewals = []
    k = term_index_on(terms, sent) + 1
    while term_start(terms, k) <= last:
        renewals.append(term_start(terms, k).isoformat())
        k += 1
    return renewals


def show_contract(
    session: Session, key: str, today: date, today_for: Callable[[str | None], date] | None = None,
) -> ContractView:
    """One contract with its computed dates and every obligation's next occurrence and state."""
    contract = get_contract(session, key)
    if today_for is not None:
        today = today_for(contract.timezone)
    terms = terms_of(contract)
    summary = contract_summary(contract, today)
    obligations = sorted(
        obligation_rows.of_contract(session, contract.id),
        key=lambda o: (not o.derived, -o.number if o.derived else o.number),  # derived first, in catalogue order
    )
    states = obligation_rows.states_for(session, [o.id for o in obligations if o.id is not None])
    items: list[ObligationView] = []
    for obligation in obligations:
        first = first_open(contract, obligation, states, today, terms)
        if obligation.derived and first is None:
            continue  # e.g. no renewal for a contract that ends: nothing to show
        own = [s for (oid, _), s in states.items() if oid == obligation.id]
        current = states.get((obligation.id or 0, first.key)) if first else None
        items.append(ObligationView(
            id=public_id(contract.key, obligation), kind=obligation.kind, title=obligation.title,
            owed_by=obligation.owed_by, derived=obligation.derived, due=_iso(obligation.due),
            every=obligation.every, start=_iso(obligation.start), until=_iso(obligation.until),
            next_due=_iso(first.due) if first else None,
            status="overdue" if first and first.due < today else ("open" if first else obligation.status),
            progress=_progress(obligation, current, own, first is not None), lead=obligation.lead,
            clause=obligation.clause, breach=obligation.breach,
        ))
    return ContractView(
        **summary, backup_owner=contract.backup_owner, start=contract.start.isoformat(),
        term_length=contract.term, end=_iso(contract.end),
        renewal_term=str(terms.renewal) if contract.auto_renew else None, max_renewals=contract.max_renewals,
        notice=contract.notice, notice_given_on=_iso(contract.notice_given_on), holidays=contract.holidays,
        timezone=contract.timezone, notify=list(contract.notify),
        terms=TermsView(model_change_notice=contract.model_change_notice, rollback_window=contract.rollback_window),
        termination_notice=contract.termination_notice, termination_sent_on=_iso(contract.termination_sent_on),
        minimum_commitment_until=_iso(commitment_end(terms)), renewals_before_end=_renewals_before_end(terms),
        earliest_exit=earliest_exit(contract, today, prices_of(session, contract)),
        meters=meter_views(session, contract, today), obligations=items,
    )
