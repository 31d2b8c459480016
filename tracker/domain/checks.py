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
from tracker.errors import InvalidInput, Problem, shorten

DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EMAIL_EXPECTED = "an email address such as alice@example.com"

# Text limits, in characters: the one place each is defined (ids.py builds the key pattern from KEY_MAX).
KEY_MAX = 80
TEXT_MAX = 200  # a title, vendor, owner, clause or any other one-line field
NOTE_MAX = 2_000  # a note for the ledger (`--note`)
COUNT_MAX = 100_000  # a count (`required`, `--count`): beyond it a typo, and past the database's integer

# Characters a one-line field may not hold: C0 and C1 controls (newlines included) and DEL, the
# bidirectional embeddings, overrides and isolates (they make text display in another order than it is
# stored: "Trojan Source"), the line and paragraph separators, and lone surrogates (not encodable as UTF-8:
# they crash the database driver and every print). NUL in particular is refused by PostgreSQL.
_BEYOND_C0 = "\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
UNSAFE_IN_LINE = re.compile(f"[\x00-\x1f{_BEYOND_C0}]")
# A note may span lines: newlines and tabs are allowed there, nothing else of the above.
UNSAFE_IN_NOTE = re.compile(f"[\x00-\x08\x0b-\x1f{_BEYOND_C0}]")
LINE_EXPECTED = "one line of at most {limit} characters, without control characters or bidirectional overrides"
NOTE_EXPECTED = f"a note of at most {NOTE_MAX} characters, without control characters other than newlines and tabs"


def text_problem(value: str, limit: int = TEXT_MAX, multiline: bool = False) -> str | None:
    """What is wrong with a piece of user text (too long, unsafe characters), or None when it is fine."""
    unsafe = UNSAFE_IN_NOTE if multiline else UNSAFE_IN_LINE
    if len(value) > limit or unsafe.search(value):
        return NOTE_EXPECTED if multiline else LINE_EXPECTED.format(limit=limit)
    return None


def checked_line(value: str, field_name: str, limit: int = TEXT_MAX) -> str:
    """A one-line value typed on the command line (a filter, a name); :class:`InvalidInput` otherwise."""
    expected = text_problem(value, limit)
    if expected:
        raise InvalidInput.field(field_name, value, expected)
    return value


def checked_note(value: str | None, field_name: str = "--note") -> str | None:
    """A ledger note: newlines and tabs allowed, other control characters and bidi overrides not."""
    if value is None:
        return None
    expected = text_problem(value, NOTE_MAX, multiline=True)
    if expected:
        raise InvalidInput.field(field_name, value, expected)
    return value


def email_problem(value: str) -> str | None:
    """Why ``value`` is not an e-mail address (syntax only: no DNS look-up), or None when it is one."""
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        return f"{EMAIL_EXPECTED} ({exc})"
    return None


def visible(text: str, keep_newlines: bool = False) -> str:
    """Text safe to print on a terminal: control characters and bidi overrides shown as visible escapes.

    C0 controls become their Unicode control pictures (ESC → ␛, NUL → ␀); the others (DEL, C1, bidi
    overrides, separators, lone surrogates) are written as ``\\u202e``-style escapes.
    """
    def picture(match: re.Match[str]) -> str:
        char = match.group()
        if keep_newlines and char in "\n\t":
            return char
        code = ord(char)
        return chr(0x2400 + code) if code < 0x20 else f"\\u{code:04x}"

    return UNSAFE_IN_LINE.sub(picture, text)


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

    def text(
        self, raw: dict[str, Any], name: str, required: bool = False, label: str = "", limit: int = TEXT_MAX
    ) -> str | None:
        """One line of text: at most ``limit`` characters, no control characters nor bidi overrides."""
        label = label or name
        value = raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(label, value if value is not None else "", "a non-empty text (required)")
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.fail(label, value, "text")
            return None
        text = value.strip() if isinstance(value, str) else _number_text(value)
        expected = text_problem(text, limit)
        if expected:
            self.fail(label, value, expected)
            return None
        return text

    def email(self, raw: dict[str, Any], name: str, required: bool = False) -> str | None:
        """An e-mail address, checked for syntax by email-validator (``alice@example..com`` is refused)."""
        value = self.text(raw, name, required)
        if value is None:
            return None
        expected = email_problem(value)
        if expected:
            self.fail(name, value, expected)
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

    def integer(
        self, raw: dict[str, Any], name: str, minimum: int, maximum: int = COUNT_MAX, label: str = ""
    ) -> int | None:
        """A whole number from ``minimum`` to ``maximum`` (a float such as 3.0 counts; 1.5 and True do not)."""
        name, key = label or name, name
        value = raw.get(key)
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
        for item in items:
            expected = text_problem(item)
            if expected:
                self.fail(name, item, expected)
                return ()
        return tuple(dict.fromkeys(item for item in items if item))

    def unknown(self, raw: dict[str, Any], allowed: tuple[str, ...], prefix: str = "") -> None:
        for name in raw:
            if name not in allowed:
                # The name is the user's too: quote it (shortened, escaped) unless it is a plain word.
                plain = isinstance(name, str) and re.fullmatch(r"[\w.-]{1,40}", name)
                label = name if plain else shorten(name, 40)
                self.fail(f"{prefix}{label}", raw[name], f"no such field; known fields: {', '.join(allowed)}")


def _number_text(value: int | float) -> str:
    """A number given where text was expected (a YAML title of 2026), as text; huge ones stay bounded."""
    try:
        return str(value)
    except ValueError:  # over Python's 4,300-digit limit for int → str
        return "9" * (TEXT_MAX + 1)  # any text over the limit: reported as too long
