"""Score ``tracker extract`` on the CUAD development set (issue 13): per field, right / annotated, and the time.

    .venv/bin/python bench/extract.py                        # ../shared/cuad-dev, even and odd ids apart
    .venv/bin/python bench/extract.py --data DIR --show notice   # list the misses of one row

The gold answers are human annotations; :func:`gold_date` and :func:`gold_durations` normalise them (see
docs/extract.md): dates m/d/yy with ``[]`` for unknown parts (partial dates are not scored), durations in
free text ("successive 1 year", "60) days", "180 days / 6 months": any alternative counts).
"""

from __future__ import annotations

import argparse
import ast
import csv
import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tracker.domain.durations import Duration, parse_duration  # noqa: E402
from tracker.domain.terms import Terms, term_end  # noqa: E402
from tracker.services.extract import Draft, analyse, extract_file  # noqa: E402

DEFAULT_DATA = HERE.parent.parent / "shared" / "cuad-dev"
_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                 "ten": 10, "twelve": 12}
_GOLD_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*\)?\s*(day|week|month|year)s?", re.IGNORECASE)
# How the gold clause of a renewal says it happens: by itself (automatic) or only if someone acts (an option).
_GOLD_AUTOMATIC = re.compile(
    r"automatic|year[\s-]+to[\s-]+year|month[\s-]+to[\s-]+month|\bdeemed\s+(?:to\s+(?:be|have\s+been)\s+)?"
    r"(?:renewed|extended)|\bunless\s+(?!sooner|earlier|otherwise|previously|terminated\s+(?:earlier|sooner))", re.I)
_GOLD_OPTION = re.compile(
    r"\boptions?\b|\bmay\b|\bright\s+to\b|\bmutual|\bif\s+(?:both|agreed|the\s+parties)|renewable|\belect|\bexercise|"
    r"\bwishes\b|\bchoose\b|by\s+amendment", re.I)
# An annotated "notice to terminate renewal" clause that is a right to terminate (issue 13: termination_notice).
_GOLD_TERMINATION_RIGHT = re.compile(
    r"\b(?:may|right,?\s+(?:[\w()',]+\s+){0,8}?to|entitled,?\s+(?:[\w,]+\s+){0,6}?to)\s+terminate\b", re.I)
TARGETS = {"notice": 0.90, "renewal": 0.85, "effective": 0.80, "expiration": 0.70, "notice_fp": 0.10, "pdf": 0.95}


def gold_date(text: str) -> date | str | None:
    """A gold date: a date, "perpetual", "partial" (a part unknown, e.g. ``[]/[]/2020``) or None (blank)."""
    text = text.strip()
    if not text:
        return None
    if text.lower().startswith("perpetual"):
        return "perpetual"
    parts = text.split("/")
    if "[" in text or len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
        return "partial"
    first, second, year = (int(p) for p in parts)
    if len(parts[2].strip()) <= 2:
        year += 2000 if year < 50 else 1900
    if first > 12:  # 31/01/2025: day first
        first, second = second, first
    try:
        return date(year, first, second)
    except ValueError:
        return "partial"


def gold_durations(text: str) -> list[Duration] | str | None:
    """Gold durations (any of them is right), "perpetual", "partial" (unknown amount) or None (blank)."""
    text = text.strip().lower()
    if not text:
        return None
    if "perpetual" in text:
        return "perpetual"
    found: list[Duration] = []
    for part in re.split(r"[;/]", text):
        part = re.sub(r"\b(?:" + "|".join(_WORD_NUMBERS) + r")\b", lambda m: str(_WORD_NUMBERS[m.group()]), part)
        pairs = _GOLD_DURATION.findall(part)
        if not pairs:
            continue
        amount, unit = pairs[-1]  # "2 successive 5 years", "10 1 years": the last amount is the period
        if "." in amount:
            months = float(amount) * (12 if unit == "year" else 1)
            found.append(Duration(round(months), "months"))
        else:
            found.append(parse_duration(f"{amount} {unit}s"))
    return found or "partial"


def in_months(duration: Duration) -> tuple[int, str]:
    """A length comparable across months and years (12 months is 1 year); other units as they are."""
    if duration.unit == "years":
        return duration.amount * 12, "months"
    return duration.amount, duration.unit


def _duration(draft: Draft, name: str) -> Duration | None:
    value = draft.contract.get(name)
    return parse_duration(value) if value else None


def drafted_end(draft: Draft) -> date | None:
    """The last day of the initial term as the tracker would compute it from the draft."""
    contract = draft.contract
    if not contract.get("start") or not (contract.get("term") or contract.get("end")):
        return None
    start = date.fromisoformat(contract["start"])
    end = date.fromisoformat(contract["end"]) if contract.get("end") else None
    if end is not None and end < start:
        return None
    return term_end(Terms(start=start, term=_duration(draft, "term"), end=end), 0)


@dataclass
class Row:
    """One scored row: right / annotated, and the cases that went wrong (for --show)."""

    name: str
    label: str
    right: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, ok: bool, case: str, listed: bool | None = None) -> None:
        """Count one case; it is listed by --show when it went wrong (or when ``listed`` says so)."""
        self.total += 1
        self.right += ok
        if (not ok) if listed is None else listed:
            self.misses.append(case)

    @property
    def rate(self) -> float:
        return self.right / self.total if self.total else 0.0


def _clauses(cell: str) -> str:
    try:
        return " ".join(ast.literal_eval(cell)) if cell.strip().startswith("[") else cell
    except (ValueError, SyntaxError):
        return cell


def gold_automatic(row: dict[str, str]) -> bool | None:
    """Whether the annotated renewal happens by itself: its clause says so, or a notice can stop it.

    None when no clause was quoted (only the answer): then only the renewal term is scored.
    """
    clause = (_clauses(row["Renewal Term"]) + " " + _clauses(row["Notice Period To Terminate Renewal"])).strip()
    if not clause:
        return None
    if _GOLD_AUTOMATIC.search(clause) or row["Notice Period To Terminate Renewal (answer)"].strip():
        return True
    return not _GOLD_OPTION.search(clause)


def score(rows: list[dict[str, str]], drafts: dict[str, Draft]) -> dict[str, Row]:
    """Every row of the table for these contracts."""
    table = {name: Row(name, label) for name, label in (
        ("notice", "notice period to prevent renewal (exact)"),
        ("notice_or_right", "  (or termination_notice when that clause is a TfC right)"),
        ("renewal", "auto-renewal and renewal term"),
        ("renewal_term", "  renewal term alone (12 months = 1 year)"),
        ("effective", "effective date"),
        ("agreement", "  start = agreement date (no effective date annotated)"),
        ("expiration", "initial term's expiration date (±1 day)"),
        ("perpetual", "  no term proposed where annotated perpetual"),
        ("notice_fp", "notice reported where none annotated (lower is better)"),
        ("auto_fp", "auto-renewal reported where no renewal annotated (lower)"),
        ("convenience", "termination notice found where termination for convenience"),
        ("convenience_fp", "termination notice reported where none annotated (lower)"),
    )}
    for row in rows:
        draft = drafts[row["id"]]
        contract = draft.contract
        case = row["id"]
        notice = gold_durations(row["Notice Period To Terminate Renewal (answer)"])
        renewal = gold_durations(row["Renewal Term (answer)"])
        ours_notice = _duration(draft, "notice")
        if isinstance(notice, list):
            # An evergreen contract ("perpetual" renewal) has no renewal to stop: its annotated notice ends the
            # contract at any time, which the tracker calls termination_notice (issue 13).
            ours = _duration(draft, "termination_notice") if renewal == "perpetual" else ours_notice
            table["notice"].add(ours in notice, f"{case}: gold {[str(d) for d in notice]}, ours {ours}"
                                + (" (termination_notice: evergreen)" if renewal == "perpetual" else ""))
            right = bool(_GOLD_TERMINATION_RIGHT.search(_clauses(row["Notice Period To Terminate Renewal"])))
            either = ours in notice or (right and _duration(draft, "termination_notice") in notice)
            table["notice_or_right"].add(either, f"{case}: gold {[str(d) for d in notice]}, ours {ours}, "
                                                 f"termination_notice {contract.get('termination_notice')}")
        if notice is None and renewal is None:
            flagged = ours_notice is not None
            table["notice_fp"].add(flagged, f"{case}: ours {ours_notice}", listed=flagged)
            flagged = bool(contract.get("auto_renew"))
            table["auto_fp"].add(flagged, f"{case}: auto_renew {contract.get('auto_renew')}", listed=flagged)
        if isinstance(renewal, list):
            auto = gold_automatic(row)
            # Without a renewal term the tracker renews for the initial term, so that is what the draft says.
            ours = _duration(draft, "renewal_term") or (
                _duration(draft, "term") if contract.get("auto_renew") else None)
            same = ours is not None and in_months(ours) in [in_months(d) for d in renewal]
            table["renewal_term"].add(same, f"{case}: gold {[str(d) for d in renewal]}, ours {ours}")
            table["renewal"].add(same and (auto is None or bool(contract.get("auto_renew")) == auto),
                                 f"{case}: gold {'?' if auto is None else 'auto' if auto else 'option'} "
                                 f"{[str(d) for d in renewal]}, ours "
                                 f"auto_renew={contract.get('auto_renew')} {ours}")
        convenience = row["Termination For Convenience (answer)"].strip().lower()
        found = contract.get("termination_notice")
        if convenience == "yes":  # annotated as a clause only: its presence is scored, not its length
            table["convenience"].add(found is not None, f"{case}: ours {found}")
        elif convenience == "no":
            table["convenience_fp"].add(found is not None, f"{case}: ours {found}", listed=found is not None)
        effective = gold_date(row["Effective Date (answer)"])
        start = contract.get("start")
        if isinstance(effective, date):
            table["effective"].add(start == effective.isoformat(), f"{case}: gold {effective}, ours {start}")
        elif effective is None and isinstance(agreed := gold_date(row["Agreement Date (answer)"]), date):
            table["agreement"].add(start == agreed.isoformat(), f"{case}: gold {agreed}, ours {start}")
        expiration = gold_date(row["Expiration Date (answer)"])
        if isinstance(expiration, date):
            end = drafted_end(draft)
            ok = end is not None and abs((end - expiration).days) <= 1
            table["expiration"].add(ok, f"{case}: gold {expiration}, ours {end} (start {start}, term "
                                        f"{contract.get('term')}, end {contract.get('end')})")
        elif expiration == "perpetual":
            table["perpetual"].add(not (contract.get("term") or contract.get("end")),
                                   f"{case}: ours term {contract.get('term')} end {contract.get('end')}")
    return table


def pdf_parity(data: Path, rows: list[dict[str, str]], drafts: dict[str, Draft]) -> tuple[Row, Row, float]:
    """(fields the PDF and the text agree on, contracts identical in every field, seconds reading PDFs)."""
    fields = Row("pdf", "PDF gives the same fields as the text")
    whole = Row("pdf_whole", "  contracts with every field the same")
    began = time.perf_counter()
    for row in rows:
        if not row["pdf_file"]:
            continue
        from_pdf = extract_file(data / row["pdf_file"], name=row["id"]).contract
        from_text = drafts[row["id"]].contract
        differ = []
        for name in sorted(set(from_pdf) | set(from_text)):
            same = from_pdf.get(name) == from_text.get(name)
            fields.add(same, f"{row['id']}.{name}: pdf {from_pdf.get(name)!r}, text {from_text.get(name)!r}")
            if not same:
                differ.append(name)
        whole.add(not differ, f"{row['id']}: {', '.join(differ)}")
    return fields, whole, time.perf_counter() - began


def _cell(row: Row | None) -> str:
    if row is None or not row.total:
        return "-"
    return f"{row.right}/{row.total} {row.rate:6.1%}"


def print_table(halves: dict[str, dict[str, Row]], extra: Iterable[Row], out: Callable[[str], None]) -> None:
    names = list(halves)
    out(f"{'':58}" + "".join(f"{name:>18}" for name in names) + f"{'target':>10}")
    first = halves[names[0]]
    for key, row in first.items():
        target = TARGETS.get(key)
        sign = "<=" if key.endswith("_fp") else ">="
        out(f"{row.label:58}" + "".join(f"{_cell(halves[n][key]):>18}" for n in names)
            + (f"{sign + format(target, '.0%'):>10}" if target is not None else ""))
    for row in extra:
        target = TARGETS.get(row.name)
        out(f"{row.label:58}" + f"{'':>18}" * (len(names) - 1) + f"{_cell(row):>18}"
            + (f"{'>=' + format(target, '.0%'):>10}" if target is not None else ""))


def main(argv: list[str] | None = None, out: Callable[[str], None] = print) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the CUAD set (gold.csv, text/, pdf/)")
    parser.add_argument("--show", metavar="ROW", action="append", default=[],
                        help="list the misses of a row (notice, renewal, effective, expiration, notice_fp, pdf, ...)")
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF comparison")
    args = parser.parse_args(argv)
    data: Path = args.data
    with (data / "gold.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    drafts: dict[str, Draft] = {}
    began = time.perf_counter()
    for row in rows:
        text = (data / row["text_file"]).read_text(encoding="utf-8", errors="replace")
        drafts[row["id"]] = analyse(text, row["id"])
        if len(drafts) == 200:
            first_200 = time.perf_counter() - began
    elapsed = time.perf_counter() - began
    if len(drafts) < 200:
        first_200 = elapsed * 200 / max(1, len(drafts))

    def number(row: dict[str, str]) -> int:
        return int(re.sub(r"\D", "", row["id"]) or 0)

    halves = {
        "even ids (tune)": score([r for r in rows if number(r) % 2 == 0], drafts),
        "odd ids (check)": score([r for r in rows if number(r) % 2 == 1], drafts),
        "all": score(rows, drafts),
    }
    extra: list[Row] = []
    pdf_seconds = 0.0
    if not args.no_pdf and any(r["pdf_file"] for r in rows):
        fields, whole, pdf_seconds = pdf_parity(data, rows, drafts)
        extra = [fields, whole]
    out(f"CUAD dev set: {len(rows)} contracts from {data}")
    print_table(halves, extra, out)
    out(f"time: {len(rows)} texts in {elapsed:.2f} s; the first 200 in {first_200:.2f} s (target <= 60 s)"
        + (f"; {sum(1 for r in rows if r['pdf_file'])} PDFs read and compared in {pdf_seconds:.2f} s" if extra else ""))
    every = {**halves["all"], **{row.name: row for row in extra}}
    for name in args.show:
        shown = every.get(name)
        if shown is None:
            out(f"--show: no row {name!r}; rows: {', '.join(every)}")
            continue
        out(f"\n{shown.label}: {len(shown.misses)} listed")
        for miss in shown.misses:
            out(f"  {miss}")
    return {"rows": {name: {"right": r.right, "total": r.total} for name, r in every.items()},
            "seconds": elapsed, "first_200_seconds": first_200}


if __name__ == "__main__":
    main()
