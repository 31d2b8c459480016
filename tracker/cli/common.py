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
from datetime import UTC, date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

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


@dataclass
class State:
    """Global options, resolved lazily: a command that needs no database never opens one."""

    db_option: str | None = None
    config_option: str | None = None
    today_option: str | None = None
    actor_option: str | None = None
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
        if self.today_option:
            return parse_day(self.today_option, "--today")
        from zoneinfo import ZoneInfo

        return datetime.now(ZoneInfo(self.settings.timezone)).date()

    @property
    def now(self) -> datetime:
        """The current instant; with ``--today`` the same time of day on that date (for simulations)."""
        real = datetime.now(UTC)
        if self.today_option:
            return datetime.combine(self.today, real.time().replace(tzinfo=None), tzinfo=UTC)
        return real

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

        return Context(today=self.today, now=self.now, actor=self.actor, settings=self.settings)

    def engine(self, migrate: bool = True) -> Engine:
        """The engine; an empty database is migrated to the newest schema on first use."""
        if self._engine is None:
            from tracker.store.engine import make_engine
            from tracker.store.schema import ensure_current

            self._engine = make_engine(self.db_url)
            if migrate:
                with database_errors(self.db_url):
                    ensure_current(self._engine, self.db_url)
        return self._engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction on the database: everything or nothing is written."""
        from tracker.store.engine import session_scope

        _ = self.settings  # a broken settings file is reported before any work, whatever the command
        engine = self.engine()
        with database_errors(self.db_url), session_scope(engine) as session:
            yield session


@contextmanager
def database_errors(url: str) -> Iterator[None]:
    """Turn a driver's connection failure into one clear line (exit 1), the password masked."""
    try:
        yield
    except TrackerError:
        raise
    except Exception as exc:
        from tracker.store.engine import is_connection_failure, unreachable

        if is_connection_failure(exc):
            raise unreachable(url, exc) from exc
        raise


pass_state = click.make_pass_decorator(State)


class TrackerGroup(click.Group):
    """Translates :class:`TrackerError` into a message and its exit code: never a traceback for a mistake."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TrackerError as exc:
            click.secho(f"Error: {exc.message}", err=True, fg="red")
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
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict) and set(value) == {"done", "required"}:
        return f"{value['done']} of {value['required']}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def is_terminal() -> bool:
    return sys.stdout.isatty() and os.environ.get("TERM") != "dumb"


def print_table(items: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]], title: str | None = None) -> None:
    if is_terminal():
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, header_style="bold")
        for _, label in columns:
            table.add_column(label)
        for row in items:
            style = "red" if row.get("status") == "overdue" else None
            table.add_row(*(_display(_cell(row, name)) for name, _ in columns), style=style)
        Console().print(table)
        return
    cells = [[label for _, label in columns]] + [[_display(_cell(row, n)) for n, _ in columns] for row in items]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    if title:
        click.echo(title)
    for line in cells:
        click.echo("  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip())

