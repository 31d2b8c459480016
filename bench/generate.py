"""A realistic synthetic ledger for the benchmarks, at any size, reproducible from a seed.

Two shapes:

* ``realistic`` — what a company's ledger looks like: annual and monthly auto-renewals, fixed terms, notice
  periods in days and months, monthly and quarterly invoices and payments, yearly certifications, counted
  trainings, a few holiday calendars and a spread of owners. Contract starts are spread over the three years
  before the as-of date, so every horizon holds due, overdue and lapsed deadlines.
* ``quiet`` — the same kinds of rows, but placed so that nothing is due on the as-of date: long terms whose
  notice deadlines lie beyond the calendar horizon, and recurrences whose next reminder stage is weeks away.
  A notify pass on it must find nothing, so its cost is the floor of a pass.

``build_database`` loads specs through the service layer (``tracker.services.contracts.add_contracts``), one
transaction per batch, so the rows, events and materialised dates are exactly what an import writes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

AS_OF = date(2027, 1, 15)
SEED = 6
OWNERS = 250
HOLIDAYS = ("US", "GB", "DE", None, None)
VENDORS = (
    "Acme AI", "Northwind CRM AI", "Globex Models", "Initech Cloud", "Umbrella Analytics", "Hooli Search",
    "Stark Data", "Wayne Payments", "Tyrell Vision", "Cyberdyne Support", "Soylent Data", "Vandelay Imports",
)
PRODUCTS = (
    "AI support agent platform", "AI CRM", "Model API", "Data warehouse", "Observability suite",
    "Payroll SaaS", "Contract analytics", "Speech-to-text API", "Vector database", "Security monitoring",
)


def owner_of(index: int) -> str:
    return f"owner{index % OWNERS:03d}@example.com"


def _day(value: date) -> str:
    return value.isoformat()


def realistic_contract(index: int, rng: random.Random, as_of: date = AS_OF) -> dict[str, Any]:
    """One contract of the realistic shape (see the module docstring); ``index`` makes the key unique."""
    vendor = VENDORS[index % len(VENDORS)]
    start = as_of - timedelta(days=rng.randrange(30, 3 * 365))
    raw: dict[str, Any] = {
        "key": f"c{index:06d}",
        "title": f"{PRODUCTS[rng.randrange(len(PRODUCTS))]} #{index}",
        "vendor": vendor,
        "owner": owner_of(index),
        "backup_owner": owner_of(index + 7),
        "start": _day(start),
        "value": rng.randrange(5, 500) * 1000,
        "currency": rng.choice(("USD", "USD", "EUR", "GBP")),
        "tags": rng.sample(["ai", "saas", "support", "crm", "data", "security"], 2),
    }
    holidays = rng.choice(HOLIDAYS)
    if holidays:
        raw["holidays"] = holidays
    shape = rng.random()
    if shape < 0.62:  # annual auto-renewal, notice in days or months
        raw.update(term="12 months", auto_renew=True, notice=rng.choice(("90 days", "60 days", "30 days", "3 months")))
    elif shape < 0.77:  # monthly auto-renewal
        raw.update(term="1 month", auto_renew=True, notice=rng.choice(("15 days", "2 weeks", "7 days")))
    elif shape < 0.92:  # multi-year with yearly renewals
        raw.update(term="36 months", auto_renew=True, renewal_term="12 months", notice="6 months")
    else:  # fixed term, no renewal
        raw.update(end=_day(start + timedelta(days=rng.randrange(400, 1500))))
    if rng.random() < 0.3:
        raw["terms"] = {"model_change_notice": "30 days", "rollback_window": "30 days"}
    obligations: list[dict[str, Any]] = []
    first_invoice = as_of - timedelta(days=rng.randrange(0, 60))
    if rng.random() < 0.7:
        monthly = rng.random() < 0.5
        obligations.append({
            "kind": "invoice", "title": "Monthly invoice" if monthly else "Quarterly invoice", "owed_by": "vendor",
            "every": "FREQ=MONTHLY" if monthly else "FREQ=MONTHLY;INTERVAL=3", "start": _day(first_invoice),
            "lead": [7, 1],
        })
    if rng.random() < 0.4:
        obligations.append({
            "kind": "payment", "title": "Payment, net 30", "owed_by": "us", "every": "FREQ=MONTHLY;INTERVAL=3",
            "start": _day(first_invoice + timedelta(days=30)), "lead": [14, 7, 1],
        })
    if rng.random() < 0.25:
        obligations.append({
            "kind": "certification", "title": "SOC 2 Type II report delivered", "owed_by": "vendor",
            "every": "FREQ=YEARLY", "start": _day(as_of + timedelta(days=rng.randrange(-30, 300))), "lead": [30, 7],
        })
    if rng.random() < 0.2:
        obligations.append({
            "kind": "training", "title": "On-site training sessions", "owed_by": "vendor",
            "required": rng.choice((2, 3, 4)), "due": _day(as_of + timedelta(days=rng.randrange(-20, 200))),
        })
    if obligations:
        raw["obligations"] = obligations
    return raw


def quiet_contract(index: int, rng: random.Random, as_of: date = AS_OF) -> dict[str, Any]:
    """A contract with nothing due on ``as_of``: no reminder stage, invite or overdue occurrence reached."""
    start = as_of - timedelta(days=rng.randrange(30, 300))
    raw: dict[str, Any] = {
        "key": f"q{index:06d}",
        "title": f"{PRODUCTS[index % len(PRODUCTS)]} #{index}",
        "vendor": VENDORS[index % len(VENDORS)],
        "owner": owner_of(index),
        "start": _day(start),
        # The first notice deadline is over three years away: beyond every lead stage and the invite horizon.
        "term": "60 months",
        "auto_renew": True,
        "renewal_term": "12 months",
        "notice": rng.choice(("90 days", "3 months")),
        "value": rng.randrange(5, 500) * 1000,
        "currency": "USD",
    }
    obligations: list[dict[str, Any]] = []
    if rng.random() < 0.6:  # next occurrence 20-50 days away, lead 7: the first stage is two weeks off at least
        obligations.append({
            "kind": "invoice", "title": "Quarterly invoice", "owed_by": "vendor", "every": "FREQ=MONTHLY;INTERVAL=3",
            "start": _day(as_of + timedelta(days=rng.randrange(20, 50))), "lead": [7, 1],
        })
    if rng.random() < 0.2:
        obligations.append({
            "kind": "training", "title": "On-site training sessions", "owed_by": "vendor", "required": 3,
            "due": _day(as_of + timedelta(days=rng.randrange(200, 300))), "lead": [30, 7],
        })
    if obligations:
        raw["obligations"] = obligations
    return raw


def due_contract(index: int, rng: random.Random, as_of: date = AS_OF) -> dict[str, Any]:
    """A quiet contract plus one entered deadline whose only lead stage is reached on ``as_of``: one reminder."""
    raw = quiet_contract(index, rng, as_of)
    raw["key"] = f"d{index:06d}"
    raw["obligations"] = [{
        "kind": "data_export", "title": "Export our data before the region migration", "owed_by": "vendor",
        "due": _day(as_of + timedelta(days=7)), "lead": [7], "roll": "none",
    }]
    return raw


SHAPES = {"realistic": realistic_contract, "quiet": quiet_contract, "due": due_contract}


def contracts(count: int, shape: str = "realistic", seed: int = SEED, as_of: date = AS_OF) -> list[dict[str, Any]]:
    """``count`` raw contracts (the import schema, DESIGN §5) of ``shape``: realistic, quiet or due."""
    rng = random.Random(f"{seed}-{shape}")
    make = SHAPES[shape]
    return [make(index, rng, as_of) for index in range(count)]


def write_yaml(path: Path, raws: list[dict[str, Any]]) -> Path:
    """The contracts as a YAML import file."""
    import yaml

    Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    path.write_text(yaml.dump({"contracts": raws}, Dumper=Dumper, sort_keys=False, width=120), encoding="utf-8")
    return path


def build_database(
    url: str, raws: list[dict[str, Any]], as_of: date = AS_OF, batch: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Create the schema at ``url`` and add ``raws`` through the service layer, one transaction per batch."""
    from tracker.domain.settings import Settings
    from tracker.domain.specs import parse_contracts
    from tracker.services import contracts as ledger
    from tracker.services.context import Context
    from tracker.store import engine as db
    from tracker.store import schema

    engine = db.make_engine(url)
    try:
        schema.upgrade(engine)
        ctx = Context(
            today=as_of, now=datetime.combine(as_of, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9),
            actor="bench", settings=Settings(),
        )
        for offset in range(0, len(raws), batch):
            specs = parse_contracts(raws[offset:offset + batch])
            with db.session_scope(engine) as session:
                ledger.add_contracts(session, specs, ctx, source="import")
            if progress is not None:
                progress(min(offset + batch, len(raws)))
    finally:
        engine.dispose()


def clone_database(path: Path, copies: int) -> None:
    """Append ``copies`` copies of every contract (with its obligations, states and events) to an SQLite file.

    The rows are exactly what adding the same contracts under new keys (``<key>-<n>``) writes, materialised
    dates included (they depend only on the dates, which are unchanged), so a 100,000-contract ledger takes
    seconds instead of building 90,000 more contracts one by one through the service layer.
    """
    import sqlite3

    connection = sqlite3.connect(path)
    try:
        def columns(table: str) -> list[str]:
            return [row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')]

        def span(table: str) -> int:
            return int(connection.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"').fetchone()[0])

        spans = {table: span(table) for table in ("contract", "obligation", "occurrence_state", "event")}
        rewrite = {
            "contract": {"id": "id + :c", "key": "key || '-' || :n"},
            "obligation": {"id": "id + :o", "contract_id": "contract_id + :c"},
            "occurrence_state": {"id": "id + :s", "obligation_id": "obligation_id + :o"},
            "event": {
                "id": "id + :e", "contract_id": "contract_id + :c", "obligation_id": "obligation_id + :o",
                "payload": "REPLACE(payload, '\"' || (SELECT key FROM contract WHERE id = event.contract_id), "
                           "'\"' || (SELECT key FROM contract WHERE id = event.contract_id) || '-' || :n)",
            },
        }
        with connection:
            for n in range(1, copies + 1):
                params = {"n": n, "c": n * spans["contract"], "o": n * spans["obligation"],
                          "s": n * spans["occurrence_state"], "e": n * spans["event"]}
                for table, changes in rewrite.items():
                    names = columns(table)
                    select = ", ".join(changes.get(name, f'"{name}"') for name in names)
                    where = " WHERE contract_id IS NOT NULL" if table == "event" else ""
                    where += f" {'AND' if where else 'WHERE'} id <= {spans[table]}"
                    quoted = ", ".join(f'"{name}"' for name in names)
                    connection.execute(f'INSERT INTO "{table}" ({quoted}) SELECT {select} FROM "{table}"{where}',
                                       params)
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
