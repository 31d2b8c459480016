"""Spend and renewal exposure: prices over time, the uplift cap, per-currency totals, the termination fee."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import Tracker

AGENTS = ("add", "--key", "agents", "--title", "Sales agents", "--vendor", "Cortex", "--owner", "alice@example.com",
          "--start", "2026-04-01", "--term", "24 months", "--renewal-term", "12 months", "--auto-renew", "--notice",
          "90 days", "--termination-notice", "60 days", "--value", "240000", "--currency", "USD")


def _contracts(tracker: Tracker, tmp_path: Path) -> None:
    raws = [
        {"key": "agents", "title": "Sales agents", "vendor": "Cortex", "owner": "alice@example.com",
         "start": "2026-04-01", "term": "24 months", "renewal_term": "12 months", "auto_renew": True,
         "notice": "90 days", "termination_notice": "60 days", "termination_fee": "30%",
         "renewal_uplift_cap": "5%", "value": 240000, "currency": "USD", "tags": ["ai"]},
        {"key": "helpdesk", "title": "Helpdesk", "vendor": "Zendo", "owner": "carol@example.com",
         "start": "2026-09-01", "term": "1 month", "auto_renew": True, "notice": "30 days", "value": 1200,
         "value_basis": "per month", "currency": "USD", "tags": ["ai", "support"]},
        {"key": "transcribe", "title": "Transcription", "vendor": "Verbatim", "owner": "carol@example.com",
         "start": "2026-01-01", "term": "12 months", "auto_renew": True, "notice": "3 months", "value": 48000,
         "currency": "GBP"},
    ]
    path = tmp_path / "spend.yaml"
    path.write_text(yaml.safe_dump({"contracts": raws}), encoding="utf-8")
    tracker.ok("import", str(path))


def test_spend_is_annualised_per_currency_and_never_mixed(tracker: Tracker, tmp_path: Path) -> None:
    _contracts(tracker, tmp_path)
    report = tracker.json("spend", "--by", "owner")
    assert report["spend"] == [
        {"group": "alice@example.com", "currency": "USD", "annual": "120000.00", "contracts": 1},
        {"group": "carol@example.com", "currency": "GBP", "annual": "48000.00", "contracts": 1},
        {"group": "carol@example.com", "currency": "USD", "annual": "14400.00", "contracts": 1},
    ]
    tags = {(r["group"], r["currency"]): r["annual"] for r in tracker.json("spend", "--by", "tag")["spend"]}
    assert tags[("ai", "USD")] == "134400.00" and tags[("(untagged)", "GBP")] == "48000.00"


def test_exposure_lists_what_renews_unless_notice_is_given(tracker: Tracker, tmp_path: Path) -> None:
    _contracts(tracker, tmp_path)
    exposure = tracker.json("spend", "--within", "90d")["exposure"]  # as of 2026-11-21
    assert [(r["contract"], r["notice_by"], r["renews_on"], r["amount"], r["currency"]) for r in exposure] == [
        ("helpdesk", "2026-12-01", "2027-01-01", "1200.00", "USD"),
    ]
    wide = tracker.json("spend", "--within", "2y")["exposure"]
    assert ("transcribe", "2027-09-30", "2028-01-01", "48000.00", "GBP") in [  # 3 months before Dec 31
        (r["contract"], r["notice_by"], r["renews_on"], r["amount"], r["currency"]) for r in wide]
    table = tracker.ok("spend", "--within", "2y")
    assert "Exposure: GBP 48,000.00; USD" in table  # totals per currency, each formatted one way


def test_a_price_above_the_uplift_cap_is_flagged_and_recorded(tracker: Tracker, tmp_path: Path) -> None:
    _contracts(tracker, tmp_path)
    ok = tracker.ok("price", "agents", "252000", "--from", "2028-04-01")
    assert ok.strip() == "agents: USD 252,000.00 from 2028-04-01 (+5.00%)."
    flagged = tracker.ok("price", "agents", "270000", "--from", "2029-04-01")
    assert "(+7.14%)" in flagged and "Above the renewal uplift cap of 5%" in flagged
    events = [e for e in tracker.json("history", "agents") if e["kind"] == "price_changed"]
    assert [(e["payload"]["amount"], e["payload"]["above_cap"]) for e in events] == [
        ("252000.00", False), ("270000.00", True)]
    assert tracker.json("spend", today="2029-05-01")["spend"][0]["annual"] == "270000.00"  # 12-month renewals


def test_the_termination_fee_is_shown_before_and_recorded_when_terminating(tracker: Tracker, tmp_path: Path) -> None:
    _contracts(tracker, tmp_path)
    exit_ = tracker.json("show", "agents", today="2027-01-20")["earliest_exit"]["termination"]
    # 60 days after 2027-01-20 is 2027-03-21; 376 of the term's 731 days remain: 30% × 240,000 × 376 / 731.
    assert exit_ == {"notice_by": "2027-01-20", "ends_on": "2027-03-21", "fee": "37034.20"}
    dry = tracker.ok("terminate", "agents", "--sent-on", "2027-01-20", "--dry-run", today="2027-01-20")
    assert "with a termination fee of USD 37,034.20" in dry
    tracker.ok("terminate", "agents", "--sent-on", "2027-01-20", today="2027-01-20")
    given = [e for e in tracker.json("history", "agents") if e["kind"] == "termination_given"]
    assert given[0]["payload"]["fee"] == "37034.20"


def test_bad_money_input_names_the_field(sqlite_tracker: Tracker) -> None:
    basic = ("add", "--key", "x", "--title", "T", "--vendor", "V", "--owner", "o@example.com", "--start",
             "2026-01-01", "--term", "1 year", "--no-auto-renew")
    fee_only = sqlite_tracker(*basic, "--termination-fee", "30%")
    assert fee_only.exit_code == 2 and "termination_fee: '30%' is invalid; expected a fee with termination_notice" \
        in fee_only.stderr
    cap = sqlite_tracker(*basic, "--renewal-uplift-cap", "lots")
    assert cap.exit_code == 2 and "renewal_uplift_cap: 'lots' is invalid; expected a percentage" in cap.stderr
    assert sqlite_tracker.json("list") == []
    result = sqlite_tracker(*AGENTS[:-2], "--currency", "USD")  # a valid add, to price below
    assert result.exit_code == 0, result.stderr
    bad = sqlite_tracker("price", "agents", "lots", "--from", "2027-01-01")
    assert bad.exit_code == 2 and "AMOUNT: 'lots' is invalid" in bad.stderr
    early = sqlite_tracker("price", "agents", "10", "--from", "2020-01-01")
    assert early.exit_code == 2 and "on or after the contract's start" in early.stderr
    wrong = sqlite_tracker("spend", "--within", "soon")
    assert wrong.exit_code == 2 and "--within" in wrong.stderr


def test_configured_rates_convert_the_totals_and_nothing_else(tracker: Tracker, tmp_path: Path) -> None:
    _contracts(tracker, tmp_path)
    assert tracker.json("spend")["converted"] is None  # no rates: per currency only
    config = tmp_path / "tracker.toml"
    config.write_text('[spend]\nbase_currency = "USD"\nrates = { GBP = 1.25 }\n', encoding="utf-8")
    tracker.config = config
    # 120,000 + 14,400 USD and 48,000 GBP at 1.25; exposed: the helpdesk's 1,200 USD.
    assert tracker.json("spend")["converted"] == {"currency": "USD", "annual": "194400.00", "exposure": "1200.00"}
    config.write_text('[spend]\nbase_currency = "USD"\nrates = { EUR = 1.1 }\n', encoding="utf-8")
    assert tracker.json("spend")["converted"] is None  # GBP has no rate: no total rather than a wrong one
    config.write_text('[spend]\nbase_currency = "USD"\nrates = { EUR = "lots" }\n', encoding="utf-8")
    bad = tracker("spend")
    assert bad.exit_code == 2 and "spend.rates.EUR: 'lots' is invalid" in bad.stderr
    config.write_text('[spend]\nrates = { EUR = 1.1 }\n', encoding="utf-8")
    no_base = tracker("spend")
    assert no_base.exit_code == 2 and "spend.base_currency" in no_base.stderr
