"""What every command shares: global state (database, settings, as-of date), errors, output formats.

This is the edge: the only place that reads the clock, the environment and the settings file. Heavy
libraries (SQLAlchemy, SQLModel, Alembic, rich) are imported inside functions so ``--help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

import click

from tracker.errors import InvalidInput, TrackerError

if TYPE_CHECKING:
    from pathlib import Path

    from tracker.domain.settings import Settings
    from tracker.services.context import Context
    from tracker.store import Engine, Session

FORMATS = ("table", "json", "csv")


def default_db_url() -> str:
    from platformdirs import user_data_path

    return f"sqlite:///{user_data_path('tracker', appauthor=False, ensure_exists=True) / 'tracker.db'}"


def default_config_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path("tracker", appauthor=False) / "tracker.toml"


def parse_day(value: str, field_name: str) -> date:
    """A date typed on the command line, within the range the tracker accepts."""
    from tracker.domain.limits import DATE_EXPECTED, EARLIEST, LATEST

    try:
        if len(value) != 10:
            raise ValueError
        day = date.fromisoformat(value)
        if not EARLIEST <= day <= LATEST:
            raise ValueError
        return day
    except ValueError:
        raise InvalidInput.field(field_name, value, DATE_EXPECTED) from None


def parse_instant(value: str, timezone: str) -> datetime:
    """An instant typed on the command line (ISO 8601; without an offset, in the settings' time zone)."""
    from tracker.domain.limits import EARLIEST, LATEST
    from tracker.domain.timezones import zone

    expected = "an ISO 8601 instant such as 2026-11-21T09:00:00Z or 2026-11-21T10:00:00+01:00"
    try:
        instant = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        raise InvalidInput.field("--now", value, expected) from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=zone(timezone))
    if not EARLIEST <= instant.date() <= LATEST:
        raise InvalidInput.field("--now", value, expected + f", between {EARLIEST} and {LATEST}")
    return instant.astimezone(UTC)


@dataclass
class State:
    """Global options, resolved lazily: a command that needs no database never opens one."""

    db_option: str | None = None
    config_option: str | None = None
    today_option: str | None = None
    actor_option: str | None = None
    now_option: str | None = None
    _engine: Engine | None = field(default=None, repr=False)

    @cached_property
    def db_url(self) -> str:
        return self.db_option or default_db_url()

    @cached_property
    def config_path(self) -> Path:
        from pathlib import Path

        return Path(self.config_option).expanduser() if self.config_option else default_config_path()

    @cached_property
    def settings(self) -> Settings:
        from tracker.domain.settings import Settings, parse_settings

        if self.config_option and not self.config_path.exists():
            raise InvalidInput.field("--config", self.config_option, "the path of an existing settings file")
        if not self.config_path.exists():
            return Settings()
        try:
            text = self.config_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            from tracker.errors import ConfigError

            raise ConfigError(f"{self.config_path}: cannot read the settings file: {exc}") from exc
        return parse_settings(text, self.config_path)

    @cached_property
    def today(self) -> date:
        """The as-of date in the settings' time zone: ``--today``, else the date of ``--now``, else the clock's."""
        if self.today_option:
            return parse_day(self.today_option, "--today")
        from tracker.domain.timezones import day_in

        return day_in(self.now, self.settings.timezone)

    @property
    def now(self) -> datetime:
        """The instant: ``--now``; else noon of ``--today`` in the settings' time zone; else the clock.

        Simulations with ``--today`` see the same instant whatever the real time of day is.
        """
        if self.now_option:
            return parse_instant(self.now_option, self.settings.timezone)
        if self.today_option:
            from tracker.domain.timezones import zone

            noon = datetime.combine(self.today, time(12), tzinfo=zone(self.settings.timezone))
            return noon.astimezone(UTC)
        return datetime.now(UTC)

    @cached_property
    def actor(self) -> str:
        if self.actor_option:
            return self.actor_option
        import getpass

        try:
            return getpass.getuser()
        except (OSError, KeyError):
            return "unknown"

    def context(self) -> Context:
        from tracker.services.context import Context

        now = self.now
        return Context(today=self.today, now=now, actor=self.actor, settings=self.settings)

    def engine(self, migrate: bool = True, create: bool = False) -> Engine:
        """The engine, checked once against this tracker's schema (``migrate=False`` skips the check).

        Nothing is created unless ``create`` (`init`, `db upgrade`, the demo's scratch database): then a
        missing SQLite file is created (mode 0600) and, when checked, an empty database is migrated.
        Otherwise a missing or empty database is refused in one line (``ensure_current``).
        """
        if self._engine is None:
            from tracker.store.engine import make_engine
            from tracker.store.schema import ensure_current

            self._engine = make_engine(self.db_url, create=create)
            if migrate:
                with database_errors(self.db_url):
                    ensure_current(self._engine, self.db_url, create=create)
        return self._engine

    # The commands that only read: their transaction does not take SQLite's write lock, so they never
    # wait for a writer (nor make one wait) and they work on a read-only file. Paths below `tracker`.
    READ_COMMANDS: ClassVar[frozenset[str]] = frozenset({
        "list", "show", "upcoming", "history", "export", "deliveries", "status",
        "calendar export", "calendar feed list",
    })

    @contextmanager
    def session(self, write: bool | None = None) -> Iterator[Session]:
        """One transaction on the database: everything or nothing is written.

        ``write`` defaults from the running command: False for the commands in ``READ_COMMANDS``.
        """
        from tracker.store.engine import session_scope

        _ = self.settings  # a broken settings file is reported before any work, whatever the command
        if write is None:
            write = _command_path() not in self.READ_COMMANDS
        engine = self.engine()
        with database_errors(self.db_url), session_scope(engine, write=write) as session:
            yield session


@contextmanager
def database_errors(url: str) -> Iterator[None]:
    """Turn a database failure (unreachable, full, read-only, busy, damaged …) into one clear line (exit 1),
    the password masked."""
    try:
        yield
    except TrackerError:
        raise
    except Exception as exc:
        from tracker.store.engine import database_failure

        failure = database_failure(url, exc)
        if failure is not None:
            raise failure from exc
        raise


def _command_path() -> str:
    """The running command below `tracker` ("calendar feed list"); empty outside a command."""
    ctx = click.get_current_context(silent=True)
    names: list[str] = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(reversed(names))


pass_state = click.make_pass_decorator(State)


class TrackerGroup(click.Group):
    """Translates :class:`TrackerError` into a message and its exit code: never a traceback for a mistake."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Refuse arguments that are not text: bytes that are not UTF-8 arrive as lone surrogates, which no
        database, file or terminal accepts (every command would fail on them in its own way)."""
        for arg in args:
            if any("\ud800" <= char <= "\udfff" for char in arg):
                from tracker.errors import shorten

                raise click.UsageError(f"the argument {shorten(arg, 40)} is not valid UTF-8", ctx)
        try:  # a global option's check (--actor) runs while parsing, before invoke
            return super().parse_args(ctx, args)
        except TrackerError as exc:
            self._report(ctx, exc)
            raise  # not reached: _report exits

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TrackerError as exc:
            self._report(ctx, exc)

    @staticmethod
    def _report(ctx: click.Context, exc: TrackerError) -> None:
        from tracker.domain.checks import visible

        # Messages quote paths and values the user typed: never let them write escape sequences.
        click.secho(f"Error: {visible(exc.message, keep_newlines=True)}", err=True, fg="red")
        ctx.exit(exc.exit_code)


# --- output --------------------------------------------------------------------------------------


def format_option(default: str = "table") -> Callable[[Any], Any]:
    return click.option(
        "--format", "fmt", type=click.Choice(FORMATS), default=default, show_default=True,
        help="Output format; json is a stable interface (see README).",
    )


def emit(rows: Sequence[dict[str, Any]] | dict[str, Any], fmt: str, columns: Sequence[tuple[str, str]]) -> None:
    """Print rows as a table (colour on a terminal, plain when piped), JSON or CSV."""
    if fmt == "json":
        import json

        click.echo(json.dumps(rows, indent=2, ensure_ascii=False, default=str))
        return
    items = [rows] if isinstance(rows, dict) else list(rows)
    if fmt == "csv":
        import csv
        import io

        from tracker.services.files import csv_safe

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([name for name, _ in columns])
        for row in items:
            writer.writerow([csv_safe(_cell(row, name)) for name, _ in columns])
        click.echo(buffer.getvalue(), nl=False)
        return
    print_table(items, columns)


def _cell(row: dict[str, Any], name: str) -> Any:
    value: Any = row
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _display(value: Any) -> str:
    """A cell's text: user text with its control characters made visible (never printed raw)."""
    from tracker.domain.checks import visible

    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict) and set(value) == {"done", "required"}:
        return f"{value['done']} of {value['required']}"
    if isinstance(value, list):
        return visible(", ".join(map(str, value)))
    return visible(str(value))


def is_terminal() -> bool:
    """Whether stdout is a terminal; ``TTY_COMPATIBLE=1``/``0`` (rich's convention) forces the answer."""
    forced = os.environ.get("TTY_COMPATIBLE")
    if forced in ("0", "1"):
        return forced == "1"
    return sys.stdout.isatty() and os.environ.get("TERM") != "dumb"


# Columns holding prose: they wrap (or fold a long word) to fit the terminal. Every other column (dates,
# ids, keys, numbers, statuses) is shown whole, on one line when the terminal allows.
WRAPPING_COLUMNS = frozenset({"title", "vendor", "owner", "summary", "every", "actor"})
# When the whole columns and a minimum of the wrapping ones do not fit, columns go in this order (as `gh`
# drops columns); the ones not listed (due dates, keys, ids, the notice deadline) always stay. "contract"
# goes early: where it is a column, the obligation id beside it starts with the same key.
DROP_ORDER = (
    "owed_by", "progress", "every", "contract", "kind", "days_left", "renews_on", "ends_on", "actor", "vendor",
    "owner", "status", "term.end", "title",
)
WRAP_MIN = 10  # a wrapping column narrower than this is harder to read than a dropped one
GAP = 2  # what the table's style puts between two columns (SIMPLE_HEAD, no edges, collapsed padding)


def fit_columns(
    columns: Sequence[tuple[str, str]], cells: Sequence[Sequence[str]], width: int
) -> tuple[list[int], dict[int, int]]:
    """Which columns to show on a terminal ``width`` wide (their indexes) and each one's width.

    Whole columns get their full width; wrapping ones share what is left, each at least :data:`WRAP_MIN`
    (or its natural width when smaller). Columns are dropped in :data:`DROP_ORDER` until that fits. When
    even the columns that always stay are wider than the terminal, no widths are returned: the caller
    shows records instead of a table, so no character is lost.
    """
    from rich.cells import cell_len

    natural = [max([cell_len(label)] + [cell_len(line[i]) for line in cells]) for i, (_, label) in enumerate(columns)]
    shown = list(range(len(columns)))

    def wraps(i: int) -> bool:
        return columns[i][0] in WRAPPING_COLUMNS

    def needed(indexes: list[int]) -> int:
        fixed = sum(natural[i] if not wraps(i) else min(natural[i], WRAP_MIN) for i in indexes)
        return fixed + GAP * (len(indexes) - 1)

    for name in DROP_ORDER:
        if needed(shown) <= width:
            break
        shown = [i for i in shown if columns[i][0] != name]
    if needed(shown) > width:
        return shown, {}
    widths = {i: natural[i] for i in shown if not wraps(i)}
    spare = width - sum(widths.values()) - GAP * (len(shown) - 1)
    flexible = sorted((i for i in shown if wraps(i)), key=lambda i: natural[i])
    for count, i in enumerate(flexible):
        share = spare // (len(flexible) - count)  # the narrowest take what they need, the rest share evenly
        widths[i] = min(natural[i], share)
        spare -= widths[i]
    return shown, widths


def print_table(items: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]], title: str | None = None) -> None:
    """Rows as a table: fitted to the terminal with rich (user text never read as markup), aligned when piped."""
    cells = [[_display(_cell(row, name)) for name, _ in columns] for row in items]
    if is_terminal():
        from rich import box
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        from tracker.domain.checks import visible

        console = Console(highlight=False)
        shown, widths = fit_columns(columns, cells, console.width)
        if not widths:  # too narrow for even a date and an id side by side: one "Label: value" line each
            for row, line in zip(items, cells, strict=True):
                record_style = "red" if row.get("status") == "overdue" else ""
                for (_, label), text in zip(columns, line, strict=True):
                    console.print(Text(f"{label}: {text}", style=record_style))  # wraps between words
                console.print()
            return
        table = Table(title=Text(visible(title)) if title else None, header_style="bold", box=box.SIMPLE_HEAD,
                      show_edge=False, pad_edge=False, collapse_padding=True)
        for i in shown:
            name, label = columns[i]
            table.add_column(Text(label), width=widths[i], overflow="fold", no_wrap=name not in WRAPPING_COLUMNS)
        for row, line in zip(items, cells, strict=True):
            style = "red" if row.get("status") == "overdue" else None
            # Text, not str: a title holding "[/]" or "[link=…]" is shown as typed, never read as markup.
            table.add_row(*(Text(line[i]) for i in shown), style=style)
        console.print(table)
        return
    lines = [[label for _, label in columns], *cells]
    widths_ = [max(len(line[i]) for line in lines) for i in range(len(columns))]
    if title:
        from tracker.domain.checks import visible

        click.echo(visible(title))
    for line in lines:
        click.echo("  ".join(text.ljust(width) for text, width in zip(line, widths_, strict=True)).rstrip())

