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
from tracker.errors import InvalidInput, Problem, shorten
from tracker.store import Session

# An import file is read at most this far: /dev/zero or a mistyped log file is refused, not read until
# memory runs out. 50 MB holds a few hundred thousand contracts.
MAX_FILE_BYTES = 50 * 1024 * 1024
# Nesting deeper than this is no contract file (the schema needs 6 levels); it would only exhaust the stack.
MAX_DEPTH = 64
# YAML anchors and aliases are accepted (they save repeating shared terms), but what they expand to is
# bounded: this many nodes beyond the document's own, or a few times its own size in a large file (see
# tracker.services.safe_yaml). A "billion laughs" file is refused.
MAX_ALIAS_NODES = 10_000
# Longer integers are kept as text, so validation reports them as a bad value ("a whole number from 0 to
# 1000") instead of Python refusing to convert them (its limit is 4,300 digits).
MAX_INT_DIGITS = 30


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
    text = _read_text(path)
    if "\x00" in text:  # no text format holds NUL; PostgreSQL refuses it (and its error is no help)
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InvalidInput(f"{path}: line {line}: a NUL character: this is not a text file")
    if kind == "csv":
        return _read_csv(text, path)
    data = _load_json(text, path) if kind == "json" else _load_yaml(text, path)
    if isinstance(data, dict) and isinstance(data.get("contracts"), list):
        return data["contracts"]
    if isinstance(data, list):
        return data
    found = "an empty file" if data is None else ("an empty contracts list" if isinstance(data, dict)
                                                  and data.get("contracts") is None else type(data).__name__)
    raise InvalidInput.field("contracts", found, "a top-level 'contracts:' list (see sample_data/)")


def _read_text(path: Path) -> str:
    """The file's text (UTF-8, a BOM dropped), read at most :data:`MAX_FILE_BYTES` far."""
    try:
        if str(path) == "-":
            data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1) if hasattr(sys.stdin, "buffer") else \
                sys.stdin.read(MAX_FILE_BYTES + 1).encode("utf-8", "surrogateescape")
        else:
            with path.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InvalidInput.field("FILE", str(path), "an existing file") from None
    except OSError as exc:
        raise InvalidInput.field("FILE", str(path), f"a readable file ({exc.strerror or exc})") from None
    except ValueError:  # a NUL in the path: no file can have that name
        raise InvalidInput.field("FILE", str(path), "the path of a file") from None
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput.field("FILE", str(path), f"a file of at most {MAX_FILE_BYTES // 2**20} MB (split a "
                                 "larger import into several files)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InvalidInput.field("FILE", str(path), f"a UTF-8 text file (line {line} is not UTF-8)") from None


def _load_json(text: str, path: Path) -> Any:
    """Parse JSON: duplicate keys, deep nesting and lone surrogates are errors, long integers stay text."""

    def mapping(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for key, value in pairs:
            if key in data:  # json would keep the last silently: a second "contracts" drops the first
                raise InvalidInput(f"{path}: {_duplicate_place(text)}malformed JSON: duplicate key "
                                   f"{shorten(key, 40)} in one object")
            data[key] = value
        return data

    def integer(digits: str) -> int | str:
        return int(digits) if len(digits.lstrip("-")) <= MAX_INT_DIGITS else digits

    try:
        data = json.loads(text, object_pairs_hook=mapping, parse_int=integer)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path}: line {exc.lineno}, column {exc.colno}: malformed JSON: {exc.msg}") from None
    except RecursionError:
        raise InvalidInput(f"{path}: malformed JSON: nested deeper than {MAX_DEPTH} levels") from None
    _check_depth(data, path, "JSON")
    return data


def _duplicate_place(text: str) -> str:
    """"line L, column C: " of the first object holding a key twice, found by parsing again with the
    pure-Python scanner, which tells where each object starts (the fast one does not); "" if unknown."""
    from json.decoder import JSONObject  # type: ignore[attr-defined]
    from json.scanner import py_make_scanner  # type: ignore[attr-defined]

    starts: list[int] = []

    def parse_object(s_and_end: tuple[str, int], *args: Any) -> tuple[dict[str, Any], int]:
        pairs, end = JSONObject(s_and_end, *args)
        keys = [key for key, _ in pairs]
        if not starts and len(set(keys)) < len(keys):
            starts.append(s_and_end[1] - 1)  # the "{" before the first key
        return dict(pairs), end

    decoder = json.JSONDecoder(object_pairs_hook=list)
    decoder.parse_object = parse_object  # type: ignore[attr-defined]
    decoder.scan_once = py_make_scanner(decoder)  # type: ignore[attr-defined]
    try:
        decoder.decode(text)
    except (ValueError, RecursionError):
        return ""
    if not starts:
        return ""
    line = text.count("\n", 0, starts[0]) + 1
    return f"line {line}, column {starts[0] - text.rfind(chr(10), 0, starts[0])}: "


def _check_depth(data: Any, path: Path, what: str) -> None:
    """Refuse data nested deeper than :data:`MAX_DEPTH` (walked without recursion: the parser's own
    limit is Python's stack, and the ``RecursionError`` it raises names no place)."""
    stack = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InvalidInput(f"{path}: malformed {what}: nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            stack += [(key, depth + 1) for key in item]
            stack += [(value, depth + 1) for value in item.values()]
        elif isinstance(item, list):
            stack += [(value, depth + 1) for value in item]


def _load_yaml(text: str, path: Path) -> Any:
    """Parse YAML safely: duplicate keys and deep nesting are errors, alias expansion is bounded."""
    import yaml

    from tracker.services.safe_yaml import load

    try:
        return load(text, max_depth=MAX_DEPTH, max_alias_nodes=MAX_ALIAS_NODES, max_int_digits=MAX_INT_DIGITS)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidInput(f"{path}: {where}malformed YAML: {problem}") from None
    except ValueError as exc:  # PyYAML builds dates itself: 2026-13-45 fails outside YAMLError
        raise InvalidInput(f"{path}: malformed YAML: {shorten(str(exc), 120)} (dates are YYYY-MM-DD)") from None


def _read_csv(text: str, path: Path) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    try:
        return _csv_rows(reader)
    except csv.Error as exc:  # a field over csv's 128 KiB limit, …
        raise InvalidInput(f"{path}: near line {reader.line_num + 1}: malformed CSV: {exc} (a cell holds at most "
                           f"{csv.field_size_limit() // 1024} KiB)") from None


def _csv_rows(reader: csv.DictReader[str]) -> list[dict[str, Any]]:
    header = reader.fieldnames or []
    problems = [
        Problem("column", name, f"one of {', '.join(CSV_COLUMNS)}", "header") for name in header
        if name not in CSV_COLUMNS
    ]
    if not header:
        problems.append(Problem("header", "", f"a header row with columns {', '.join(CSV_COLUMNS)}", "row 1"))
    # A repeated column would silently win over the first, as a repeated key does in YAML and JSON.
    problems += [Problem("column", name, "each column once", "header") for name in
                 dict.fromkeys(name for i, name in enumerate(header) if name in header[:i])]
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


# A cell starting with one of these gets a leading "'" on export, so a spreadsheet does not run it as a
# formula. "'" itself is among them so the guard can be undone exactly: "'x" is written "''x".
GUARDED_STARTS = "=+-@\t\r'"


def _unguard(cell: str) -> str:
    """Undo the export's formula guard: "'=SUM(…)" was written for "=SUM(…)", "''Quoted'" for "'Quoted'"."""
    return cell[1:] if len(cell) > 1 and cell[0] == "'" and cell[1] in GUARDED_STARTS else cell


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
    if text and text[0] in GUARDED_STARTS:
        return "'" + text
    return text


def export_contracts(session: Session, fmt: str) -> str:
    """Every contract (archived ones too) in the import schema."""
    from tracker.services.contracts import contracts_as_raw
    from tracker.store import contracts as contract_rows

    contracts = contract_rows.listed(session, include_archived=True)
    raws = [_jsonable(raw) for raw in contracts_as_raw(session, contracts, with_obligations=fmt != "csv")]
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
