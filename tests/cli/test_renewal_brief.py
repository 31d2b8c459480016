"""Review findings, negotiation notes and the renewal brief (a golden Markdown file for a sample contract)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import REPO, Tracker

GOLDEN = REPO / "tests" / "golden" / "brief_cortex_agents.md"


def test_review_finds_what_two_sample_contracts_lack(sample_tracker: Tracker) -> None:
    findings = sample_tracker.json("review")
    by_contract: dict[str, set[str]] = {}
    for finding in findings:
        by_contract.setdefault(finding["contract"], set()).add(finding["check"])
    assert {"liability-cap", "liability-carve-outs"} <= by_contract["acme-ai-support"]
    assert "training-on-data" not in by_contract["acme-ai-support"]  # recorded as prohibited
    assert {"overage-cap", "training-on-data", "soc2"} <= by_contract["cortex-agents"]
    acme = {f["check"]: f for f in sample_tracker.json("review", "acme-ai-support")}
    carve_outs = acme["liability-carve-outs"]
    assert carve_outs["finding"] == "The liability cap has no carve-out for bias claims or data breach"
    assert acme["liability-carve-outs"]["severity"] == "high" and "bias claims" in acme["liability-carve-outs"]["ask"]


def test_protections_are_edited_and_the_finding_goes(sample_tracker: Tracker) -> None:
    sample_tracker.ok("edit", "cortex-agents", "--protection", "training_on_data=prohibited",
                      "--protection", "overage_cap=5000")
    checks = {f["check"] for f in sample_tracker.json("review", "cortex-agents")}
    assert "training-on-data" not in checks and "overage-cap" not in checks
    bad = sample_tracker("edit", "cortex-agents", "--protection", "training_on_data=sometimes")
    assert bad.exit_code == 2 and "terms.training_on_data: 'sometimes' is invalid" in bad.stderr


def test_a_user_checklist_replaces_the_shipped_one(sample_tracker: Tracker, tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "checklist.yaml").write_text(
        "- {id: residency, severity: high, field: data_residency, fails: {in: [US], missing: false},\n"
        "   finding: 'Data stays in {value}', ask: 'Keep EU data in the EU.'}\n", encoding="utf-8")
    config = tmp_path / "tracker.toml"
    config.write_text('templates = "mine"\n', encoding="utf-8")
    sample_tracker.config = config
    assert [(f["contract"], f["finding"]) for f in sample_tracker.json("review")] == [
        ("acme-ai-support", "Data stays in US"), ("cortex-agents", "Data stays in US")]


def test_the_brief_has_every_section(sample_tracker: Tracker) -> None:
    sample_tracker.ok("price", "cortex-agents", "260000", "--from", "2028-04-01")
    sample_tracker.ok("note", "cortex-agents", "Their quarter ends 31 March: ask for 10% off a 2-year commit.")
    brief = sample_tracker.ok("brief", "cortex-agents")
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(brief, encoding="utf-8")
    assert brief == GOLDEN.read_text(encoding="utf-8")


def test_the_html_brief_escapes_user_text(tracker: Tracker) -> None:
    tracker.ok("add", "--key", "x", "--title", "<script>alert(1)</script>", "--vendor", "V & Co", "--owner",
               "o@example.com", "--start", "2026-01-01", "--term", "1 year", "--auto-renew", "--notice", "30 days")
    tracker.ok("note", "x", "<img src=x onerror=alert(1)>")
    html = tracker.ok("brief", "x", "--html")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "V &amp; Co" in html
    empty = tracker("note", "x", "  ")
    assert empty.exit_code == 2 and "TEXT" in empty.stderr
