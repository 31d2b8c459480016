"""The protections an AI or SaaS contract grants, as recorded in its ``terms`` section, and checking them.

Values are canonical and JSON-safe (durations in words, dates ISO, amounts as text), so they are stored,
exported and imported unchanged. The checklist that judges them is data (``checklist.yaml`` beside the
shipped templates, extendable by users), not code: :func:`review` only knows a few predicates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from tracker.domain.checks import Checker
from tracker.domain.dates import shift
from tracker.domain.durations import parse_duration
from tracker.domain.money import EXPECTED as AMOUNT_EXPECTED
from tracker.domain.money import parse_amount
from tracker.domain.spend import PERCENT_EXPECTED, parse_percent
from tracker.errors import ConfigError, InvalidInput, Problem

TRAINING = ("prohibited", "opt_in", "opt_out", "allowed", "unknown")
CARVE_OUTS = ("data_breach", "ip_indemnity", "gross_negligence", "bias_claims", "confidentiality")
SEVERITIES = ("high", "medium", "low")


def _choice(options: tuple[str, ...]) -> tuple[Callable[[Any], Any], str]:
    def read(value: Any) -> Any:
        text = str(value).strip().lower().replace("-", "_").replace(" ", "_") if isinstance(value, str) else None
        return text if text in options else None

    return read, "one of " + ", ".join(options)


def _list_of(options: tuple[str, ...]) -> tuple[Callable[[Any], Any], str]:
    one, _ = _choice(options)

    def read(value: Any) -> Any:
        items = value if isinstance(value, list) else [value] if isinstance(value, str) else None
        if items is None:
            return None
        read_items = [one(item) for item in items]
        return None if None in read_items else sorted(set(read_items))

    return read, "a list of: " + ", ".join(options)


def _duration(value: Any) -> Any:
    try:
        return str(parse_duration(value))
    except InvalidInput:
        return None


def _months_of_fees(value: Any) -> Any:
    """'12 months' fees', '12 months', '1 year', 12 → 12 (a liability cap as a multiple of the fees)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= 1200 else None
    if not isinstance(value, str):
        return None
    text = re.sub(r"['’]?\s*fees?\s*$", "", value.strip().lower())  # "12 months' fees" -> "12 months"
    try:
        duration = parse_duration(text)
    except InvalidInput:
        return None
    if duration.unit == "years":
        return duration.amount * 12
    return duration.amount if duration.unit == "months" else None


def _amount(value: Any) -> Any:
    if isinstance(value, str):  # "USD 1,000,000": the currency is the contract's
        value = re.sub(r"^[A-Za-z]{3}\s+", "", value.strip())
    amount = parse_amount(value)
    return None if amount is None else str(amount)


def _percent(value: Any) -> Any:
    percent = parse_percent(value)
    return None if percent is None else str(percent)


def _boolean(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    return True if text in ("true", "yes") else False if text in ("false", "no") else None


def _day(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        return None


def _text(value: Any) -> Any:
    return value.strip()[:200] if isinstance(value, str) and value.strip() else None


def _texts(value: Any) -> Any:
    items = value if isinstance(value, list) else [value] if isinstance(value, str) else None
    if items is None or not all(isinstance(item, str) and item.strip() for item in items):
        return None
    return [item.strip()[:50] for item in items]


# field → (reader returning a canonical value or None when unreadable, what is expected)
FIELDS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "training_on_data": _choice(TRAINING),
    "liability_cap_months": (_months_of_fees, "a multiple of the fees such as '12 months' fees'"),
    "liability_cap_amount": (_amount, AMOUNT_EXPECTED),
    "liability_carve_outs": _list_of(CARVE_OUTS),
    "data_export_window": (_duration, "a duration such as '30 days'"),
    "export_formats": (_texts, "a list of formats such as [CSV, JSON]"),
    "transition_assistance": (_duration, "a duration such as '90 days'"),
    "sla_availability": (_percent, PERCENT_EXPECTED),
    "sla_credits": (_boolean, "true or false"),
    "compliance_updates_free": (_boolean, "true or false"),
    "soc2_report_date": (_day, "a date YYYY-MM-DD"),
    "data_residency": (_text, "a region such as EU or US"),
    "price_lock_until": (_day, "a date YYYY-MM-DD"),
    "usage_priced": (_boolean, "true or false"),
    "overage_cap": (_amount, AMOUNT_EXPECTED),
}


# What a checklist may examine: the protections, and the contract fields that are protections too.
REVIEWABLE = (*FIELDS, "model_change_notice", "rollback_window", "renewal_uplift_cap")


# Keys a file may use for convenience, read into the canonical fields above.
INPUT_KEYS = (*FIELDS, "liability_cap")


def parse_protections(check: Checker, raw: Mapping[str, Any], prefix: str = "terms.") -> dict[str, Any]:
    """The protections among ``raw``'s keys, canonical; each unreadable value is a problem naming its field.

    ``liability_cap`` is read as a multiple of the fees ("12 months' fees": ``liability_cap_months``) or as
    an amount (``liability_cap_amount``).
    """
    found: dict[str, Any] = {}
    if raw.get("liability_cap") not in (None, ""):
        cap = raw["liability_cap"]
        months, amount = _months_of_fees(cap), _amount(cap)
        if months is not None:
            found["liability_cap_months"] = months
        elif amount is not None:
            found["liability_cap_amount"] = amount
        else:
            check.fail(f"{prefix}liability_cap", cap, "a multiple of the fees such as '12 months' fees', or an amount")
    for name, (read, expected) in FIELDS.items():
        if raw.get(name) in (None, ""):
            continue
        value = read(raw[name])
        if value is None:
            check.fail(f"{prefix}{name}", raw[name], expected)
        else:
            found[name] = value
    return {name: found[name] for name in FIELDS if name in found}  # one order, so exports are stable


@dataclass(frozen=True)
class Check:
    """One item of the review checklist (see ``checklist.yaml``)."""

    id: str
    severity: str
    field: str
    finding: str
    ask: str
    when: Mapping[str, Any]  # applies only when these fields have these values (``tags`` matches any tag)
    absent: str  # the finding when the field is not recorded at all
    fails: Mapping[str, Any]  # missing: true | in: [...] | below: N | lacks: [...] | older_than: "12 months"


@dataclass(frozen=True)
class Finding:
    """A checklist item a contract fails, with the ask that would fix it."""

    contract: str
    check: str
    severity: str
    finding: str
    ask: str


def _applies(check: Check, values: Mapping[str, Any], tags: tuple[str, ...]) -> bool:
    for name, wanted in check.when.items():
        if name == "tags":
            wanted_tags = wanted if isinstance(wanted, list) else [wanted]
            if not set(wanted_tags) & set(tags):
                return False
        elif values.get(name) != wanted:
            return False
    return True


def _fails(check: Check, value: Any, today: date) -> bool:
    rule = check.fails
    if value is None:
        return bool(rule.get("missing", True))
    if "in" in rule and value in rule["in"]:
        return True
    if "below" in rule and Decimal(str(value)) < Decimal(str(rule["below"])):
        return True
    if "lacks" in rule and isinstance(value, list) and set(rule["lacks"]) - set(value):
        return True
    if "older_than" in rule:
        return shift(date.fromisoformat(value), parse_duration(rule["older_than"])) < today
    return False


def _words(name: str) -> str:
    """``data_breach`` → ``data breach``, ``99.50`` → ``99.5``: stored values read as words in findings."""
    if re.fullmatch(r"\d+\.\d+", name):
        return f"{Decimal(name).normalize():f}"
    return name.replace("_", " ")


def review(key: str, values: Mapping[str, Any], tags: tuple[str, ...], checklist: list[Check],
           today: date) -> list[Finding]:
    """The findings of one contract: every applicable checklist item it fails, most severe first."""
    findings = []
    for check in checklist:
        if not _applies(check, values, tags):
            continue
        value = values.get(check.field)
        if _fails(check, value, today):
            shown = ", ".join(_words(v) for v in value) if isinstance(value, list) else _words(str(value))
            have = set(value) if isinstance(value, list) else set()
            lacking = " or ".join(_words(item) for item in sorted(set(check.fails.get("lacks", [])) - have))
            text = check.absent if value is None else check.finding.format(value=shown, lacking=lacking)
            findings.append(Finding(key, check.id, check.severity, text, check.ask))
    return sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), f.check))


def parse_checklist(items: Any, source: str) -> list[Check]:
    """The checklist from its YAML document; a malformed item is reported with the file and its index."""
    if not isinstance(items, list):
        raise ConfigError(f"{source}: a checklist is a list of checks")
    checks: list[Check] = []
    problems: list[Problem] = []
    for index, item in enumerate(items):
        where = f"{source}[{index}]"
        if not isinstance(item, dict) or not {"id", "severity", "field", "finding", "ask"} <= set(item):
            problems.append(Problem("check", item, "a mapping with id, severity, field, finding, ask", where))
            continue
        if item["severity"] not in SEVERITIES or item["field"] not in REVIEWABLE:
            problems.append(Problem("check", item.get("id"), f"severity in {SEVERITIES} and a field in "
                                    f"{', '.join(REVIEWABLE)}", where))
            continue
        # A finding without placeholders already says what is missing; else a neutral default.
        fallback = str(item["finding"]) if "{" not in str(item["finding"]) else f"Not recorded: {_words(item['field'])}"
        absent = str(item.get("absent") or fallback)
        checks.append(Check(str(item["id"]), item["severity"], item["field"], str(item["finding"]),
                            str(item["ask"]), dict(item.get("when") or {}), absent, dict(item.get("fails") or {})))
    if problems:
        raise ConfigError(problems)
    return checks
