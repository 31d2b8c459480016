"""The catalogue of obligation kinds: the one place that says what each kind is and how it behaves.

Every caller (validation, the ledger, the timeline, calendars, reminders, invites, settings) asks this
module, so adding a kind or changing a label is one edit.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """What the tracker knows about one kind of obligation."""

    name: str
    label: str  # shown in calendars, messages and tables: "Notice deadline"
    derived: bool = False  # computed from the contract's terms, never entered by hand
    default_title: str = ""  # the title a derived obligation is created with
    reminders: bool = True  # reminder stages are planned for it
    alarms: bool = True  # calendar VALARMs from its lead days
    invite: bool = False  # emailed as a calendar invite by default (settings may change the list)


CATALOGUE: tuple[Kind, ...] = (
    # Derived kinds, in the order `show` lists them; each has a fixed negative obligation number (-1, -2, -3).
    Kind("notice_deadline", "Notice deadline", derived=True, default_title="Last day to give notice of non-renewal",
         invite=True),
    # Renewals are informational: the notice deadline before them carries the reminders and alarms.
    Kind("renewal", "Auto-renewal", derived=True, default_title="Auto-renewal takes effect", reminders=False,
         alarms=False),
    Kind("term_end", "Contract ends", derived=True, default_title="Contract ends", invite=True),
    Kind("invoice", "Invoice"),
    Kind("payment", "Payment"),
    Kind("model_change", "Model change", invite=True),
    Kind("rollback_window", "Rollback window", invite=True),
    Kind("training", "Training"),
    Kind("data_export", "Data export"),
    Kind("price_lock", "Price lock"),
    Kind("certification", "Certification"),
    Kind("pilot_review", "Pilot review"),
    Kind("sla_review", "SLA review"),
    Kind("custom", "Deadline"),
)

KINDS: dict[str, Kind] = {kind.name: kind for kind in CATALOGUE}
DERIVED_KINDS: tuple[str, ...] = tuple(kind.name for kind in CATALOGUE if kind.derived)
ENTERED_KINDS: tuple[str, ...] = tuple(kind.name for kind in CATALOGUE if not kind.derived)
ALL_KINDS: tuple[str, ...] = DERIVED_KINDS + ENTERED_KINDS
DEFAULT_INVITE_KINDS: tuple[str, ...] = tuple(kind.name for kind in CATALOGUE if kind.invite)
OWED_BY = ("us", "vendor")


def kind_of(name: str) -> Kind:
    """The catalogue entry of ``name``; an unknown name (a row from a newer tracker) gets a neutral entry."""
    known = KINDS.get(name)
    return known if known is not None else Kind(name, name.replace("_", " ").capitalize())


def label(name: str) -> str:
    """The kind's label for people: "Notice deadline", "SLA review"."""
    return kind_of(name).label


def derived_number(name: str) -> int:
    """The fixed obligation number of a derived kind: -1, -2, -3 in catalogue order."""
    return -(DERIVED_KINDS.index(name) + 1)
