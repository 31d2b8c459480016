"""The contract's value and currency, where the contract states a total or annual price.

Pure. Only amounts named as the contract's price or fees count: caps on liability, insurance limits,
penalties and per-unit prices are not the contract's value.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from tracker.services.extract.model import Finding, evidence_of
from tracker.services.extract.text import Sentence

I = re.IGNORECASE  # noqa: E741 - the flag, used in every pattern here

_SYMBOLS = {"us$": "USD", "u.s.$": "USD", "usd": "USD", "$": "USD", "eur": "EUR", "€": "EUR", "gbp": "GBP",
            "£": "GBP", "cad": "CAD", "c$": "CAD", "cdn$": "CAD", "aud": "AUD", "a$": "AUD", "chf": "CHF",
            "jpy": "JPY", "rmb": "CNY", "cny": "CNY", "inr": "INR", "₹": "INR", "hk$": "HKD", "hkd": "HKD",
            "sgd": "SGD", "s$": "SGD", "nzd": "NZD", "sek": "SEK", "nok": "NOK", "dkk": "DKK"}
_WORDS = {"u.s. dollars": "USD", "us dollars": "USD", "united states dollars": "USD", "dollars": "USD",
          "euros": "EUR", "euro": "EUR", "pounds sterling": "GBP", "british pounds": "GBP", "swiss francs": "CHF",
          "canadian dollars": "CAD", "australian dollars": "AUD", "yen": "JPY", "renminbi": "CNY"}


def _number(tag: str) -> str:
    return (rf"(?<![/\d])(?P<number{tag}>\d{{1,3}}(?:,\s?\d{{3}})+(?:\.\d{{1,2}})?|\d+(?:\.\d{{1,2}})?)"
            rf"(?:\s*(?P<scale{tag}>million|billion|thousand))?")


_AMOUNT = re.compile(
    r"(?P<symbol>U\.S\.\s?\$|US\$|CDN\$|HK\$|C\$|A\$|S\$|\$|€|£|₹|\b(?:USD|EUR|GBP|CAD|AUD|CHF|JPY|RMB|CNY|INR|HKD|"
    rf"SGD|NZD|SEK|NOK|DKK)\b)\s?{_number('')}"
    rf"|{_number('_b')}\s+(?P<word>U\.S\.\s+dollars|US\s+dollars|United\s+States\s+dollars|canadian\s+dollars|"
    r"australian\s+dollars|dollars|euros?|pounds\s+sterling|british\s+pounds|swiss\s+francs|yen|renminbi)\b"
    r"|\b(?P<code_after>USD|EUR|GBP)\b", I)
_VALUE_CUE = re.compile(
    r"\b(?:total|aggregate)\s+(?:contract\s+|annual\s+)?(?:value|price|fees?|amount|consideration|compensation|"
    r"cost)|\bcontract\s+(?:value|price|sum)|\b(?:annual|yearly|subscription)\s+(?:subscription\s+|license\s+|"
    r"licence\s+|service\s+)?fees?\b|\blicen[cs]e\s+fees?\b|\bpurchase\s+price\b|\bfixed\s+fee\b", I)
_VALUE_AVOID = re.compile(
    r"liabil|insurance|insured|not\s+(?:to\s+)?exceed|\bcap\b|penalt|damages|indemn|minimum|at\s+least|up\s+to|"
    r"maximum|deductible|late\s+(?:fee|charge)|interest|per\s+(?:hour|unit|user|seat|share|item|copy|day|week)|"
    r"royalt|commission|reimburs|expenses|\bloan\b|credit\s+facility|\bshares?\b|\bstock\b|bonus|salary|"
    r"each\s+month|per\s+month|monthly|per\s+quarter|quarterly|investor", I)
_ANNUAL = re.compile(r"\b(?:annual|annually|yearly|per\s+(?:year|annum)|each\s+year|a\s+year)\b", I)
_SCALE = {"thousand": Decimal(1000), "million": Decimal(1_000_000), "billion": Decimal(1_000_000_000)}


def _currency(match: re.Match[str]) -> str | None:
    if match.group("symbol"):
        return _SYMBOLS.get(re.sub(r"\s", "", match.group("symbol")).lower())
    if match.group("word"):
        return _WORDS.get(" ".join(match.group("word").lower().split()))
    return None


def find_value(sentences: list[Sentence]) -> tuple[Finding | None, Finding | None]:
    """(value, currency) of the first sentence that states the contract's total or annual price."""
    for sentence in sentences:
        if not _VALUE_CUE.search(sentence.text) or _VALUE_AVOID.search(sentence.text):
            continue
        cue = _VALUE_CUE.search(sentence.text)
        assert cue is not None
        for match in _AMOUNT.finditer(sentence.text, cue.start(), cue.end() + 100):
            number = match.group("number") or match.group("number_b")
            scale = match.group("scale") or match.group("scale_b")
            if match.group("code_after") or not number:
                continue
            try:
                amount = Decimal(re.sub(r"[,\s]", "", number))
            except InvalidOperation:
                continue
            if scale:
                amount *= _SCALE[scale.lower()]
            if amount <= 0 or amount >= Decimal("1e14"):
                continue
            note = "an annual amount" if _ANNUAL.search(sentence.text) else None
            value = Finding(format(amount.normalize(), "f"), evidence_of(sentence, 0.6, match.start(), note))
            currency_code = _currency(match)
            after = sentence.text[match.end(): match.end() + 12]
            if code := re.match(r"\s*\(?\s*(USD|EUR|GBP|CAD|AUD|CHF|JPY|CNY)\b", after):
                currency_code = code.group(1).upper()
            currency = Finding(currency_code, evidence_of(sentence, 0.7, match.start())) if currency_code else None
            return value, currency
    return None, None
