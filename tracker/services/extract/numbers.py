"""Amounts and durations as contracts write them: "ninety (90) days", "one-year", "twelve (12) month", "3~year".

Pure: text in, :class:`~tracker.domain.durations.Duration` out. The unit is kept as written ("90 days" stays
days), so the tracker's anchored arithmetic applies the contract's own unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.domain.durations import LIMITS, Duration, Unit

_UNITS = {
    "zero": 0, "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
    "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}

_SIMPLE = "|".join(sorted((w for w in _UNITS if w not in ("a", "an")), key=len, reverse=True))
_TEN = "|".join(_TENS)
# "one hundred and twenty", "twenty-four", "ninety": the words before a unit (never "a"/"an" alone here).
NUMBER_WORDS = (
    rf"(?:(?:{_SIMPLE})\s+hundred(?:\s+and)?[\s-]+)?(?:(?:{_TEN})(?:[\s-]+(?:{_SIMPLE}))?|{_SIMPLE})"
    rf"|(?:{_SIMPLE})\s+hundred"
)
_UNIT_WORD = r"(?P<unit>(?:calendar\s+|business\s+|working\s+|contract\s+|full\s+)?(?:day|week|month|year)s?)\b"
# An amount, then the unit: "ninety (90) days", "(90) days", "90 days", "thirty(30)days", "30- days", "3~year",
# "one (I) year" (a typed Roman numeral), "a year", "an additional year" is left to the callers' patterns.
DURATION = re.compile(
    rf"(?<![\w$])(?:(?P<words>{NUMBER_WORDS}|an?|half\s+an?|one[\s-]half)\b\s*)?"
    rf"(?:\(\s*(?P<paren>\d{{1,4}}|(?-i:I))\s*\)\s*)?"
    rf"(?:(?<![\d.,])(?P<digits>\d{{1,4}})(?![\d.,]\d))?"
    rf"\s*[-~‑–]?\s*(?:\)\s*)?{_UNIT_WORD}",
    re.IGNORECASE,
)
_WORD_SPLIT = re.compile(r"[\s-]+")


def words_to_int(text: str) -> int | None:
    """The value of number words ("one hundred and twenty", "twenty-four", "six"); None when not a number."""
    total = current = 0
    seen = False
    for word in _WORD_SPLIT.split(text.lower().strip()):
        if not word or word == "and":
            continue
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred":
            current = (current or 1) * 100
        elif word == "thousand":
            total += (current or 1) * 1000
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


def ordinal_to_int(text: str) -> int | None:
    """"third" -> 3, "10th" -> 10, "twenty-first" -> 21; None otherwise."""
    word = text.lower().strip()
    digits = re.fullmatch(r"(\d{1,3})\s*(?:st|nd|rd|th)?", word)
    if digits:
        return int(digits.group(1))
    if word in _ORDINALS:
        return _ORDINALS[word]
    parts = _WORD_SPLIT.split(word)
    if len(parts) == 2 and parts[0] in _TENS and parts[1] in _ORDINALS:
        return _TENS[parts[0]] + _ORDINALS[parts[1]]
    return None


@dataclass(frozen=True)
class Span:
    """A duration found in a text, with where it is (offsets into that text)."""

    duration: Duration
    start: int
    end: int


def _unit_of(word: str) -> Unit:
    word = word.lower()
    if word.startswith(("business", "working")):
        return "business_days"
    for stem, unit in (("day", "days"), ("week", "weeks"), ("month", "months"), ("year", "years")):
        if stem in word:
            return unit  # type: ignore[return-value]
    raise AssertionError(word)


def _amount(match: re.Match[str]) -> tuple[int, Unit] | None:
    unit = _unit_of(match.group("unit"))
    words = (match.group("words") or "").lower()
    paren = match.group("paren")
    if words.startswith("half") or words.startswith("one half") or words.startswith("one-half"):
        if unit == "years":
            return 6, "months"
        if unit == "months":
            return None  # half a month is no whole unit; leave it to a person
        return None
    for number in (match.group("digits"), paren):
        if number:
            return (1 if number.upper() == "I" else int(number)), unit
    if words:
        value = words_to_int(words)
        if value is not None:
            return value, unit
    return None


def find_durations(text: str) -> list[Span]:
    """Every duration in ``text``, in order; amounts of zero or beyond a century are skipped."""
    found: list[Span] = []
    for match in DURATION.finditer(text):
        if not (match.group("words") or match.group("paren") or match.group("digits")):
            continue
        parsed = _amount(match)
        if parsed is None:
            continue
        amount, unit = parsed
        if amount <= 0 or amount > LIMITS[unit]:
            continue
        found.append(Span(Duration(amount, unit), match.start(), match.end()))
    return found

