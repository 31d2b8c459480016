"""Tables on a terminal: user text is never markup nor raw escape sequences, and narrow terminals keep
every date, id and key whole.

The runner's stdout is no terminal, so the tests say it is one: ``is_terminal`` is patched, and rich is
told through its own variables (``TTY_COMPATIBLE=1``, ``COLUMNS``).
"""

from __future__ import annotations

import re
import sqlite3

import pytest

from tests.conftest import SAMPLE_CSV, SAMPLE_YAML, Tracker

SGR = re.compile(r"\x1b\[[0-9;]*m")  # the colours rich writes itself
MARKUP_TITLE = "Review [/] and [link=https://evil.example]click here[/link] [bold red]now"


def _terminal(tracker: Tracker, monkeypatch: pytest.MonkeyPatch, columns: int) -> Tracker:
    monkeypatch.setattr("tracker.cli.common.is_terminal", lambda: True)
    tracker.env = {"TTY_COMPATIBLE": "1", "COLUMNS": str(columns), "TERM": "xterm-256color"}
    return tracker


def _screen(tracker: Tracker, *args: str) -> str:
    """What the terminal shows: the command's output without rich's own colour codes."""
    return SGR.sub("", tracker.ok(*args))


@pytest.fixture
def sample(sqlite_tracker: Tracker) -> Tracker:
    sqlite_tracker.ok("import", str(SAMPLE_YAML))
    sqlite_tracker.ok("import", str(SAMPLE_CSV))
    return sqlite_tracker


def test_titles_are_shown_as_typed_never_as_markup(sample: Tracker, monkeypatch: pytest.MonkeyPatch) -> None:
    sample.ok("obligation", "add", "acme-ai-support", "--kind", "custom", "--title", MARKUP_TITLE,
              "--due", "2026-12-01")
    sample.ok("edit", "acme-ai-support", "--vendor", "Acme [/] AI")
    _terminal(sample, monkeypatch, 250)
    for args in (("upcoming",), ("list",), ("show", "acme-ai-support"), ("history", "acme-ai-support")):
        screen = _screen(sample, *args)
        assert "[/]" in screen, args
        assert "\x1b]8;" not in screen, args  # no hidden hyperlink
    assert MARKUP_TITLE in _screen(sample, "upcoming")
    assert "Acme [/] AI" in _screen(sample, "list")


def test_stored_control_characters_are_shown_as_visible_escapes(
    sample: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Text stored before input was checked (or written to the database directly) still holds them.
    database = sqlite3.connect(sample.db_url.removeprefix("sqlite:///"))
    with database:
        database.execute("UPDATE contract SET title = ?, vendor = ? WHERE key = 'acme-ai-support'",
                         ("Title \x1b[2J\x1b]8;;https://evil.example\x1b\\x\u202eevil", "Acme\x07 AI"))
        database.execute("UPDATE obligation SET title = 'Pay \x1b[31mnow' WHERE kind = 'invoice'")
    database.close()
    _terminal(sample, monkeypatch, 250)
    for args in (("upcoming",), ("list",), ("show", "acme-ai-support"), ("history", "acme-ai-support")):
        screen = _screen(sample, *args)
        assert "\x1b" not in screen and "\x07" not in screen and "\u202e" not in screen, args
    show = _screen(sample, "show", "acme-ai-support")
    assert "Title ␛[2J␛]8;;https://evil.example␛\\x\\u202eevil" in show.splitlines()[0]
    assert "Pay ␛[31mnow" in _screen(sample, "upcoming", "--within", "1y")
    monkeypatch.setattr("tracker.cli.common.is_terminal", lambda: False)  # piped: plain lines, escaped too
    sample.env = {}
    piped = sample.ok("show", "acme-ai-support") + sample.ok("list")
    assert "\x1b" not in piped and "Acme␇ AI" in piped


@pytest.mark.parametrize("columns", [80, 60, 40])
def test_narrow_terminals_keep_every_date_id_and_key_whole(
    sample: Tracker, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    upcoming = sample.json("upcoming", "--within", "1y")
    contracts = sample.json("list")
    shown = sample.json("show", "acme-ai-support")["obligations"]
    _terminal(sample, monkeypatch, columns)
    screen = _screen(sample, "upcoming", "--within", "1y")
    assert all(len(line) <= columns for line in screen.splitlines())
    words = set(screen.split())
    for row in upcoming:
        assert row["due"] in words and row["obligation"] in words, row
    screen = _screen(sample, "list")
    words = set(screen.split())
    for contract in contracts:
        assert contract["key"] in words, contract["key"]
        assert (contract["notice_deadline"] or "-") in words
    screen = _screen(sample, "show", "acme-ai-support")
    words = set(screen.split())
    for obligation in shown:
        assert obligation["id"] in words and (obligation["next_due"] or "-") in words


def test_wide_terminals_show_every_column(sample: Tracker, monkeypatch: pytest.MonkeyPatch) -> None:
    _terminal(sample, monkeypatch, 250)
    header = _screen(sample, "upcoming").splitlines()[0].split()
    assert header == ["Due", "Days", "Status", "Contract", "Kind", "Title", "Owed", "by", "Progress", "Id"]
