"""Field converters for validating user input: each records a problem (field, value, expected) instead of
raising, so a file with several bad rows is reported in one go.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from tracker.domain.durations import Duration, parse_duration
from tracker.domain.limits import DATE_EXPECTED, EARLIEST, LATEST
from tracker.errors import InvalidInput, Problem

DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Checker:
    """Collects problems while converting raw values; each converter returns None on a problem."""

    def __init__(self, where: str = "") -> None:
        self.where = where
        self.problems: list[Problem] = []

    def fail(self, field_name: str, value: object, expected: str) -> None:
        self.problems.append(Problem(field_name, value, expected, self.where))

    def absorb(self, exc: InvalidInput, field_name: str, value: object) -> None:
        if exc.problems:
            self.problems += [replace(p, where=self.where) for p in exc.problems]
        else:
            self.fail(field_name, value, exc.message)

    def text(self, raw: dict[str, Any], name: str, required: bool = False, label: str = "") -> str | None:
        label = label or name
        value = raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(label, value if value is not None else "", "a non-empty text (required)")
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.fail(label, value, "text")
            return None
        return str(value).strip()

    def email(self, raw: dict[str, Any], name: str, required: bool = False) -> str | None:
        value = self.text(raw, name, required)
        if value is not None and not EMAIL_PATTERN.match(value):
            self.fail(name, value, "an email address such as alice@example.com")
            return None
        return value

    def day(self, raw: dict[str, Any], name: str, required: bool = False, label: str = "") -> date | None:
        label = label or name
        value = raw.get(name)
        if value is None or value == "":
            if required:
                self.fail(label, "", "a date YYYY-MM-DD (required)")
            return None
        return self.parse_day(value, label)

    def parse_day(self, value: object, label: str) -> date | None:
        day: date | None = None
        if isinstance(value, datetime):
            day = value.date()
        elif isinstance(value, date):
            day = value
        elif isinstance(value, str) and DATE_PATTERN.match(value.strip()):
            try:
                day = date.fromisoformat(value.strip())
            except ValueError:
                day = None
        if day is None or not EARLIEST <= day <= LATEST:
            self.fail(label, value if not isinstance(value, date) else value.isoformat(), DATE_EXPECTED)
            return None
        return day

    def duration(self, raw: dict[str, Any], name: str, label: str = "", calendar_only: bool = False) -> Duration | None:
        label = label or name
        value = raw.get(name)
        if value is None or value == "":
            return None
        try:
            parsed = parse_duration(value, label)
        except InvalidInput as exc:
            self.absorb(exc, label, value)
            return None
        if calendar_only and parsed.is_business:
            self.fail(label, value, "a calendar duration (days, weeks, months or years), not business days")
            return None
        return parsed

    def boolean(self, raw: dict[str, Any], name: str) -> bool | None:
        value = raw.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "yes", "y", "1", "on"):
            return True
        if isinstance(value, str) and value.strip().lower() in ("false", "no", "n", "0", "off"):
            return False
        self.fail(name, value, "true or false")
        return None

    def integer(self, raw: dict[str, Any], name: str, minimum: int, maximum: int = 100_000) -> int | None:
        value = raw.get(name)
        if value is None or value == "":
            return None
        try:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            number = int(value)
        except (TypeError, ValueError):
            self.fail(name, value, f"a whole number from {minimum} to {maximum}")
            return None
        if not minimum <= number <= maximum:
            self.fail(name, value, f"a whole number from {minimum} to {maximum}")
            return None
        return number

    def text_list(self, raw: dict[str, Any], name: str) -> tuple[str, ...]:
        value = raw.get(name)
        if value is None or value == "":
            return ()
        if isinstance(value, str):
            items = [part.strip() for part in re.split(r"[;,]", value)]
        elif isinstance(value, list | tuple) and all(isinstance(v, str | int) for v in value):
            items = [str(v).strip() for v in value]
        else:
            self.fail(name, value, "a list of words, such as [ai, support] or 'ai;support'")
            return ()
        return tuple(dict.fromkeys(item for item in items if item))

    def unknown(self, raw: dict[str, Any], allowed: tuple[str, ...], prefix: str = "") -> None:
        for name in raw:
            if name not in allowed:
                self.fail(f"{prefix}{name}", raw[name], f"no such field; known fields: {', '.join(allowed)}")
