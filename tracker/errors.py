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
        return f"{prefix}{self.field}: {self.value!r} is invalid; expected {self.expected}"


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
