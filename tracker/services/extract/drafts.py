"""Drafts as text: a JSON array, a YAML review with the quotes as comments, and an importable YAML file.

Pure: drafts in, text out. The importable file holds only drafts that pass the import's own validation
(:func:`tracker.domain.specs.parse_contract`), so ``tracker import`` takes it unchanged.
"""

from __future__ import annotations

import json
import re
import textwrap
import unicodedata
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml

from tracker.domain import specs
from tracker.errors import InvalidInput
from tracker.services.extract.analyse import FIELDS
from tracker.services.extract.model import Draft, Evidence

WIDTH = 110  # comment lines wrap here
REQUIRED = ("title", "vendor", "owner", "start")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BIDI = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"), None)


def safe(text: str) -> str:
    """Document text made inert for a terminal or a file: control characters become spaces, bidi overrides go."""
    text = text.translate(_BIDI)
    return "".join(" " if unicodedata.category(char) == "Cc" else char for char in text)


def _scalar(value: Any) -> str:
    """One YAML scalar exactly as PyYAML writes it (quoted when it would read back as something else)."""
    if isinstance(value, str) and _ISO_DATE.match(value):
        with suppress(ValueError):  # an impossible date stays text; the import reports it
            value = date.fromisoformat(value)
    dumped = yaml.safe_dump({"k": safe(value) if isinstance(value, str) else value}, allow_unicode=True,
                            width=10**9, default_flow_style=False)
    return dumped[len("k: "):].rstrip("\n")


def _where(evidence: Evidence) -> str:
    place = f"p. {evidence.page}" if evidence.page is not None else (
        f"offset {evidence.offset}" if evidence.offset is not None else "")
    parts = [part for part in (place, f"confidence {evidence.confidence:.2f}") if part]
    if evidence.note:
        parts.append(safe(evidence.note))
    return ", ".join(parts)


def comment(evidence: Evidence, indent: str, label: str = "", limit: int = 400) -> list[str]:
    """The evidence as YAML comment lines: the quote (cut at ``limit``), where it is and how sure."""
    quote = safe(evidence.quote)
    if len(quote) > limit:
        quote = quote[:limit].rstrip() + "…"
    text = f'{label}"{quote}" ({_where(evidence)})'
    lines = textwrap.wrap(text, width=WIDTH - len(indent) - 2, break_long_words=True, break_on_hyphens=False)
    return [f"{indent}# {line}" if i == 0 else f"{indent}#   {line}" for i, line in enumerate(lines)]


def to_json(drafts: list[Draft]) -> str:
    """The drafts as a JSON array, one object per file in the order given."""
    return json.dumps([draft.as_json() for draft in drafts], indent=2, ensure_ascii=False)


def _fields_block(contract: dict[str, Any], evidence: dict[str, Evidence], indent: str) -> list[str]:
    """``name: value`` lines, each under the comment quoting its evidence."""
    lines: list[str] = []
    for name, value in contract.items():
        if name == "obligations":
            continue
        if name in evidence:
            lines += comment(evidence[name], indent)
        lines.append(f"{indent}{name}: {_scalar(value)}")
    obligations = contract.get("obligations") or []
    if obligations:
        lines.append(f"{indent}obligations:")
        for index, obligation in enumerate(obligations):
            key = f"obligations[{index}]"
            if key in evidence:
                lines += comment(evidence[key], indent + "  ")
            for position, (name, value) in enumerate(obligation.items()):
                lead = "- " if position == 0 else "  "
                lines.append(f"{indent}  {lead}{name}: {_scalar(value)}")
    return lines


def to_review(drafts: list[Draft]) -> str:
    """A YAML review: per file, every proposed field under its quoted evidence, then the warnings."""
    lines = [f"# tracker extract: {len(drafts)} document{'s' if len(drafts) != 1 else ''}. Every value is a proposal:",
             "# check it against the quote above it before importing."]
    for draft in drafts:
        lines.append(f"- file: {_scalar(draft.file)}")
        if draft.contract:
            lines.append("  contract:")
            ordered = {name: draft.contract[name] for name in (*FIELDS, "obligations") if name in draft.contract}
            lines += _fields_block(ordered, draft.evidence, "    ")
        else:
            lines.append("  contract: {}")
        unscheduled = [key for key in draft.evidence if key.startswith("unscheduled")]
        if draft.warnings:
            lines.append("  warnings:")
            lines += [f"    - {_scalar(warning)}" for warning in draft.warnings]
        if unscheduled:
            lines.append("  # obligations found without a date (schedule them yourself):")
            for key in unscheduled:
                lines += comment(draft.evidence[key], "  ")
    return "\n".join(lines) + "\n"


@dataclass
class Importable:
    """The importable YAML text, and what a person should hear about it (on stderr)."""

    text: str
    written: int = 0
    skipped: list[str] = field(default_factory=list)  # "<file>: missing start, term or end"
    notes: list[str] = field(default_factory=list)  # fields left out because the import would reject them


def unique_key(title: str, taken: set[str]) -> str:
    """A key derived from the title, made unique with -2, -3 ... among ``taken`` (which it joins)."""
    base = specs.slugify(title)[:76].rstrip("-") or "contract"
    key, number = base, 2
    while key in taken:
        key, number = f"{base}-{number}", number + 1
    taken.add(key)
    return key


def _raw(draft: Draft, owner: str, key: str) -> dict[str, Any]:
    """The draft's fields the import schema accepts, with its key and owner."""
    allowed = set(specs.CONTRACT_FIELDS)  # read now: termination_notice joins the schema in another issue
    raw: dict[str, Any] = {"key": key}
    for name in (*FIELDS, "obligations"):
        if name in draft.contract and name in allowed:
            raw[name] = draft.contract[name]
        if name == "vendor":
            raw["owner"] = owner
    return raw


def _missing(draft: Draft) -> list[str]:
    missing = [name for name in REQUIRED if name != "owner" and not draft.contract.get(name)]
    if not (draft.contract.get("term") or draft.contract.get("end")):
        missing.append("term or end")
    return missing


def _validate(raw: dict[str, Any], evidence: dict[str, Evidence]) -> tuple[dict[str, Evidence], dict[str, str]]:
    """Leave out of ``raw`` what the import would reject; return the evidence re-keyed and why each was left out."""
    dropped: dict[str, str] = {}
    kept: list[dict[str, Any]] = []
    kept_evidence = {k: v for k, v in evidence.items() if not k.startswith(("obligations[", "unscheduled"))}
    for index, obligation in enumerate(raw.pop("obligations", None) or []):
        try:
            specs.parse_obligation(dict(obligation))
        except InvalidInput as exc:
            dropped[f"obligations[{index}]"] = f"{obligation.get('title')!r} left out: {exc.message}"
            continue
        if f"obligations[{index}]" in evidence:
            kept_evidence[f"obligations[{len(kept)}]"] = evidence[f"obligations[{index}]"]
        kept.append(obligation)
    if kept:
        raw["obligations"] = kept
    for _ in range(len(raw)):
        _, problems = specs.parse_contract(dict(raw))
        optional = [p for p in problems if p.field in raw and p.field not in (*REQUIRED, "term", "end", "key")]
        if not optional:
            break
        for problem in optional:
            if problem.field in raw:
                dropped[problem.field] = f"{raw.pop(problem.field)!r} left out: the import expects {problem.expected}"
    return kept_evidence, dropped


def to_importable(drafts: list[Draft], owner: str) -> Importable:
    """The drafts that have what ``tracker import`` needs, as one YAML file with the evidence as comments."""
    result = Importable("")
    taken: set[str] = set()
    body: list[str] = []
    for draft in drafts:
        if not draft.readable:
            result.skipped.append(f"{draft.file}: could not be read")
            continue
        missing = _missing(draft)
        if missing:
            result.skipped.append(f"{draft.file}: missing {', '.join(missing)}")
            continue
        key = unique_key(draft.contract["title"], taken)
        raw = _raw(draft, owner, key)
        evidence, dropped = _validate(raw, draft.evidence)
        _, problems = specs.parse_contract(dict(raw))
        if problems:
            result.skipped.append(f"{draft.file}: {'; '.join(str(p) for p in problems)}")
            taken.discard(key)
            continue
        result.notes += [f"{draft.file}: {name}: {why}" for name, why in dropped.items()]
        body.append(f"  # from {safe(draft.file)}")
        block = _fields_block(raw, evidence, "    ")
        block[0] = "  - " + block[0].lstrip()
        body += block
        for name, why in dropped.items():
            body += textwrap.wrap(safe(f"{name}: {why}"), WIDTH - 6, initial_indent="    # left out: ",
                                  subsequent_indent="    #   ")
        result.written += 1
    header = [
        f"# Contracts drafted by `tracker extract` from {len(drafts)} document{'s' if len(drafts) != 1 else ''}.",
        "# Each value sits under the sentence it was read from: review them, then `tracker import` this file.",
    ]
    result.text = "\n".join([*header, "contracts:" if body else "contracts: []", *body]) + "\n"
    return result
