"""The calendar builder: iCalendar for exports, subscription feeds and emailed invites (DESIGN §6).

One all-day VEVENT per obligation occurrence. The UID is the obligation's public id plus the occurrence's
identity (``T<n>`` for a term-derived deadline, the unadjusted date for a recurrence, ``once`` for a
one-off), so it survives edits of dates, notice periods and titles. SEQUENCE comes from the obligation's
revision, DTSTAMP and LAST-MODIFIED from the rows' last change: nothing here reads the clock, so an
unchanged ledger (and the same ``today``) gives a byte-identical calendar.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from threading import Lock
from typing import Any

from tracker.domain import ids
from tracker.domain.businessdays import BusinessCalendar
from tracker.domain.consequences import consequence
from tracker.domain.dates import shift
from tracker.domain.kinds import kind_of, label
from tracker.domain.money import format_money
from tracker.domain.occurrences import Occurrence
from tracker.domain.settings import Settings
from tracker.domain.terms import notice_deadline, term_end
from tracker.errors import ConfigError, NotFound
from tracker.services.wording import deadline_facts, environment
from tracker.store import Session
from tracker.store import contracts as contract_rows
from tracker.store import obligations as obligation_rows
from tracker.store.mapping import public_id, terms_of
from tracker.store.reads import calendar_rows
from tracker.store.tables import Contract, Obligation, OccurrenceState

PRODID = "-//tracker//contract deadlines//EN"
REFRESH = timedelta(hours=1)
MAX_ALARMS = 3
MAX_ALARM_DAYS = 30
DESCRIPTION_TEMPLATE = "event_description.txt.j2"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CALENDAR_END = b"END:VCALENDAR\r\n"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class FeedEvent:
    """One occurrence in a calendar, with the rows it came from."""

    contract: Contract
    obligation: Obligation
    occurrence: Occurrence
    state: OccurrenceState | None

    @property
    def uid(self) -> str:
        return event_uid(self.contract.key, self.obligation, self.occurrence.key)

    @property
    def last_modified(self) -> datetime:
        return event_stamp(self.contract, self.obligation, self.state)


@dataclass(frozen=True)
class BuiltCalendar:
    """A rendered calendar: the bytes, how many events it holds and when its newest event changed."""

    body: bytes
    count: int
    last_modified: datetime  # EPOCH for an empty calendar
    summaries: tuple[str, ...]


# --- the public pieces (also used by emailed invites) ---------------------------------------------


def event_uid(contract_key: str, obligation: Obligation, occurrence_key: str) -> str:
    """The stable UID of one occurrence (:func:`tracker.domain.ids.event_uid`)."""
    return ids.event_uid(public_id(contract_key, obligation), occurrence_key)


def event_sequence(obligation: Obligation) -> int:
    """SEQUENCE: the obligation's revision, which the ledger raises on every change to dates or text."""
    return obligation.revision


def event_stamp(contract: Contract, obligation: Obligation, state: OccurrenceState | None) -> datetime:
    """DTSTAMP and LAST-MODIFIED: the last change of the rows an event is made from (never the clock)."""
    stamps = [contract.updated_at, obligation.updated_at] + ([state.updated_at] if state is not None else [])
    return max(_utc(s) for s in stamps if s is not None)


def event_summary(contract: Contract, obligation: Obligation) -> str:
    """One line that says kind, vendor and action, e.g. "Invoice due from Northwind CRM AI: …"."""
    subject = f"{contract.vendor} ({contract.title})"
    match obligation.kind:
        case "notice_deadline":
            return f"Notice deadline: {subject} — give notice to stop renewal"
        case "renewal":
            return f"Auto-renewal: {subject} renews for {terms_of(contract).renewal}"
        case "term_end":
            return f"Contract ends: {subject}"
    kind_label = label(obligation.kind)
    direction = "from" if obligation.owed_by == "vendor" else "to" if obligation.kind == "payment" else "for"
    return f"{kind_label} due {direction} {contract.vendor}: {obligation.title}"


def event_description(
    contract: Contract, obligation: Obligation, occurrence: Occurrence, state: OccurrenceState | None,
    settings: Settings,
) -> str:
    """The DESCRIPTION, rendered from ``event_description.txt.j2``: what, when, if missed, how to settle."""
    from jinja2 import TemplateError

    try:
        template = environment(settings).get_template(DESCRIPTION_TEMPLATE)
        text = template.render(**_description_context(contract, obligation, occurrence, state))
    except TemplateError as exc:
        raise ConfigError(f"template {DESCRIPTION_TEMPLATE}: {exc}") from exc
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def invite_ics(
    contract: Contract, obligation: Obligation, occurrence: Occurrence, *, method: str, sequence: int,
    organizer: str, attendee: str, stamp: datetime, settings: Settings, state: OccurrenceState | None = None,
) -> bytes:
    """An emailed invite (METHOD:REQUEST) or its cancellation (METHOD:CANCEL) for one occurrence.

    The VEVENT carries the feed's UID, dates, SUMMARY and DESCRIPTION, so a client that sees both
    treats them as one event; ``sequence`` must rise with every update the attendee is sent.
    """
    from icalendar import Calendar, vCalAddress

    method = method.upper()
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"method must be REQUEST or CANCEL, not {method!r}")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    event = _vevent(FeedEvent(contract, obligation, occurrence, state), settings, alarms=False)
    event.pop("SEQUENCE", None)
    event.pop("DTSTAMP", None)
    event.pop("LAST-MODIFIED", None)
    event.add("sequence", sequence)
    event.add("dtstamp", _utc(stamp))
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    organizer_address = vCalAddress(_mailto(organizer))
    organizer_address.params["CN"] = "tracker"
    event.add("organizer", organizer_address)
    attendee_address = vCalAddress(_mailto(attendee))
    attendee_address.params["ROLE"] = "REQ-PARTICIPANT"
    attendee_address.params["PARTSTAT"] = "NEEDS-ACTION"
    attendee_address.params["RSVP"] = "FALSE"
    event.add("attendee", attendee_address)
    calendar.add_component(event)
    return calendar.to_ical()


# --- the feed ------------------------------------------------------------------------------------


def horizon(today: date, settings: Settings) -> tuple[date, date]:
    """The window of due dates a calendar covers: [today − horizon_past, today + horizon_future]."""
    weekends = BusinessCalendar()
    return (shift(today, settings.horizon_past, -1, weekends), shift(today, settings.horizon_future, 1, weekends))


def check_filters(session: Session, owner: str | None, contract_key: str | None) -> None:
    """Raise :class:`NotFound` (exit 2) for an owner no contract has or a contract key that does not exist."""
    if owner is not None and not contract_rows.owner_exists(session, owner):
        raise NotFound.field("owner", owner, "the owner of at least one contract (see `tracker list`)")
    if contract_key is not None and contract_rows.by_key(session, contract_key) is None:
        raise NotFound.field("contract", contract_key, "the key of an existing contract (see `tracker list`)")


def feed_events(
    session: Session, today: date, settings: Settings, *, owner: str | None = None, contract_key: str | None = None,
) -> list[FeedEvent]:
    """The occurrences a calendar shows, sorted by (date, UID).

    Every non-archived contract's occurrences due within the horizon, except settled or waived ones.
    Unlike the timeline, lapsed notice deadlines and past renewals stay, as history, within the horizon.
    Two queries in all: obligations with their contracts, then occurrence states.
    """
    from tracker.services.occurrences import between

    rows = calendar_rows(session, owner, contract_key)
    states = obligation_rows.states_for(session, [o.id for o, _ in rows if o.id is not None])
    start, end = horizon(today, settings)
    events = []
    for obligation, contract in rows:
        if not obligation.every and not obligation.derived and obligation.status != "open":
            continue  # a one-off settled as a whole
        for occurrence in between(contract, obligation, start, end):
            state = states.get((obligation.id or 0, occurrence.key))
            if state is not None and state.status != "open":
                continue
            events.append(FeedEvent(contract, obligation, occurrence, state))
    events.sort(key=lambda e: (e.occurrence.due, e.uid))
    return events


class EventCache:
    """Rendered VEVENTs keyed by everything they are made of, bounded by bytes.

    A feed rebuilt after one edit renders only the events whose rows changed: the key holds the UID, the
    SEQUENCE, the last change of the rows (any edit of the contract, the obligation or the occurrence's
    state moves it) and the occurrence's dates. Settings are part of the cache's identity (see
    :func:`_cache_for`).
    """

    def __init__(self, limit_bytes: int = 32 << 20) -> None:
        self.limit_bytes = limit_bytes
        self.size = 0
        self._entries: OrderedDict[tuple[Any, ...], tuple[bytes, str]] = OrderedDict()

    def get(self, key: tuple[Any, ...]) -> tuple[bytes, str] | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: tuple[Any, ...], value: tuple[bytes, str]) -> None:
        self._entries[key] = value
        self.size += len(value[0])
        while self.size > self.limit_bytes and self._entries:
            _, (body, _) = self._entries.popitem(last=False)
            self.size -= len(body)


_CACHES: OrderedDict[int, tuple[Settings, EventCache]] = OrderedDict()
_CACHE_LOCK = Lock()


def _cache_for(settings: Settings) -> EventCache:
    """The event cache of one settings value (the feed server keeps one; a few at most are remembered)."""
    with _CACHE_LOCK:
        found = _CACHES.get(id(settings))
        if found is not None and found[0] is settings:
            return found[1]
        cache = EventCache()
        _CACHES[id(settings)] = (settings, cache)
        while len(_CACHES) > 4:
            _CACHES.popitem(last=False)
        return cache


def _event_bytes(item: FeedEvent, settings: Settings, cache: EventCache) -> tuple[bytes, str]:
    """One VEVENT's bytes and SUMMARY, from the cache when its rows have not changed."""
    occurrence = item.occurrence
    key = (item.uid, event_sequence(item.obligation), item.last_modified, occurrence.due, occurrence.nominal,
           occurrence.term)
    found = cache.get(key)
    if found is None:
        vevent = _vevent(item, settings, alarms=settings.calendar_alarms)
        found = (vevent.to_ical(), str(vevent["SUMMARY"]))
        cache.put(key, found)
    return found


def render_calendar(events: list[FeedEvent], settings: Settings, name: str | None = None) -> BuiltCalendar:
    """The VCALENDAR for ``events``: name, refresh hints, one VEVENT each (in the given order).

    The calendar's own lines come from icalendar; the events are serialised one by one (most from the
    cache) and joined into its body, so no tree of every event is ever held in memory.
    """
    from icalendar import Calendar, vDuration

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{settings.calendar_name} — {name}" if name else settings.calendar_name)
    calendar.add("x-wr-caldesc", "Contract deadlines from tracker: notice windows, renewals, invoices and more")
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    head = calendar.to_ical()
    assert head.endswith(CALENDAR_END)
    cache = _cache_for(settings)
    rendered = [_event_bytes(item, settings, cache) for item in events]
    body = b"".join([head[: -len(CALENDAR_END)], *(event for event, _ in rendered), CALENDAR_END])
    last = max((item.last_modified for item in events), default=EPOCH)
    return BuiltCalendar(body, len(events), last, tuple(summary for _, summary in rendered))


def build(
    session: Session, today: date, settings: Settings, *, owner: str | None = None, contract_key: str | None = None,
    name: str | None = None, validate: bool = True,
) -> BuiltCalendar:
    """The calendar as of ``today`` with its metadata; ``validate`` rejects unknown filters (exit 2)."""
    if validate:
        check_filters(session, owner, contract_key)
    events = feed_events(session, today, settings, owner=owner, contract_key=contract_key)
    return render_calendar(events, settings, name)


# --- internals -----------------------------------------------------------------------------------


def _vevent(item: FeedEvent, settings: Settings, *, alarms: bool) -> Any:
    from icalendar import Alarm, Event

    contract, obligation, occurrence = item.contract, item.obligation, item.occurrence
    summary = event_summary(contract, obligation)
    stamp = item.last_modified
    event = Event()
    event.add("uid", item.uid)
    event.add("dtstamp", stamp)
    event.add("last-modified", stamp)
    event.add("sequence", event_sequence(obligation))
    event.add("dtstart", occurrence.due)
    event.add("dtend", occurrence.due + timedelta(days=1))
    event.add("summary", summary)
    event.add("description", event_description(contract, obligation, occurrence, item.state, settings))
    event.add("categories", [label(obligation.kind), *contract.tags])
    event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
    if alarms and kind_of(obligation.kind).alarms:
        for days in alarm_days(settings, obligation):
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"In {days} day{'s' if days != 1 else ''}: {summary}")
            alarm.add("trigger", timedelta(days=-days))
            event.add_component(alarm)
    return event


def alarm_days(settings: Settings, obligation: Obligation) -> list[int]:
    """The VALARM leads: the largest three lead days from 1 to 30 (so a calendar does not nag)."""
    leads = settings.lead_days_for(obligation.kind, obligation.lead)
    return sorted((d for d in leads if 0 < d <= MAX_ALARM_DAYS), reverse=True)[:MAX_ALARMS]


def _description_context(
    contract: Contract, obligation: Obligation, occurrence: Occurrence, state: OccurrenceState | None,
) -> dict[str, Any]:
    terms = terms_of(contract)
    ref = public_id(contract.key, obligation)
    context: dict[str, Any] = {
        "kind": obligation.kind,
        "kind_label": label(obligation.kind),
        "title": obligation.title,
        "derived": obligation.derived,
        "owed_by": obligation.owed_by,
        "vendor": contract.vendor,
        "contract_title": contract.title,
        "contract_key": contract.key,
        "owner": contract.owner,
        "clause": obligation.clause,
        "due": occurrence.due.isoformat(),
        "weekday": WEEKDAYS[occurrence.due.weekday()],  # not strftime: independent of the locale
        "nominal": occurrence.nominal.isoformat() if occurrence.nominal != occurrence.due else None,
        "obligation_id": ref,
        "occurrence_ref": ids.occurrence_ref(ref, occurrence.key),
        "progress": None,
        "renews_on": None,
        "renewal_term": None,
        "notice_by": None,
        "value": format_money(contract.value, contract.currency) or None,
        "ends_on": None,
        "consequence": consequence(deadline_facts(contract, obligation, occurrence)),
    }
    if obligation.required:
        context["progress"] = {"done": state.progress if state else 0, "required": obligation.required}
    if obligation.kind == "notice_deadline" and occurrence.term is not None:
        context["renews_on"] = (term_end(terms, occurrence.term - 1) + timedelta(days=1)).isoformat()
        context["renewal_term"] = str(terms.renewal)
        context["notice"] = contract.notice
    if obligation.kind == "renewal" and occurrence.term is not None:
        context["renewal_term"] = str(terms.renewal)
        if terms.notice is not None:
            # occurrence.term - 2 is the index of the term that ends the day before this renewal
            context["notice_by"] = notice_deadline(terms, occurrence.term - 2).isoformat()
    if obligation.kind == "term_end":
        context["ends_on"] = occurrence.due.isoformat()
    context.setdefault("notice", contract.notice)
    return context


def _utc(instant: datetime) -> datetime:
    aware = instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
    return aware.replace(microsecond=0)


def _mailto(address: str) -> str:
    return address if address.lower().startswith("mailto:") else f"mailto:{address}"
