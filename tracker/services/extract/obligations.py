"""Dated obligations in the tracker's vocabulary: invoices and payment terms, data export, SOC 2 reports.

Pure. An obligation enters the draft's contract only with a concrete date or rule (``due``, or ``every`` with
``start``); one the text does not date (e.g. "net 30" with no invoicing schedule) is reported with its
evidence and a warning, for a person to schedule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from tracker.domain.dates import shift
from tracker.domain.durations import Duration
from tracker.services.extract.model import Evidence, evidence_of
from tracker.services.extract.numbers import find_durations
from tracker.services.extract.text import Sentence

I = re.IGNORECASE  # noqa: E741 - the flag, used in every pattern here

_NET = re.compile(r"\bnet\s*[-/]?\s*(?P<days>\d{1,3})\b(?:\s*days)?", I)
_PAY_WITHIN = re.compile(
    r"\b(?:pay\w*|due|remit\w*|settle\w*)\b[^.;]{0,80}?\bwithin\s+(?P<span>[^.;]{1,40}?)\s+(?:after|of|from|following)"
    r"\s+(?:the\s+)?(?:(?:date\s+of\s+)?receipt\s+of|date\s+of|receiving|issuance\s+of|invoice\s+date)\s*"
    r"(?:(?:the|an|each|such|any|a|its|correct|undisputed|proper)\s+)*(?:valid\s+|undisputed\s+)?(?:invoice|bill|"
    r"statement)", I)
_FREQUENCY = re.compile(
    r"\b(?:invoice\w*|bill\w*)\b[^.;]{0,60}?\b(?P<freq>monthly|quarterly|annually|yearly|semi-annually|"
    r"half-yearly|each\s+month|each\s+quarter|each\s+year|every\s+month|every\s+quarter|every\s+year)\b"
    r"|\b(?P<freq2>monthly|quarterly|annual|yearly)\s+(?:in\s+advance\s+)?invoic", I)
_RULES = {"month": ("FREQ=MONTHLY", Duration(1, "months")), "quarter": ("FREQ=MONTHLY;INTERVAL=3",
                                                                         Duration(3, "months")),
          "semi": ("FREQ=MONTHLY;INTERVAL=6", Duration(6, "months")), "half": ("FREQ=MONTHLY;INTERVAL=6",
                                                                              Duration(6, "months")),
          "annual": ("FREQ=YEARLY", Duration(1, "years")), "year": ("FREQ=YEARLY", Duration(1, "years"))}
_LABELS = {"FREQ=MONTHLY": "monthly", "FREQ=MONTHLY;INTERVAL=3": "quarterly", "FREQ=MONTHLY;INTERVAL=6": "half-yearly",
           "FREQ=YEARLY": "yearly"}
_ARREARS = re.compile(r"\bin\s+arrears?\b", I)
_EXPORT = re.compile(
    r"\b(?:return|export|deliver|provide|make\s+available|transfer|hand\s+over)\w*\b[^.]{0,200}?\b(?:data|records|"
    r"content|files|information)\b|\b(?:data|records|content)\b[^.]{0,120}?\b(?:returned|exported|delivered|"
    r"made\s+available|transferred)\b", I)
_AFTER_END = re.compile(
    r"\bwithin\s+(?P<span>[^.;]{1,40}?)\s+(?:after|following|of|from)\s+(?:the\s+)?(?:effective\s+date\s+of\s+(?:any\s+|"
    r"such\s+)?)?(?:termination|expiration|expiry|end)\b", I)
_SOC = re.compile(r"\bSOC\s*-?\s*(?:2|II|1|3)\b(?:\s+type\s+(?:2|II|1|I))?|\bSSAE\s*-?\s*1[68]\b|\bISAE\s*3402\b", I)
_YEARLY = re.compile(r"\b(?:annual(?:ly)?|each\s+(?:calendar\s+)?year|every\s+(?:twelve|12)\s+\(?\d*\)?\s*months|"
                     r"once\s+(?:per|a|each|every)\s+(?:calendar\s+)?year|yearly)\b", I)
_SOC_WITHIN = re.compile(r"\bwithin\s+(?P<span>[^.;]{1,40}?)\s+(?:after|following|of|from)\s+(?:the\s+)?"
                         r"(?:effective\s+date|date\s+(?:hereof|of\s+this\s+agreement)|commencement)", I)
_SUBJECT_VENDOR = re.compile(
    r"\b(?:supplier|vendor|provider|licensor|consultant|contractor)\s+(?:shall|will|must)\s+pay", I)


@dataclass
class Obligation:
    """An obligation found: the import-schema fields (``fields``) and its evidence; ``due``/``every`` may be absent."""

    fields: dict[str, Any]
    evidence: Evidence
    unscheduled: str | None = None  # why it has no date (then it stays out of the contract)
    extra: dict[str, Any] = field(default_factory=dict)


def _span_duration(text: str) -> Duration | None:
    spans = find_durations(text)
    return spans[0].duration if spans else None


def _frequency(sentences: list[Sentence]) -> tuple[str, Duration, Sentence, bool] | None:
    for sentence in sentences:
        match = _FREQUENCY.search(sentence.text)
        if match:
            word = (match.group("freq") or match.group("freq2")).lower()
            for key, (rule, period) in _RULES.items():
                if key in word:
                    return rule, period, sentence, bool(_ARREARS.search(sentence.text))
    return None


def _payments(sentences: list[Sentence], start: date | None) -> list[Obligation]:
    found: list[Obligation] = []
    for sentence in sentences:
        net_days: Duration | None = None
        at = 0
        if match := _NET.search(sentence.text):
            net_days, at = Duration(int(match.group("days")), "days"), match.start()
        elif match := _PAY_WITHIN.search(sentence.text):
            net_days, at = _span_duration(match.group("span")), match.start()
        if net_days is None or net_days.amount == 0:
            continue
        owed_by = "vendor" if _SUBJECT_VENDOR.search(sentence.text) else "us"
        evidence = evidence_of(sentence, 0.7, at)
        frequency = _frequency(sentences)
        title = f"Payment due {net_days} after invoice"
        if frequency is None or start is None:
            why = "no invoicing schedule stated" if frequency is None else "no start date to schedule it from"
            found.append(Obligation({"kind": "payment", "title": title, "owed_by": owed_by}, evidence, why))
            return found
        rule, period, where, arrears = frequency
        first_invoice = shift(start, period) if arrears else start
        invoice_evidence = evidence_of(where, 0.6, note=f"resolved: first invoice on {first_invoice} "
                                                         f"({'in arrears' if arrears else 'from the start'})")
        found.append(Obligation({"kind": "invoice", "title": f"Invoice ({_LABELS[rule]})",
                                 "owed_by": "vendor" if owed_by == "us" else "us", "every": rule,
                                 "start": first_invoice.isoformat()}, invoice_evidence))
        first_payment = shift(first_invoice, net_days)
        found.append(Obligation({"kind": "payment", "title": title, "owed_by": owed_by, "every": rule,
                                 "start": first_payment.isoformat()},
                                evidence.weaker(0.6, f"resolved: first payment {net_days} after the first invoice "
                                                     f"= {first_payment}")))
        return found
    return found


def _data_export(sentences: list[Sentence], end: date | None, renews: bool) -> list[Obligation]:
    for sentence in sentences:
        within = _AFTER_END.search(sentence.text)
        # The export and its deadline are one clause: they stand within a few lines of each other.
        if not within or not _EXPORT.search(sentence.text[max(0, within.start() - 250): within.end() + 250]):
            continue
        span = _span_duration(within.group("span"))
        if span is None:
            continue
        fields: dict[str, Any] = {"kind": "data_export", "title": f"Data export within {span} after termination",
                                  "owed_by": "vendor"}
        evidence = evidence_of(sentence, 0.65, within.start())
        if end is None or renews:
            why = "due only once the contract ends" if renews else "no end date to count from"
            return [Obligation(fields, evidence, why)]
        due = shift(end + timedelta(days=1), span) - timedelta(days=1) if span.unit != "days" else end + timedelta(
            days=span.amount)
        fields["due"] = due.isoformat()
        note = f"resolved: {span} after the end of the initial term ({end}) = {due}"
        return [Obligation(fields, evidence.weaker(0.6, note))]
    return []


def _soc_reports(sentences: list[Sentence], start: date | None) -> list[Obligation]:
    for sentence in sentences:
        if not _SOC.search(sentence.text) or "report" not in sentence.lower:
            continue
        name = _SOC.search(sentence.text)
        label = name.group(0) if name else "SOC 2"
        fields: dict[str, Any] = {"kind": "certification", "title": f"{label} report delivered", "owed_by": "vendor"}
        evidence = evidence_of(sentence, 0.65, name.start() if name else 0)
        within = _SOC_WITHIN.search(sentence.text)
        if start is not None and within and (span := _span_duration(within.group("span"))):
            due = shift(start, span)
            fields["due"] = due.isoformat()
            return [Obligation(fields, evidence.weaker(0.6, f"resolved: {span} after the start ({start}) = {due}"))]
        if start is not None and _YEARLY.search(sentence.text):
            first = shift(start, Duration(1, "years"))
            fields.update(every="FREQ=YEARLY", start=first.isoformat())
            return [Obligation(fields, evidence.weaker(0.55, f"resolved: yearly from the first anniversary ({first})"))]
        return [Obligation(fields, evidence, "no delivery date or frequency stated")]
    return []


def find_obligations(sentences: list[Sentence], start: date | None, end: date | None,
                     renews: bool) -> list[Obligation]:
    """Invoices and payments, data export after termination and SOC 2 reports the contract states."""
    return _payments(sentences, start) + _data_export(sentences, end, renews) + _soc_reports(sentences, start)
