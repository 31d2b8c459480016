"""The contract extractor's analysis (text in, draft out) on CUAD excerpts and on clauses written here.

The excerpts in tests/fixtures/extract/ are from CUAD v1 (The Atticus Project, CC BY 4.0); see its README.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bench.extract import gold_date, gold_durations
from tracker.domain import specs
from tracker.domain.durations import Duration
from tracker.services.extract import analyse
from tracker.services.extract.dates import find_dates
from tracker.services.extract.drafts import to_importable, to_review
from tracker.services.extract.numbers import find_durations
from tracker.services.extract.readers import html_to_text

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "extract"

SAAS = """MASTER SUBSCRIPTION AGREEMENT

This Master Subscription Agreement (the "Agreement") is entered into as of March 1, 2025 (the "Effective Date")
by and between Acme Analytics Inc., a Delaware corporation ("Vendor"), and Globex Retail LLC, a Texas limited
liability company ("Customer").

1. Term. The initial term of this Agreement is twelve (12) months from the Effective Date (the "Initial Term").
This Agreement shall automatically renew for successive one (1) year periods unless either party gives written
notice of non-renewal at least ninety (90) days prior to the end of the then-current term.

2. Termination for Convenience. Customer may terminate this Agreement for convenience upon thirty (30) days'
prior written notice to Vendor.

3. Fees. The total fees under this Agreement are USD 120,000 per year. Vendor shall invoice Customer quarterly in
advance. Customer shall pay each invoice within thirty (30) days of receipt of the invoice.

4. Security. Vendor shall deliver its SOC 2 Type II report to Customer annually.
"""


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


# --- CUAD excerpts -------------------------------------------------------------------------------


def test_a_renewing_contract_gives_every_term_with_its_quote_and_place() -> None:
    text = fixture("cuad-001-co-branding.txt")
    draft = analyse(text, "co-branding.txt")

    assert draft.contract["title"] == "CO-BRANDING AND ADVERTISING AGREEMENT"
    assert draft.contract["start"] == "1999-06-21"
    assert draft.contract["auto_renew"] is True
    assert draft.contract["renewal_term"] == "1 year"
    assert draft.contract["notice"] == "30 days"
    notice = draft.evidence["notice"]
    assert "thirty (30) days before the expiration of the term" in notice.quote
    # The offset points at the quoted sentence in the text as read.
    assert text[notice.offset:].startswith("A party wishing to renew")
    assert 0 < notice.confidence <= 1


def test_a_term_running_from_an_undated_event_is_proposed_with_low_confidence_and_says_so() -> None:
    draft = analyse(fixture("cuad-001-co-branding.txt"))

    assert draft.contract["term"] == "1 year"
    term = draft.evidence["term"]
    assert "Launch Date" in (term.note or "") and term.confidence < 0.5


def test_the_anniversary_of_the_effective_date_is_resolved_into_a_term_and_says_so() -> None:
    draft = analyse(fixture("cuad-035-co-hosting.txt"))

    assert draft.contract["start"] == "1998-09-21"
    assert draft.contract["term"] == "3 years"
    assert (draft.evidence["term"].note or "").startswith("resolved: the third anniversary")


def test_notice_of_non_renewal_and_termination_for_convenience_are_kept_apart() -> None:
    draft = analyse(fixture("cuad-083-strategic-alliance.txt"))

    assert draft.contract["term"] == "7 years"
    assert draft.contract["renewal_term"] == "1 year"  # "one or more annual periods"
    assert draft.contract["notice"] == "180 days"
    assert "notice of non-renewal" in draft.evidence["notice"].quote
    assert draft.contract["termination_notice"] == "180 days"
    assert "with or without cause" in draft.evidence["termination_notice"].quote


def test_an_evergreen_contract_has_no_term_and_its_notice_is_a_termination_notice() -> None:
    draft = analyse(fixture("cuad-084-transportation.txt"))

    assert "term" not in draft.contract and "end" not in draft.contract and "notice" not in draft.contract
    assert draft.contract["termination_notice"] == "30 days"
    assert draft.contract["start"] == "2015-03-11"  # "DATED EFFECTIVE AS OF March 11, 2015"
    assert any(w.startswith("term: none fixed; the contract runs until terminated") for w in draft.warnings)


def test_an_option_to_renew_is_not_an_automatic_renewal() -> None:
    draft = analyse(fixture("cuad-111-distributor.txt"))

    assert "auto_renew" not in draft.contract
    assert draft.contract["renewal_term"] == "3 years"
    assert any("option to renew, not an automatic renewal" in w for w in draft.warnings)
    # "effective on the date first written above": the agreement's own date, resolved and saying so.
    assert draft.contract["start"] == "2019-08-01"
    assert "date first written above" in (draft.evidence["start"].note or "")


# --- clauses written here ------------------------------------------------------------------------


def test_a_saas_contract_gives_vendor_value_and_dated_obligations() -> None:
    draft = analyse(SAAS, "msa.txt", us="Globex")

    contract = draft.contract
    assert contract["vendor"] == "Acme Analytics Inc."  # --us names the customer: the other party is the vendor
    assert contract["term"] == "12 months"  # the contract's unit, not "1 year"
    assert contract["notice"] == "90 days"  # not "3 months"
    assert contract["termination_notice"] == "30 days"
    assert (contract["value"], contract["currency"]) == ("120000", "USD")
    obligations = {o["kind"]: o for o in contract["obligations"]}
    assert obligations["invoice"]["every"] == "FREQ=MONTHLY;INTERVAL=3"
    assert obligations["invoice"]["title"] == "Invoice (quarterly)"
    assert obligations["invoice"]["start"] == "2025-03-01" and obligations["invoice"]["owed_by"] == "vendor"
    assert obligations["payment"]["start"] == "2025-03-31" and obligations["payment"]["owed_by"] == "us"
    assert obligations["certification"]["every"] == "FREQ=YEARLY"
    assert obligations["certification"]["start"] == "2026-03-01"
    for index in range(len(contract["obligations"])):
        assert draft.evidence[f"obligations[{index}]"].quote


def test_without_us_the_vendor_is_a_labelled_guess() -> None:
    draft = analyse(SAAS)

    assert draft.contract["vendor"] == "Acme Analytics Inc."  # the party labelled "Vendor"
    assert draft.evidence["vendor"].confidence <= 0.5
    assert any(w.startswith("vendor: a guess") and "--us" in w for w in draft.warnings)


def test_fields_not_found_are_absent_and_listed_as_warnings() -> None:
    draft = analyse("The parties shall cooperate in good faith on marketing matters.")

    assert draft.contract == {}
    said = {warning.split(":")[0] for warning in draft.warnings}
    assert {"start", "term/end", "vendor", "title", "auto_renew", "value"} <= said


def test_a_termination_right_alone_is_never_reported_as_a_renewal_notice() -> None:
    text = ("This Agreement shall commence on January 1, 2024 and continue for a period of two (2) years. "
            "Either party may terminate this Agreement at any time without cause upon sixty (60) days' written notice.")
    draft = analyse(text)

    assert "notice" not in draft.contract and "auto_renew" not in draft.contract
    assert draft.contract["termination_notice"] == "60 days"
    assert draft.contract["term"] == "2 years"


def test_data_export_after_termination_is_dated_from_the_end_of_a_contract_that_does_not_renew() -> None:
    text = ("This Agreement is effective as of January 1, 2024 and shall terminate on December 31, 2024. "
            "Within thirty (30) days after termination or expiration, Vendor shall export and deliver all "
            "Customer Data to Customer in CSV format.")
    draft = analyse(text)

    assert draft.contract["end"] == "2024-12-31"
    (export,) = draft.contract["obligations"]
    assert export == {"kind": "data_export", "title": "Data export within 30 days after termination",
                      "owed_by": "vendor", "due": "2025-01-30"}
    assert "resolved" in (draft.evidence["obligations[0]"].note or "")


def test_payment_terms_without_a_schedule_stay_out_of_the_contract_with_a_warning() -> None:
    draft = analyse("Payment terms are net 45 days from the date of invoice.")

    assert "obligations" not in draft.contract
    assert any(w.startswith("obligation not scheduled") and "net 45" in w for w in draft.warnings)
    assert "unscheduled[0]" in draft.evidence


@pytest.mark.parametrize(("text", "expected"), [
    ("ninety (90) days", Duration(90, "days")),
    ("three (3) months", Duration(3, "months")),
    ("one hundred and eighty (180) days", Duration(180, "days")),
    ("a 30-day period", Duration(30, "days")),
    ("twelve (12) month", Duration(12, "months")),
    ("successive 3~year periods", Duration(3, "years")),
    ("ten (10) Contract Years", Duration(10, "years")),
    ("five (5) business days", Duration(5, "business_days")),
    ("half a year", Duration(6, "months")),
])
def test_durations_keep_the_unit_the_contract_writes(text: str, expected: Duration) -> None:
    assert [span.duration for span in find_durations(text)] == [expected]


@given(st.integers(min_value=1, max_value=999), st.sampled_from(["days", "months", "years"]))
def test_a_numeral_in_brackets_is_read_exactly(amount: int, unit: str) -> None:
    years_ok = unit != "years" or amount <= 100
    found = [span.duration for span in find_durations(f"at least ({amount}) {unit} prior")]
    assert found == ([Duration(amount, unit)] if years_ok else [])  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "expected"), [
    ("June 21, 1999", date(1999, 6, 21)),
    ("the 1st day of September 2004", date(2004, 9, 1)),
    ("26t h day of May, 2017", date(2017, 5, 26)),  # EDGAR's split ordinals
    ("31 December 2024", date(2024, 12, 31)),
    ("first day of July, 2017", date(2017, 7, 1)),
    ("11/4/10", date(2010, 11, 4)),
    ("31/01/2025", date(2025, 1, 31)),
    ("1.4.2011", date(2011, 4, 1)),
    ("2026-02-28", date(2026, 2, 28)),
])
def test_dates_in_the_forms_contracts_use(text: str, expected: date) -> None:
    assert [span.day for span in find_dates(text)] == [expected]


def test_blank_and_impossible_dates_are_not_guessed() -> None:
    assert find_dates("made this ___ day of ________, 2020") == []
    assert find_dates("February 30, 2021") == []


# --- rendering -----------------------------------------------------------------------------------


def test_the_review_is_yaml_with_each_quote_above_its_value_and_no_control_characters() -> None:
    draft = analyse(SAAS.replace("Acme Analytics Inc.", "Acme \x1b[31mAnalytics\x1b[0m Inc."), "msa.txt")
    review = to_review([draft])

    assert "\x1b" not in review
    loaded = yaml.safe_load(review)
    assert loaded[0]["file"] == "msa.txt" and loaded[0]["contract"]["notice"] == "90 days"
    lines = review.splitlines()
    at = lines.index("    notice: 90 days")
    first = at - 1
    while lines[first].lstrip().startswith("#   "):  # the quote's continuation lines
        first -= 1
    assert lines[first].lstrip().startswith('# "This Agreement shall automatically renew')
    assert "confidence" in lines[at - 1]


def test_the_importable_file_passes_the_import_validation_with_unique_keys() -> None:
    drafts = [analyse(SAAS, "a.txt", us="Globex"), analyse(SAAS, "b.txt", us="Globex"),
              analyse("Nothing to see here.", "c.txt")]
    result = to_importable(drafts, "legal@example.com")

    rows = yaml.safe_load(result.text)["contracts"]
    parsed = specs.parse_contracts(rows)
    assert [spec.key for spec in parsed] == ["master-subscription-agreement", "master-subscription-agreement-2"]
    assert parsed[0].owner == "legal@example.com" and parsed[0].notice == Duration(90, "days")
    assert len(parsed[0].obligations) == 3
    assert result.skipped == ["c.txt: missing title, vendor, start, term or end"]
    assert "# " in result.text  # the evidence rides along as comments


def test_termination_notice_enters_the_importable_file_only_when_the_schema_has_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    draft = analyse(SAAS, "a.txt", us="Globex")
    without = tuple(name for name in specs.CONTRACT_FIELDS if name != "termination_notice")
    monkeypatch.setattr(specs, "CONTRACT_FIELDS", without)
    assert "termination_notice" not in yaml.safe_load(to_importable([draft], "a@example.com").text)["contracts"][0]

    monkeypatch.setattr(specs, "CONTRACT_FIELDS", (*without, "termination_notice"))
    row = yaml.safe_load(to_importable([draft], "a@example.com").text)["contracts"][0]
    assert row["termination_notice"] == "30 days"


def test_a_field_the_import_would_reject_is_left_out_and_said_so() -> None:
    draft = analyse(SAAS, "msa.txt", us="Globex")
    draft.contract["renewal_term"] = "10 business days"  # the import takes calendar units only for renewals

    result = to_importable([draft], "a@example.com")
    row = yaml.safe_load(result.text)["contracts"][0]
    assert "renewal_term" not in row and row["notice"] == "90 days"
    assert result.notes == ["msa.txt: renewal_term: '10 business days' left out: the import expects a calendar "
                            "duration (days, weeks, months or years), not business days"]
    assert "# left out: renewal_term" in result.text
    specs.parse_contracts([row])


def test_html_text_keeps_the_words_and_drops_scripts() -> None:
    html = "<html><head><style>p{}</style></head><body><h1>Supply Agreement</h1><p>Term &amp; renewal</p>" \
           "<script>alert(1)</script></body></html>"
    assert html_to_text(html) == "Supply Agreement\n\nTerm & renewal"


# --- the scorer's reading of the gold answers ----------------------------------------------------


@pytest.mark.parametrize(("answer", "expected"), [
    ("6/21/99", date(1999, 6, 21)), ("3/27/29", date(2029, 3, 27)), ("31/01/2025", date(2025, 1, 31)),
    ("[]/[]/2020", "partial"), ("07/[]/2033", "partial"), ("Perpetual", "perpetual"), ("", None),
])
def test_gold_dates_are_normalised(answer: str, expected: object) -> None:
    assert gold_date(answer) == expected


@pytest.mark.parametrize(("answer", "expected"), [
    ("successive 1 year", [Duration(1, "years")]), ("succesive 1 year", [Duration(1, "years")]),
    ("60) days", [Duration(60, "days")]), ("180 days / 6 months", [Duration(180, "days"), Duration(6, "months")]),
    ("0.5 year", [Duration(6, "months")]), ("2 successive 5 years", [Duration(5, "years")]),
    ("three (3) years", [Duration(3, "years")]), ("[]", "partial"), ("successive []", "partial"),
    ("perpetual", "perpetual"),
])
def test_gold_durations_are_normalised(answer: str, expected: object) -> None:
    assert gold_durations(answer) == expected
