"""Validation of user input (prompts, options, YAML/JSON/CSV rows) into immutable contract specs.

Every problem is collected with its field, value and what was expected, then reported together, so an
import with several bad rows lists all of them. Pure: no database, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from tracker.domain.businessdays import ROLLS, validate_holidays
from tracker.domain.checks import DATE_PATTERN, KEY_MAX, Checker
from tracker.domain.durations import Duration
from tracker.domain.ids import KEY_EXPECTED, KEY_PATTERN
from tracker.domain.kinds import DERIVED_KINDS, ENTERED_KINDS, OWED_BY
from tracker.domain.meters import MeterSpec, parse_meter
from tracker.domain.money import CURRENCIES, parse_amount
from tracker.domain.money import EXPECTED as AMOUNT_EXPECTED
from tracker.domain.protections import INPUT_KEYS as PROTECTIONS
from tracker.domain.protections import parse_protections
from tracker.domain.recurrence import validate_rrule
from tracker.domain.reminders import parse_lead_days
from tracker.domain.spend import BASIS_EXPECTED, PERCENT_EXPECTED, parse_basis, parse_percent
from tracker.domain.terms import Terms
from tracker.domain.timezones import validate_timezone
from tracker.errors import InvalidInput, Problem

CONTRACT_FIELDS = (
    "key", "title", "vendor", "owner", "backup_owner", "start", "term", "end", "auto_renew", "renewal_term",
    "max_renewals", "notice", "termination_notice", "termination_fee", "holidays", "timezone", "value",
    "value_basis", "currency", "renewal_uplift_cap", "tags", "notify",
    "terms", "meters", "notice_given_on", "termination_sent_on", "archived", "obligations",
)
TERMS_FIELDS = ("model_change_notice", "rollback_window")
# The scalar contract fields, in the CSV's column order (CSV holds these only).
CSV_FIELDS = (
    "key", "title", "vendor", "owner", "start", "term", "end", "auto_renew", "renewal_term", "notice",
    "holidays", "value", "currency", "tags",
)
# What `tracker edit` may change: every field but the key and the ones other commands own.
EDITABLE_FIELDS = tuple(
    name for name in CONTRACT_FIELDS
    if name not in ("key", "terms", "meters", "notice_given_on", "termination_sent_on", "archived", "obligations")
) + TERMS_FIELDS
OBLIGATION_FIELDS = (
    "kind", "title", "owed_by", "due", "every", "start", "until", "lead", "required", "roll", "clause",
    "status", "settled",
)
SETTLED_FIELDS = ("occurrence", "status", "on", "progress")



@dataclass(frozen=True)
class SettledSpec:
    """The state of one occurrence carried by an export: settled, or with progress counted."""

    occurrence: str
    status: str = "open"
    on: date | None = None
    progress: int = 0


@dataclass(frozen=True)
class ObligationSpec:
    kind: str
    title: str
    owed_by: str = "us"
    due: date | None = None
    every: str | None = None
    start: date | None = None
    until: date | None = None
    lead: tuple[int, ...] | None = None
    required: int | None = None
    roll: str = "previous"
    clause: str | None = None
    status: str = "open"
    settled: tuple[SettledSpec, ...] = ()


@dataclass(frozen=True)
class ContractSpec:
    key: str
    title: str
    vendor: str
    owner: str
    start: date
    term: Duration | None = None
    end: date | None = None
    auto_renew: bool = False
    renewal_term: Duration | None = None
    max_renewals: int | None = None
    notice: Duration | None = None
    holidays: str | None = None
    timezone: str | None = None
    value: Decimal | None = None
    currency: str | None = None
    tags: tuple[str, ...] = ()
    notify: tuple[str, ...] = ()
    backup_owner: str | None = None
    model_change_notice: Duration | None = None
    rollback_window: Duration | None = None
    notice_given_on: date | None = None
    termination_notice: Duration | None = None
    termination_sent_on: date | None = None
    value_basis: str | None = None  # "term" (None), "year" or "month": what `value` is the price of
    renewal_uplift_cap: Decimal | None = None  # percent
    termination_fee: Decimal | None = None  # percent of the fees the rest of the term would have earned
    protections: Mapping[str, Any] = field(default_factory=dict)  # canonical values, see domain.protections
    meters: tuple[MeterSpec, ...] = ()
    archived: bool = False
    obligations: tuple[ObligationSpec, ...] = field(default=())

    @property
    def terms(self) -> Terms:
        return Terms(
            start=self.start, term=self.term, end=self.end, auto_renew=self.auto_renew,
            renewal_term=self.renewal_term, max_renewals=self.max_renewals, notice=self.notice,
            holidays=self.holidays, notice_given_on=self.notice_given_on,
            termination_notice=self.termination_notice, termination_sent_on=self.termination_sent_on,
        )


def term_or_end(answer: str) -> tuple[str, str]:
    """Which field a single "term or end date" answer fills: a date (YYYY-MM-DD) is the end, else the term."""
    text = answer.strip()
    return ("end", text) if DATE_PATTERN.match(text) else ("term", text)


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:KEY_MAX].rstrip("-") or "contract"


def parse_contract(raw: Any, where: str = "") -> tuple[ContractSpec | None, list[Problem]]:
    """Validate one contract mapping; return the spec (None when invalid) and every problem found."""
    check = Checker(where)
    if not isinstance(raw, dict):
        check.fail("contract", raw, "a mapping of contract fields")
        return None, check.problems
    check.unknown(raw, CONTRACT_FIELDS)
    title = check.text(raw, "title", required=True)
    vendor = check.text(raw, "vendor", required=True)
    key = check.text(raw, "key", limit=KEY_MAX)
    if key is None and title and vendor:
        key = slugify(f"{vendor} {title}")
    elif key is not None and not KEY_PATTERN.match(key):
        check.fail("key", key, KEY_EXPECTED)
    owner = check.email(raw, "owner", required=True)
    backup_owner = check.email(raw, "backup_owner")
    start = check.day(raw, "start", required=True)
    term = check.duration(raw, "term", calendar_only=True)
    end = check.day(raw, "end")
    if raw.get("term") not in (None, "") and raw.get("end") not in (None, ""):
        check.fail("end", raw.get("end"), "either term or end, not both")
    elif raw.get("term") in (None, "") and raw.get("end") in (None, ""):
        check.fail("term", "", "a term (such as '12 months') or an end date (required)")
    if start and end and end < start:
        check.fail("end", end.isoformat(), f"a date on or after start ({start.isoformat()})")
    auto_renew = check.boolean(raw, "auto_renew") or False
    renewal_term = check.duration(raw, "renewal_term", calendar_only=True)
    max_renewals = check.integer(raw, "max_renewals", 0, 1_000)
    notice = check.duration(raw, "notice")
    holidays = check.text(raw, "holidays")
    if holidays:
        try:
            holidays = validate_holidays(holidays)
        except InvalidInput as exc:
            check.absorb(exc, "holidays", holidays)
    timezone = check.text(raw, "timezone")
    if timezone:
        try:
            validate_timezone(timezone)
        except InvalidInput as exc:
            check.absorb(exc, "timezone", timezone)
    value = _money(check, raw.get("value"))
    currency = check.text(raw, "currency")
    if currency is not None:
        if currency.upper() not in CURRENCIES:
            check.fail("currency", currency, "an ISO 4217 currency code such as USD, EUR or GBP")
        currency = currency.upper()
    tags = check.text_list(raw, "tags")
    notify = check.text_list(raw, "notify")
    # Only an absent value means "none": `terms: 0` or `obligations: {}` is a type error, never silently empty.
    terms_raw = _absent_as(raw.get("terms"), {})
    model_change_notice = rollback_window = None
    protections: dict[str, Any] = {}
    if not isinstance(terms_raw, dict):
        check.fail("terms", terms_raw, "a mapping with model_change_notice and rollback_window")
    else:
        check.unknown(terms_raw, TERMS_FIELDS + tuple(PROTECTIONS), "terms.")
        model_change_notice = check.duration(terms_raw, "model_change_notice", "terms.model_change_notice")
        rollback_window = check.duration(terms_raw, "rollback_window", "terms.rollback_window")
        protections = parse_protections(check, terms_raw)
    notice_given_on = check.day(raw, "notice_given_on")
    termination_notice = check.duration(raw, "termination_notice")
    termination_sent_on = check.day(raw, "termination_sent_on")
    value_basis, renewal_uplift_cap, termination_fee = _commercial(check, raw)
    meters = _meters(check, raw.get("meters"))
    if termination_sent_on and termination_notice is None and raw.get("termination_notice") in (None, ""):
        check.fail("termination_sent_on", termination_sent_on.isoformat(),
                   "a contract with termination_notice (termination for convenience)")
    if termination_sent_on and start and termination_sent_on < start:
        check.fail("termination_sent_on", termination_sent_on.isoformat(), "a date on or after the contract's start")
    if auto_renew and raw.get("end") not in (None, "") and raw.get("term") in (None, "") and renewal_term is None \
            and raw.get("renewal_term") in (None, ""):
        # Renewing for "the first term's length" of an explicit end would be a number of days nobody signed.
        check.fail("renewal_term", "", "how long each renewal lasts (e.g. '12 months'), required with end and "
                   "auto_renew")
    archived = check.boolean(raw, "archived") or False
    if notice_given_on and start and notice_given_on < start:
        check.fail("notice_given_on", notice_given_on.isoformat(), "a date on or after the contract's start")
    obligations: list[ObligationSpec] = []
    raw_obligations = _absent_as(raw.get("obligations"), [])
    if not isinstance(raw_obligations, list):
        check.fail("obligations", raw_obligations, "a list of obligations")
        raw_obligations = []
    for index, item in enumerate(raw_obligations):
        obligation = _parse_obligation(check, item, f"obligations[{index}].")
        if obligation:
            obligations.append(obligation)

    if check.problems or start is None or not (key and title and vendor and owner):
        return None, check.problems
    spec = ContractSpec(
        key=key, title=title, vendor=vendor, owner=owner, start=start, term=term, end=end,
        auto_renew=auto_renew, renewal_term=renewal_term, max_renewals=max_renewals, notice=notice,
        holidays=holidays, timezone=timezone, value=value, currency=currency, tags=tags, notify=notify,
        backup_owner=backup_owner, model_change_notice=model_change_notice, rollback_window=rollback_window,
        notice_given_on=notice_given_on, termination_notice=termination_notice,
        termination_sent_on=termination_sent_on, value_basis=value_basis, renewal_uplift_cap=renewal_uplift_cap,
        termination_fee=termination_fee, protections=protections, meters=meters, archived=archived,
        obligations=tuple(obligations),
    )
    return spec, check.problems


def _meters(check: Checker, raw: Any) -> tuple[MeterSpec, ...]:
    """A contract's usage meters (a list, names unique)."""
    if raw in (None, ""):
        return ()
    if not isinstance(raw, list):
        check.fail("meters", raw, "a list of meters (name, unit, limit, period, kind)")
        return ()
    meters = [m for index, item in enumerate(raw) if (m := parse_meter(check, item, f"meters[{index}].")) is not None]
    names = [m.name for m in meters]
    for name in sorted({n for n in names if names.count(n) > 1}):
        check.fail("meters", name, "meter names unique within the contract")
    return tuple(meters)


def _commercial(check: Checker, raw: dict[str, Any]) -> tuple[str | None, Decimal | None, Decimal | None]:
    """The value's basis, the renewal uplift cap and the termination fee (percentages)."""
    basis = None
    if raw.get("value_basis") not in (None, ""):
        basis = parse_basis(raw["value_basis"])
        if basis is None:
            check.fail("value_basis", raw["value_basis"], BASIS_EXPECTED)
        elif basis == "term":
            basis = None  # the default: stored as absent so exports stay as they were
    percents: list[Decimal | None] = []
    for name in ("renewal_uplift_cap", "termination_fee"):
        value = raw.get(name)
        percent = parse_percent(value) if value not in (None, "") else None
        if value not in (None, "") and percent is None:
            check.fail(name, value, PERCENT_EXPECTED)
        percents.append(percent)
    if raw.get("termination_fee") not in (None, "") and raw.get("termination_notice") in (None, ""):
        check.fail("termination_fee", raw["termination_fee"], "a fee with termination_notice (termination for "
                   "convenience)")
    return basis, percents[0], percents[1]


def _money(check: Checker, value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    amount = parse_amount(value)
    if amount is None:
        check.fail("value", value, AMOUNT_EXPECTED)
    return amount


def parse_obligation(raw: Any, where: str = "") -> ObligationSpec:
    """Validate one obligation (for ``obligation add``); raise every problem together."""
    check = Checker(where)
    spec = _parse_obligation(check, raw, "")
    if check.problems or spec is None:
        raise InvalidInput(check.problems)
    return spec


def _parse_obligation(check: Checker, raw: Any, prefix: str) -> ObligationSpec | None:
    if not isinstance(raw, dict):
        check.fail(prefix.rstrip(".") or "obligation", raw, "a mapping of obligation fields")
        return None
    before = len(check.problems)
    check.unknown(raw, OBLIGATION_FIELDS, prefix)
    kind = check.text(raw, "kind", required=True, label=f"{prefix}kind")
    if kind in DERIVED_KINDS:
        check.fail(f"{prefix}kind", kind, "an entered kind; notice deadlines, renewals and term ends are "
                   "computed from the contract's terms")
    elif kind is not None and kind not in ENTERED_KINDS:
        check.fail(f"{prefix}kind", kind, f"one of {', '.join(ENTERED_KINDS)}")
    title = check.text(raw, "title", required=True, label=f"{prefix}title")
    owed_by = (check.text(raw, "owed_by", label=f"{prefix}owed_by") or "us").lower()
    if owed_by not in OWED_BY:
        check.fail(f"{prefix}owed_by", raw.get("owed_by"), "us or vendor")
    due = check.day(raw, "due", label=f"{prefix}due")
    every = check.text(raw, "every", label=f"{prefix}every")
    start = check.day(raw, "start", label=f"{prefix}start")
    until = check.day(raw, "until", label=f"{prefix}until")
    if due is None and every is None and raw.get("due") in (None, ""):
        check.fail(f"{prefix}due", "", "a due date, or every (an RRULE) with a start date")
    if due is not None and every is not None:
        check.fail(f"{prefix}every", every, "either due or every, not both")
    if every is not None:
        if start is None:
            check.fail(f"{prefix}start", raw.get("start", ""), "the date the recurrence starts (required with every)")
        else:
            try:
                every = validate_rrule(every, start, f"{prefix}every")
            except InvalidInput as exc:
                check.absorb(exc, f"{prefix}every", every)
            if until is not None and until < start:
                check.fail(f"{prefix}until", until.isoformat(), "a date on or after start")
    lead = None
    if raw.get("lead") not in (None, "", []):
        try:
            lead = parse_lead_days(raw["lead"], f"{prefix}lead")
        except InvalidInput as exc:
            check.absorb(exc, f"{prefix}lead", raw["lead"])
    required = check.integer(raw, "required", 1, label=f"{prefix}required")
    roll = (check.text(raw, "roll") or "previous").lower()
    if roll not in ROLLS:
        check.fail(f"{prefix}roll", raw.get("roll"), "previous, next or none")
    clause = check.text(raw, "clause")
    status = (check.text(raw, "status") or "open").lower()
    if status not in ("open", "done", "waived"):
        check.fail(f"{prefix}status", raw.get("status"), "open, done or waived")
    settled: list[SettledSpec] = []
    schedule_known = len(check.problems) == before  # an invalid rule names no occurrences to check against
    settled_raw = _absent_as(raw.get("settled"), [])
    if not isinstance(settled_raw, list):
        check.fail(f"{prefix}settled", settled_raw, "a list of occurrences (occurrence, status, on, progress)")
        settled_raw = []
    for index, item in enumerate(settled_raw):
        label = f"{prefix}settled[{index}]."
        if not isinstance(item, dict):
            check.fail(label.rstrip("."), item, "a mapping with occurrence, status, on, progress")
            continue
        check.unknown(item, SETTLED_FIELDS, label)
        occurrence = _occurrence_key(item.get("occurrence"))
        if occurrence is None:
            check.fail(f"{label}occurrence", item.get("occurrence"), "an occurrence key: \"\" or a date YYYY-MM-DD")
            continue
        if schedule_known and not _occurs(occurrence, due, every, start, until):
            expected = ('"" (a one-off obligation has one occurrence)' if every is None
                        else f"a date of the recurrence {every} from {start} (YYYY-MM-DD)")
            check.fail(f"{label}occurrence", occurrence, expected)
        state = str(item.get("status") or "open").lower()
        if state not in ("open", "done", "waived"):
            check.fail(f"{label}status", item.get("status"), "open, done or waived")
        on = check.day(item, "on", label=f"{label}on")
        progress = check.integer(item, "progress", 0, label=f"{label}progress") or 0
        settled.append(SettledSpec(occurrence, state, on, progress))
    if len(check.problems) > before or kind is None or title is None:
        return None
    return ObligationSpec(
        kind=kind, title=title, owed_by=owed_by, due=due, every=every, start=start if every else None,
        until=until, lead=lead, required=required, roll=roll, clause=clause, status=status,
        settled=tuple(settled),
    )


def _absent_as(value: Any, default: Any) -> Any:
    """``default`` for an absent value (None, or an empty CSV cell); the value itself otherwise."""
    return default if value is None or value == "" else value


def _occurrence_key(value: Any) -> str | None:
    """An occurrence key as written in a file (YAML reads an unquoted date as a date), or None if not one."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return value.strip() if isinstance(value, str) else None


def _occurs(key: str, due: date | None, every: str | None, start: date | None, until: date | None) -> bool:
    """Whether ``key`` names an occurrence of the obligation: "" for a one-off, one of its dates for a
    recurrence (unadjusted, as `tracker upcoming` keys them)."""
    from tracker.domain.ids import occurrence_day
    from tracker.domain.recurrence import recurrence_dates

    if every is None:
        return key == ""
    day = occurrence_day(key) if DATE_PATTERN.match(key) else None
    if day is None or start is None:
        return False
    try:
        return recurrence_dates(every, start, until, day, day, limit=1) == [day]
    except (InvalidInput, ValueError, OverflowError):
        return False


def parse_contracts(rows: list[Any], where: str = "contracts") -> list[ContractSpec]:
    """Validate many contracts; raise one :class:`InvalidInput` listing every problem in every row."""
    specs: list[ContractSpec] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for index, row in enumerate(rows):
        label = row.pop("__where__", None) if isinstance(row, dict) else None
        place = label or f"{where}[{index}]"
        spec, found = parse_contract(row, place)
        problems += found
        if spec is not None:
            if spec.key in seen:
                problems.append(Problem("key", spec.key, f"a unique key (also used at {seen[spec.key]})", place))
            seen[spec.key] = place
            specs.append(spec)
    if problems:
        raise InvalidInput(problems)
    return specs
