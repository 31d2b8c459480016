"""`tracker calendar feed add|list|revoke`: a secret URL shown once, only its hash stored."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from tests.conftest import Tracker

URL = re.compile(r"^http://127\.0\.0\.1:8765/feeds/([A-Za-z0-9_-]{43})\.ics$")


def add(tracker: Tracker, *args: str) -> str:
    """Add a feed; return its token (from the URL printed once)."""
    result = tracker("calendar", "feed", "add", *args)
    assert result.exit_code == 0, result.stderr
    match = URL.match(result.stdout.strip())
    assert match, result.stdout
    assert "not shown again" in result.stderr
    assert f"webcal://{result.stdout.strip().split('://', 1)[1]}" in result.stderr  # the same URL as webcal://
    return match.group(1)


def feed_rows(tracker: Tracker) -> list[dict[str, object]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(tracker.db_url)
    try:
        with engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(text("SELECT * FROM feed ORDER BY id"))]
    finally:
        engine.dispose()


def ledger_events(tracker: Tracker, kind: str) -> list[dict[str, object]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(tracker.db_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT payload FROM event WHERE kind = :kind ORDER BY id"), {"kind": kind})
            return [p if isinstance(p, dict) else json.loads(p) for (p,) in rows]
    finally:
        engine.dispose()


def test_add_prints_a_secret_url_once_and_stores_only_its_hash(sample_tracker: Tracker) -> None:
    token = add(sample_tracker, "team")
    other = add(sample_tracker, "carol", "--owner", "carol@example.com")
    assert token != other
    rows = feed_rows(sample_tracker)
    assert [r["name"] for r in rows] == ["team", "carol"]
    assert rows[0]["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert all(token not in str(value) and other not in str(value) for row in rows for value in row.values())
    assert rows[1]["owner"] == "carol@example.com"
    # The ledger records the change without the token.
    events = ledger_events(sample_tracker, "feed_added")
    assert [e["name"] for e in events] == ["team", "carol"]
    assert token not in json.dumps(events) and rows[0]["token_hash"] not in json.dumps(events)


def test_list_shows_names_filters_and_dates_never_tokens(sample_tracker: Tracker) -> None:
    token = add(sample_tracker, "team")
    add(sample_tracker, "globex", "--contract", "globex-crm")
    listed = sample_tracker.json("calendar", "feed", "list")
    assert [(f["name"], f["owner"], f["contract"], f["revoked"]) for f in listed] == [
        ("team", None, None, False), ("globex", None, "globex-crm", False),
    ]
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", f["created_at"]) for f in listed)
    table = sample_tracker.ok("calendar", "feed", "list")
    digest = hashlib.sha256(token.encode()).hexdigest()
    for output in (table, json.dumps(listed)):
        assert token not in output and digest not in output
    assert "globex-crm" in table


def test_revoke(sample_tracker: Tracker) -> None:
    add(sample_tracker, "team")
    out = sample_tracker.ok("calendar", "feed", "revoke", "team")
    assert "revoked" in out
    listed = sample_tracker.json("calendar", "feed", "list")
    assert listed[0]["revoked"] is True and listed[0]["revoked_at"]
    again = sample_tracker("calendar", "feed", "revoke", "team")
    assert again.exit_code == 2 and "not revoked yet" in again.stderr
    assert [e["name"] for e in ledger_events(sample_tracker, "feed_revoked")] == ["team"]


def test_lookup_hashes_and_ignores_revoked_and_unknown_tokens(sample_tracker: Tracker) -> None:
    from tracker.cli.common import State
    from tracker.services.feeds import lookup

    token = add(sample_tracker, "team")
    state = State(db_option=sample_tracker.db_url, today_option="2026-11-21", actor_option="tester")
    with state.session() as session:
        found = lookup(session, token)
        assert found is not None and found.name == "team"
        assert lookup(session, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
        assert lookup(session, hashlib.sha256(token.encode()).hexdigest()) is None  # the hash is not a token
        assert lookup(session, "../../etc/passwd") is None
    sample_tracker.ok("calendar", "feed", "revoke", "team")
    with state.session() as session:
        assert lookup(session, token) is None
    state.engine().dispose()


@pytest.mark.parametrize("args, message", [
    (("team",), "name: 'team' is invalid; expected a name not used by another feed"),
    (("bad name",), "name: 'bad name' is invalid; expected 1 to 64 letters"),
    (("x" * 65,), "expected 1 to 64 letters"),
    (("new", "--owner", "nobody@example.com"), "owner: 'nobody@example.com' is invalid"),
    (("new", "--contract", "no-such-contract"), "contract: 'no-such-contract' is invalid"),
])
def test_bad_input_is_exit_2_and_writes_nothing(sample_tracker: Tracker, args: tuple[str, ...], message: str) -> None:
    add(sample_tracker, "team")
    result = sample_tracker("calendar", "feed", "add", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""  # no URL
    assert [r["name"] for r in feed_rows(sample_tracker)] == ["team"]


def test_revoked_names_stay_taken(sample_tracker: Tracker) -> None:
    add(sample_tracker, "team")
    sample_tracker.ok("calendar", "feed", "revoke", "team")
    result = sample_tracker("calendar", "feed", "add", "team")
    assert result.exit_code == 2 and "a revoked feed keeps its name" in result.stderr


def test_unknown_feed_name(sample_tracker: Tracker) -> None:
    result = sample_tracker("calendar", "feed", "revoke", "nope")
    assert result.exit_code == 2
    assert "name: 'nope' is invalid; expected the name of an existing feed" in result.stderr


def test_empty_list(tracker: Tracker) -> None:
    assert "No feeds yet" in tracker.ok("calendar", "feed", "list")
    assert tracker.json("calendar", "feed", "list") == []
