"""Contract durations ("90 days", "3 months", "5 business days", "P1Y"), kept in the unit the contract uses.

Pure: no I/O and no clock. "90 days" is not "3 months": a duration keeps its amount and unit, and the
arithmetic (in :mod:`tracker.domain.dates`) applies the unit to a date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from tracker.errors import InvalidInput

Unit = Literal["days", "weeks", "months", "years", "business_days"]

_UNIT_WORDS: dict[str, Unit] = {
    "d": "days", "day": "days", "days": "days",
    "w": "weeks", "wk": "weeks", "wks": "weeks", "week": "weeks", "weeks": "weeks",
    "m": "months", "mo": "months", "mos": "months", "mon": "months", "month": "months", "months": "months",
    "y": "years", "yr": "years", "yrs": "years", "year": "years", "years": "years",
    "bd": "business_days", "business day": "business_days", "business days": "business_days",
}
_ISO_UNITS: dict[str, Unit] = {"D": "days", "W": "weeks", "M": "months", "Y": "years"}

_PLAIN = re.compile(r"^\s*(\d+)\s*([a-z][a-z ]*?)\s*$", re.IGNORECASE)
_ISO = re.compile(r"^\s*P(\d+)([DWMY])\s*$", re.IGNORECASE)

# A century: nothing a contract says lasts longer, and dates stay far from the calendar's ends.
LIMITS: dict[Unit, int] = {"days": 36_525, "weeks": 5_218, "months": 1_200, "years": 100, "business_days": 26_100}

EXPECTED = (
    "a duration such as '90 days', '90d', '2w', '3 months', '3mo', '1 year', '5 business days', '5bd' "
    "or ISO 8601 'P90D', 'P2W', 'P3M', 'P1Y'"
)


@dataclass(frozen=True, order=True)
class Duration:
    """An amount of one calendar unit. Immutable; ``str()`` gives the canonical text ("3 months")."""

    amount: int
    unit: Unit

    def __str__(self) -> str:
        word = self.unit.replace("_", " ")
        if self.amount == 1:
            word = word[:-1]
        return f"{self.amount} {word}"

    @property
    def is_business(self) -> bool:
        return self.unit == "business_days"

    def approx_days(self) -> int:
        """A rough length in days, for ordering and sanity checks only (never for deadlines)."""
        per_unit = {"days": 1, "weeks": 7, "months": 30, "years": 365, "business_days": 7 / 5}
        return round(self.amount * per_unit[self.unit])


def parse_duration(text: object, field: str = "duration", *, allow_zero: bool = False) -> Duration:
    """Parse a duration in any accepted form; raise :class:`InvalidInput` naming ``field`` otherwise."""
    if isinstance(text, Duration):
        return text
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise InvalidInput.field(field, text, EXPECTED)
    raw = str(text)
    if isinstance(text, int):  # a bare number in a file: days are the only sensible reading
        raw = f"{text} days"
    amount: int
    unit: Unit
    if match := _ISO.match(raw):
        amount, unit = int(match.group(1)), _ISO_UNITS[match.group(2).upper()]
    elif match := _PLAIN.match(raw):
        word = " ".join(match.group(2).lower().split())
        if word not in _UNIT_WORDS:
            raise InvalidInput.field(field, text, EXPECTED)
        amount, unit = int(match.group(1)), _UNIT_WORDS[word]
    else:
        raise InvalidInput.field(field, text, EXPECTED)
    if amount == 0 and not allow_zero:
        raise InvalidInput.field(field, text, "a duration longer than zero")
    limit = LIMITS[unit]
    if amount > limit:
        raise InvalidInput.field(field, text, f"a duration of at most a century ({limit} {unit.replace('_', ' ')})")
    return Duration(amount, unit)
