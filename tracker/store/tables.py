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
    termination_notice: str | None = None  # termination for convenience: the notice it takes ("60 days")
    termination_sent_on: date | None = None  # when notice of termination for convenience was sent
    value_basis: str | None = None  # what `value` is the price of: "term" (None), "year" or "month"
    renewal_uplift_cap: Decimal | None = Field(default=None, sa_type=sa.Numeric(6, 2))  # percent
    termination_fee: Decimal | None = Field(default=None, sa_type=sa.Numeric(6, 2))  # percent of the term's rest
    # What the contract grants (training on our data, liability cap, exit, SLA …): canonical JSON values
    protections: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
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


class PriceChange(SQLModel, table=True):
    """A new price from a date on (a renewal's uplift, a renegotiation): the contract's value history."""

    __tablename__ = "price_change"

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    amount: Decimal = Field(sa_type=sa.Numeric(16, 2))  # in the contract's currency and value basis
    effective_from: date
    uplift: Decimal | None = Field(default=None, sa_type=sa.Numeric(8, 2))  # percent over the price before
    above_cap: bool = False  # the uplift exceeds the contract's renewal uplift cap
    note: str | None = None
    created_at: datetime = _instant()


class Meter(SQLModel, table=True):
    """A usage meter a contract declares: a cap, an allowance or a commitment per period."""

    __table_args__ = (sa.UniqueConstraint("contract_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    name: str = Field(max_length=40)
    unit: str
    limit: Decimal = Field(sa_type=sa.Numeric(20, 2))
    period: str  # "term" | "month" | "quarter" | "year" | a billing duration such as "1 month"
    kind: str  # cap | allowance | commitment
    thresholds: list[int] = _json_list()


class UsageRecord(SQLModel, table=True):
    """Usage of a meter: an increment, or a reading of the period's total (``total``); imports are idempotent."""

    __tablename__ = "usage_record"
    __table_args__ = (sa.UniqueConstraint("meter_id", "import_key"),)

    id: int | None = Field(default=None, primary_key=True)
    meter_id: int = Field(foreign_key="meter.id", index=True)
    on: date
    amount: Decimal = Field(sa_type=sa.Numeric(20, 2))
    total: bool = False
    reset: bool = False
    note: str | None = None
    import_key: str | None = None  # a row of an imported file: importing it again changes nothing
    created_at: datetime = _instant()


class Heartbeat(SQLModel, table=True):
    """The last completed pass of one scheduler loop (one row per loop name, overwritten each pass)."""

    name: str = Field(primary_key=True, max_length=200)  # "run" unless a deployment names its loops
    worker: str  # host:pid of the process that ran the pass
    started_at: datetime = _instant()
    finished_at: datetime = _instant()
    ok: bool = True  # False when the pass failed as a whole (database unreachable, …)
    detail: str | None = None


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
