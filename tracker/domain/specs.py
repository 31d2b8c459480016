"""Validation of user input (prompts, options, YAML/JSON/CSV rows) into immutable contract specs.

Every problem is collected with its field, value and what was expected, then reported together, so an
import with several bad rows lists all of them. Pure: no database, no clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from tracker.domain.businessdays import ROLLS, validate_holidays
from tracker.domain.checks import DATE_PATTERN, Checker
from tracker.domain.durations import Duration
from tracker.domain.ids import KEY_EXPECTED, KEY_PATTERN
from tracker.domain.kinds import DERIVED_KINDS, ENTERED_KINDS, OWED_BY
from tracker.domain.money import CURRENCIES, parse_amount
from tracker.domain.money import EXPECTED as AMOUNT_EXPECTED
from tracker.domain.recurrence import validate_rrule
from tracker.domain.reminders import parse_lead_days
from tracker.domain.terms import Terms, raw_notice_deadline, term_end, term_start
from tracker.domain.timezones import validate_timezone
from tracker.errors import InvalidInput, Problem

CONTRACT_FIELDS = (
    "key", "title", "vendor", "owner", "backup_owner", "start", "term", "end", "auto_renew", "renewal_term",
    "max_renewals", "notice", "holidays", "timezone", "value", "currency", "tags", "notify", "terms",
    "notice_given_on", "archived", "obligations",
)
TERMS_FIELDS = ("model_change_notice", "rollback_window")
# The scalar contract fields, in the CSV's column order (CSV holds these only).
CSV_FIELDS = (
    "key", "title", "vendor", "owner", "start", "term", "end", "auto_renew", "renewal_term", "notice",
    "holidays", "value", "currency", "tags",
)
# What `tracker edit` may change: every field but the key and the ones other commands own.
EDITABLE_FIELDS = tuple(
    name for name in CONTRACT_FIELDS if name not in ("key", "terms", "notice_given_on", "archived", "obligations")
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
    archived: bool = False
    obligations: tuple[ObligationSpec, ...] = field(default=())

    @property
    def terms(self) -> Terms:
        return Terms(
            start=self.start, term=self.term, end=self.end, auto_renew=self.auto_renew,
            renewal_term=self.renewal_term, max_renewals=self.max_renewals, notice=self.notice,
            holidays=self.holidays, notice_given_on=self.notice_given_on,
        )


def term_or_end(answer: str) -> tuple[str, str]:
    """Which field a single "term or end date" answer fills: a date (YYYY-MM-DD) is the end, else the term."""
    text = answer.strip()
    return ("end", text) if DATE_PATTERN.match(text) else ("term", text)


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:80].rstrip("-") or "contract"


def parse_contract(raw: Any, where: str = "") -> tuple[ContractSpec | None, list[Problem]]:
    """Validate one contract mapping; return the spec (None when invalid) and every problem found."""
    check = Checker(where)
    if not isinstance(raw, dict):
        check.fail("contract", raw, "a mapping of contract fields")
        return None, check.problems
    check.unknown(raw, CONTRACT_FIELDS)
    title = check.text(raw, "title", required=True)
    vendor = check.text(raw, "vendor", required=True)
    key = check.text(raw, "key")
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
    terms_raw = raw.get("terms") or {}
    model_change_notice = rollback_window = None
    if not isinstance(terms_raw, dict):
        check.fail("terms", terms_raw, "a mapping with model_change_notice and rollback_window")
    else:
        check.unknown(terms_raw, TERMS_FIELDS, "terms.")
        model_change_notice = check.duration(terms_raw, "model_change_notice", "terms.model_change_notice")
        rollback_window = check.duration(terms_raw, "rollback_window", "terms.rollback_window")
    notice_given_on = check.day(raw, "notice_given_on")
    archived = check.boolean(raw, "archived") or False
    if notice_given_on and start and notice_given_on < start:
        check.fail("notice_given_on", notice_given_on.isoformat(), "a date on or after the contract's start")
    obligations: list[ObligationSpec] = []
    raw_obligations = raw.get("obligations") or []
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
        notice_given_on=notice_given_on, archived=archived, obligations=tuple(obligations),
    )
    _check_term_lengths(check, spec, raw)
    return (None if check.problems else spec), check.problems


def _check_term_lengths(check: Checker, spec: ContractSpec, raw: dict[str, Any]) -> None:
    """A notice longer than a term could never be given in time: reject it."""
    if spec.notice is None:
        return
    terms = spec.terms
    if raw_notice_deadline(terms, 0) < spec.start:
        check.fail("notice", raw.get("notice"), f"a notice period shorter than the term ({term_end(terms, 0)} end)")
    elif spec.auto_renew and raw_notice_deadline(terms, 1) < term_start(terms, 1):
        check.fail("notice", raw.get("notice"), "a notice period shorter than the renewal term")


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
    required = check.integer(raw, "required", 1)
    roll = (check.text(raw, "roll") or "previous").lower()
    if roll not in ROLLS:
        check.fail(f"{prefix}roll", raw.get("roll"), "previous, next or none")
    clause = check.text(raw, "clause")
    status = (check.text(raw, "status") or "open").lower()
    if status not in ("open", "done", "waived"):
        check.fail(f"{prefix}status", raw.get("status"), "open, done or waived")
    settled: list[SettledSpec] = []
    settled_raw = raw.get("settled") or []
    if not isinstance(settled_raw, list):
        check.fail(f"{prefix}settled", settled_raw, "a list of occurrences (occurrence, status, on, progress)")
        settled_raw = []
    for index, item in enumerate(settled_raw):
        label = f"{prefix}settled[{index}]."
        if not isinstance(item, dict):
            check.fail(label.rstrip("."), item, "a mapping with occurrence, status, on, progress")
            continue
        check.unknown(item, SETTLED_FIELDS, label)
        occurrence = str(item.get("occurrence", "") if item.get("occurrence") is not None else "")
        state = str(item.get("status") or "open").lower()
        if state not in ("open", "done", "waived"):
            check.fail(f"{label}status", item.get("status"), "open, done or waived")
        on = check.day(item, "on", label=f"{label}on")
        progress = check.integer(item, "progress", 0) or 0
        settled.append(SettledSpec(occurrence, state, on, progress))
    if len(check.problems) > before or kind is None or title is None:
        return None
    return ObligationSpec(
        kind=kind, title=title, owed_by=owed_by, due=due, every=every, start=start if every else None,
        until=until, lead=lead, required=required, roll=roll, clause=clause, status=status,
        settled=tuple(settled),
    )


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
