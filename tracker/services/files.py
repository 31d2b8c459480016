"""Contract files (DESIGN §5): YAML, JSON and CSV in one schema, read for import and written for export."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from tracker.domain.specs import CSV_FIELDS as CSV_COLUMNS
from tracker.errors import InvalidInput, Problem
from tracker.store import Session


def _detect(path: Path, fmt: str) -> str:
    if fmt != "auto":
        return fmt
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix in (".json", ".csv"):
        return suffix[1:]
    raise InvalidInput.field("--format", str(path), "a .yaml, .yml, .json or .csv file, or --format")


def read_contracts(path: Path, fmt: str = "auto") -> list[dict[str, Any]]:
    """The raw contract mappings in a file; malformed files are reported with line and column."""
    kind = _detect(path, fmt) if str(path) != "-" else (fmt if fmt != "auto" else "yaml")
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidInput.field("FILE", str(path), "an existing file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput.field("FILE", str(path), f"a readable UTF-8 file ({exc})") from None
    if kind == "csv":
        return _read_csv(text)
    if kind == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path}: line {exc.lineno}, column {exc.colno}: malformed JSON: {exc.msg}") from None
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
            problem = getattr(exc, "problem", None) or str(exc)
            raise InvalidInput(f"{path}: {where}malformed YAML: {problem}") from None
        except ValueError as exc:  # PyYAML builds dates itself: 2026-13-45 fails outside YAMLError
            raise InvalidInput(f"{path}: malformed YAML: {exc} (dates are YYYY-MM-DD)") from None
    if isinstance(data, dict) and isinstance(data.get("contracts"), list):
        return data["contracts"]
    if isinstance(data, list):
        return data
    found = "an empty file" if data is None else ("an empty contracts list" if isinstance(data, dict)
                                                  and data.get("contracts") is None else type(data).__name__)
    raise InvalidInput.field("contracts", found, "a top-level 'contracts:' list (see sample_data/)")


def _read_csv(text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    problems = [
        Problem("column", name, f"one of {', '.join(CSV_COLUMNS)}", "header") for name in header
        if name not in CSV_COLUMNS
    ]
    if not header:
        problems.append(Problem("header", "", f"a header row with columns {', '.join(CSV_COLUMNS)}", "row 1"))
    if problems:
        raise InvalidInput(problems)
    rows = []
    for number, row in enumerate(reader, start=2):
        if None in row:
            problems.append(Problem("columns", len(header) + len(row[None]), f"{len(header)} cells", f"row {number}"))
            continue
        cleaned: dict[str, Any] = {
            k: _unguard(v.strip()) for k, v in row.items() if v is not None and v.strip() != ""
        }
        if not cleaned:
            continue
        cleaned["__where__"] = f"row {number}"
        rows.append(cleaned)
    if problems:
        raise InvalidInput(problems)
    return rows


def _unguard(cell: str) -> str:
    """Undo the export's formula guard: "'=SUM(…)" was written for "=SUM(…)" (see ``csv_safe``)."""
    return cell[1:] if len(cell) > 1 and cell[0] == "'" and cell[1] in "=+-@\t\r" else cell


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def csv_safe(value: Any) -> str:
    """A cell a spreadsheet will not run as a formula (undone by :func:`_unguard` on import)."""
    if isinstance(value, dict | list):
        value = json.dumps(value)
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def export_contracts(session: Session, fmt: str) -> str:
    """Every contract (archived ones too) in the import schema."""
    from tracker.services.contracts import contract_as_raw
    from tracker.store import contracts as contract_rows

    contracts = contract_rows.listed(session, include_archived=True)
    raws = [_jsonable(contract_as_raw(session, c, with_obligations=fmt != "csv")) for c in contracts]
    if fmt == "json":
        return json.dumps({"contracts": raws}, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for raw in raws:
            cells = [";".join(raw.get(c, [])) if c == "tags" else raw.get(c) for c in CSV_COLUMNS]
            writer.writerow([csv_safe(_csv_text(cell)) for cell in cells])
        return buffer.getvalue()
    import yaml

    return yaml.safe_dump({"contracts": raws}, sort_keys=False, allow_unicode=True, width=110)


def _csv_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
