"""Business days: weekends plus the public holidays of one ``holidays`` calendar, and rolls onto them.

Pure: the ``holidays`` package computes the tables; nothing here reads the clock.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from tracker.errors import InvalidInput

if TYPE_CHECKING:
    from holidays import HolidayBase

Roll = Literal["previous", "next", "none"]
ROLLS: tuple[Roll, ...] = ("previous", "next", "none")
ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=64)
def _holiday_table(code: str) -> HolidayBase:
    import holidays  # heavy: imported only when a calendar is actually used

    country, _, subdivision = code.partition("-")
    try:
        return holidays.country_holidays(country.upper(), subdiv=subdivision.upper() or None)
    except NotImplementedError as exc:
        raise InvalidInput.field(
            "holidays", code, "a country code known to the holidays package, e.g. 'US', 'GB', 'DE' or 'US-NY'"
        ) from exc


def validate_holidays(code: str) -> str:
    """Return the normalised calendar code ('us-ny' -> 'US-NY') or raise :class:`InvalidInput`."""
    normal = code.strip().upper()
    if not re.fullmatch(r"[A-Z]{2,3}(-[A-Z0-9]{1,4})?", normal):
        raise InvalidInput.field("holidays", code, "a country code such as 'US', 'GB' or 'US-NY'")
    _holiday_table(normal)
    return normal


class BusinessCalendar:
    """Weekends plus the public holidays of one ``holidays`` calendar (or weekends only)."""

    def __init__(self, code: str | None = None) -> None:
        self.code = code.upper() if code else None
        self._table = _holiday_table(self.code) if self.code else None
        self._rolled: dict[tuple[date, Roll], date] = {}  # roll() results: the calendar never changes

    def is_business_day(self, day: date) -> bool:
        if day.weekday() >= 5:
            return False
        return self._table is None or day not in self._table

    def roll(self, day: date, mode: Roll) -> date:
        """Move a date that is not a business day to the previous or next one (or leave it)."""
        if mode == "none":
            return day
        rolled = self._rolled.get((day, mode))
        if rolled is None:
            if len(self._rolled) >= 100_000:  # a long-running server: keep the memo bounded
                self._rolled.clear()
            step = -ONE_DAY if mode == "previous" else ONE_DAY
            rolled = day
            while not self.is_business_day(rolled):
                rolled += step
            self._rolled[(day, mode)] = rolled
        return rolled

    def add_business_days(self, day: date, count: int) -> date:
        """Count ``count`` business days forward (or backward when negative) from ``day``."""
        step = ONE_DAY if count >= 0 else -ONE_DAY
        remaining = abs(count)
        while remaining:
            day += step
            if self.is_business_day(day):
                remaining -= 1
        return day


@lru_cache(maxsize=64)
def business_calendar(code: str | None = None) -> BusinessCalendar:
    """The shared :class:`BusinessCalendar` of ``code`` (one per code: it holds no state that changes)."""
    return BusinessCalendar(code)

