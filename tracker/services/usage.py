"""Usage against meters: record it (by hand or from a vendor dashboard's CSV), and where each meter stands."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TypedDict

from tracker.domain import meters as rules
from tracker.domain.money import parse_amount
from tracker.errors import InvalidInput, NotFound, Problem
from tracker.services.context import Context
from tracker.services.events import record_event
from tracker.services.lookup import get_contract
from tracker.store import Session
from tracker.store import usage as usage_rows
from tracker.store.mapping import meter_spec, terms_of
from tracker.store.tables import Contract, Meter, UsageRecord

MAX_ROWS = 100_000


class PeriodView(TypedDict):
    start: str
    end: str


class MeterView(TypedDict):
    """A meter as `show` and `usage` print it."""

    name: str
    unit: str
    kind: str
    limit: str
    period: PeriodView
    used: str
    percent: str
    projected: str
    reaches_limit_on: str | None
    shortfall: str | None
    crossed: list[int]
    forecast: str


class RecordView(TypedDict):
    on: str
    amount: str
    total: bool
    reset: bool
    note: str | None


@dataclass(frozen=True)
class Imported:
    meter: str
    added: int
    unchanged: int


def _meter(session: Session, contract: Contract, name: str) -> Meter:
    found = usage_rows.meter(session, contract.id or 0, name)
    if found is None:
        names = ", ".join(m.name for m in usage_rows.meters_of(session, [contract.id or 0]).get(contract.id or 0, []))
        raise NotFound.field("METER", name, f"a meter of {contract.key} ({names or 'it declares none'})")
    return found


def _records(rows: list[UsageRecord]) -> list[rules.Record]:
    return [rules.Record(r.on, r.amount, r.total, r.reset) for r in rows]


def _check_reading(contract: Contract, meter: Meter, rows: list[UsageRecord], on: date, amount: Decimal,
                   reset: bool) -> None:
    """A reading lower than the period's total so far is a mistake unless it says it is a reset."""
    spec = meter_spec(meter)
    start, _ = rules.period_of(spec, terms_of(contract), on)
    before = rules.previous_reading(_records(rows), start, on)
    if before is not None and amount < before and not reset:
        raise InvalidInput.field("AMOUNT", str(amount), f"a total of at least {before} (the {meter.name} recorded "
                                 f"so far this period), or --reset if the counter was reset")


def record_usage(
    session: Session, key: str, name: str, amount: Decimal, on: date, ctx: Context, *, total: bool = False,
    reset: bool = False, note: str | None = None,
) -> MeterView:
    """Record usage of meter ``name``: an increment, or with ``total`` a reading of the period's total."""
    contract = get_contract(session, key)
    meter = _meter(session, contract, name)
    if on < contract.start or on > ctx.today_for(contract.timezone):
        raise InvalidInput.field("--on", on.isoformat(), "a date from the contract's start to today")
    rows = usage_rows.records_of(session, [meter.id or 0]).get(meter.id or 0, [])
    if total or reset:
        _check_reading(contract, meter, rows, on, amount, reset)
    assert meter.id is not None
    record = UsageRecord(meter_id=meter.id, on=on, amount=amount, total=total or reset, reset=reset, note=note,
                         created_at=ctx.now)
    session.add(record)
    record_event(session, ctx, "usage_recorded", contract, meter=name, on=on, amount=amount, total=total or reset,
                 reset=reset, note=note)
    return _view(contract, meter, [*rows, record], ctx.today_for(contract.timezone))


def import_usage(session: Session, path: Path, reference: str, ctx: Context) -> Imported:
    """Usage rows from a CSV a vendor dashboard exports (date, amount[, note]); importing them again adds nothing.

    Each row is an increment, or a reading when the file has a ``total`` column that says so. Rows are keyed by
    their content (and how many identical rows came before), so the same file imported twice changes nothing.
    """
    key, sep, name = reference.partition("/")
    if not sep or not key or not name:
        raise InvalidInput.field("--meter", reference, "KEY/METER, e.g. northwind-crm-ai/credits")
    contract = get_contract(session, key)
    meter = _meter(session, contract, name)
    assert meter.id is not None
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput.field("FILE", str(path), f"a readable UTF-8 CSV file ({exc})") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = {c.strip().lower() for c in reader.fieldnames or []}
    if not {"date", "amount"} <= columns:
        raise InvalidInput.field("FILE", str(path), "a CSV with date and amount columns (and optionally note, total)")
    seen: Counter[tuple[str, str, str, str]] = Counter()
    known = usage_rows.imported_keys(session, meter.id)
    problems: list[Problem] = []
    new: list[UsageRecord] = []
    rows = usage_rows.records_of(session, [meter.id]).get(meter.id, [])
    for number, row in enumerate(reader, start=2):
        if number > MAX_ROWS:
            problems.append(Problem("FILE", str(path), f"at most {MAX_ROWS} rows", f"row {number}"))
            break
        cells = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        try:
            on = date.fromisoformat(cells["date"])
        except ValueError:
            problems.append(Problem("date", cells["date"], "a date YYYY-MM-DD", f"row {number}"))
            continue
        amount = parse_amount(cells["amount"])
        if amount is None:
            problems.append(Problem("amount", cells["amount"], "a non-negative amount", f"row {number}"))
            continue
        total = cells.get("total", "").lower() in ("true", "yes", "1")
        note = cells.get("note") or None
        content = (on.isoformat(), str(amount), str(total), note or "")
        seen[content] += 1
        import_key = "|".join((*content, str(seen[content])))
        if import_key in known:
            continue
        new.append(UsageRecord(meter_id=meter.id, on=on, amount=amount, total=total, note=note,
                               import_key=import_key, created_at=ctx.now))
    if problems:
        raise InvalidInput(problems)
    for record in sorted(new, key=lambda r: r.on):  # readings are checked in date order, as they happened
        if record.total:
            _check_reading(contract, meter, rows, record.on, record.amount, reset=False)
        rows.append(record)
    session.add_all(new)
    if new:
        record_event(session, ctx, "usage_imported", contract, meter=name, file=path.name, rows=len(new))
    return Imported(reference, len(new), sum(seen.values()) - len(new))


def _view(contract: Contract, meter: Meter, rows: list[UsageRecord], today: date) -> MeterView:
    state = rules.status(meter_spec(meter), terms_of(contract), _records(rows), today)
    return MeterView(
        name=meter.name, unit=meter.unit, kind=meter.kind, limit=str(meter.limit),
        period=PeriodView(start=state.start.isoformat(), end=state.end.isoformat()), used=str(state.used),
        percent=str(state.percent), projected=str(state.projected),
        reaches_limit_on=state.reaches_limit_on.isoformat() if state.reaches_limit_on else None,
        shortfall=str(state.shortfall) if state.shortfall is not None else None, crossed=list(state.crossed),
        forecast=state.forecast,
    )


def meter_views(session: Session, contract: Contract, today: date) -> list[MeterView]:
    """Where each of the contract's meters stands on ``today``."""
    meters = usage_rows.meters_of(session, [contract.id or 0]).get(contract.id or 0, [])
    records = usage_rows.records_of(session, [m.id for m in meters if m.id is not None])
    return [_view(contract, meter, records.get(meter.id or 0, []), today) for meter in meters]


def usage_history(session: Session, key: str, ctx: Context) -> tuple[list[MeterView], dict[str, list[RecordView]]]:
    """A contract's meters and every usage record of each."""
    contract = get_contract(session, key)
    meters = usage_rows.meters_of(session, [contract.id or 0]).get(contract.id or 0, [])
    records = usage_rows.records_of(session, [m.id for m in meters if m.id is not None])
    today = ctx.today_for(contract.timezone)
    views = [_view(contract, m, records.get(m.id or 0, []), today) for m in meters]
    history = {m.name: [RecordView(on=r.on.isoformat(), amount=str(r.amount), total=r.total, reset=r.reset,
                                   note=r.note) for r in records.get(m.id or 0, [])] for m in meters}
    return views, history
