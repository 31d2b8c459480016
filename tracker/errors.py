"""The one exception hierarchy: every error a user can cause or meet carries a message and an exit code.

The CLI edge translates these into a message on stderr and the exit code; nothing below the edge prints.
"""

from __future__ import annotations

from dataclasses import dataclass


class TrackerError(Exception):
    """Base class: a user-facing message and the process exit code it maps to."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Problem:
    """One validation problem: where (field path, row, column), the value seen and what was expected."""

    field: str
    value: object
    expected: str
    where: str = ""  # e.g. "row 3" or "contracts[2]"

    def __str__(self) -> str:
        prefix = f"{self.where}: " if self.where else ""
        return f"{prefix}{self.field}: {shorten(self.value)} is invalid; expected {self.expected}"


# How much of a value a message quotes: enough to recognise it, never a whole file (or an expanded alias).
QUOTE_LIMIT = 80


def shorten(value: object, limit: int = QUOTE_LIMIT) -> str:
    """The ``repr`` of a value cut to about ``limit`` characters with an ellipsis, built without ever
    producing the full text (a value may be a huge string or an alias-expanded structure)."""
    if isinstance(value, str):
        # repr() escapes control characters, so a message never carries raw escape sequences.
        text = repr(value[: limit + 1])
        if len(value) <= limit and len(text) <= limit + 2:
            return text
        return text[: limit - 1] + "…" + text[0]  # escapes count too: "\x00" is four characters
    import reprlib

    bounded = reprlib.Repr()
    bounded.maxlevel, bounded.maxstring, bounded.maxother = 3, limit, limit
    bounded.maxlist = bounded.maxtuple = bounded.maxdict = bounded.maxset = 8
    try:
        text = bounded.repr(value)
    except ValueError:  # an integer over Python's 4,300-digit conversion limit
        return "<a number too long to show>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


class InvalidInput(TrackerError):
    """Bad input from the user: exit code 2, nothing written. May carry several problems at once."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            self.problems: list[Problem] = []
            message = problems
        else:
            self.problems = [problems] if isinstance(problems, Problem) else list(problems)
            if len(self.problems) == 1:
                message = str(self.problems[0])
            else:
                lines = [f"{len(self.problems)} problems found:"]
                lines += [f"  - {p}" for p in self.problems]
                message = "\n".join(lines)
        super().__init__(message)

    @classmethod
    def field(cls, field: str, value: object, expected: str, where: str = "") -> InvalidInput:
        return cls(Problem(field, value, expected, where))


class NotFound(InvalidInput):
    """A key, id or name that does not exist (a user mistake, so exit code 2)."""


class OperationalError(TrackerError):
    """Something outside the user's input failed: database unreachable, deliveries failed (exit 1)."""

    exit_code = 1


class ConfigError(InvalidInput):
    """The settings file, the Apprise configuration or a template is wrong (exit 2)."""
