"""The context every use case receives from the edge: the as-of date, the instant, who acts, the settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from tracker.domain.settings import Settings


@dataclass(frozen=True)
class Context:
    """What the edge hands every service; nothing below the edge reads the clock or the settings file."""

    today: date
    now: datetime
    actor: str
    settings: Settings
