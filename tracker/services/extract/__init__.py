"""Draft contracts from documents (issue 13): fields in the import schema, each with its quoted evidence.

``extract_file(path, us)`` reads one document and proposes a :class:`Draft`; ``analyse(text)`` does the same
for text already in memory. The analysis is pure (text in, draft out); only :mod:`.readers` touches files.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tracker.services.extract.analyse import FIELDS, analyse
from tracker.services.extract.model import Draft, Evidence
from tracker.services.extract.readers import EXPECTED, SUFFIXES, Unreadable, check_suffix, read_document

__all__ = ["EXPECTED", "FIELDS", "SUFFIXES", "Draft", "Evidence", "analyse", "check_suffix", "extract_file"]


def extract_file(path: Path, us: str | None = None, name: str | None = None) -> Draft:
    """The draft of one document; an unreadable one gives a draft with ``readable=False`` and the reason.

    Raises :class:`~tracker.errors.InvalidInput` for a file type the extractor does not read.
    """
    label = name if name is not None else str(path)
    try:
        document = read_document(path)
    except Unreadable as exc:
        return Draft(label, warnings=[exc.message], readable=False)
    draft = analyse(document.text, label, us)
    if document.page_starts:
        # Paged documents locate evidence by page; the offset into the joined pages would mean nothing to a reader.
        draft.evidence = {key: replace(evidence, page=document.page_of(evidence.offset), offset=None)
                          for key, evidence in draft.evidence.items()}
    draft.warnings = document.warnings + draft.warnings
    return draft
