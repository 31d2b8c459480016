"""Bad input, table-driven: every case exits with its code and a one-line message, and writes nothing.

Each case runs against the same small ledger on SQLite and PostgreSQL (PostgreSQL refuses NUL in text,
which SQLite stores). The ledger is compared before and after through `export --format json` and
`history`, so "nothing written" is checked for every case, not assumed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import Tracker

ACME = (
    "add", "--key", "acme", "--title", "AI support agent platform", "--vendor", "Acme AI",
    "--owner", "alice@example.com", "--backup-owner", "bob@example.com", "--start", "2025-03-26",
    "--term", "12 months", "--auto-renew", "--notice", "90 days", "--holidays", "US",
)
# A contract the cases change one field of (options given, so nothing is prompted for).
NEW = (
    "add", "--key", "new", "--title", "New platform", "--vendor", "Newco", "--owner", "carol@example.com",
    "--start", "2026-01-01", "--term", "12 months", "--no-auto-renew", "--holidays", "US",
)
CONTRACT_YAML = """\
contracts:
- key: imported
  title: Imported platform
  vendor: Importco
  owner: alice@example.com
  start: 2026-01-01
  term: 12 months
"""
LAUGHS = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
contracts:
- key: laughs
  title: *g
  vendor: v
  owner: alice@example.com
  start: 2026-01-01
  term: 12 months
"""
BIG = 10**30


def _contract_json(**fields: object) -> str:
    base: dict[str, object] = {"key": "imported", "title": "Imported platform", "vendor": "Importco",
                               "owner": "alice@example.com", "start": "2026-01-01", "term": "12 months"}
    return json.dumps({"contracts": [{**base, **fields}]})


def _with(extra: str) -> str:
    """The one-contract YAML with ``extra`` lines appended to the contract."""
    return CONTRACT_YAML + "".join(f"  {line}\n" for line in extra.splitlines())


@dataclass(frozen=True)
class Case:
    """One bad input: the command line (``{dir}`` is the test's folder), the exit code and a fragment of
    the message; ``files`` are written to the folder first, ``config`` becomes the settings file."""

    name: str
    args: tuple[str, ...]
    exit_code: int
    fragment: str
    files: dict[str, str | bytes] = field(default_factory=dict)
    config: str | None = None


def _import(name: str, content: str | bytes, fragment: str, *options: str) -> Case:
    return Case(f"import-{name}", ("import", "{dir}/" + name, *options), 2, fragment, {name: content})


CASES = [
    # --- values quoted in messages are shortened; alias expansion is bounded ---------------------
    _import("laughs.yaml", LAUGHS, "aliases that expand to"),
    _import("self-alias.yaml", "contracts: &a [*a]\n", "an alias that contains itself"),
    _import("long-title.json", _contract_json(title="x" * 5_000), "…' is invalid"),
    _import("long-key.json", _contract_json(key="k" * 5_000), "key: 'kkkk"),
    # --- text limits and characters ---------------------------------------------------------------
    Case("key-81", (*NEW[:2], "k" * 81, *NEW[3:]), 2, "at most 80"),
    Case("title-201", (*NEW, "--title", "t" * 201), 2, "at most 200 characters"),
    Case("vendor-201", (*NEW, "--vendor", "v" * 201), 2, "vendor: 'vvvv"),
    Case("title-newline", (*NEW, "--title", "two\nlines"), 2, "without control characters"),
    Case("title-escape", (*NEW, "--title", "red \x1b[31m"), 2, "title: 'red \\x1b[31m'"),
    Case("title-bidi-override", (*NEW, "--title", "abc\u202edcba"), 2, "bidirectional overrides"),
    Case("title-bidi-isolate", (*NEW, "--vendor", "abc\u2067x"), 2, "vendor: 'abc\\u2067x'"),
    Case("title-c1", (*NEW, "--title", "a\x85bc"), 2, "title: 'a\\x85bc'"),
    Case("tag-escape", (*NEW, "--tag", "a\x1bb"), 2, "tags: 'a\\x1bb'"),
    Case("edit-title-nul", ("edit", "acme", "--title", "a\x00b"), 2, "title: 'a\\x00b'"),
    Case("clause-201", ("obligation", "add", "acme", "--kind", "custom", "--title", "Audit", "--due", "2027-01-01",
                        "--clause", "c" * 201), 2, "clause: 'cccc"),
    Case("obligation-title-tab", ("obligation", "add", "acme", "--kind", "custom", "--title", "a\tb",
                                  "--due", "2027-01-01"), 2, "title: 'a\\tb'"),
    Case("note-2001", ("obligation", "done", "acme/1", "--note", "n" * 2_001), 2, "--note"),
    Case("note-nul", ("obligation", "waive", "acme/1", "--note", "a\x00b"), 2, "--note"),
    Case("note-escape", ("obligation", "record", "acme/1", "--note", "clear \x1b[2J"), 2, "--note"),
    Case("note-bidi", ("obligation", "done", "acme/1", "--note", "ok\u2066"), 2, "--note"),
    _import("nul-title.json", _contract_json(title="a\u0000b"), "title: 'a\\x00b'"),
    _import("surrogate.json", '{"contracts": [{"key": "imported", "vendor": "a\\ud800"}]}', "vendor: 'a\\ud800'"),
    _import("surrogate.yaml", CONTRACT_YAML.replace("Importco", '"Import\\ud800"'), "vendor: 'Import\\ud800'"),
    _import("raw-nul.yaml", CONTRACT_YAML.encode().replace(b"Importco", b"Import\x00co"), "NUL"),
    Case("show-nul-key", ("show", "a\x00b"), 2, "the key of an existing contract"),
    Case("history-nul-key", ("history", "a\x00b"), 2, "the key of an existing contract"),
    Case("archive-surrogate-key", ("archive", "a\udcff"), 2, "the argument 'a\\udcff' is not valid UTF-8"),
    Case("calendar-owner-surrogate", ("calendar", "export", "--owner", "a\udcff"), 2, "not valid UTF-8"),
    Case("list-owner-nul", ("list", "--owner", "a\x00b"), 2, "--owner"),
    Case("upcoming-owner-nul", ("upcoming", "--owner", "a\x00b"), 2, "--owner"),
    Case("upcoming-contract-nul", ("upcoming", "--contract", "a\x00b"), 2, "key: 'a\\x00b'"),
    # --- duplicate keys ---------------------------------------------------------------------------
    _import("second-contracts.yaml", CONTRACT_YAML + "contracts: []\n", "duplicate key contracts (first on line 1)"),
    _import("second-title.yaml", _with("title: Again"),
            "line 8, column 3: malformed YAML: duplicate key title (first on line 3)"),
    _import("second-contracts.json", '{"contracts": [], "contracts": []}',
            "line 1, column 1: malformed JSON: duplicate key 'contracts'"),
    _import("second-title.json", _contract_json().replace('"vendor"', '"title": "Again", "vendor"'),
            "line 1, column 16: malformed JSON: duplicate key 'title'"),
    _import("second-title-column.csv", "key,title,vendor,owner,start,term,title\nk,A,v,a@example.com,2026-01-01,"
            "12 months,B\n", "header: column: 'title' is invalid; expected each column once"),
    _import("settled-progress-30-digits.yaml", _with(
        "obligations:\n- kind: training\n  title: Trainings\n  due: 2026-06-01\n  required: 3\n  settled:\n"
        f"  - {{progress: {BIG}}}"), "obligations[0].settled[0].progress: '1000"),
    # --- wrong types are type errors, not "none" --------------------------------------------------
    _import("obligations-mapping.yaml", _with("obligations: {}"), "obligations: {} is invalid"),
    _import("obligations-zero.yaml", _with("obligations: 0"), "obligations: 0 is invalid; expected a list"),
    _import("terms-zero.yaml", _with("terms: 0"), "terms: 0 is invalid"),
    _import("settled-zero.yaml", _with("obligations:\n- kind: custom\n  title: Audit\n  due: 2026-06-01\n"
                                       "  settled: 0"), "settled: 0 is invalid"),
    _import("settled-one-off-date.yaml", _with(
        "obligations:\n- kind: custom\n  title: Audit\n  due: 2026-06-01\n  settled:\n"
        "  - {occurrence: '2026-06-01', status: done}"), "settled[0].occurrence: '2026-06-01' is invalid"),
    _import("settled-not-a-recurrence-date.yaml", _with(
        "obligations:\n- kind: invoice\n  title: Invoice\n  every: FREQ=MONTHLY\n  start: 2026-01-05\n"
        "  settled:\n  - {occurrence: '2026-02-06', status: done}"), "a date of the recurrence"),
    _import("settled-counted-bad-key.yaml", _with(
        "obligations:\n- kind: training\n  title: Trainings\n  due: 2026-06-01\n  required: 3\n  settled:\n"
        "  - {occurrence: T1, progress: 2}"), "settled[0].occurrence: 'T1'"),
    # --- e-mail addresses -------------------------------------------------------------------------
    Case("owner-double-dot", (*NEW, "--owner", "alice@example..com"), 2, "two periods in a row"),
    Case("backup-owner-no-domain-dot", ("edit", "acme", "--backup-owner", "bob@example"), 2,
         "backup_owner: 'bob@example'"),
    _import("owner-double-dot.yaml", CONTRACT_YAML.replace("alice@example.com", "alice@example..com"),
            "owner: 'alice@example..com'"),
    # --- one line and exit 2 where a traceback used to be -----------------------------------------
    Case("occurrence-year-9999", ("obligation", "done", "acme/2@9999-12-31"), 2, "occurrence"),
    Case("occurrence-year-1", ("ack", "acme/2@0001-01-01"), 2, "occurrence"),
    Case("occurrence-term-30-digits", ("ack", f"acme/notice_deadline@T{BIG}"), 2, "occurrence"),
    Case("id-30-digits", ("obligation", "done", f"acme/{BIG}"), 2, "id: 'acme/1000"),
    Case("count-30-digits", ("obligation", "record", "acme/1", "--count", str(BIG)), 2, "--count"),
    Case("count-zero", ("obligation", "record", "acme/1", "--count", "0"), 2, "--count"),
    Case("required-30-digits", ("obligation", "add", "acme", "--kind", "training", "--title", "T",
                                "--due", "2027-01-01", "--required", str(BIG)), 2, "required: '1000"),
    Case("max-renewals-30-digits", ("edit", "acme", "--max-renewals", str(BIG)), 2, "max_renewals"),
    Case("export-into-missing-folder", ("export", "-o", "{dir}/missing/ledger.yaml"), 2, "--output"),
    _import("deep.json", '{"contracts": ' + "[" * 1_000 + "]" * 1_000 + "}", "nested deeper than 64 levels"),
    _import("deep.yaml", "contracts: " + "[" * 1_000 + "]" * 1_000 + "\n", "nested deeper than 64 levels"),
    _import("deep-block.yaml", "contracts:\n" + "".join("  " * i + "- \n" for i in range(200)),
            "nested deeper than 64 levels"),
    _import("int-5000-digits.json",
            _contract_json().replace('"term"', '"max_renewals": ' + "9" * 5_000 + ', "term"'), "max_renewals: '9999"),
    _import("int-5000-digits.yaml", _with("max_renewals: " + "9" * 5_000), "max_renewals: '9999"),
    _import("field-200k.csv", "key,title,vendor,owner,start,term\nk," + "x" * 200_000 + ",v,a@example.com,2026-01-01,"
            "12 months\n", "malformed CSV: field larger than field limit"),
    _import("latin-1.yaml", CONTRACT_YAML.replace("Importco", "Impörtco").encode("latin-1"), "line 4 is not UTF-8"),
    Case("import-dev-zero", ("import", "--format", "yaml", "/dev/zero"), 2, "a file of at most 50 MB"),
    Case("import-folder", ("import", "{dir}"), 2, "is a directory"),
    Case("import-nul-path", ("import", "a\x00b.yaml"), 2, "'a\\x00b.yaml' holds a NUL character"),
    Case("export-nul-path", ("export", "-o", "a\x00b.yaml"), 2, "'a\\x00b.yaml' holds a NUL character"),
    Case("export-file-name-too-long", ("export", "-o", "{dir}/" + "x" * 300), 2, "File name too long"),
    Case("calendar-export-missing-folder", ("calendar", "export", "-o", "{dir}/missing/x.ics"), 2,
         "--output: "),
    Case("brief-output-empty", ("brief", "acme", "-o", ""), 2, "--output: '' is invalid"),
    Case("deliveries-limit-2-63", ("deliveries", "--limit", str(2**63)), 2, "is not in the range"),
    Case("serve-bad-host", ("serve", "--host", "256.1.1.1", "--port", "0"), 2, "--host: '256.1.1.1' is invalid"),
    Case("actor-newline", ("--actor", "a\nb", "note", "acme", "hi"), 2, "--actor: 'a\\nb' is invalid"),
    Case("review-control-key", ("review", "a\x01b"), 2, "the key of an existing contract"),
    Case("usage-nul-key", ("usage", "a\x00b"), 2, "the key of an existing contract"),
    Case("price-not-an-amount", ("price", "acme", "lots", "--from", "2026-06-01"), 2, "AMOUNT: 'lots' is invalid"),
    Case("terminate-without-clause", ("terminate", "acme", "--sent-on", "2026-06-01"), 2, "termination_notice"),
    # --- settings ---------------------------------------------------------------------------------
    Case("settings-bom", ("list",), 0, "acme", config="\ufefftimezone = \"UTC\"\n"),
    Case("settings-base-url-ftp", ("list",), 2, "calendar.base_url: 'ftp://feeds.example.com' is invalid",
         config='[calendar]\nbase_url = "ftp://feeds.example.com"\n'),
    Case("settings-base-url-script", ("list",), 2, "an http:// or https:// URL",
         config='[calendar]\nbase_url = "javascript:alert(1)"\n'),
]


@pytest.fixture
def ledger(tracker: Tracker) -> Tracker:
    """A small ledger: a contract with a counted one-off (acme/1) and a monthly recurrence (acme/2)."""
    tracker.ok(*ACME)
    tracker.ok("obligation", "add", "acme", "--kind", "training", "--title", "Trainings", "--due", "2027-01-15",
               "--required", "3")
    tracker.ok("obligation", "add", "acme", "--kind", "invoice", "--title", "Invoice", "--every", "FREQ=MONTHLY",
               "--start", "2027-01-05")
    return tracker


def _snapshot(tracker: Tracker) -> tuple[str, str]:
    return tracker.ok("export", "--format", "json"), tracker.ok("history", "acme", "--format", "json")


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_is_one_line_exit_code_and_nothing_written(ledger: Tracker, tmp_path: Path, case: Case) -> None:
    for name, content in case.files.items():
        target = tmp_path / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8", errors="surrogatepass")
    before = _snapshot(ledger)
    if case.config is not None:
        ledger.config = tmp_path / "tracker.toml"
        ledger.config.write_text(case.config, encoding="utf-8")
    args = [arg.replace("{dir}", str(tmp_path)) for arg in case.args]
    result = ledger(*args, input="")
    output = result.stdout + result.stderr
    assert result.exit_code == case.exit_code, output
    assert case.fragment in output
    assert "Traceback" not in output
    if case.exit_code:
        assert len(result.stderr) < 600  # a message, never a dump of the value (or of an expanded alias)
        assert "\x1b" not in result.stderr.replace("\x1b[31m", "").replace("\x1b[0m", "")
    ledger.config = None
    assert _snapshot(ledger) == before


def test_csv_round_trip_keeps_titles_that_start_with_an_apostrophe(sqlite_tracker: Tracker, tmp_path: Path) -> None:
    titles = ["'Quoted' title", "'=not a formula", "''Two apostrophes", "=SUM(A1:A2)", "-25 days of credit"]
    for number, title in enumerate(titles):
        sqlite_tracker.ok(*NEW[:2], f"k{number}", *NEW[3:], "--title", title)
    exported = tmp_path / "ledger.csv"
    sqlite_tracker.ok("export", "--format", "csv", "-o", str(exported))
    copy = Tracker(f"sqlite:///{tmp_path / 'copy.db'}")
    copy.ok("init")
    copy.ok("import", str(exported))
    assert [copy.json("show", f"k{number}")["title"] for number in range(len(titles))] == titles



SHARED_YAML = """\
contracts:
- &base
  key: zero
  title: Zero
  vendor: Sharedco
  owner: alice@example.com
  start: 2026-01-01
  term: 12 months
  tags: &tags [ai, support]
- <<: *base
  key: first
  title: First
- <<: *base
  key: second
  title: Second
  vendor: Otherco
  tags: *tags
"""


def test_yaml_anchors_aliases_and_merge_keys_still_import(sqlite_tracker: Tracker, tmp_path: Path) -> None:
    # Aliases are bounded, not refused: sharing fields (and overriding a merged one) is ordinary YAML.
    shared = tmp_path / "shared.yaml"
    shared.write_text(SHARED_YAML, encoding="utf-8")
    sqlite_tracker.ok("import", str(shared))
    rows = {row["key"]: (row["vendor"], row["tags"]) for row in sqlite_tracker.json("list")}
    assert rows == {"zero": ("Sharedco", ["ai", "support"]), "first": ("Sharedco", ["ai", "support"]),
                    "second": ("Otherco", ["ai", "support"])}
