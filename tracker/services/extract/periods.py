"""The contract's start (effective date, else agreement date) and its initial term or end date.

Pure: sentences in, findings out. Relative dates ("five (5) years from the Effective Date", "the third
anniversary of the Effective Date") are resolved against the start and the evidence says so.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from tracker.domain.dates import ONE_DAY, shift
from tracker.domain.durations import Duration
from tracker.services.extract.dates import DateSpan, find_dates
from tracker.services.extract.model import Finding, evidence_of
from tracker.services.extract.numbers import NUMBER_WORDS, Span, find_durations, ordinal_to_int
from tracker.services.extract.text import Sentence

I = re.IGNORECASE  # noqa: E741 - the flag, used in every pattern here
HEAD = 4000  # the preamble, where the agreement's own date is written

# A date directly labelled: June 21, 1999 (the "Effective Date").
_LABEL_AFTER = re.compile(
    r'[\s,]*(?:\(\s*)?(?:(?:the|this|such\s+date\s+being|hereinafter(?:\s+referred\s+to\s+as)?|herein|called)\s+)*'
    r'"?(?:effective|commencement|start)\s+date\b', I)
# "Effective Date" means / is / shall be / : June 21, 1999.
_LABEL_BEFORE = re.compile(
    r'(?:(?:effective|commencement)\s+date|contract\s+start(?:\s+date)?)"?\)?\s*(?:of\s+this\s+(?:agreement|contract)\s*)?'
    r'(?:\([^)]{0,60}\)\s*)?(?:(?:shall|will)\s+(?:be|mean)|means?|is|:|-|=)?\s*(?:[^;]{0,40}?\bon\s+)?(?:the\s+)?$', I)
# This Agreement is effective as of / shall commence on / begins on June 1, 2020.
_VERB_BEFORE = re.compile(
    r"\b(?:effective|commenc\w*|begin\w*|began|start\w*|enter\w*\s+into\s+force|take[sn]?\s+effect|in\s+effect)"
    r"\s+(?:(?:as\s+(?:of|from)|on|from|upon|with\s+effect\s+from|effective)\s+)?(?:the\s+(?:day\s+of\s+)?)?$", I)
_DOCUMENT = re.compile(r"\b(?:agreement|contract|term|amendment|letter|addendum|order)\b", I)
_AGREEMENT_DATE = re.compile(
    r"\b(?:dated|made|entered\s+into|executed|concluded|signed|as\s+of|this|effective)\b[^.;]{0,60}$", I)
_SIGNED_DATE = re.compile(r"\bdated?\s*:?\s*$", I)
_EFFECTIVE_LABEL = re.compile(r'"(?:effective|commencement)\s+date"', I)
_REFERENCE = re.compile(
    r"date\s+(?:first\s+)?(?:written|set\s+forth|stated|mentioned|indicated|shown)\s+(?:above|below|herein)"
    r"|date\s+hereof|date\s+of\s+this\s+(?:agreement|contract)|(?:execution|signature|signing)\s+date"
    r"|date\s+(?:of|on\s+which)\s+(?:its\s+)?(?:the\s+)?(?:execution|signature|signing)"
    r"|last\s+(?:party\s+)?(?:to\s+)?(?:sign|execut)|date\s+of\s+(?:the\s+)?last\s+signature"
    r"|signature\s+dates?|fully\s+executed|(?:is|are|was|been)\s+(?:duly\s+)?(?:signed|executed)", I)
_DAY_AFTER = re.compile(r"\bday\s+(?:after|following)\b", I)

# --- the term --------------------------------------------------------------------------------------

_TERM_CUE = re.compile(
    r"\b(?:initial\s+term|term\s+of\s+(?:this|the)\s+(?:agreement|contract)|the\s+term\b|\"term\"|this\s+"
    r"(?:agreement|contract|amendment)\b.{0,160}?\b(?:shall|will|is\s+to)\s+(?:\w+\s+){0,3}?(?:continue|remain|"
    r"expire|terminate|end|be\s+(?:in\s+(?:full\s+)?(?:force|effect)|valid|effective)|have\s+a\s+(?:term|duration)|"
    r"be\s+for|run|conclude|last))", I)
_TERM_AVOID = re.compile(
    r"surviv|confidential|non-?compet|non-?solicit|warrant|indemn|royalt|insurance|invoice|\bpaid\b|\bpay\b|"
    r"(?:after|following|upon)\s+(?:the\s+)?(?:termination|expiration|expiry)|post-term|statute\s+of\s+limitation|"
    r"\bpatent\b|\bretain\b|\brecords\b", I)
_BEFORE_DURATION_AVOID = re.compile(
    r"(?:within|at\s+least|not\s+less\s+than|no\s+(?:less|later|more)\s+than|prior|notice|up\s+to|additional|"
    r"successive|renewal|further|another|each|extended|extension|renewed|subsequent|consecutive|minimum\s+of|"
    r"exceed|maximum)\W+(?:\w+\W+){0,2}$", I)
_AFTER_DURATION_AVOID = re.compile(
    r"^\W*(?:'s\s+)?(?:\w+\s+){0,2}?(?:prior|before|in\s+advance|notice|written\s+notice|after\s+(?:the\s+)?"
    r"(?:termination|expiration|expiry|receipt|notice)|following\s+(?:the\s+)?(?:termination|expiration|receipt|"
    r"notice)|renewal|extension|each)\b", I)
_START_ANCHOR = re.compile(
    r"^\W*(?:(?:term|period)\s+)?(?:commencing|beginning|starting|from|after|following|of|as\s+of|measured\s+from)?"
    r"\s*(?:on\s+|with\s+)?(?:and\s+including\s+)?(?:the\s+)?(?P<anchor>effective\s+date|commencement\s+date|date\s+"
    r"(?:hereof|first\s+(?:above\s+)?(?:written|set\s+forth)|of\s+(?:this|the)\s+(?:agreement|contract)|of\s+"
    r"(?:execution|signature|signing))|execution\s+date|signing\s+date|start\s+date|date\s+on\s+which\s+this|"
    r"[A-Z][\w-]*(?:\s+[A-Z][\w-]*){0,4}\s+date)", I)
_EVENT_ANCHOR = re.compile(
    r"^\W*(?:commencing|beginning|starting|from|after|following|of)\s+(?:on\s+)?(?:the\s+)?"
    r"(?P<event>(?:[a-z]+\s+){0,3}?(?:launch|first|completion|commercial|date|delivery|acceptance|closing|"
    r"installation|opening|approval)[\w\s]{0,40}?)(?:[,.;(]|$)", I)
_END_BEFORE = re.compile(
    r"\b(?:until|through|thru|to\s+and\s+including|ending|end|expir\w*|terminat\w*|conclud\w*|to)\s+(?:on\s+)?"
    r"(?:and\s+including\s+)?(?:the\s+)?(?:close\s+of\s+business\s+on\s+)?(?:midnight\s+on\s+)?$", I)
_ANNIVERSARY = re.compile(
    rf"\b(?:until|on|through|expire\w*\s+on|terminate\w*\s+on|end\w*\s+on|ending\s+(?:on|with))?\s*the\s+"
    rf"(?P<ordinal>\d{{1,2}}(?:st|nd|rd|th)|(?:{NUMBER_WORDS})|first|second|third|fifth|eighth|ninth|twelfth"
    r"|\w+th)\s*(?:\(\s*\d+(?:st|nd|rd|th)?\s*\)\s*)?anniversary\s+of\s+(?:the\s+)?"
    r"(?P<anchor>effective\s+date|commencement\s+date|date\s+(?:hereof|of\s+this\s+agreement)|execution\s+date|"
    r"[A-Z][\w-]*(?:\s+[A-Z][\w-]*){0,3}\s+date)", I)
_EVERGREEN = re.compile(
    r"\b(?:perpetual(?:ly)?|indefinite(?:ly)?|in\s+perpetuity|(?:continue|remain)\s+(?:in\s+(?:full\s+)?(?:force|"
    r"effect)(?:\s+and\s+effect)?\s+)?(?:thereafter\s+)?until\s+(?:terminated|such\s+time|either\s+party\s+"
    r"terminates))", I)


def _is_start_anchor(anchor: str) -> bool:
    words = anchor.lower()
    return any(key in words for key in ("effective", "commencement", "hereof", "this agreement", "this contract",
                                        "execution", "signature", "signing", "start date", "date first",
                                        "the agreement", "date on which this"))


# --- the start -------------------------------------------------------------------------------------


def _effective(sentences: list[Sentence]) -> tuple[Finding | None, Finding | None, Sentence | None]:
    """(a date labelled as the effective date, a date the agreement says it starts on, a definition without one)."""
    labelled = starts = None
    undated: Sentence | None = None
    for sentence in sentences:
        lower = sentence.lower
        if not any(cue in lower for cue in ("effective", "commenc", "begin", "start", "force", "in effect")):
            continue
        for span in find_dates(sentence.text):
            before = sentence.text[max(0, span.start - 110): span.start]
            after = sentence.text[span.end: span.end + 70]
            if labelled is None and (_LABEL_AFTER.match(after) or _LABEL_BEFORE.search(before)):
                labelled = Finding(span.day, evidence_of(sentence, 0.95, span.start))
            elif starts is None and _VERB_BEFORE.search(before[-70:]) and _DOCUMENT.search(sentence.text):
                starts = Finding(span.day, evidence_of(sentence, 0.85, span.start))
        if undated is None and _EFFECTIVE_LABEL.search(sentence.text) and not find_dates(sentence.text):
            undated = sentence
        if labelled is not None:
            break
    return labelled, starts, undated


def agreement_date(sentences: list[Sentence]) -> Finding | None:
    """The date the agreement is made or dated, from its preamble; else the first date there or a signature date."""
    head = [s for s in sentences if s.start < HEAD][:40]
    for sentence in head:
        for span in find_dates(sentence.text):
            if _AGREEMENT_DATE.search(sentence.text[max(0, span.start - 80): span.start]):
                return Finding(span.day, evidence_of(sentence, 0.8, span.start))
    for sentence in head:
        for span in find_dates(sentence.text):
            return Finding(span.day, evidence_of(sentence, 0.5, span.start))
    tail = sentences[len(sentences) * 3 // 4:]
    for sentence in tail:
        for span in find_dates(sentence.text):
            if _SIGNED_DATE.search(sentence.text[max(0, span.start - 12): span.start]):
                return Finding(span.day, evidence_of(sentence, 0.4, span.start, "the date of a signature"))
    return None


def find_start(sentences: list[Sentence]) -> tuple[Finding | None, list[str]]:
    """The effective date; the agreement date when no effective date is stated (and a warning saying so)."""
    labelled, starts, undated = _effective(sentences)
    if labelled is not None:
        return labelled, []
    if starts is not None:
        return starts, []
    agreed = agreement_date(sentences)
    if undated is not None:
        reference = _REFERENCE.search(undated.text)
        if agreed is not None and reference:
            day = agreed.value
            note = f"the Effective Date is the {reference.group(0)}: the agreement date"
            if _DAY_AFTER.search(undated.text[max(0, reference.start() - 40): reference.start()]):
                day, note = day + ONE_DAY, f"the Effective Date is the day after the {reference.group(0)}"
            return Finding(day, evidence_of(undated, 0.7, reference.start(), f"resolved: {note} ({day})")), []
        if agreed is not None:
            warning = ("start: the Effective Date depends on an event the contract does not date; "
                       f"the agreement date {agreed.value} is proposed instead")
            return Finding(agreed.value, agreed.evidence.weaker(0.4, "the agreement date (effective date undated)")), [
                warning]
    if agreed is not None:
        note = "no effective date stated: the agreement date"
        return Finding(agreed.value, agreed.evidence.weaker(0.75, note)), []
    return None, ["start: no effective or agreement date found"]


# --- the initial term ------------------------------------------------------------------------------


def _term_score(sentence: Sentence) -> int:
    lower = sentence.lower
    score = 1
    if "initial term" in lower or "initial period" in lower:
        score += 3
    if re.search(r"\bterm of (?:this|the) (?:agreement|contract)\b", lower):
        score += 2
    if re.search(r"\bthis (?:agreement|contract)\b", lower):
        score += 1
    if "renew" in lower or "extend" in lower:
        score -= 1
    return score


def _duration_candidates(sentence: Sentence) -> list[Span]:
    text = sentence.text
    found = []
    for span in find_durations(text):
        if span.duration.unit in ("business_days",):
            continue
        if _BEFORE_DURATION_AVOID.search(text[max(0, span.start - 40): span.start]):
            continue
        if _AFTER_DURATION_AVOID.match(text[span.end: span.end + 50]):
            continue
        found.append(span)
    return found


def _end_candidates(sentence: Sentence) -> list[DateSpan]:
    return [span for span in find_dates(sentence.text)
            if _END_BEFORE.search(sentence.text[max(0, span.start - 50): span.start])]


def find_term(sentences: list[Sentence], start: date | None) -> tuple[Finding | None, Finding | None, list[str]]:
    """(term, end) of the initial term: at most one is set; the warnings say what could not be resolved."""
    best: tuple[int, int, Finding, str] | None = None  # (score, -index, finding, field)
    evergreen: Sentence | None = None
    warnings: list[str] = []
    for sentence in sentences:
        if not _TERM_CUE.search(sentence.text) or _TERM_AVOID.search(sentence.text):
            continue
        score = _term_score(sentence)
        for found in _term_findings(sentence, start):
            finding, field_name, bonus = found
            key = (score + bonus, -sentence.index)
            if best is None or key > best[:2]:
                best = (key[0], key[1], finding, field_name)
        if evergreen is None and _EVERGREEN.search(sentence.text):
            evergreen = sentence
    if best is None:
        if evergreen is not None:
            warnings.append(f"term: none fixed; the contract runs until terminated: \"{evergreen.text[:160]}\"")
        else:
            warnings.append("term/end: no initial term or end date found")
        return None, None, warnings
    _, _, finding, field_name = best
    return (finding, None, warnings) if field_name == "term" else (None, finding, warnings)


def _term_findings(sentence: Sentence, start: date | None) -> list[tuple[Finding, str, int]]:
    """Each (finding, "term" | "end", bonus) one term sentence offers."""
    text = sentence.text
    results: list[tuple[Finding, str, int]] = []
    ends = [span for span in _end_candidates(sentence) if start is None or span.day > start]
    durations = _duration_candidates(sentence)
    if ends:
        end = ends[0]
        finding = Finding(end.day, evidence_of(sentence, 0.9, end.start))
        # A stated term that ends on the stated date is kept as the term, in the contract's unit.
        for span in durations:
            if start is not None and shift(start, span.duration) - ONE_DAY == end.day:
                return [(Finding(span.duration, evidence_of(sentence, 0.9, span.start)), "term", 2)]
        results.append((finding, "end", 2))
    for match in _ANNIVERSARY.finditer(text):
        years = ordinal_to_int(match.group("ordinal"))
        if years and 0 < years <= 100:
            anchor = match.group("anchor")
            confidence = 0.85 if _is_start_anchor(anchor) else 0.45
            note = f"resolved: the {match.group('ordinal')} anniversary of the {anchor} = a term of {years} years"
            if not _is_start_anchor(anchor):
                note += f" (the {anchor} is not dated: assumed the start)"
            results.append((Finding(Duration(years, "years"), evidence_of(sentence, confidence, match.start(), note)),
                            "term", 1))
    for span in durations[:1]:
        after = text[span.end: span.end + 120]
        anchor = _START_ANCHOR.match(after)
        note = None
        confidence = 0.8
        if anchor and _is_start_anchor(anchor.group("anchor")):
            note = f"resolved: {span.duration} from the {anchor.group('anchor')}"
        elif anchor or (event := _EVENT_ANCHOR.match(after)):
            what = anchor.group("anchor") if anchor else event.group("event").strip()
            note = f"runs {span.duration} from the {what}, which the contract does not date: assumed the start"
            confidence = 0.45
        if start is not None and note and note.startswith("resolved"):
            note += f" ({start} + {span.duration} - 1 day = {shift(start, span.duration) - ONE_DAY})"
        results.append((Finding(span.duration, evidence_of(sentence, confidence, span.start, note)), "term", 0))
    return results


def end_of(start: date, term: Duration | None, end: date | None) -> date | None:
    """The last day of the initial term (inclusive), as the tracker computes it."""
    if end is not None:
        return end
    if term is None:
        return None
    return shift(start, term) - timedelta(days=1)
