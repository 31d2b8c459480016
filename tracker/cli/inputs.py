"""Click callbacks that check what a command receives before any database sees it.

A key or a filter is looked up in the database, and PostgreSQL refuses text holding NUL (with an error
that names no option); a key that cannot exist is reported here, in the same words as a missing one.
Only ``click`` and ``tracker.errors`` are imported at module level, so ``--help`` stays fast.
"""

from __future__ import annotations

from typing import Any

import click

from tracker.errors import NotFound

KEY_NOT_FOUND = "the key of an existing contract (see `tracker list`)"


def contract_key(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A contract key argument or option: one that could exist, else the "no such contract" error."""
    from tracker.domain.ids import KEY_PATTERN

    if value is not None and not KEY_PATTERN.match(value):
        raise NotFound.field("key", value, KEY_NOT_FOUND)
    return value


def one_line(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A one-line text option (a filter such as ``--owner``), checked by the one text rule."""
    from tracker.domain.checks import checked_line

    return None if value is None else checked_line(value, f"--{(param.name or '').replace('_', '-')}")


def count(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
    """A count such as ``--count``: from 1 to the bound `required` has too (beyond it, the database's
    integer would overflow)."""
    from tracker.domain.checks import COUNT_MAX

    if value is not None and not 1 <= value <= COUNT_MAX:
        raise click.BadParameter(f"{value if value < 10**12 else 'that number'} is not a whole number from 1 to "
                                 f"{COUNT_MAX:,}", ctx, param)
    return value


class FilePath(click.Path):
    """``click.Path`` that reports a path holding NUL as a bad value (``os.stat`` raises ValueError on it,
    which click lets through as a traceback)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and "\x00" in value:
            self.fail(f"{value!r} holds a NUL character; no file has that name", param, ctx)
        return super().convert(value, param, ctx)


def write_output(path: str, data: str | bytes, option: str = "--output") -> None:
    """Write a command's ``-o`` file; a folder that is missing, no permission or a full disk is the user's to
    fix, reported on the option (exit 2), never a traceback."""
    from pathlib import Path

    from tracker.errors import InvalidInput

    target = Path(path)
    try:
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            target.write_text(data, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput.field(option, path, f"a file that can be written ({exc.strerror or exc})") from None
    except ValueError:  # a NUL in the path
        raise InvalidInput.field(option, path, "the path of a file") from None
