"""Settings from ``tracker.toml`` (DESIGN §5): parsed from its text here, read from disk at the edge.

The edge reads the file once and passes the :class:`Settings` value down; nothing below it looks at the
environment or the file system for settings.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.domain.durations import Duration, parse_duration
from tracker.domain.kinds import ALL_KINDS, DEFAULT_INVITE_KINDS
from tracker.domain.reminders import DEFAULT_LEAD_DAYS, parse_lead_days
from tracker.domain.timezones import validate_timezone
from tracker.errors import ConfigError, InvalidInput, Problem


@dataclass(frozen=True)
class Settings:
    """Every setting has a default, so a missing file means a working tracker."""

    timezone: str = "UTC"
    templates: Path | None = None
    email_url: str | None = None
    apprise_config: Path | None = None
    lead_days: tuple[int, ...] = DEFAULT_LEAD_DAYS
    lead_days_by_kind: dict[str, tuple[int, ...]] = field(default_factory=dict)
    overdue_every: Duration = Duration(7, "days")
    escalation_tag: str = "escalation"
    escalate_within_days: int = 1  # stages this close to the deadline (and overdue) also escalate
    max_attempts: int = 8
    invite_kinds: tuple[str, ...] = DEFAULT_INVITE_KINDS
    horizon_past: Duration = Duration(30, "days")
    horizon_future: Duration = Duration(2, "years")
    feed_base_url: str = "http://127.0.0.1:8765"  # where `tracker serve` is reached, for feed URLs
    calendar_name: str = "Contract deadlines"
    calendar_alarms: bool = True  # VALARMs from the lead days in exported/subscribed calendars
    source: Path | None = None

    def lead_days_for(self, kind: str, override: list[int] | None = None) -> tuple[int, ...]:
        """Reminder lead days for an obligation: its own, else its kind's, else the defaults."""
        if override:
            return tuple(sorted(set(override), reverse=True))
        return tuple(sorted(set(self.lead_days_by_kind.get(kind, self.lead_days)), reverse=True))


def parse_settings(text: str, path: Path) -> Settings:
    """Settings from the TOML ``text`` of the file at ``path`` (relative paths are resolved against its folder).

    Every problem is reported together, each naming the setting, the value and what was expected.
    """
    try:
        raw = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: cannot read the settings file: {exc}") from exc
    base = path.parent
    problems: list[Problem] = []
    values: dict[str, Any] = {"source": path}

    def take(section: dict[str, Any], key: str, label: str, convert: Any, target: str | None = None) -> None:
        if key not in section:
            return
        try:
            values[target or key] = convert(section[key])
        except InvalidInput as exc:
            problems.extend(exc.problems or [Problem(label, section[key], str(exc))])
        except (TypeError, ValueError):
            problems.append(Problem(label, section[key], "a value of the documented type"))

    def words(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(value)
        return value

    def timezone(value: Any) -> str:
        return validate_timezone(words(value), "timezone")

    take(raw, "timezone", "timezone", timezone)
    take(raw, "templates", "templates", lambda v: (base / words(v)).resolve())
    email = raw.get("email", {})
    alerts = raw.get("alerts", {})
    calendar = raw.get("calendar", {})
    tables = {"email": email, "alerts": alerts, "calendar": calendar}
    for name, section in tables.items():
        if not isinstance(section, dict):
            problems.append(Problem(f"[{name}]", section, "a TOML table"))
            tables[name] = {}
    email, alerts, calendar = tables["email"], tables["alerts"], tables["calendar"]
    # A misspelt key or section would otherwise be ignored silently (e.g. [alert] switching alerts off).
    for section, keys, known in (("", raw, KNOWN_KEYS[""]), *((n, t, KNOWN_KEYS[n]) for n, t in tables.items())):
        for key in keys:
            if key not in known:
                label = f"{section}.{key}" if section else key
                problems.append(Problem(label, keys[key], f"a known setting: one of {', '.join(sorted(known))}"))
    take(email, "url", "email.url", words, "email_url")
    take(alerts, "apprise_config", "alerts.apprise_config", lambda v: (base / words(v)).resolve())
    take(alerts, "lead_days", "alerts.lead_days", lambda v: parse_lead_days(v, "alerts.lead_days"))
    if "lead_days_by_kind" in alerts:
        by_kind = alerts["lead_days_by_kind"]
        if isinstance(by_kind, dict):
            values["lead_days_by_kind"] = {}
            for kind, days in by_kind.items():
                if kind not in ALL_KINDS:
                    problems.append(Problem("alerts.lead_days_by_kind", kind, f"an obligation kind: {_kinds_text()}"))
                    continue
                try:
                    values["lead_days_by_kind"][kind] = parse_lead_days(days, f"alerts.lead_days_by_kind.{kind}")
                except InvalidInput as exc:
                    problems.extend(exc.problems)
        else:
            problems.append(Problem("alerts.lead_days_by_kind", by_kind, "a table of kind = [days]"))
    take(alerts, "overdue_every", "alerts.overdue_every", lambda v: parse_duration(v, "alerts.overdue_every"))
    take(alerts, "escalation_tag", "alerts.escalation_tag", words)
    take(alerts, "escalate_within_days", "alerts.escalate_within_days", _non_negative_int)
    take(alerts, "max_attempts", "alerts.max_attempts", _positive_int)
    take(alerts, "invite_kinds", "alerts.invite_kinds", _invite_kinds)
    take(calendar, "horizon_past", "calendar.horizon_past", lambda v: parse_duration(v, "calendar.horizon_past"))
    take(
        calendar, "horizon_future", "calendar.horizon_future",
        lambda v: parse_duration(v, "calendar.horizon_future"),
    )
    take(calendar, "base_url", "calendar.base_url", words, "feed_base_url")
    take(calendar, "name", "calendar.name", words, "calendar_name")
    take(calendar, "alarms", "calendar.alarms", _boolean, "calendar_alarms")
    if problems:
        raise ConfigError([Problem(p.field, p.value, p.expected, str(path)) for p in problems])
    return Settings(**values)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(value)
    return value


KNOWN_KEYS: dict[str, set[str]] = {
    "": {"timezone", "templates", "email", "alerts", "calendar"},
    "email": {"url"},
    "alerts": {
        "apprise_config", "lead_days", "lead_days_by_kind", "overdue_every", "escalation_tag",
        "escalate_within_days", "max_attempts", "invite_kinds",
    },
    "calendar": {"horizon_past", "horizon_future", "base_url", "name", "alarms"},
}


def _kinds_text() -> str:
    return ", ".join(ALL_KINDS)


def _invite_kinds(value: Any) -> tuple[str, ...]:
    """A list of obligation kinds (a bare string is a mistake: it would be read letter by letter)."""
    if not isinstance(value, list) or not all(isinstance(k, str) and k in ALL_KINDS for k in value):
        raise InvalidInput.field("alerts.invite_kinds", value, f"a list of obligation kinds from: {_kinds_text()}")
    return tuple(value)


def _non_negative_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(value)
    return value


def _positive_int(value: Any) -> int:
    if _non_negative_int(value) == 0:
        raise ValueError(value)
    return value
