"""Benchmarks: the tracker against the floor (issue 6). No network; everything under one temp dir, removed at the end.

    .venv/bin/python bench/run.py                       # sizes 1000,10000,100000, 5 repetitions
    .venv/bin/python bench/run.py --sizes 50 --repeat 1 --calendar-contracts 20 --import-size 50 \\
        --notify-sizes 50 --deliver 10 --feed-size 50   # a smoke run (what tests/test_bench.py does)

Every figure is the median of ``--repeat`` runs (wall clock, ``time.perf_counter``). Prints a table and
writes the figures as JSON (``--json``, default ``bench/results.json``, git-ignored).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# Appended, not prepended: `bench` is found in the source tree while `tracker` stays the installed package
# (a non-editable install's tracker/ has its migrations and templates; the source tree's does not).
sys.path.append(str(HERE.parent))

from bench import generate  # noqa: E402

PYTHON = sys.executable
# The installed console script, as users run it (``python -m tracker`` where there is none).
_SCRIPT = Path(PYTHON).parent / "tracker"
TRACKER = [str(_SCRIPT)] if _SCRIPT.exists() else [PYTHON, "-m", "tracker"]
AS_OF = generate.AS_OF
BASE = 10_000  # larger ledgers are clones of a base built through the service layer


def median_time(fn: Callable[[], Any], repeat: int, setup: Callable[[], Any] | None = None) -> float:
    """Median seconds of ``fn()`` over ``repeat`` runs (``setup`` runs untimed before each)."""
    times = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_tracker(
    url: str, *args: str, config: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[bytes]:
    """One ``tracker`` process, output captured (and discarded by the caller)."""
    env = {**os.environ, "TRACKER_DB": url, "TRACKER_TODAY": AS_OF.isoformat(), "TRACKER_ACTOR": "bench",
           "TRACKER_CONFIG": str(config) if config else os.devnull}
    env.pop("TERM", None)
    result = subprocess.run([*TRACKER, *args], env=env, capture_output=True, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"tracker {' '.join(args)} failed ({result.returncode}): {result.stderr.decode()[-2000:]}")
    return result


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def context(settings: Any) -> Any:
    from tracker.services.context import Context

    now = datetime.combine(AS_OF, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    return Context(today=AS_OF, now=now, actor="bench", settings=settings)


class Workspace:
    """The run's temp dir and the generated databases, built once and cached by (shape, size)."""

    def __init__(self, root: Path, log: Callable[[str], None]) -> None:
        self.root = root
        self.log = log
        self._built: dict[tuple[str, int], Path] = {}

    def database(self, shape: str, size: int) -> Path:
        key = (shape, size)
        if key not in self._built:
            path = self.root / f"{shape}-{size}.db"
            if size > BASE and size % BASE == 0:
                base = self.database(shape, BASE)
                self.log(f"cloning {shape} ledger to {size:,} contracts")
                shutil.copyfile(base, path)
                generate.clone_database(path, size // BASE - 1)
            else:
                self.log(f"building {shape} ledger of {size:,} contracts through the service layer")
                generate.build_database(sqlite_url(path), generate.contracts(size, shape))
                checkpoint(path)
            self._built[key] = path
        return self._built[key]

    def copy(self, shape: str, size: int, name: str) -> Path:
        target = self.root / name
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.database(shape, size), target)
        return target


def checkpoint(path: Path) -> None:
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def db_bytes(path: Path) -> int:
    checkpoint(path)
    return sum(Path(f"{path}{suffix}").stat().st_size for suffix in ("", "-wal") if Path(f"{path}{suffix}").exists())


@contextmanager
def session_for(path: Path) -> Iterator[Any]:
    from tracker.store import engine as db

    engine = db.make_engine(sqlite_url(path))
    try:
        with db.session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()


# --- 1. upcoming ---------------------------------------------------------------------------------

FLOOR_SQL = """
SELECT o.*, c.*, s.*
FROM obligation o JOIN contract c ON c.id = o.contract_id
LEFT JOIN occurrence_state s ON s.obligation_id = o.id
WHERE (o.next_due <= :until OR o.refreshed_on > :today) AND c.archived = 0
"""


def bench_upcoming(ws: Workspace, size: int, repeat: int) -> dict[str, Any]:
    from tracker.services.timeline import upcoming
    from tracker.store import engine as db

    path = ws.database("realistic", size)
    engine = db.make_engine(sqlite_url(path))
    rows: list[Any] = []

    def service() -> None:
        nonlocal rows
        with db.session_scope(engine) as session:
            rows = upcoming(session, AS_OF, 90)

    service()  # warm: imports, connection pool, page cache
    service_s = median_time(service, repeat)
    engine.dispose()
    selected = 0

    def floor() -> None:
        nonlocal selected
        connection = sqlite3.connect(path)
        try:
            until = (AS_OF + timedelta(days=90)).isoformat()
            selected = len(connection.execute(FLOOR_SQL, {"until": until, "today": AS_OF.isoformat()}).fetchall())
        finally:
            connection.close()

    floor()
    floor_s = median_time(floor, repeat)
    url = sqlite_url(path)
    output = b""

    def process() -> None:
        nonlocal output
        output = run_tracker(url, "upcoming", "--within", "90d", "--format", "json").stdout

    process_s = median_time(process, repeat)
    assert len(json.loads(output)) == len(rows), "the CLI and the service disagree"
    return {
        "contracts": size, "items": len(rows), "rows_selected": selected, "service_s": service_s,
        "floor_s": floor_s, "ratio": service_s / floor_s if floor_s else None, "process_s": process_s,
        "db_bytes_per_contract": db_bytes(path) / size,
    }


# --- 2. calendar and feeds -----------------------------------------------------------------------


def _plain_events(body: bytes) -> list[dict[str, Any]]:
    """The tracker's calendar parsed back into plain values, so the floor serialises the same events."""
    from icalendar import Calendar

    events = []
    for component in Calendar.from_ical(body).walk("VEVENT"):
        events.append({
            "uid": str(component["UID"]), "dtstamp": component.decoded("DTSTAMP"),
            "last-modified": component.decoded("LAST-MODIFIED"), "sequence": int(component["SEQUENCE"]),
            "dtstart": component.decoded("DTSTART"), "dtend": component.decoded("DTEND"),
            "summary": str(component["SUMMARY"]), "description": str(component["DESCRIPTION"]),
            "categories": [str(c) for c in component["CATEGORIES"].cats],
            "transp": str(component["TRANSP"]),
            "alarms": [(str(a["DESCRIPTION"]), a.decoded("TRIGGER")) for a in component.walk("VALARM")],
        })
    return events


def serialise_floor(events: list[dict[str, Any]], name: str) -> bytes:
    """The same VCALENDAR written directly with the icalendar library: no database, no templates."""
    from icalendar import Alarm, Calendar, Event, vDuration

    calendar = Calendar()
    calendar.add("prodid", "-//tracker//contract deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-caldesc", "Contract deadlines from tracker: notice windows, renewals, invoices and more")
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(timedelta(hours=1)))
    for item in events:
        event = Event()
        for key in ("uid", "dtstamp", "last-modified", "sequence", "dtstart", "dtend", "summary", "description",
                    "categories", "transp"):
            event.add(key, item[key])
        for description, trigger in item["alarms"]:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", description)
            alarm.add("trigger", trigger)
            event.add_component(alarm)
        calendar.add_component(event)
    return calendar.to_ical()


def bench_calendar(ws: Workspace, size: int, repeat: int) -> dict[str, Any]:
    from tracker.domain.settings import Settings
    from tracker.services import ics as calendar

    path = ws.database("realistic", size)
    settings = Settings()
    built: Any = None

    def tracker_build() -> None:
        nonlocal built
        with session_for(path) as session:
            built = calendar.build(session, AS_OF, settings)

    tracker_build()
    tracker_s = median_time(tracker_build, repeat)
    events = _plain_events(built.body)
    body = b""

    def floor() -> None:
        nonlocal body
        body = serialise_floor(events, settings.calendar_name)

    floor()
    floor_s = median_time(floor, repeat)
    return {
        "contracts": size, "events": built.count, "bytes": len(built.body), "tracker_s": tracker_s,
        "floor_s": floor_s, "ratio": tracker_s / floor_s if floor_s else None, "same_bytes": body == built.body,
    }


def _serve(url: str, config: Path) -> tuple[subprocess.Popen[str], int]:
    env = {**os.environ, "TRACKER_DB": url, "TRACKER_TODAY": AS_OF.isoformat(), "TRACKER_CONFIG": str(config)}
    server = subprocess.Popen([*TRACKER, "serve", "--port", "0"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    assert server.stdout is not None
    line = server.stdout.readline()
    port = int(line.split("http://127.0.0.1:", 1)[1].split()[0])
    return server, port


def _stop(server: subprocess.Popen[str]) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _get(connection: http.client.HTTPConnection, path: str, etag: str | None = None) -> tuple[int, str | None, int]:
    connection.request("GET", path, headers={"If-None-Match": etag} if etag else {})
    response = connection.getresponse()
    body = response.read()
    return response.status, response.getheader("ETag"), len(body)


def bench_feed(ws: Workspace, size: int, repeat: int, config: Path, requests: int) -> dict[str, Any]:
    path = ws.copy("realistic", size, f"feed-{size}.db")
    url = sqlite_url(path)
    owner = generate.owner_of(0)
    feed_url = run_tracker(url, "calendar", "feed", "add", "bench", "--owner", owner, config=config).stdout
    feed_path = "/" + feed_url.decode().strip().split("/", 3)[3]
    first: list[float] = []
    for index in range(repeat):
        server, port = _serve(url, config)
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            start = time.perf_counter()
            status, etag, length = _get(connection, feed_path)
            first.append(time.perf_counter() - start)
            assert status == 200, status
            if index < repeat - 1:
                continue
            rates = {}
            for label, tag in (("cached_200", None), ("conditional_304", etag)):
                expected = 304 if tag else 200
                start = time.perf_counter()
                for _ in range(requests):
                    got = _get(connection, feed_path, tag)[0]
                    assert got == expected, got
                rates[label] = requests / (time.perf_counter() - start)
            connection.close()
        finally:
            _stop(server)
    first_s = statistics.median(first)
    return {
        "contracts": size, "owner": owner, "feed_bytes": length, "first_fetch_s": first_s,
        "first_fetch_per_s": 1 / first_s, "cached_200_per_s": rates["cached_200"],
        "conditional_304_per_s": rates["conditional_304"], "requests": requests,
    }


# --- 3. notify -----------------------------------------------------------------------------------


@contextmanager
def capture_server() -> Iterator[int]:
    server = subprocess.Popen([PYTHON, str(HERE / "capture.py")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert server.stdout is not None
        yield int(server.stdout.readline())
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=20)


def captured(port: int) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/count")
    count = int(connection.getresponse().read())
    connection.close()
    return count


def write_config(root: Path, port: int) -> Path:
    (root / "apprise.yml").write_text(
        f"urls:\n  - json://127.0.0.1:{port}/bench:\n      tag: default\n", encoding="utf-8")
    config = root / "tracker.toml"
    config.write_text('timezone = "UTC"\n\n[alerts]\napprise_config = "apprise.yml"\n', encoding="utf-8")
    return config


def bench_notify_quiet(ws: Workspace, size: int, repeat: int, config: Path) -> dict[str, Any]:
    from tracker.domain.settings import parse_settings
    from tracker.services.notify import passes as delivery
    from tracker.services.notify.channels import load_channels
    from tracker.store import engine as db

    path = ws.copy("quiet", size, f"quiet-pass-{size}.db")
    settings = parse_settings(config.read_text(encoding="utf-8"), config)
    channels = load_channels(settings)
    engine = db.make_engine(sqlite_url(path))
    reports: list[Any] = []

    def service() -> None:
        reports.append(delivery.run_pass(engine, context(settings), channels))

    service()
    service_s = median_time(service, repeat)
    engine.dispose()
    assert all(not r.created for r in reports), "the quiet ledger has something due"
    url = sqlite_url(path)
    process_s = median_time(lambda: run_tracker(url, "notify", config=config), repeat)
    return {"contracts": size, "created": 0, "service_s": service_s, "process_s": process_s}


def bench_deliver(ws: Workspace, count: int, repeat: int, config: Path, port: int) -> dict[str, Any]:
    from tracker.domain.settings import parse_settings
    from tracker.services.notify import passes as delivery
    from tracker.services.notify.channels import load_channels
    from tracker.store import engine as db

    settings = parse_settings(config.read_text(encoding="utf-8"), config)
    channels = load_channels(settings)
    times, sent = [], []
    for index in range(repeat):
        path = ws.copy("due", count, f"deliver-{index}.db")
        engine = db.make_engine(sqlite_url(path))
        before = captured(port)
        start = time.perf_counter()
        report = delivery.run_pass(engine, context(settings), channels)
        times.append(time.perf_counter() - start)
        engine.dispose()
        arrived = captured(port) - before
        assert arrived == len(report.created) == count, (arrived, len(report.created), count)
        sent.append(arrived)
    pass_s = statistics.median(times)
    return {"reminders": count, "pass_s": pass_s, "per_reminder_ms": pass_s / count * 1000, "captured": sent[-1]}


# --- 4. start-up, 5. import ----------------------------------------------------------------------


def bench_startup(root: Path, repeat: int) -> dict[str, Any]:
    empty = root / "empty.db"
    url = sqlite_url(empty)
    run_tracker(url, "init")
    # Start-up figures are a few tens of milliseconds: take more runs, interleaved, so that machine noise
    # falls on both sides of the ratio alike.
    click_times: list[float] = []
    help_times: list[float] = []
    for _ in range(max(repeat, 25)):
        click_times.append(median_time(lambda: subprocess.run([PYTHON, "-c", "import click"], check=True), 1))
        help_times.append(median_time(lambda: run_tracker(url, "--help"), 1))
    click_s, help_s = statistics.median(click_times), statistics.median(help_times)
    upcoming_s = median_time(lambda: run_tracker(url, "upcoming"), repeat)
    return {"import_click_s": click_s, "help_s": help_s, "help_ratio": help_s / click_s,
            "upcoming_empty_s": upcoming_s, "upcoming_empty_ratio": upcoming_s / click_s}


def bench_import(root: Path, size: int, repeat: int) -> dict[str, Any]:
    source = generate.write_yaml(root / f"contracts-{size}.yaml", generate.contracts(size, "realistic"))
    times, sizes = [], []
    for index in range(repeat):
        path = root / f"import-{index}.db"
        url = sqlite_url(path)
        run_tracker(url, "init")
        start = time.perf_counter()
        run_tracker(url, "import", str(source))
        times.append(time.perf_counter() - start)
        sizes.append(db_bytes(path))
    import_s = statistics.median(times)
    return {"contracts": size, "yaml_bytes": source.stat().st_size, "import_s": import_s,
            "contracts_per_s": size / import_s, "db_bytes_per_contract": statistics.median(sizes) / size}


# --- the run -------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    with suppress(ValueError, OSError, AttributeError):
        ram = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    return {"cpus": os.cpu_count(), "cpu": model, "ram_gib": ram, "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "platform": platform.platform()}


def sizes_arg(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=sizes_arg, default=[1000, 10_000, 100_000],
                        help="ledger sizes for `upcoming` (default 1000,10000,100000)")
    parser.add_argument("--notify-sizes", type=sizes_arg, default=[1000, 10_000, 100_000],
                        help="sizes of the nothing-due ledgers for the notify pass (default 1000,10000,100000)")
    parser.add_argument("--calendar-contracts", type=int, default=300,
                        help="contracts in the whole-horizon calendar benchmark (default 300: ~8,000 events)")
    parser.add_argument("--feed-size", type=int, default=10_000, help="ledger size for the feed server (10000)")
    parser.add_argument("--feed-requests", type=int, default=200, help="requests per feed rate figure (200)")
    parser.add_argument("--deliver", type=int, default=1000, help="reminders in the delivering pass (1000)")
    parser.add_argument("--import-size", type=int, default=10_000, help="contracts in the imported YAML (10000)")
    parser.add_argument("--import-repeat", type=int, default=3, help="repetitions of the import (3)")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions per figure; the median is reported (5)")
    parser.add_argument("--json", type=Path, default=HERE / "results.json", help="where to write the figures")
    parser.add_argument("--workdir", type=Path, help="temp dir to use (default: a new one, removed at the end)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser.parse_args(argv)


def _terminate(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    started = time.perf_counter()

    def log(message: str) -> None:
        if not args.quiet:
            print(f"[{time.perf_counter() - started:7.1f}s] {message}", file=sys.stderr, flush=True)

    signal.signal(signal.SIGTERM, _terminate)  # clean up the temp dir when stopped, too
    root = Path(tempfile.mkdtemp(prefix="tracker-bench-", dir=args.workdir))
    results: dict[str, Any] = {"machine": machine(), "as_of": AS_OF.isoformat(), "repeat": args.repeat}
    try:
        ws = Workspace(root, log)
        with capture_server() as port:
            config = write_config(root, port)
            log("start-up")
            results["startup"] = bench_startup(root, args.repeat)
            results["upcoming"] = []
            for size in args.sizes:
                ws.database("realistic", size)
                log(f"upcoming at {size:,}")
                results["upcoming"].append(bench_upcoming(ws, size, args.repeat))
            log(f"calendar of {args.calendar_contracts:,} contracts")
            results["calendar"] = bench_calendar(ws, args.calendar_contracts, args.repeat)
            log(f"feed server at {args.feed_size:,}")
            results["feed"] = bench_feed(ws, args.feed_size, args.repeat, config, args.feed_requests)
            results["notify_quiet"] = []
            for size in args.notify_sizes:
                ws.database("quiet", size)
                log(f"notify with nothing due at {size:,}")
                results["notify_quiet"].append(bench_notify_quiet(ws, size, args.repeat, config))
            ws.database("due", args.deliver)
            log(f"notify delivering {args.deliver:,} reminders")
            results["deliver"] = bench_deliver(ws, args.deliver, args.repeat, config, port)
        log(f"import of {args.import_size:,} contracts")
        results["import"] = bench_import(root, args.import_size, max(1, min(args.import_repeat, args.repeat)))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    results["elapsed_s"] = time.perf_counter() - started
    results["targets"] = targets(results)
    print(table(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
        log(f"wrote {args.json}")
    return results


def targets(results: dict[str, Any]) -> dict[str, Any]:
    """The issue's targets, met or not (figures, never assertions)."""
    out: dict[str, Any] = {}
    for row in results["upcoming"]:
        out[f"upcoming_service_within_3x_floor@{row['contracts']}"] = row["ratio"] is not None and row["ratio"] <= 3
        if row["contracts"] == 10_000:
            out["upcoming_process_under_0.5s@10000"] = row["process_s"] < 0.5
    out["calendar_within_2x_floor"] = results["calendar"]["ratio"] <= 2
    feed = results["feed"]
    out["conditional_304_without_rebuild"] = 1 / feed["conditional_304_per_s"] < feed["first_fetch_s"] / 10
    quiet = {row["contracts"]: row["service_s"] for row in results["notify_quiet"]}
    if quiet:
        out["notify_nothing_due_flat_within_2x"] = max(quiet.values()) <= 2 * quiet[min(quiet)]
    out["help_within_1.5x_import_click"] = results["startup"]["help_ratio"] <= 1.5
    return out


def table(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"Machine: {m['cpus']} CPUs ({m['cpu']}), {m['ram_gib']} GiB RAM, Python {m['python']}, "
        f"SQLite {m['sqlite']}; median of {results['repeat']} runs; as of {results['as_of']}",
        "",
        "| benchmark | size | tracker | floor | ratio | target |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:,.1f} ms" if seconds < 10 else f"{seconds:,.1f} s"

    t = results["targets"]

    def mark(name: str) -> str:
        return "" if name not in t else ("met" if t[name] else "MISSED")

    su = results["startup"]
    help_mark = mark("help_within_1.5x_import_click")
    lines.append(f"| `tracker --help` vs `python -c \"import click\"` | – | {ms(su['help_s'])} | "
                 f"{ms(su['import_click_s'])} | {su['help_ratio']:.2f}x | ≤ 1.5x {help_mark} |")
    lines.append(f"| `tracker upcoming`, empty database | 0 | {ms(su['upcoming_empty_s'])} | "
                 f"{ms(su['import_click_s'])} | {su['upcoming_empty_ratio']:.2f}x | |")
    for row in results["upcoming"]:
        n = row["contracts"]
        lines.append(f"| `upcoming --within 90d` service call ({row['items']:,} items) vs raw SQL "
                     f"({row['rows_selected']:,} rows) | {n:,} | {ms(row['service_s'])} | {ms(row['floor_s'])} | "
                     f"{row['ratio']:.1f}x | ≤ 3x {mark(f'upcoming_service_within_3x_floor@{n}')} |")
        target = f"< 0.5 s {mark('upcoming_process_under_0.5s@10000')}" if n == 10_000 else ""
        lines.append(f"| `tracker upcoming --within 90d --format json` (process) | {n:,} | {ms(row['process_s'])} "
                     f"| | | {target} |")
    cal = results["calendar"]
    lines.append(f"| calendar, whole horizon ({cal['events']:,} events, {cal['bytes'] / 2**20:.1f} MiB) vs icalendar "
                 f"serialisation | {cal['contracts']:,} | {ms(cal['tracker_s'])} | {ms(cal['floor_s'])} | "
                 f"{cal['ratio']:.2f}x | ≤ 2x {mark('calendar_within_2x_floor')} |")
    feed = results["feed"]
    lines.append(f"| feed, one owner ({feed['feed_bytes'] / 1024:,.0f} KiB): first fetch | {feed['contracts']:,} | "
                 f"{ms(feed['first_fetch_s'])} ({feed['first_fetch_per_s']:.2f}/s) | | | |")
    lines.append(f"| feed: unconditional GET, cached | {feed['contracts']:,} | {feed['cached_200_per_s']:,.0f} req/s"
                 " | | | |")
    lines.append(f"| feed: conditional GET → 304 | {feed['contracts']:,} | {feed['conditional_304_per_s']:,.0f} req/s"
                 f" | | | no rebuild {mark('conditional_304_without_rebuild')} |")
    quiet = results["notify_quiet"]
    for row in quiet:
        lines.append(f"| `notify`, nothing due: service call / process | {row['contracts']:,} | "
                     f"{ms(row['service_s'])} / {ms(row['process_s'])} | | "
                     f"{row['service_s'] / quiet[0]['service_s']:.2f}x | flat ≤ 2x "
                     f"{mark('notify_nothing_due_flat_within_2x') if row is quiet[-1] else ''} |")
    d = results["deliver"]
    lines.append(f"| `notify` delivering {d['reminders']:,} reminders to a loopback server | {d['reminders']:,} | "
                 f"{ms(d['pass_s'])} ({d['per_reminder_ms']:.2f} ms each) | | | |")
    im = results["import"]
    lines.append(f"| `tracker import` of a YAML file ({im['yaml_bytes'] / 2**20:.1f} MiB) | {im['contracts']:,} | "
                 f"{ms(im['import_s'])} ({im['contracts_per_s']:,.0f} contracts/s) | | | |")
    sizes = ", ".join(f"{row['db_bytes_per_contract'] / 1024:.1f} KiB at {row['contracts']:,}"
                      for row in results["upcoming"])
    lines.append(f"| database size per contract | | imported: {im['db_bytes_per_contract'] / 1024:.1f} KiB; "
                 f"generated: {sizes} | | | |")
    lines.append("")
    lines.append(f"Whole run: {results['elapsed_s']:.0f} s.")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
