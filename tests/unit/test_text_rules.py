"""The text rules of ``tracker.domain.checks`` and the quoting of ``tracker.errors``: one place each."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tracker.domain.checks import (
    NOTE_MAX,
    TEXT_MAX,
    UNSAFE_IN_LINE,
    checked_note,
    email_problem,
    text_problem,
    visible,
)
from tracker.errors import QUOTE_LIMIT, InvalidInput, Problem, shorten


@given(st.text())
def test_visible_text_never_holds_a_control_character(text: str) -> None:
    assert not UNSAFE_IN_LINE.search(visible(text))


@given(st.one_of(st.text(), st.lists(st.text()), st.dictionaries(st.text(), st.integers()), st.integers()))
def test_a_quoted_value_is_short_and_holds_no_raw_control_character(value: object) -> None:
    quoted = shorten(value)
    assert len(quoted) <= QUOTE_LIMIT + 2
    assert not UNSAFE_IN_LINE.search(quoted)


def test_messages_quote_a_long_value_with_an_ellipsis() -> None:
    message = str(Problem("title", "x" * 10_000, "text"))
    assert message == f"title: '{'x' * (QUOTE_LIMIT - 2)}…' is invalid; expected text"
    assert len(shorten("\x00" * 60)) <= QUOTE_LIMIT + 2  # escapes are counted, not the characters behind them


def test_one_line_fields_and_notes() -> None:
    assert text_problem("t" * TEXT_MAX) is None and text_problem("t" * (TEXT_MAX + 1))
    for unsafe in ("\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\x85", "\u202a", "\u202e", "\u2066", "\u2069", "\ud800"):
        assert text_problem(f"a{unsafe}b"), repr(unsafe)
    assert checked_note("line 1\nline 2\tindented") == "line 1\nline 2\tindented"
    for bad in ("a\rb", "a\x00b", "a\u202eb", "n" * (NOTE_MAX + 1)):
        try:
            checked_note(bad)
        except InvalidInput as exc:
            assert exc.problems[0].field == "--note"
        else:
            raise AssertionError(repr(bad))


def test_email_addresses_are_checked_for_syntax_only() -> None:
    assert email_problem("alice@example.com") is None
    assert email_problem("alice@example..com")
    assert email_problem("alice@example")
