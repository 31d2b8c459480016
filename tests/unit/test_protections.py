"""Protections read canonically, and the review checklist (data, not code) applied to them."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.domain.checks import Checker
from tracker.domain.protections import parse_checklist, parse_protections, review
from tracker.errors import ConfigError

CHECKLIST = parse_checklist([
    {"id": "cap", "severity": "high", "field": "liability_cap_months", "fails": {"below": 24},
     "finding": "Liability capped at {value} months' fees", "absent": "No liability cap", "ask": "24-36 months."},
    {"id": "carve", "severity": "high", "field": "liability_carve_outs", "when": {"tags": ["ai"]},
     "fails": {"lacks": ["data_breach", "bias_claims"]}, "finding": "No carve-out for {lacking}", "ask": "Carve."},
    {"id": "overage", "severity": "high", "field": "overage_cap", "when": {"usage_priced": True},
     "finding": "Usage-priced with no overage cap", "ask": "A hard cap."},
    {"id": "soc2", "severity": "medium", "field": "soc2_report_date", "fails": {"older_than": "12 months"},
     "finding": "SOC 2 report from {value}", "ask": "Yearly."},
], "test")


def _read(raw: dict[str, object]) -> tuple[dict[str, object], list[str]]:
    check = Checker()
    found = parse_protections(check, raw)
    return found, [p.field for p in check.problems]


def test_protections_are_read_canonically() -> None:
    found, problems = _read({"training_on_data": "Opt-in", "liability_cap": "12 months' fees",
                             "liability_carve_outs": ["data_breach", "data_breach"], "sla_availability": "99.9%",
                             "data_export_window": "30d", "soc2_report_date": date(2026, 3, 1)})
    assert problems == []
    assert found == {"liability_cap_months": 12, "training_on_data": "opt_in", "liability_carve_outs": ["data_breach"],
                     "sla_availability": "99.90", "data_export_window": "30 days", "soc2_report_date": "2026-03-01"}
    assert _read({"liability_cap": "USD 1,000,000"})[0] == {"liability_cap_amount": "1000000.00"}


def test_unreadable_protections_name_their_field() -> None:
    _, problems = _read({"training_on_data": "maybe", "liability_cap": "a lot", "liability_carve_outs": ["x"]})
    assert problems == ["terms.liability_cap", "terms.training_on_data", "terms.liability_carve_outs"]


def test_the_review_applies_each_check_where_it_applies() -> None:
    today = date(2026, 11, 21)
    values = {"liability_cap_months": 12, "liability_carve_outs": ["data_breach"], "usage_priced": True,
              "soc2_report_date": "2025-06-30"}
    found = {(f.check, f.finding) for f in review("acme", values, ("ai",), CHECKLIST, today)}
    assert found == {("cap", "Liability capped at 12 months' fees"), ("carve", "No carve-out for bias claims"),
                     ("overage", "Usage-priced with no overage cap"), ("soc2", "SOC 2 report from 2025-06-30")}
    # Not an AI contract, not usage-priced, a recent report and a 24-month cap: nothing to ask for.
    fine = {"liability_cap_months": 24, "soc2_report_date": "2026-06-30"}
    assert review("crm", fine, ("crm",), CHECKLIST, today) == []
    assert [f.finding for f in review("bare", {}, (), CHECKLIST, today)] == ["No liability cap",
                                                                            "Not recorded: soc2 report date"]


def test_a_malformed_checklist_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match=r"test\[0\]"):
        parse_checklist([{"id": "x", "severity": "urgent", "field": "nope", "finding": "", "ask": ""}], "test")
    with pytest.raises(ConfigError):
        parse_checklist({"not": "a list"}, "test")
