"""Values for `tracker add --from FILE`: the extracted fields as the prompts take them, with the quote of each.

A thin use of :func:`tracker.services.extract.extract_file`: only fields the import schema knows (read at
run time, so ``termination_notice`` appears once the schema has it) and only those found in the document.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tracker.domain import specs
from tracker.errors import InvalidInput
from tracker.services.extract import EXPECTED, SUFFIXES, extract_file
from tracker.services.extract.readers import Unreadable

# The scalar fields `tracker add` asks for or takes as options, in the order it asks.
PREFILLED = ("title", "vendor", "start", "term", "end", "auto_renew", "renewal_term", "notice", "termination_notice",
             "value", "currency")


def prefill(path: Path, us: str | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """(raw import-schema fields, the quoted sentence of each) extracted from ``path``.

    Raises :class:`InvalidInput` (exit 2) for a file type the extractor does not read, and
    :class:`~tracker.errors.OperationalError` (exit 1) for a file that cannot be read.
    """
    if path.suffix.lower() not in SUFFIXES:
        raise InvalidInput.field("--from", str(path), EXPECTED)
    draft = extract_file(path, us)
    if not draft.readable:
        raise Unreadable(draft.warnings[0] if draft.warnings else f"{path}: cannot be read")
    known = set(specs.CONTRACT_FIELDS)
    fields = {name: draft.contract[name] for name in PREFILLED if name in draft.contract and name in known}
    quotes = {name: draft.evidence[name].quote for name in fields if name in draft.evidence}
    return fields, quotes
