"""Finding what a user named: a contract by key, an obligation by its id (``acme/2``, ``acme/notice_deadline``)."""

from __future__ import annotations

from tracker.domain.ids import ID_EXPECTED, parse_ref
from tracker.errors import NotFound
from tracker.store import Session
from tracker.store import contracts as contract_rows
from tracker.store import obligations as obligation_rows
from tracker.store.tables import Contract, Obligation


def get_contract(session: Session, key: str) -> Contract:
    """The contract with ``key``; :class:`NotFound` (exit 2) otherwise."""
    contract = contract_rows.by_key(session, key)
    if contract is None:
        raise NotFound.field("key", key, "the key of an existing contract (see `tracker list`)")
    return contract


def resolve_obligation(session: Session, text: str) -> tuple[Contract, Obligation, str | None]:
    """The contract, the obligation and the ``@occurrence`` (or None) of an id ``<contract>/<n|kind>[@occ]``."""
    ref = parse_ref(text)
    contract = contract_rows.by_key(session, ref.contract_key)
    obligation = None
    if contract is not None and contract.id is not None:
        obligation = obligation_rows.find(session, contract.id, ref.number, ref.kind)
    if contract is None or obligation is None:
        raise NotFound.field("id", text, ID_EXPECTED)
    return contract, obligation, ref.occurrence
