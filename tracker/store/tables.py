"""SQLModel tables. Rows are mapped to immutable domain values explicitly (:mod:`tracker.store.mapping`).

Dates are plain ``date`` (calendar deadlines in the contract's time zone); instants are aware UTC
datetimes stored as ``timestamptz`` on PostgreSQL. The materialised ``next_due`` and
``next_remind_on`` columns are indexed so a scheduler pass and the timeline cost what is due, not the
size of the ledger.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import JSON, MetaData
from sqlalchemy.types import TypeDecorator
from sqlmodel import Column, Field, SQLModel

# A naming convention makes Alembic's batch mode (SQLite) and autogenerate stable across engines.
SQLModel.metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every engine (SQLite stores naive text; PostgreSQL timestamptz)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _instant(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


def _json_list() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Contract(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=80)
    title: str
    vendor: str = Field(index=True)
    owner: str = Field(index=True)
    backup_owner: str | None = None
    start: date
    term: str | None = None  # canonical duration text, e.g. "12 months"
    end: date | None = None  # explicit inclusive end, when no term is given
    auto_renew: bool = False
    renewal_term: str | None = None
    max_renewals: int | None = None
    notice: str | None = None
    holidays: str | None = None
    timezone: str | None = None
    value: Decimal | None = Field(default=None, sa_type=sa.Numeric(16, 2))
    currency: str | None = Field(default=None, max_length=3)
    tags: list[str] = _json_list()
    notify: list[str] = _json_list()
    model_change_notice: str | None = None
    rollback_window: str | None = None
    notice_given_on: date | None = None
    archived: bool = False
    revision: int = 1
    created_at: datetime = _instant()
    updated_at: datetime = _instant()


class Obligation(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("contract_id", "number"),
        sa.Index("ix_obligation_open_next_due", "status", "next_due"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    number: int  # per contract, from 1; derived kinds take -1..-3 and use the kind as their public suffix
    kind: str
    title: str
    owed_by: str = "us"
    derived: bool = False
    due: date | None = None
    every: str | None = None
    start: date | None = None
    until: date | None = None
    roll: str = "previous"
    lead: list[int] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    required: int | None = None
    clause: str | None = None
    breach: str | None = None  # a vendor's model-change notice shorter than promised: alerted once
    status: str = "open"  # open | done | waived: the obligation as a whole (a one-off's only occurrence)
    revision: int = 1  # bumped whenever its dates or text change: the calendar SEQUENCE
    next_due: date | None = Field(default=None, index=True)  # earliest open occurrence, materialised
    next_remind_on: date | None = Field(default=None, index=True)  # next reminder stage, materialised
    refreshed_on: date | None = Field(default=None, index=True)  # the as-of date of the two above
    invite_on: date | None = Field(default=None, index=True)  # when the invite planner must look again
    created_at: datetime = _instant()
    updated_at: datetime = _instant()


class OccurrenceState(SQLModel, table=True):
    """What happened to one occurrence: settled, progress counted, acknowledged, renewal observed."""

    __tablename__ = "occurrence_state"
    __table_args__ = (sa.UniqueConstraint("obligation_id", "occurrence"),)

    id: int | None = Field(default=None, primary_key=True)
    obligation_id: int = Field(foreign_key="obligation.id", index=True)
    occurrence: str  # the occurrence key: "" | "T<n>" | "YYYY-MM-DD"
    due: date
    status: str = "open"  # open | done | waived
    settled_on: date | None = None
    progress: int = 0
    acked_revision: int | None = None  # reminders stop while the obligation's revision is unchanged
    observed: bool = False  # a renewal that took effect has been recorded as a ledger event
    updated_at: datetime = _instant()


class Progress(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    obligation_id: int = Field(foreign_key="obligation.id", index=True)
    occurrence: str
    count: int
    on: date
    note: str | None = None
    created_at: datetime = _instant()


class Event(SQLModel, table=True):
    """The append-only ledger: every change is one or more events."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _instant(index=True)
    actor: str
    kind: str = Field(index=True)
    contract_id: int | None = Field(default=None, foreign_key="contract.id", index=True)
    obligation_id: int | None = Field(default=None, foreign_key="obligation.id")
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Feed(SQLModel, table=True):
    """A calendar subscription: only the SHA-256 of its secret token is stored."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    token_hash: str = Field(unique=True, max_length=64)
    owner: str | None = None
    contract_key: str | None = None
    created_at: datetime = _instant()
    revoked_at: datetime | None = _instant(default=None, nullable=True)


class Delivery(SQLModel, table=True):
    """The outbox: one row per (obligation, occurrence, stage, channel), written before sending."""

    __table_args__ = (
        sa.UniqueConstraint("obligation_id", "occurrence", "stage", "channel"),
        sa.Index("ix_delivery_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    obligation_id: int = Field(foreign_key="obligation.id", index=True)
    occurrence: str
    stage: str  # "lead:30", "lead:0", "overdue:1", "invite:3", "cancel", "breach", …
    channel: str  # "email:alice@example.com" or "tag:legal"
    kind: str = "reminder"  # reminder | invite | cancel | breach
    due: date
    status: str = "pending"  # pending | sending | sent | failed | dead
    attempts: int = 0
    last_error: str | None = None
    subject: str | None = None
    body: str | None = None
    next_attempt_at: datetime = _instant()
    claimed_by: str | None = None
    lease_until: datetime | None = _instant(default=None, nullable=True)
    created_at: datetime = _instant()
    sent_at: datetime | None = _instant(default=None, nullable=True)
