"""Settings from ``tracker.toml`` (DESIGN §5). Loaded once at the edge and passed down as a value."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.durations import Duration, parse_duration
from tracker.errors import ConfigError, InvalidInput, Problem

DEFAULT_LEAD_DAYS = (90, 30, 14, 7, 1, 0)
DEFAULT_INVITE_KINDS = ("notice_deadline", "term_end", "model_change", "rollback_window")


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


def parse_lead_days(value: Any, field_name: str = "lead") -> tuple[int, ...]:
    """Lead days as a list of whole non-negative numbers ("30,7,1" or [30, 7, 1])."""
    expected = "a list of whole numbers of days, zero or more, such as 30,7,1"
    items: list[Any]
    if isinstance(value, str):
        items = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, list | tuple):
        items = list(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        items = [value]
    else:
        raise InvalidInput.field(field_name, value, expected)
    days: list[int] = []
    for item in items:
        if isinstance(item, bool):
            raise InvalidInput.field(field_name, value, expected)
        try:
            number = int(item)
        except (TypeError, ValueError):
            raise InvalidInput.field(field_name, value, expected) from None
        if (isinstance(item, float) and item != number) or number < 0 or number > 3650:
            raise InvalidInput.field(field_name, value, expected)
        days.append(number)
    if not days:
        raise InvalidInput.field(field_name, value, expected)
    return tuple(sorted(set(days), reverse=True))


def load_settings(path: Path | None) -> Settings:
    """Read the TOML file at ``path``; a missing file gives the defaults. Problems are reported together."""
    if path is None or not path.exists():
        return Settings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
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

    def text(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(value)
        return value

    def timezone(value: Any) -> str:
        from tracker.specs import validate_timezone

        return validate_timezone(text(value), "timezone")

    take(raw, "timezone", "timezone", timezone)
    take(raw, "templates", "templates", lambda v: (base / text(v)).resolve())
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
    take(email, "url", "email.url", text, "email_url")
    take(alerts, "apprise_config", "alerts.apprise_config", lambda v: (base / text(v)).resolve())
    take(alerts, "lead_days", "alerts.lead_days", lambda v: parse_lead_days(v, "alerts.lead_days"))
    if "lead_days_by_kind" in alerts:
        by_kind = alerts["lead_days_by_kind"]
        if isinstance(by_kind, dict):
            values["lead_days_by_kind"] = {}
            for kind, days in by_kind.items():
                if kind not in _kinds():
                    problems.append(Problem("alerts.lead_days_by_kind", kind, f"an obligation kind: {_kinds_text()}"))
                    continue
                try:
                    values["lead_days_by_kind"][kind] = parse_lead_days(days, f"alerts.lead_days_by_kind.{kind}")
                except InvalidInput as exc:
                    problems.extend(exc.problems)
        else:
            problems.append(Problem("alerts.lead_days_by_kind", by_kind, "a table of kind = [days]"))
    take(alerts, "overdue_every", "alerts.overdue_every", lambda v: parse_duration(v, "alerts.overdue_every"))
    take(alerts, "escalation_tag", "alerts.escalation_tag", text)
    take(alerts, "escalate_within_days", "alerts.escalate_within_days", _non_negative_int)
    take(alerts, "max_attempts", "alerts.max_attempts", _positive_int)
    take(alerts, "invite_kinds", "alerts.invite_kinds", _invite_kinds)
    take(calendar, "horizon_past", "calendar.horizon_past", lambda v: parse_duration(v, "calendar.horizon_past"))
    take(
        calendar, "horizon_future", "calendar.horizon_future",
        lambda v: parse_duration(v, "calendar.horizon_future"),
    )
    take(calendar, "base_url", "calendar.base_url", text, "feed_base_url")
    take(calendar, "name", "calendar.name", text, "calendar_name")
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


def _kinds() -> tuple[str, ...]:
    from tracker.specs import ALL_KINDS

    return ALL_KINDS


def _kinds_text() -> str:
    return ", ".join(_kinds())


def _invite_kinds(value: Any) -> tuple[str, ...]:
    """A list of obligation kinds (a bare string is a mistake: it would be read letter by letter)."""
    if not isinstance(value, list) or not all(isinstance(k, str) and k in _kinds() for k in value):
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
