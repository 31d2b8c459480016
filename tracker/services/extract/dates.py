"""Calendar dates as contracts write them: "June 21, 1999", "the 1st day of September 2004", "31 December 2024".

Pure. Numeric dates are read month first ("11/4/10" is 4 November 2010), as in the US filings most
contracts come from, unless the first number cannot be a month ("31/01/2025"); dotted dates ("1.4.2011")
are European, day first. Two-digit years below 50 are 20xx.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from tracker.domain.limits import EARLIEST, LATEST
from tracker.services.extract.numbers import ordinal_to_int

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
    "nov": 11, "dec": 12,
}
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
# EDGAR texts split ordinals: "1s t", "18t h".
_SUFFIX = r"(?:st|nd|rd|th|s\s?t|t\s?h|n\s?d|r\s?d)?"
_ORDINAL_WORD = (r"(?:(?:twenty|thirty)[\s-])?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)"
                 r"|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth"
                 r"|nineteenth|twentieth|thirtieth")
_YEAR = r"(?P<year>(?:19|20|21)\d{2})"
DATE = re.compile(
    rf"\b(?:(?P<month_a>{_MONTH})\.?\s*(?P<day_a>\d{{1,2}})\s*{_SUFFIX}\s*,?\s*(?:of\s+)?{_YEAR}"
    rf"|(?P<day_b>\d{{1,2}})\s*{_SUFFIX}\s+(?:day\s+of\s+)?(?P<month_b>{_MONTH})\.?\s*,?\s*(?P<year_b>(?:19|20|21)\d{{2}})"
    rf"|(?P<day_c>{_ORDINAL_WORD})\s+day\s+of\s+(?P<month_c>{_MONTH})\.?\s*,?\s*(?P<year_c>(?:19|20|21)\d{{2}})"
    rf"|(?P<iso_y>(?:19|20|21)\d{{2}})-(?P<iso_m>\d{{2}})-(?P<iso_d>\d{{2}})"
    rf"|(?P<num_a>\d{{1,2}})(?P<sep>[/-])(?P<num_b>\d{{1,2}})(?P=sep)(?P<num_y>\d{{4}}|\d{{2}})"
    rf"|(?P<dot_d>\d{{1,2}})\.(?P<dot_m>\d{{1,2}})\.(?P<dot_y>(?:19|20)\d{{2}})"
    rf")(?![\d/])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DateSpan:
    """A date found in a text, with its [start, end) offsets in that text."""

    day: date
    start: int
    end: int


def full_year(text: str) -> int:
    """A year as written: "1999" -> 1999, "10" -> 2010, "99" -> 1999."""
    year = int(text)
    if len(text) <= 2:
        year += 2000 if year < 50 else 1900
    return year


def _make(year: int, month: int, day: int) -> date | None:
    try:
        made = date(year, month, day)
    except ValueError:
        return None
    return made if EARLIEST <= made <= LATEST else None


def _month(text: str) -> int:
    return _MONTHS[text[:3].lower()]


def _read(match: re.Match[str]) -> date | None:
    group = match.group
    if group("month_a"):
        return _make(int(group("year")), _month(group("month_a")), int(group("day_a")))
    if group("month_b"):
        return _make(int(group("year_b")), _month(group("month_b")), int(group("day_b")))
    if group("month_c"):
        day = ordinal_to_int(group("day_c"))
        return _make(int(group("year_c")), _month(group("month_c")), day) if day else None
    if group("iso_y"):
        return _make(int(group("iso_y")), int(group("iso_m")), int(group("iso_d")))
    if group("num_a"):
        first, second, year = int(group("num_a")), int(group("num_b")), full_year(group("num_y"))
        if first > 12:  # cannot be a month: day first
            first, second = second, first
        return _make(year, first, second)
    if group("dot_d"):
        return _make(int(group("dot_y")), int(group("dot_m")), int(group("dot_d")))
    return None


def find_dates(text: str) -> list[DateSpan]:
    """Every complete calendar date in ``text``, in order (partial or blank dates are skipped)."""
    found: list[DateSpan] = []
    for match in DATE.finditer(text):
        day = _read(match)
        if day is not None:
            found.append(DateSpan(day, match.start(), match.end()))
    return found

