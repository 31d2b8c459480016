"""From a contract's text to a draft: every field in the import schema with its evidence, or a warning.

Pure: text in, :class:`Draft` out. No file, no clock. Values are in the tracker's vocabulary: dates
``YYYY-MM-DD``, durations as ``str(Duration)`` ("90 days", "1 year") in the unit the contract uses.
"""

from __future__ import annotations

from datetime import date

from tracker.services.extract.model import Draft
from tracker.services.extract.obligations import find_obligations
from tracker.services.extract.parties import find_parties, find_title, pick_vendor
from tracker.services.extract.periods import end_of, find_start, find_term
from tracker.services.extract.renewals import find_renewal
from tracker.services.extract.text import split_sentences
from tracker.services.extract.value import find_value

# The fields a draft proposes, in the order a person reviews them.
FIELDS = ("title", "vendor", "start", "term", "end", "auto_renew", "renewal_term", "notice", "termination_notice",
          "value", "currency")


def analyse(text: str, file: str = "", us: str | None = None) -> Draft:
    """Propose a contract from its text; ``us`` names our party so the other one is the vendor."""
    draft = Draft(file)
    sentences = split_sentences(text)
    warnings: list[str] = []

    draft.put("title", find_title(text, sentences))
    vendor, found = pick_vendor(find_parties(sentences), us)
    draft.put("vendor", vendor)
    warnings += found

    start, found = find_start(sentences)
    warnings += found
    start_day: date | None = start.value if start else None
    draft.put("start", start, start_day.isoformat() if start_day else None)

    term, end, found = find_term(sentences, start_day)
    warnings += found
    draft.put("term", term, str(term.value) if term else None)
    draft.put("end", end, end.value.isoformat() if end else None)

    renewal, found = find_renewal(sentences, term.value if term else None)
    warnings += found
    draft.put("auto_renew", renewal.auto_renew)
    for name in ("renewal_term", "notice", "termination_notice"):
        finding = getattr(renewal, name)
        draft.put(name, finding, str(finding.value) if finding else None)

    value, currency = find_value(sentences)
    draft.put("value", value)
    draft.put("currency", currency)

    last_day = end_of(start_day, term.value if term else None, end.value if end else None) if start_day else None
    obligations: list[dict[str, object]] = []
    for obligation in find_obligations(sentences, start_day, last_day, renewal.auto_renew is not None):
        if obligation.unscheduled:
            key = f"unscheduled[{len([k for k in draft.evidence if k.startswith('unscheduled')])}]"
            draft.evidence[key] = obligation.evidence
            warnings.append(f"obligation not scheduled ({obligation.unscheduled}): {obligation.fields['kind']}, "
                            f"{obligation.fields['title']}: \"{obligation.evidence.quote[:200]}\"")
            continue
        draft.evidence[f"obligations[{len(obligations)}]"] = obligation.evidence
        obligations.append(obligation.fields)
    if obligations:
        draft.contract["obligations"] = obligations

    draft.warnings = warnings + _missing(draft.contract, warnings)
    return draft


def _missing(contract: dict[str, object], warnings: list[str]) -> list[str]:
    """One warning per proposed field the text did not give (unless a warning already explains it)."""
    said = {warning.split(":")[0] for warning in warnings}
    missing = []
    for name in FIELDS:
        if name == "end" or name in contract or name in said:
            continue
        if name == "term":
            if "end" in contract or said & {"term", "term/end"}:
                continue
            name = "term/end"
        if name in ("renewal_term", "notice") and not contract.get("auto_renew"):
            continue
        missing.append(f"{name}: not found")
    return missing
