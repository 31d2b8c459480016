"""Time zones: which names are valid, and which calendar day an instant falls on in a zone."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tracker.errors import InvalidInput

EXPECTED = "an IANA time zone such as 'Europe/London'"


@lru_cache(maxsize=128)
def zone(name: str) -> ZoneInfo:
    """The zone called ``name``; raise :class:`InvalidInput` for an unknown name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise InvalidInput.field("timezone", name, EXPECTED) from None


def validate_timezone(name: str, field_name: str = "timezone") -> str:
    """``name`` when it is a known IANA zone; raise :class:`InvalidInput` naming ``field_name`` otherwise."""
    try:
        zone(name)
    except InvalidInput:
        raise InvalidInput.field(field_name, name, EXPECTED) from None
    return name


def day_in(instant: datetime, name: str) -> date:
    """The calendar date of ``instant`` (aware) in zone ``name``."""
    return instant.astimezone(zone(name)).date()
