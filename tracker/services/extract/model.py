"""What the extractor proposes: a draft contract in the import schema, with the evidence of every field.

Pure values. A field the extractor could not find is absent from ``contract`` and named in ``warnings``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from tracker.services.extract.text import Sentence

QUOTE_LIMIT = 600  # a quote longer than this is cut around the words that matched


@dataclass(frozen=True)
class Evidence:
    """Where a value comes from: the quoted sentence, its place in the document and how sure the match is.

    ``offset`` is the sentence's character offset in the text as read; ``page`` (1-based) is set for paged
    documents (PDF). ``note`` says how a value was derived when it is not written out ("resolved: ...").
    """

    quote: str
    offset: int | None
    confidence: float
    page: int | None = None
    note: str | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "quote": self.quote, "page": self.page, "offset": self.offset, "confidence": round(self.confidence, 2),
        }
        if self.note:
            data["note"] = self.note
        return data

    def weaker(self, confidence: float, note: str | None = None) -> Evidence:
        """The same evidence with a lower confidence (and a note saying why)."""
        return replace(self, confidence=min(self.confidence, confidence), note=note or self.note)


def quote_of(sentence: Sentence, at: int = 0) -> str:
    """The sentence as a quote; an over-long one is cut to a window around offset ``at`` (in the clean text)."""
    text = sentence.text
    if len(text) <= QUOTE_LIMIT:
        return text
    begin = max(0, min(at - QUOTE_LIMIT // 3, len(text) - QUOTE_LIMIT))
    piece = text[begin: begin + QUOTE_LIMIT]
    return ("…" if begin else "") + piece + ("…" if begin + QUOTE_LIMIT < len(text) else "")


def evidence_of(sentence: Sentence, confidence: float, at: int = 0, note: str | None = None) -> Evidence:
    """Evidence quoting ``sentence`` at its offset in the original text."""
    return Evidence(quote_of(sentence, at), sentence.start, confidence, note=note)


@dataclass(frozen=True)
class Finding:
    """One value found, with its evidence."""

    value: Any
    evidence: Evidence


@dataclass
class Draft:
    """The extractor's proposal for one document."""

    file: str
    contract: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, Evidence] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    readable: bool = True  # False when the file could not be read (the run then exits 1)

    def put(self, name: str, finding: Finding | None, value: Any = None) -> None:
        """Record a field and its evidence (``value`` overrides the finding's, e.g. as canonical text)."""
        if finding is None:
            return
        self.contract[name] = finding.value if value is None else value
        self.evidence[name] = finding.evidence

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "contract": self.contract,
            "evidence": {name: evidence.as_json() for name, evidence in self.evidence.items()},
            "warnings": list(self.warnings),
        }
