"""Renewal and notice: ``auto_renew``, ``renewal_term``, ``notice`` (to prevent a renewal) and ``termination_notice``.

Pure. The notice that stops a renewal is tied to a term's end ("at least 90 days prior to the end of the
then-current term", "unless either party gives 60 days' notice of non-renewal"); a right to terminate at
any time ("for convenience", "without cause") on notice is a termination notice, never the renewal notice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.domain.durations import Duration
from tracker.services.extract.model import Finding, evidence_of
from tracker.services.extract.numbers import Span, find_durations
from tracker.services.extract.text import Sentence

I = re.IGNORECASE  # noqa: E741 - the flag, used in every pattern here

_AUTO = re.compile(
    r"automatic(?:ally)?[\s,]+(?:and\s+\w+\s+)?(?:be\s+)?(?:renew|extend|continu|roll)|(?:renew|extend|continu)(?:e|ed|es|s)?"
    r"\s+(?:itself\s+)?(?:automatically|tacitly)|automatic\s+(?:\w+\s+){0,2}?(?:renewal|extension)s?\b|evergreen|"
    r"tacit(?:ly)?\s+renew|deemed\s+(?:to\s+(?:have\s+been|be)\s+)?"
    r"(?:renewed|extended)", I)
_ROLLING = re.compile(
    r"\b(?:from\s+|on\s+a\s+)?(?P<period>year|month|quarter|week)[\s-]+to[\s-]+(?P=period)\b"
    r"|\b(?:renew|extend|continu)\w*\s+(?:\w+\s+){0,3}?on\s+an?\s+(?P<every>annual|yearly|monthly|quarterly)\s+basis"
    r"|\bfor\s+(?:one\s+or\s+more\s+)?(?:(?:successive|additional|consecutive|subsequent|further)\s+)*(?P<every2>annual|"
    r"yearly|monthly|quarterly)\s+(?:periods?|terms?|renewals?|increments?)|\b(?P<every3>annual|yearly|monthly|quarterly)"
    r"\s+renewals?|\b(?:renew|extend|continu)\w*\s+(?:\w+\s+){0,2}?every\s+(?P<every4>year|month|quarter)\b",
    I)
# "shall be renewed for successive one year periods unless ..." renews without any act: automatic.
_RENEWS = re.compile(
    r"\b(?P<modal>shall|will|to|may)\s+(?:thereafter\s+|then\s+)?(?:automatically\s+)?(?:be\s+)?(?:(?P<renew>renew(?:ed)?|"
    r"extend(?:ed)?)|continue[ds]?)\s+(?:thereafter\s+|automatically\s+)?(?:for|on|from)\s+(?:an?\s+|one\s+or\s+more\s+|"
    r"each\s+)?(?:(?:successive|additional|consecutive|subsequent|further|another|renewal|annual|yearly|monthly)\b|"
    r"(?(renew)\w+[\s-]+(?:\(\w+\)\s*)?(?:year|month)|(?!)))", I)
_UNLESS = re.compile(r"\bunless\b(?!\s+(?:sooner|earlier|otherwise|previously|terminated\s+(?:earlier|sooner)|"
                     r"extended|renewed))", I)
_RENEW_WORD = re.compile(r"\b(?:renew|extend|extension|continu)\w*|\b(?:year|month)[\s-]+to[\s-]+(?:year|month)\b", I)
_NEGATED = re.compile(r"\b(?:not|no|never|neither)\b[^.;]{0,25}\b(?:automatic|renew|extend)", I)
_OPTION = re.compile(
    r"\boptions?\s+to\s+(?:renew|extend|continue)|\bat\s+(?:\w+'?s?\s+){0,2}?(?:sole\s+)?(?:option|discretion|election)\b|"
    r"\bmay\b[^.;]{0,160}?\b(?:renew|extend)\s+(?:this|the)\s+(?:agreement|term)|\bmay,?\s+(?:at\s+its\s+(?:sole\s+)?(?:option|discretion),?\s+)?"
    r"(?:renew|extend)|\bmay\s+be\s+(?:renewed|extended)|\bright\s+to\s+(?:renew|extend)|\brenewable\b"
    r"|\bmutual(?:ly)?\b.{0,60}\b(?:renew|extend)|\b(?:renew|extend)\w*\b.{0,100}\b(?:mutual(?:ly)?|by\s+(?:written\s+)?"
    r"agreement\s+of|if\s+(?:both\s+)?(?:parties|the\s+parties)\s+(?:so\s+)?agree|upon\s+(?:the\s+)?(?:mutual\s+)?"
    r"written\s+agreement|if\s+(?:so\s+)?agreed|agreed\s+(?:upon\s+)?(?:to\s+)?(?:in\s+writing\s+)?by\s+(?:both|the|all)\s+"
    r"parties|parties\s+(?:mutually\s+|expressly\s+)?agree)|\belect(?:s)?\s+to\s+(?:renew|extend)", I)
# "If the Customer notifies its intent to renew, the term shall automatically be extended": an option after all.
_IF_ELECTED = re.compile(r"\bif\b[^.;]{0,150}\b(?:notif\w*|elect\w*|exercis\w*|request\w*|agree\w*)\b[^.;]{0,80}"
                         r"\b(?:renew|extend)", I)
_SAME_TERM = re.compile(
    r"\b(?:renew|extend)\w*\s+(?:\w+\s+){0,4}?for\s+(?:an?\s+)?(?:the\s+same|like|equal|identical|similar)\s+"
    r"(?:period|term|duration)", I)
_SUBJECT = re.compile(r"\b(?:this|the)\s+(?:\w+\s+){0,2}?(?:agreement|contract|term|period)\b|\binitial\s+term\b", I)
_OTHER_SUBJECT = re.compile(r"\b(?:lease|warranty|insurance|policy|polic(?:y|ies)|time\s+periods?|deadlines?|delay|"
                            r"time\s+lost|purchase\s+order|"
                            r"statement\s+of\s+work|letter\s+of\s+credit|guarantee|bond|license\s+key|meaning|"
                            r"ascribed|defined|\[)", I)
_AGREEMENT = re.compile(r"\b(?:agreement|contract|term|period|license|licence|appointment|arrangement)\b", I)
_RENEWAL_BEFORE = re.compile(
    r"(?:renew\w*|extend\w*|extension|continu\w*|successive|additional|consecutive|subsequent|further|another|"
    r"like|periods?|terms?|for|of|an?)\W+(?:\w+\W+){0,3}$", I)
_NOTICE_BEFORE = re.compile(
    r"(?:within|at\s+least|not\s+less\s+than|no\s+(?:less|later)\s+than|minimum\s+of|upon|giving|given|with|"
    r"provides?|by|least|notice\s+of|than)\W*$", I)
_NOTICE_AFTER = re.compile(
    r"^\W*(?:'s|s')?\s*(?:(?:prior|advance|written|calendar|or\s+more|or\s+longer|in\s+writing|of)\s+)*(?:prior|before|"
    r"in\s+advance|advance|notice|notif\w*|written|preceding|ahead|following\s+(?:the\s+)?(?:renewal\s+)?notice)\b", I)
_NOTICE_CUE = re.compile(r"\bnotic\w*|\bnotif\w*|\bin\s+writing\b|\bwritten\b|\bterminat\w*|\bcancel\w*", I)
_TERM_END = re.compile(
    r"\b(?:prior\s+to|before|in\s+advance\s+of|preceding|ahead\s+of|of)\s+(?:the\s+)?(?:\w+\s+){0,4}?(?:end|"
    r"expir\w*|anniversary|renewal(?:\s+date)?|termination\s+date|conclusion|close)\b|\bthen[\s-]+current\b|"
    r"\bexpir(?:y|ation)\s+(?:date|of)|\brenewal\s+(?:date|term|period)\b|\binitial\s+term\b", I)
_END_OF_TERM = re.compile(
    r"\b(?:prior\s+to|before|in\s+advance\s+of|preceding|ahead\s+of)\s+(?:the\s+)?(?:scheduled\s+)?(?:end|expir\w*|"
    r"anniversary|conclusion)(?:\s+date)?\s+of\s+(?:the\s+|this\s+|such\s+|any\s+|each\s+|a\s+|its\s+)?(?:\w+[\s-]+){0,3}?"
    r"(?:term|period|agreement|year|renewals?)\b", I)
_NON_RENEWAL = re.compile(
    r"non-?\s?renewal|not\s+to\s+(?:renew|extend)|(?:intention|intent|election|decision|desire|wish\w*)\s+not\s+to\s+"
    r"(?:renew|extend)|elect\w*\s+not\s+to\s+(?:renew|extend|continue)|(?:shall|will|should)\s+not\s+(?:be\s+)?(?:renewed|"
    r"extended)|prevent\s+"
    r"(?:the\s+)?(?:automatic\s+)?renewal|cancel\w*\s+(?:the\s+)?(?:automatic\s+)?renewal", I)
# "may cancel this Agreement at the end of the Initial Term" on notice: a notice that stops the next renewal.
_END_CANCEL = re.compile(
    r"\b(?:terminat|cancel)\w*\s+(?:this\s+(?:agreement|contract)\s+)?(?:\w+\s+){0,4}?(?:at|as\s+of|effective\s+"
    r"(?:as\s+of\s+)?|upon|on)\s+the\s+(?:end|expiration|expiry)\s+of\s+(?:the\s+)?(?:initial|then[\s-]current|current|any|"
    r"each|a|such)\b", I)
_CONVENIENCE = re.compile(
    r"\bterminat\w*\b.{0,120}?\b(?:for\s+(?:its\s+)?convenience|without\s+(?:cause|reason)|for\s+any\s+(?:or\s+no\s+)?"
    r"reason|at\s+any\s+time|with\s+or\s+without\s+cause|in\s+its\s+(?:sole\s+)?discretion|for\s+no\s+reason|"
    r"for\s+non-?cause)|\buntil\s+terminated\s+by\s+(?:either|any|a|one|the\s+other)\s+part(?:y|ies)\s+(?:\w+\s+){0,3}?"
    r"(?:upon|on|by|with)\b|\b(?:may|shall\s+have\s+the\s+right\s+to|is\s+entitled\s+to|can)\s+(?:\w+\s+){0,3}?"
    r"terminat\w*\s+(?:this\s+(?:agreement|contract)\s+)?(?:\w+\s+){0,6}?(?:upon|on|by|with)\s+(?:giving\s+)?(?:at\s+"
    r"least\s+|not\s+less\s+than\s+)?(?:\w+\s+){0,3}?(?:\(\d+\)\s+)?(?:calendar\s+)?(?:days|months|weeks)", I)
_FAULT = re.compile(
    r"\bbreach|\bdefault|insolv|bankrupt|\bcure|\bfail(?:s|ed|ure)?\b|change\s+of\s+control|force\s+majeure|"
    r"\bviolat|receiver|liquidat|\bmaterial(?:ly)?\b|non-?payment|\bwind(?:ing)?\s+up|act\s+of\s+god|"
    r"beyond\s+(?:its|the|such\s+party's)\s+(?:reasonable\s+)?control", I)


_ONE_MORE = re.compile(r"\b(?:an?|one)?\s*(?:additional|further|extra|more)\s+(?P<unit>year|month)\b", I)


@dataclass
class Renewal:
    """What the contract says about renewing: automatic or an option, for how long, and on what notice."""

    auto_renew: Finding | None = None
    renewal_term: Finding | None = None
    notice: Finding | None = None
    termination_notice: Finding | None = None
    option: bool = False


def _renewal_duration(sentence: Sentence, cue_at: int) -> Span | None:
    """The renewal's length: the first duration after the renewal words that is not a notice period.

    A duration before the renewal words counts only when renewal words announce it ("for successive
    one-year terms, this Agreement renews"); otherwise it is the initial term, named in the same sentence.
    """
    text = sentence.text
    for span in find_durations(text):
        if span.duration.is_business or (span.duration.unit == "days" and span.duration.amount < 28):
            continue
        before = text[max(0, span.start - 50): span.start]
        if span.start < cue_at and not re.search(r"(?:successive|additional|consecutive|subsequent|renewal|further)"
                                                 r"\W+(?:\w+\W+){0,2}$", before, I):
            continue
        if _NOTICE_BEFORE.search(before) and not _RENEWAL_BEFORE.search(before):
            continue
        if _NOTICE_AFTER.match(text[span.end: span.end + 40]):
            continue
        if re.search(r"\binitial\s+(?:\w+\s+){0,2}$", before, I) or re.match(r"\W*(?:\w+\s+){0,1}initial\b",
                                                                               text[span.end: span.end + 25], I):
            continue  # the initial term, named again in the renewal sentence
        return span
    return None


def _rolling_duration(match: re.Match[str]) -> Duration:
    word = next((group for group in match.groups() if group and group.isalpha()), "year").lower()
    if word.startswith(("year", "annual")):
        return Duration(1, "years")
    if word.startswith("quarter"):
        return Duration(3, "months")
    if word.startswith("week"):
        return Duration(1, "weeks")
    return Duration(1, "months")


def _notice_span(sentence: Sentence, exclude: Span | None, strict: bool = False, within: tuple[int, int] | None = None
                 ) -> Span | None:
    """The duration a notice is given ahead by: "at least sixty (60) days prior", "90 days' written notice"."""
    text = sentence.text
    for span in find_durations(text):
        if within is not None and not within[0] <= span.start < within[1]:
            continue
        if exclude is not None and span.start == exclude.start:
            continue
        before = text[max(0, span.start - 60): span.start]
        after = text[span.end: span.end + 60]
        if re.match(r"\W*(?:\w+\s+){0,2}?(?:after|following|from)\s+(?:the\s+)?(?:receipt|date\s+of\s+(?:such\s+)?"
                    r"notice|notice|delivery|written\s+notice)", after, I):
            continue  # a period running after a notice, not the notice period
        if _NOTICE_AFTER.match(after) or re.search(r"notice\s+(?:[\w:,'-]+\s+){0,8}?(?:of\s+)?(?:at\s+least\s+|not\s+"
                                                   r"less\s+than\s+|a\s+minimum\s+of\s+)?$", before, I):
            return span
        if not strict and _NOTICE_BEFORE.search(before) and _NOTICE_CUE.search(text):
            return span
    return None


def _renewal_kind(sentence: Sentence) -> tuple[bool, int, int] | None:
    """(automatic, where the renewal words are, rank) for a sentence renewing the agreement; None otherwise."""
    text = sentence.text
    if not _RENEW_WORD.search(text) or not (_AGREEMENT.search(text) or _AUTO.search(text)):
        return None
    automatic: bool | None = None
    cue = _AUTO.search(text) or _ROLLING.search(text)
    if cue and not _NEGATED.search(text[max(0, cue.start() - 30): cue.end()]):
        # "renewable on an annual basis" is a possibility, not an automatic renewal.
        optional = not _AUTO.search(text) and _OPTION.search(text)
        automatic = not (_IF_ELECTED.search(text[: cue.start()]) or optional)
    elif renews := _RENEWS.search(text):
        # "shall renew for successive ..." renews by itself; "may be renewed" only when a notice can stop it.
        before = text[: renews.start()]
        if renews.group("modal").lower() == "may" and not _UNLESS.search(text, renews.end()):
            cue, automatic = renews, False
        else:
            cue, automatic = renews, not (_IF_ELECTED.search(before) or _OPTION.search(text))
            if not automatic and _UNLESS.search(text, renews.end()):
                automatic = True
    elif (option := _OPTION.search(text)) and re.search(r"\b(?:renew|extend|continu)\w*", option.group(), I):
        cue, automatic = option, False
    if cue is None or automatic is None:
        return None
    rank = 2 if _AUTO.search(text) else 1
    if _SUBJECT.search(text[max(0, cue.start() - 150): cue.end() + 40]):
        rank += 2
    if _OTHER_SUBJECT.search(text[max(0, cue.start() - 60): cue.start()]):
        rank -= 3
    if find_durations(text[cue.start():]) or _ROLLING.search(text) or _ONE_MORE.search(text, cue.start()):
        rank += 1
    elif not automatic:
        return None  # "unless extended by written agreement": no renewal term to propose
    return automatic, cue.start(), rank


def find_renewal(sentences: list[Sentence], term: Duration | None) -> tuple[Renewal, list[str]]:
    """The renewal, its notice and any termination-for-convenience notice the sentences state."""
    found = Renewal()
    warnings: list[str] = []
    best: dict[bool, tuple[int, int, Sentence, int]] = {}  # automatic -> (rank, -index, sentence, cue)
    for sentence in sentences:
        kind = _renewal_kind(sentence)
        if kind is None:
            continue
        automatic, cue_at, rank = kind
        key = (rank, -sentence.index)
        if automatic not in best or key > best[automatic][:2]:
            best[automatic] = (rank, -sentence.index, sentence, cue_at)
    auto_sentence: Sentence | None = None
    renewal_span: Span | None = None
    if True in best and best[True][0] > 0:
        _, _, auto_sentence, cue_at = best[True]
        confidence = 0.9 if _AUTO.search(auto_sentence.text) else 0.75
        found.auto_renew = Finding(True, evidence_of(auto_sentence, confidence, cue_at))
        renewal_span = _renewal_term(found, auto_sentence, cue_at, term)
    elif False in best and best[False][0] > 0:
        _, _, option_sentence, cue_at = best[False]
        _renewal_term(found, option_sentence, cue_at, term, confidence=0.6)
        found.option = True
        warnings.append("auto_renew: the contract grants an option to renew, not an automatic renewal: "
                        f"\"{option_sentence.text[:200]}\"")
    _find_notice(found, sentences, auto_sentence, renewal_span)
    if found.auto_renew is None and found.notice is not None:
        # Notice of non-renewal implies the contract renews unless it is given.
        found.auto_renew = Finding(True, found.notice.evidence.weaker(0.7, "a notice of non-renewal implies renewal"))
        found.option = False
    _find_termination(found, sentences)
    return found, warnings


def _renewal_term(found: Renewal, sentence: Sentence, cue_at: int, term: Duration | None,
                  confidence: float = 0.85) -> Span | None:
    span = _renewal_duration(sentence, cue_at)
    rolling = _ROLLING.search(sentence.text)
    if span is not None and (rolling is None or span.start < rolling.start() + 80):
        found.renewal_term = Finding(span.duration, evidence_of(sentence, confidence, span.start))
        return span
    if rolling is not None:
        found.renewal_term = Finding(_rolling_duration(rolling), evidence_of(sentence, confidence, rolling.start()))
    elif more := _ONE_MORE.search(sentence.text, cue_at):
        one = Duration(1, "years") if more.group("unit").lower() == "year" else Duration(1, "months")
        found.renewal_term = Finding(one, evidence_of(sentence, confidence, more.start()))
    elif _SAME_TERM.search(sentence.text) and term is not None:
        note = f"resolved: renews for the same period as the initial term ({term})"
        found.renewal_term = Finding(term, evidence_of(sentence, confidence - 0.1, note=note))
    return None


def _noticed(sentence: Sentence) -> bool:
    """A cheap first look: only sentences about notice, renewal or ending the agreement are read closely."""
    lower = sentence.lower
    return any(word in lower for word in ("notic", "notif", "renew", "terminat", "cancel", "writing"))


def _find_notice(found: Renewal, sentences: list[Sentence], auto_sentence: Sentence | None,
                 renewal_span: Span | None) -> None:
    """The notice that prevents a renewal: in the renewal sentence or near it, else where non-renewal is named."""
    relevant = [s for s in sentences if _noticed(s)]
    candidates: list[tuple[Sentence, float]] = []
    if auto_sentence is not None:
        near = sentences[max(0, auto_sentence.index - 1): auto_sentence.index + 4]
        candidates.append((auto_sentence, 0.9))
        candidates += [(s, 0.75) for s in near if s is not auto_sentence and _TERM_END.search(s.text)
                       and _NOTICE_CUE.search(s.text) and not _FAULT.search(s.text)]
    candidates += [(s, 0.8) for s in relevant if (_NON_RENEWAL.search(s.text) or _END_CANCEL.search(s.text))
                   and not _FAULT.search(s.text)]
    if auto_sentence is not None:
        candidates += [(s, 0.65) for s in relevant if _RENEW_WORD.search(s.text) and _TERM_END.search(s.text)
                       and _NOTICE_CUE.search(s.text) and not _FAULT.search(s.text)]
        candidates += [(s, 0.6) for s in relevant if _END_OF_TERM.search(s.text) and _NOTICE_CUE.search(s.text)
                       and not _FAULT.search(s.text)]
    for sentence, confidence in candidates:
        exclude = renewal_span if sentence is auto_sentence else None
        span = _notice_span(sentence, exclude)
        if span is None:
            continue
        tied = bool(_NON_RENEWAL.search(sentence.text) or _END_CANCEL.search(sentence.text)
                    or _END_OF_TERM.search(sentence.text))
        if sentence is not auto_sentence and not (tied or _TERM_END.search(sentence.text)):
            continue
        if sentence is not auto_sentence and not tied and _CONVENIENCE.search(sentence.text):
            continue  # a right to terminate at any time is a termination notice, whatever term it names
        if span.duration.unit == "years" and span.duration.amount > 2:
            continue  # years ahead is an option's exercise window, not a notice period
        found.notice = Finding(span.duration, evidence_of(sentence, confidence, span.start))
        return


_CLAUSE_BREAK = re.compile(r"[.;:]\s+(?:\(?[a-z0-9]{1,4}[.)]\s+)?(?=[A-Z(\[])|\s\([a-z0-9]{1,4}\)\s")


def _clause(text: str, start: int, end: int) -> tuple[int, int]:
    """The [begin, end) of the clause holding text[start:end]: from the break before it to the break after it."""
    begin = 0
    for mark in _CLAUSE_BREAK.finditer(text, max(0, start - 200), start):
        begin = mark.end()
    after = _CLAUSE_BREAK.search(text, end)
    return begin, after.start() if after else len(text)


def _find_termination(found: Renewal, sentences: list[Sentence]) -> None:
    """A right to end the contract at any time on notice: ``termination_notice``."""
    notice_at = found.notice.evidence.offset if found.notice else None
    for sentence in sentences:
        if "terminat" not in sentence.lower or sentence.start == notice_at or _NON_RENEWAL.search(sentence.text):
            continue
        for right in _CONVENIENCE.finditer(sentence.text):
            # The clause around the right, not the whole sentence: a list of rights may name a breach elsewhere.
            begin, end = _clause(sentence.text, right.start(), right.end())
            if _FAULT.search(sentence.text[begin: end]):
                continue
            span = _notice_span(sentence, None, strict=True, within=(begin, end))
            if span is not None:
                found.termination_notice = Finding(span.duration, evidence_of(sentence, 0.75, span.start))
                return
