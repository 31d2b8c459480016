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
    r'"?(?:effective|commencement|start)\s*date\b', I)
# "Effective Date" means / is / shall be / : June 21, 1999.
_LABEL_BEFORE = re.compile(
    r'(?:(?:effective|commencement)\s*date|contract\s+start(?:\s+date)?)"?\)?\s*(?:(?:of|for|under)\s+this\s+'
    r'(?:agreement|contract)\s*)?(?:\([^)]{0,60}\)\s*)?(?:(?:shall|will)\s+(?:be|mean)|means?|is)?\s*[:=-]?\s*'
    r'(?:[^;]{0,40}?\bon\s+)?(?:the\s+)?$', I)
# This Agreement is effective as of / shall commence on / begins on June 1, 2020.
_VERB_BEFORE = re.compile(
    r"\b(?:effective|commenc\w*|begin\w*|began|start\w*|enter\w*\s+into\s+(?:force|effect)|take[sn]?\s+effect|in\s+effect)"
    r"\s+(?:(?:as\s+(?:of|from)|on|from|upon|with\s+effect\s+from|effective|this)\s+)?(?:the\s+(?:day\s+of\s+)?)?$", I)
# ... whose subject is this agreement (or "it"), not another agreement it mentions.
_THIS_SUBJECT = re.compile(
    r"\b(?:this|the)\s+(?:[\w&-]+\s+){0,5}?(?:agreement|contract|amendment|addendum|term|letter)\b|"
    r"\bit\s+(?:shall|will|is)\b|^\W*(?:signed\s+and\s+)?effective\b|effective\s*date", I)
_OTHER_AGREEMENT = re.compile(r"\b(?:original|previous|prior|existing|underlying|that\s+certain|was|were|had\s+been|"
                              r"supersede\w*|replace\w*)\b", I)
_AGREEMENT_DATE = re.compile(
    r"\b(?:dated|made|entered\s+into|executed|concluded|signed|as\s+of|this|effective|agreement|contract)\b"
    r"[^.;]{0,60}$", I)
_SOURCE = re.compile(r"\bsource\s*:", I)  # EDGAR footers: "Source: COMPANY, 10-K, 3/3/2017" date the filing
_SIGNATURE_CUE = re.compile(r"\b(?:dated?|signed|by|name|title)\s*:|\bin\s+witness\s+whereof\b|/s/|\bsignature\b|"
                            r"\bplace\s+(?:and\s+)?date\b", I)
_EFFECT_CUE = re.compile(r"\beffective|\btakes?\s+effect|\benter\w*\s+into\s+(?:force|effect)|\bcommenc\w*", I)
_REFERENCE = re.compile(
    r"date\s+(?:first\s+)?(?:written|set\s+forth|stated|mentioned|indicated|shown)\s+(?:above|herein)"
    r"|(?P<below>(?:later\s+of\s+the\s+)?dates?\s+(?:\w+\s+){0,2}?(?:written|set\s+forth|stated|shown|provided)\s+(?:for\s+)?"
    r"(?:below|on\s+the\s+signature\s+page))"
    r"|date\s+hereof|date\s+of\s+this\s+(?:agreement|contract)|(?P<signed>(?:execution|signature|signing)\s+dates?"
    r"|date\s+(?:of|on\s+which)\s+(?:\w+\s+){0,2}?(?:execution|signature|signing|sign\w*)|last\s+(?:\w+\s+){0,3}?"
    r"(?:sign|execut)\w*|signatures?|fully\s+executed|(?:is|are|was|been|has)\s+(?:duly\s+)?(?:signed|executed)"
    r"|signed\s+by\s+both)", I)
_DAY_AFTER = re.compile(r"\bday\s+(?:after|following)\b", I)
# Where an agreement says when it takes effect, so a date or a reference may follow.
_EFFECT_CLAUSE = re.compile(
    r'(?:effective|commencement)\s*date"?\)?\s*(?:[\w,]+\s+){0,5}?(?:means?|is|shall\s+(?:be|mean)|:)|(?:shall|will|to)\s+'
    r"(?:be(?:come)?\s+)?effective|\bis\s+(?:made\s+)?(?:and\s+)?effective|\btakes?\s+effect|\benter\w*\s+into\s+(?:force|effect)|"
    r"\beffective\s+(?:as\s+of|on|from|upon|beginning)|\b(?:shall|will)\s+commence\s+(?:on|upon)", I)


def _dates(sentence: Sentence) -> list[DateSpan]:
    """The dates of a sentence, without the filing dates of EDGAR footers."""
    return [span for span in find_dates(sentence.text)
            if not _SOURCE.search(sentence.text[max(0, span.start - 70): span.start])]


def _last(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """The last match of ``pattern`` in ``text``."""
    found = None
    for found in pattern.finditer(text):  # noqa: B007 - the loop keeps the last one
        pass
    return found


def _in_head(sentence: Sentence, sentences: list[Sentence]) -> bool:
    return sentence.start < HEAD or sentence.index < max(25, len(sentences) // 10)


def _effective(sentences: list[Sentence]) -> tuple[Finding | None, Finding | None, Sentence | None]:
    """(a date labelled as the effective date, a date the agreement says it starts on, a definition without one)."""
    labelled = starts = None
    reference: Sentence | None = None
    for sentence in sentences:
        cover = sentence.index > 0 and sentences[sentence.index - 1].lower.endswith("effective date")
        if not (cover or _EFFECT_CUE.search(sentence.text) or "start" in sentence.lower or "begin" in sentence.lower):
            continue
        spans = _dates(sentence)
        for span in spans:
            before = sentence.text[max(0, span.start - 110): span.start]
            if span.start < 3 and sentence.index:  # a cover page: "EFFECTIVE DATE" on the line before the date
                before = sentences[sentence.index - 1].text[-80:] + " " + before
            after = sentence.text[span.end: span.end + 70]
            if labelled is None and (_LABEL_AFTER.match(after) or _LABEL_BEFORE.search(before)):
                confidence = 0.95 if _in_head(sentence, sentences) else 0.8
                labelled = Finding(span.day, evidence_of(sentence, confidence, span.start))
            elif starts is None and (verb := _VERB_BEFORE.search(before[-70:])):
                clause = sentence.text[max(0, span.start - 160): span.start - len(verb.group())]
                subject = _last(_THIS_SUBJECT, clause)
                # "Signed and effective this 25th day of May, 1999."; a cover page's "DATED EFFECTIVE AS OF".
                opening = len(clause.strip()) <= 15 or bool(re.search(r"\bdated\s*$", clause, I))
                if opening or (subject and len(clause) - subject.end() <= 70
                               and not _OTHER_AGREEMENT.search(clause[subject.start():])):
                    starts = Finding(span.day, evidence_of(sentence, 0.85, span.start))
        if reference is None and not spans and _defines_by_reference(sentence.text):
            reference = sentence
        if labelled is not None and (labelled.evidence.confidence > 0.9 or reference is not None):
            break
    return labelled, starts, reference


def _defines_by_reference(text: str) -> bool:
    """Whether the sentence says the agreement takes effect on a date given elsewhere ("the date hereof")."""
    for clause in _EFFECT_CLAUSE.finditer(text):
        reference = _REFERENCE.search(text, clause.end(), clause.end() + 120)
        if reference and ("date" in clause.group().lower()
                          or _THIS_SUBJECT.search(text[max(0, clause.start() - 120): clause.end()] + " ")):
            return True
    return False


def signature_dates(sentences: list[Sentence]) -> list[Finding]:
    """Dates in the signature blocks at the end of the document, in order."""
    found = []
    for sentence in sentences:
        if _SIGNATURE_CUE.search(sentence.text):
            found += [Finding(span.day, evidence_of(sentence, 0.6, span.start)) for span in _dates(sentence)]
    return found


def agreement_date(sentences: list[Sentence]) -> Finding | None:
    """The date the agreement is made or dated, from its preamble; else the first date there or a signature date."""
    head = [s for s in sentences if s.start < HEAD][:40]
    for sentence in head:
        for span in _dates(sentence):
            if _AGREEMENT_DATE.search(sentence.text[max(0, span.start - 80): span.start]):
                return Finding(span.day, evidence_of(sentence, 0.8, span.start))
    for sentence in head:
        for span in _dates(sentence):
            return Finding(span.day, evidence_of(sentence, 0.5, span.start))
    signed = signature_dates(sentences)
    if signed:
        last = max(signed, key=lambda finding: finding.value)
        return Finding(last.value, last.evidence.weaker(0.45, "the date of the last signature"))
    return None


def find_start(sentences: list[Sentence]) -> tuple[Finding | None, list[str]]:
    """The effective date; the agreement date when no effective date is stated (and a warning saying so)."""
    labelled, starts, reference = _effective(sentences)
    if labelled is not None and (labelled.evidence.confidence > 0.9 or reference is None):
        return labelled, []
    if reference is not None:
        resolved = _resolve_reference(sentences, reference)
        if resolved is not None:
            return resolved, []
    if labelled is not None:
        return labelled, []
    if starts is not None:
        return starts, []
    agreed = agreement_date(sentences)
    if agreed is not None:
        note = agreed.evidence.note or "no effective date stated: the agreement date"
        return Finding(agreed.value, agreed.evidence.weaker(0.75, note)), []
    return None, ["start: no effective or agreement date found"]


def _resolve_reference(sentences: list[Sentence], reference: Sentence) -> Finding | None:
    """The date an effective-date definition points to: the agreement's date, or its last signature."""
    clause = _EFFECT_CLAUSE.search(reference.text)
    match = _REFERENCE.search(reference.text, clause.end() if clause else 0)
    if match is None:
        return None
    day: date | None = None
    if match.group("signed") or match.group("below"):
        signed = signature_dates(sentences)
        if signed:
            day = max(finding.value for finding in signed)
            what = f"the {match.group(0)}: the last signature date"
    if day is None:
        agreed = agreement_date(sentences)
        if agreed is None:
            return None
        day, what = agreed.value, f"the {match.group(0)}: the agreement date"
    if _DAY_AFTER.search(reference.text[max(0, match.start() - 40): match.start()]):
        day, what = day + ONE_DAY, f"the day after {what}"
    return Finding(day, evidence_of(reference, 0.7, match.start(), f"resolved: the Effective Date is {what} ({day})"))


# --- the term --------------------------------------------------------------------------------------

_TERM_CUE = re.compile(
    r"\b(?:initial\s+(?:term|period)|term\s+of\s+(?:this|the)\s+(?:agreement|contract)|the\s+(?:[\w-]+\s+)?term\b|\"term\"|"
    r"\b(?:contract|agreement|license|licence|service|subscription)\s+(?:period|term)\b|\bterm\s+of\s+\w+|this\s+"
    r"(?:agreement|contract|amendment)\b.{0,160}?\b(?:shall|will|is\s+to)\s+(?:\w+\s+){0,3}?(?:continue|remain|"
    r"expire|terminate|end|be\s+(?:in\s+(?:full\s+)?(?:force|effect)|valid|effective)|have\s+a\s+(?:term|duration)|"
    r"be\s+for|run|conclude|last))|\bremain\s+(?:valid|in\s+(?:full\s+)?(?:force|effect))|\bcontinue\s+in\s+(?:full\s+)?"
    r"(?:force|effect)|\bhave\s+a\s+(?:term|duration)\b|\b(?:continue|remain)\s+(?:\w+\s+){0,3}?(?:for|until)\b", I)
# A duration is the term's when the words before it say so: "for a period of", "term of", "shall be", "until".
_DURATION_ATTACHED = re.compile(
    r"\b(?:for|of|be|is|are|last|lasting|until|ending|end|expire|expiring|terminate|terminating)\s+(?:a\s+|an\s+|the\s+)?"
    r"(?:(?:initial|fixed|further|primary|firm|minimum|total|original)\s+)?(?:(?:term|period|duration)\s+(?:of\s+)?)?"
    r"(?:the\s+(?:earlier|later)\s+of\s+)?(?:\(\w+\)\s*)?$", I)
_END_SUBJECT = re.compile(
    r"\b(?:this|the)\s+(?:[\w-]+\s+){0,3}?(?:agreement|contract|term|period|amendment)\b|\"(?:[\w\s]+\s)?(?:term|period)\""
    r"|\b(?:expiration|expiry|termination)\s+date\b|\bterm\b", I)
# Words that make a duration or date about something else than the agreement's own term.
_TERM_AVOID = re.compile(
    r"surviv|confidential|non-?compet|non-?solicit|warrant|indemn|royalt|insurance|invoice|\bpaid\b|\bpay\b|"
    r"(?:after|following|upon)\s+(?:the\s+)?(?:termination|expiration|expiry)|post-term|statute\s+of\s+limitation|"
    r"\bpatent\b|\bretain\b|\brecords\b|\bbond\b|during\s+the\s+term", I)
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
    r'(?:expiration|expiry|termination|end)\s+date"?\)?\s*(?:shall\s+)?(?:means?|is|:)\s*$|'
    r"\b(?:until|through|thru|to\s+and\s+including|ending|end|expir\w*|terminat\w*|conclud\w*|to)\s+(?:on\s+)?"
    r"(?:the\s+(?:earlier|later|first)\s+(?:of|to\s+occur\s+of)\s*:?\s*(?:\(\w+\)\s*)?)?"
    r"(?:and\s+including\s+)?(?:the\s+)?(?:close\s+of\s+business\s+on\s+)?(?:midnight\s+on\s+)?$", I)
_ANNIVERSARY = re.compile(
    rf"\b(?:until|through|expire\w*\s+on|terminate\w*\s+on|end\w*\s+on|ending\s+(?:on|with)|end\s+(?:on|with)|"
    rf"expire\w*|terminate\w*|prior\s+to)\s+(?:[\w()]+\s+){{0,4}}?the\s+"
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


# --- the initial term ------------------------------------------------------------------------------


def _term_score(text: str, at: int) -> int:
    """How surely the value at ``at`` is the agreement's initial term, from the words around it."""
    around = text[max(0, at - 200): at + 80].lower()
    before = text[max(0, at - 80): at].lower()
    score = 1
    if "initial term" in around or "initial period" in around or '"term"' in around:
        score += 3
    if re.search(r"\bterm of (?:this|the) (?:agreement|contract)\b", around):
        score += 2
    if re.search(r"\bthis (?:agreement|contract)\b|\bthe term\b", around):
        score += 1
    if re.search(r"\b(?:renew|extend|extension)", before):
        score -= 2
    return score


def _avoided(text: str, start: int, end: int) -> bool:
    """Whether the words around [start, end) tie the value to something else (a warranty, a survival period)."""
    return bool(_TERM_AVOID.search(text[max(0, start - 90): end + 60]))


def _duration_candidates(sentence: Sentence) -> list[Span]:
    text = sentence.text
    found = []
    for span in find_durations(text):
        # An initial term shorter than four weeks is not one (it is a cure period or a meeting's length).
        if span.duration.is_business or span.duration.approx_days() < 28 or _avoided(text, span.start, span.end):
            continue
        if _BEFORE_DURATION_AVOID.search(text[max(0, span.start - 40): span.start]):
            continue
        if _AFTER_DURATION_AVOID.match(text[span.end: span.end + 50]):
            continue
        anchored = _START_ANCHOR.match(text[span.end: span.end + 120])
        if not (_DURATION_ATTACHED.search(text[max(0, span.start - 60): span.start])
                or (anchored and _is_start_anchor(anchored.group("anchor")))):
            continue
        found.append(span)
    return found


def _end_candidates(sentence: Sentence) -> list[DateSpan]:
    """Dates the agreement's term ends on: after "until", "expire on"..., with the agreement or its term named."""
    text = sentence.text
    return [span for span in _dates(sentence)
            if _END_BEFORE.search(text[max(0, span.start - 60): span.start])
            and _END_SUBJECT.search(text[max(0, span.start - 250): span.start])
            and not _avoided(text, span.start, span.end)]


def find_term(sentences: list[Sentence], start: date | None) -> tuple[Finding | None, Finding | None, list[str]]:
    """(term, end) of the initial term: at most one is set; the warnings say what could not be resolved."""
    best: tuple[int, int, Finding, str] | None = None  # (score, -index, finding, field)
    evergreen: Sentence | None = None
    warnings: list[str] = []
    for sentence in sentences:
        if not _TERM_CUE.search(sentence.text):
            continue
        for finding, field_name, bonus, at in _term_findings(sentence, start):
            key = (_term_score(sentence.text, at) + bonus, -sentence.index)
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


def _term_findings(sentence: Sentence, start: date | None) -> list[tuple[Finding, str, int, int]]:
    """Each (finding, "term" | "end", bonus, where) one term sentence offers."""
    text = sentence.text
    results: list[tuple[Finding, str, int, int]] = []
    ends = [span for span in _end_candidates(sentence) if start is None or span.day > start]
    durations = _duration_candidates(sentence)
    if ends:
        end = ends[0]
        # A stated term that ends on the stated date is kept as the term, in the contract's unit.
        for span in durations:
            if start is not None and abs((shift(start, span.duration) - ONE_DAY - end.day).days) <= 1:
                return [(Finding(span.duration, evidence_of(sentence, 0.9, span.start)), "term", 2, span.start)]
        results.append((Finding(end.day, evidence_of(sentence, 0.9, end.start)), "end", 2, end.start))
    for match in _ANNIVERSARY.finditer(text):
        years = ordinal_to_int(match.group("ordinal"))
        if years and 0 < years <= 100 and not _avoided(text, match.start(), match.end()):
            anchor = match.group("anchor")
            confidence = 0.85 if _is_start_anchor(anchor) else 0.45
            note = f"resolved: the {match.group('ordinal')} anniversary of the {anchor} = a term of {years} years"
            if not _is_start_anchor(anchor):
                note += f" (the {anchor} is not dated: assumed the start)"
            results.append((Finding(Duration(years, "years"), evidence_of(sentence, confidence, match.start(), note)),
                            "term", 1, match.start()))
    for span in durations[:1]:
        confidence, relative = _relative_note(span, text[span.end: span.end + 120], start)
        results.append((Finding(span.duration, evidence_of(sentence, confidence, span.start, relative)), "term", 0,
                        span.start))
    return results


def _relative_note(span: Span, after: str, start: date | None) -> tuple[float, str | None]:
    """How sure a term is, and what it runs from when the sentence says ("from the Launch Date")."""
    anchor = _START_ANCHOR.match(after)
    if anchor and _is_start_anchor(anchor.group("anchor")):
        note = f"resolved: {span.duration} from the {anchor.group('anchor')}"
        if start is not None:
            note += f" ({start} + {span.duration} - 1 day = {shift(start, span.duration) - ONE_DAY})"
        return 0.8, note
    event = _EVENT_ANCHOR.match(after)
    what = anchor.group("anchor") if anchor else event.group("event").strip() if event else None
    if what:
        return 0.45, f"runs {span.duration} from the {what}, which the contract does not date: assumed the start"
    return 0.8, None


def end_of(start: date, term: Duration | None, end: date | None) -> date | None:
    """The last day of the initial term (inclusive), as the tracker computes it."""
    if end is not None:
        return end
    if term is None:
        return None
    return shift(start, term) - timedelta(days=1)
