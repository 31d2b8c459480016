"""Settings from ``tracker.toml`` (DESIGN §5): parsed from its text here, read from disk at the edge.

The edge reads the file once and passes the :class:`Settings` value down; nothing below it looks at the
environment or the file system for settings.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from tracker.domain.durations import Duration, parse_duration
from tracker.domain.kinds import ALL_KINDS, DEFAULT_INVITE_KINDS
from tracker.domain.money import CURRENCIES, parse_amount
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
    alert_timeout: int = 30  # seconds a channel may take to connect and to answer (Apprise's own: 4)
    invite_kinds: tuple[str, ...] = DEFAULT_INVITE_KINDS
    horizon_past: Duration = Duration(30, "days")
    horizon_future: Duration = Duration(2, "years")
    feed_base_url: str = "http://127.0.0.1:8765"  # where `tracker serve` is reached, for feed URLs
    calendar_name: str = "Contract deadlines"
    calendar_alarms: bool = True  # VALARMs from the lead days in exported/subscribed calendars
    heartbeat_max_age: int | None = None  # [web] seconds; when set, /healthz expects a scheduler pass
    base_currency: str | None = None  # [spend]: the currency `spend` converts totals into, when rates are given
    rates: dict[str, Decimal] = field(default_factory=dict)  # [spend]: units of base_currency per unit of each
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
    tables = {"email": email, "alerts": alerts, "calendar": calendar, "web": raw.get("web", {}),
              "spend": raw.get("spend", {})}
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
    take(alerts, "timeout", "alerts.timeout", _positive_int, "alert_timeout")
    take(alerts, "invite_kinds", "alerts.invite_kinds", _invite_kinds)
    take(calendar, "horizon_past", "calendar.horizon_past", lambda v: parse_duration(v, "calendar.horizon_past"))
    take(
        calendar, "horizon_future", "calendar.horizon_future",
        lambda v: parse_duration(v, "calendar.horizon_future"),
    )
    take(calendar, "base_url", "calendar.base_url", _http_url, "feed_base_url")
    take(calendar, "name", "calendar.name", words, "calendar_name")
    take(calendar, "alarms", "calendar.alarms", _boolean, "calendar_alarms")
    spend = tables["spend"]
    take(spend, "base_currency", "spend.base_currency", _currency, "base_currency")
    take(spend, "rates", "spend.rates", _rates)
    if values.get("rates") and not values.get("base_currency"):
        problems.append(Problem("spend.base_currency", None, "the currency the rates convert into, e.g. 'USD'"))
    take(tables["web"], "heartbeat_max_age", "web.heartbeat_max_age", _positive_int)
    if problems:
        raise ConfigError([Problem(p.field, p.value, p.expected, str(path)) for p in problems])
    return Settings(**values)


def _http_url(value: Any) -> str:
    """An http(s) URL with a host (feed URLs are built on it); any other scheme or text is an error."""
    from urllib.parse import urlsplit

    from tracker.domain.checks import text_problem

    expected = "an http:// or https:// URL with a host, such as https://tracker.example.com"
    if not isinstance(value, str) or text_problem(value, 2_000):
        raise InvalidInput.field("calendar.base_url", value, expected)
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - reading it validates the port (a ValueError when out of range)
    except ValueError:
        raise InvalidInput.field("calendar.base_url", value, expected) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidInput.field("calendar.base_url", value, expected)
    return value.strip()


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(value)
    return value


KNOWN_KEYS: dict[str, set[str]] = {
    "": {"timezone", "templates", "email", "alerts", "calendar", "web", "spend"},
    "email": {"url"},
    "alerts": {
        "apprise_config", "lead_days", "lead_days_by_kind", "overdue_every", "escalation_tag",
        "escalate_within_days", "max_attempts", "invite_kinds", "timeout",
    },
    "calendar": {"horizon_past", "horizon_future", "base_url", "name", "alarms"},
    "web": {"heartbeat_max_age"},
    "spend": {"base_currency", "rates"},
}


def _currency(value: Any) -> str:
    if not isinstance(value, str) or value.strip().upper() not in CURRENCIES:
        raise InvalidInput.field("spend.base_currency", value, "an ISO 4217 currency code such as USD")
    return value.strip().upper()


def _rates(value: Any) -> dict[str, Decimal]:
    """``{EUR = 1.08, GBP = 1.27}``: how many units of the base currency one unit of each is worth."""
    expected = "a table of currency = rate, e.g. { EUR = 1.08, GBP = 1.27 }"
    if not isinstance(value, dict):
        raise InvalidInput.field("spend.rates", value, expected)
    rates: dict[str, Decimal] = {}
    for code, rate in value.items():
        amount = parse_amount(rate)
        if str(code).upper() not in CURRENCIES or amount is None or amount <= 0:
            raise InvalidInput.field(f"spend.rates.{code}", rate, expected)
        rates[str(code).upper()] = Decimal(str(rate))
    return rates


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
