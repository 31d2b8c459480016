"""Persistence: the only package that imports SQLAlchemy, SQLModel or Alembic.

Tables (``tables``), rows mapped to domain values (``mapping``), engines and sessions (``engine``),
migrations (``schema``), the ledger-version fingerprint (``version``) and the queries services need
(``contracts``, ``obligations``, ``events``, ``feeds``, ``reads``, ``outbox``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine as Engine
    from sqlmodel import Session as Session
else:  # layers above annotate with these; only type checkers need the real classes
    Engine = object
    Session = object
