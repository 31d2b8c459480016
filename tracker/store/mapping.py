"""Rows to immutable domain values: the only place that knows how a table's columns map to the domain."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from tracker.domain.durations import Duration, parse_duration
from tracker.domain.ids import obligation_id
from tracker.domain.meters import MeterSpec
from tracker.domain.occurrences import ObligationSchedule
from tracker.domain.recurrence import Recurrence
from tracker.domain.terms import Terms
from tracker.store.tables import Contract, Meter, Obligation


def terms_of(contract: Contract) -> Terms:
    """The contract row as an immutable :class:`Terms` value for the pure schedule functions."""
    return terms_from(
        contract.start, contract.term, contract.end, contract.auto_renew, contract.renewal_term,
        contract.max_renewals, contract.notice, contract.holidays, contract.notice_given_on,
        contract.termination_notice, contract.termination_sent_on,
    )


def terms_from(
    start: date, term: str | None, end: date | None, auto_renew: bool, renewal_term: str | None,
    max_renewals: int | None, notice: str | None, holidays: str | None, notice_given_on: date | None,
    termination_notice: str | None = None, termination_sent_on: date | None = None,
) -> Terms:
    """:class:`Terms` from a contract's column values (as ``terms_of``, for reads that select columns)."""
    return Terms(
        start=start,
        term=_stored_duration(term) if term else None,
        end=end,
        auto_renew=auto_renew,
        renewal_term=_stored_duration(renewal_term) if renewal_term else None,
        max_renewals=max_renewals,
        notice=_stored_duration(notice) if notice else None,
        holidays=holidays,
        notice_given_on=notice_given_on,
        termination_notice=_stored_duration(termination_notice) if termination_notice else None,
        termination_sent_on=termination_sent_on,
    )


@lru_cache(maxsize=256)
def _stored_duration(text: str) -> Duration:
    """A duration column's canonical text parsed once (a ledger holds a handful of distinct values)."""
    return parse_duration(text)


def recurrence_of(obligation: Obligation, contract: Contract) -> Recurrence:
    """An entered obligation's schedule as an immutable :class:`Recurrence` (the contract gives the holidays)."""
    return Recurrence(
        due=obligation.due,
        every=obligation.every,
        start=obligation.start,
        until=obligation.until,
        roll=obligation.roll,  # type: ignore[arg-type]
        holidays=contract.holidays,
    )


def schedule_of(contract: Contract, obligation: Obligation, terms: Terms | None = None) -> ObligationSchedule:
    """What dates the obligation's occurrences, for the pure occurrence functions."""
    return ObligationSchedule(
        kind=obligation.kind, derived=obligation.derived, terms=terms or terms_of(contract),
        recurrence=None if obligation.derived else recurrence_of(obligation, contract),
    )


def public_id(contract_key: str, obligation: Obligation) -> str:
    """The obligation id users type (:func:`tracker.domain.ids.obligation_id`) of a row."""
    return obligation_id(contract_key, obligation.kind, obligation.number, obligation.derived)


def meter_spec(meter: Meter) -> MeterSpec:
    """A meter row as the immutable :class:`MeterSpec` the usage rules take."""
    return MeterSpec(meter.name, meter.unit, meter.limit, meter.period, meter.kind, tuple(meter.thresholds))
