"""Identifiers people type and calendars keep: the one format of each, written and read here only.

- obligation id: ``<contract-key>/<n>`` for entered obligations, ``<contract-key>/<kind>`` for derived ones;
- occurrence reference: the id plus ``@<occurrence>`` (``T<n>`` for a term-derived deadline, the
  unadjusted ISO date for a recurrence, nothing for a one-off);
- calendar UID: ``<id>/<occurrence|once>@tracker``, stable across edits of dates, notice periods and titles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from tracker.domain.checks import KEY_MAX
from tracker.domain.kinds import DERIVED_KINDS
from tracker.errors import InvalidInput

UID_DOMAIN = "tracker"
KEY_PATTERN = re.compile(rf"^[a-z0-9][a-z0-9._-]{{0,{KEY_MAX - 1}}}$")
KEY_EXPECTED = f"a slug of lower-case letters, digits, '-', '_' or '.' (at most {KEY_MAX})"
ID_EXPECTED = "an obligation id such as acme-ai-support/2 or acme-ai-support/2@2026-12-05 (see `tracker show`)"


def obligation_id(contract_key: str, kind: str, number: int, derived: bool) -> str:
    """``<contract>/<n>`` for an entered obligation, ``<contract>/<kind>`` for a derived one."""
    return f"{contract_key}/{kind if derived else number}"


def occurrence_ref(public_id: str, occurrence_key: str) -> str:
    """The id with ``@<occurrence>`` when the obligation has more than one occurrence."""
    return f"{public_id}@{occurrence_key}" if occurrence_key else public_id


def event_uid(public_id: str, occurrence_key: str) -> str:
    """The calendar UID of one occurrence: ``<id>/<occurrence|once>@tracker``."""
    return f"{public_id}/{occurrence_key or 'once'}@{UID_DOMAIN}"


def term_key(term_number: int) -> str:
    """The occurrence key of a term-derived deadline: ``T<n>`` (1 = the initial term)."""
    return f"T{term_number}"


def term_of_key(key: str) -> int | None:
    """The term number in a ``T<n>`` occurrence key, else None."""
    return int(key[1:]) if key.startswith("T") and key[1:].isdigit() else None


def occurrence_day(key: str) -> date | None:
    """The date in an occurrence key or reference (``2026-12-05``), else None."""
    try:
        return date.fromisoformat(key)
    except ValueError:
        return None


@dataclass(frozen=True)
class ObligationRef:
    """A parsed obligation reference: which contract, which obligation, and optionally which occurrence."""

    contract_key: str
    number: int | None  # an entered obligation's number
    kind: str | None  # a derived obligation's kind
    occurrence: str | None

    @property
    def derived(self) -> bool:
        return self.kind is not None


def parse_ref(text: str, field: str = "id") -> ObligationRef:
    """Read ``<contract>/<n|kind>[@<occurrence>]``; raise :class:`InvalidInput` naming ``field`` otherwise."""
    base, _, occurrence = text.partition("@")
    key, sep, suffix = base.rpartition("/")
    if not sep or not KEY_PATTERN.match(key) or not suffix:
        raise InvalidInput.field(field, text, ID_EXPECTED)
    if suffix.isdigit():
        if len(suffix) > 9:
            raise InvalidInput.field(field, text, ID_EXPECTED)
        return ObligationRef(key, int(suffix), None, occurrence or None)
    if suffix not in DERIVED_KINDS:
        raise InvalidInput.field(field, text, ID_EXPECTED)
    return ObligationRef(key, None, suffix, occurrence or None)
