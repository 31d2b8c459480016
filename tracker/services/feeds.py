"""Calendar subscription feeds: add (a secret URL shown once), list, revoke, and look up by token.

Only the SHA-256 of a feed's token is stored; a presented token is hashed and compared in constant
time, so neither the database nor a timing side channel gives a working URL away.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import TypedDict

from tracker.errors import InvalidInput, NotFound
from tracker.services.context import Context
from tracker.services.events import instant_text, record_event
from tracker.services.ics import check_filters
from tracker.store import Session
from tracker.store import feeds as feed_rows
from tracker.store.tables import Feed

NAME_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
NAME_EXPECTED = "1 to 64 letters, digits, '-', '_' or '.', e.g. team or alice-renewals"
# token_urlsafe(32) gives 43 characters; accept a little either way, nothing outside its alphabet.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,128}")


@dataclass(frozen=True)
class NewFeed:
    """A feed just added, with its token: the only moment the token exists outside the subscriber."""

    feed: Feed
    token: str
    url: str

    @property
    def webcal_url(self) -> str:
        """The same URL as ``webcal://``: a click on it opens the subscription dialog of a calendar app."""
        return "webcal://" + self.url.split("://", 1)[1]


def token_hash(token: str) -> str:
    """The stored form of a token: SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def feed_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/feeds/{token}.ics"


def add_feed(
    session: Session, ctx: Context, name: str, *, owner: str | None = None, contract_key: str | None = None,
) -> NewFeed:
    """Create a feed (optionally for one owner or contract) and return its secret URL, shown once."""
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidInput.field("name", name, NAME_EXPECTED)
    existing = feed_rows.by_name(session, name)
    if existing is not None:
        hint = " (a revoked feed keeps its name)" if existing.revoked_at else ""
        expected = f"a name not used by another feed{hint}; see `tracker calendar feed list`"
        raise InvalidInput.field("name", name, expected)
    check_filters(session, owner, contract_key)
    token = secrets.token_urlsafe(32)
    feed = Feed(name=name, token_hash=token_hash(token), owner=owner, contract_key=contract_key, created_at=ctx.now)
    session.add(feed)
    record_event(session, ctx, "feed_added", None, name=name, owner=owner, contract_key=contract_key)
    session.flush()
    return NewFeed(feed, token, feed_url(ctx.settings.feed_base_url, token))


class FeedView(TypedDict):
    """One feed in `calendar feed list --format json`: never its token or the token's hash."""

    name: str
    owner: str | None
    contract: str | None
    created_at: str
    revoked_at: str | None
    revoked: bool


def list_feeds(session: Session) -> list[FeedView]:
    """Every feed with its filters and dates, oldest first."""
    return [
        FeedView(
            name=feed.name, owner=feed.owner, contract=feed.contract_key, created_at=instant_text(feed.created_at),
            revoked_at=instant_text(feed.revoked_at) if feed.revoked_at else None,
            revoked=feed.revoked_at is not None,
        )
        for feed in feed_rows.listed(session)
    ]


def revoke_feed(session: Session, ctx: Context, name: str) -> Feed:
    """Revoke a feed: its URL answers 404 from now on. The name stays taken."""
    feed = feed_rows.by_name(session, name)
    if feed is None:
        raise NotFound.field("name", name, "the name of an existing feed (see `tracker calendar feed list`)")
    if feed.revoked_at is not None:
        expected = f"a feed that is not revoked yet (it was revoked at {instant_text(feed.revoked_at)})"
        raise InvalidInput.field("name", name, expected)
    feed.revoked_at = ctx.now
    session.add(feed)
    record_event(session, ctx, "feed_revoked", None, name=name)
    return feed


@dataclass(frozen=True)
class LiveFeed:
    """What the feed server needs of a live feed: which calendar to build."""

    id: int
    name: str
    owner: str | None
    contract_key: str | None


def lookup(session: Session, token: str) -> LiveFeed | None:
    """The live feed a token opens, or None for a malformed, unknown or revoked token (indistinguishably)."""
    if not TOKEN_PATTERN.fullmatch(token):
        return None
    presented = token_hash(token)
    feed = feed_rows.by_token_hash(session, presented)
    stored = feed.token_hash if feed is not None else "0" * 64
    if not hmac.compare_digest(stored.encode("ascii"), presented.encode("ascii")) or feed is None:
        return None
    if feed.revoked_at is not None or feed.id is None:
        return None
    return LiveFeed(feed.id, feed.name, feed.owner, feed.contract_key)
