"""The context every use case receives from the edge: the as-of date, the instant, who acts, the settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from tracker.domain.settings import Settings
from tracker.domain.timezones import day_in


@dataclass(frozen=True)
class Context:
    """What the edge hands every service; nothing below the edge reads the clock or the settings file.

    ``today`` is the as-of date in the settings' time zone; ``now`` the instant. A contract with a time
    zone of its own has its own "today" (:meth:`today_for`): a Pacific/Auckland contract is already on
    Tuesday while a UTC one is still on Monday.
    """

    today: date
    now: datetime
    actor: str
    settings: Settings

    def today_for(self, timezone: str | None) -> date:
        """The as-of date of a contract whose time zone is ``timezone`` (None: the settings' zone)."""
        if timezone is None or timezone == self.settings.timezone:
            return self.today
        return day_in(self.now, timezone)
