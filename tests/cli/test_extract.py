"""`tracker extract` end to end: every format read, the JSON contract, the importable file, the exit codes.

The documents are written here: a .docx (python-docx) and a .pdf (fpdf2) generated in the test, so the suite
does not depend on the CUAD set.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from tests.conftest import Tracker
from tracker.errors import InvalidInput, OperationalError
from tracker.services.extract.prefill import prefill

PREAMBLE = ('This Master Subscription Agreement (the "Agreement") is entered into as of March 1, 2025 (the "Effective '
            'Date") by and between Acme Analytics Inc., a Delaware corporation ("Vendor"), and Globex Retail LLC, a '
            'Texas limited liability company ("Customer").')
TERM = ('The initial term of this Agreement is twelve (12) months from the Effective Date (the "Initial Term"). This '
        "Agreement shall automatically renew for successive one (1) year periods unless either party gives written "
        "notice of non-renewal at least ninety (90) days prior to the end of the then-current term.")
CONVENIENCE = ("Customer may terminate this Agreement for convenience upon thirty (30) days' prior written notice to "
               "Vendor.")
FEES = ("Vendor shall invoice Customer quarterly in advance. Customer shall pay each invoice within thirty (30) days "
        "of receipt of the invoice.")
TITLE = "MASTER SUBSCRIPTION AGREEMENT"


def run(*args: str, input: str | None = None) -> Result:
    """``tracker`` without a database: extract must not need one."""
    from tracker.cli import cli

    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def write_docx(path: Path, paragraphs: list[str]) -> Path:
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    document.save(str(path))
    return path


def write_pdf(path: Path, pages: list[list[str]]) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for paragraphs in pages:
        pdf.add_page()
        for paragraph in paragraphs:
            pdf.multi_cell(0, 6, paragraph)
            pdf.ln(4)
    pdf.output(str(path))
    return path


def write_scan(path: Path) -> Path:
    """A PDF with a drawing and no text layer, as a scanner makes them."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")
    pdf.output(str(path))
    return path


@pytest.fixture
def documents(tmp_path: Path) -> dict[str, Path]:
    """The same contract as .docx, .pdf (term on page 2), .txt, .md and .html."""
    txt = tmp_path / "msa.txt"
    txt.write_text("\n\n".join([TITLE, PREAMBLE, TERM, CONVENIENCE, FEES]), encoding="utf-8")
    md = tmp_path / "msa.md"
    md.write_text(f"# {TITLE}\n\n{PREAMBLE}\n\n## Term\n\n{TERM}\n", encoding="utf-8")
    html = tmp_path / "msa.html"
    html.write_text(f"<html><head><title>x</title><script>var a = 1;</script></head><body><h1>{TITLE}</h1>"
                    f"<p>{PREAMBLE}</p><p>{TERM}</p></body></html>", encoding="utf-8")
    return {
        "docx": write_docx(tmp_path / "msa.docx", [TITLE, PREAMBLE, TERM, CONVENIENCE]),
        "pdf": write_pdf(tmp_path / "msa.pdf", [[TITLE, PREAMBLE], [TERM, CONVENIENCE]]),
        "txt": txt, "md": md, "html": html,
    }


def test_every_format_gives_the_same_contract_in_argument_order(documents: dict[str, Path]) -> None:
    order = ["pdf", "docx", "txt", "md", "html"]
    result = run("extract", "--format", "json", "--us", "Globex", *(str(documents[k]) for k in order))

    assert result.exit_code == 0, result.output
    drafts = json.loads(result.stdout)
    assert [d["file"] for d in drafts] == [str(documents[k]) for k in order]
    for draft in drafts:
        contract = draft["contract"]
        assert contract["title"] == TITLE, draft["file"]
        assert (contract["vendor"], contract["start"], contract["term"]) == ("Acme Analytics Inc.", "2025-03-01",
                                                                           "12 months"), draft["file"]
        assert (contract["auto_renew"], contract["renewal_term"], contract["notice"]) == (True, "1 year", "90 days")
        assert set(draft) == {"file", "contract", "evidence", "warnings"}
        for evidence in draft["evidence"].values():
            assert {"quote", "page", "offset", "confidence"} <= set(evidence)


def test_pdf_evidence_gives_the_page_and_text_evidence_the_offset(documents: dict[str, Path]) -> None:
    pdf, txt = json.loads(run("extract", "--format", "json", str(documents["pdf"]), str(documents["txt"])).stdout)

    assert pdf["evidence"]["notice"]["page"] == 2 and pdf["evidence"]["notice"]["offset"] is None
    assert pdf["evidence"]["start"]["page"] == 1
    assert pdf["contract"]["termination_notice"] == "30 days"
    text = documents["txt"].read_text(encoding="utf-8")
    notice = txt["evidence"]["notice"]
    assert notice["page"] is None and text[notice["offset"]:].startswith("This Agreement shall automatically renew")


def test_the_review_quotes_each_value_and_reads_as_yaml(documents: dict[str, Path]) -> None:
    result = run("extract", "--format", "yaml", str(documents["txt"]))

    assert result.exit_code == 0
    assert '# "Customer may terminate this Agreement for convenience' in result.stdout
    (draft,) = yaml.safe_load(result.stdout)
    assert draft["contract"]["termination_notice"] == "30 days"


def test_drafts_written_with_o_import_unchanged(documents: dict[str, Path], tmp_path: Path,
                                                 sqlite_tracker: Tracker) -> None:
    drafts = tmp_path / "drafts.yaml"
    empty = tmp_path / "memo.txt"
    empty.write_text("Please call me about the renewal.", encoding="utf-8")
    result = run("extract", "--us", "Customer", str(documents["docx"]), str(documents["pdf"]), str(empty),
                 "-o", str(drafts), "--owner", "legal@example.com")

    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # -o alone: the file is the output
    assert "Wrote" in result.stderr and f"{empty}: missing title, vendor, start, term or end" in result.stderr
    assert '# "This Agreement shall automatically renew' in drafts.read_text(encoding="utf-8")

    sqlite_tracker.ok("import", str(drafts))
    shown = sqlite_tracker.json("show", "master-subscription-agreement")
    assert shown["vendor"] == "Acme Analytics Inc." and shown["owner"] == "legal@example.com"
    assert shown["notice_deadline"] is not None
    assert sqlite_tracker.json("show", "master-subscription-agreement-2")["vendor"] == "Acme Analytics Inc."


def test_an_unreadable_file_exits_1_and_the_others_are_still_reported(documents: dict[str, Path],
                                                                       tmp_path: Path) -> None:
    missing = tmp_path / "gone.pdf"
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"not a zip file")
    result = run("extract", "--format", "json", str(documents["txt"]), str(missing), str(broken))

    assert result.exit_code == 1
    drafts = json.loads(result.stdout)
    assert [d["file"] for d in drafts] == [str(documents["txt"]), str(missing), str(broken)]
    assert drafts[0]["contract"]["notice"] == "90 days"
    assert drafts[1]["contract"] == {} and "no such file" in drafts[1]["warnings"][0]
    assert drafts[2]["contract"] == {} and "not a readable .docx" in drafts[2]["warnings"][0]
    assert "2 of 3 files could not be read" in result.stderr
    assert "Traceback" not in result.output


def test_a_scanned_pdf_gets_a_clear_warning_not_a_guess(tmp_path: Path) -> None:
    result = run("extract", "--format", "json", str(write_scan(tmp_path / "scan.pdf")))

    assert result.exit_code == 1
    (draft,) = json.loads(result.stdout)
    assert draft["contract"] == {} and draft["evidence"] == {}
    assert "no text layer" in draft["warnings"][0] and "OCR" in draft["warnings"][0]


@pytest.mark.parametrize(("args", "named"), [
    (["contract.xlsx"], "FILE"),
    (["msa.txt", "-o", "drafts.yaml"], "--owner"),
    (["msa.txt", "-o", "drafts.yaml", "--owner", "not-an-email"], "--owner"),
    (["msa.txt", "--owner", "legal@example.com"], "--owner"),
    (["msa.txt", "-o", "drafts.json", "--owner", "legal@example.com"], "-o"),
    (["msa.txt", "--us", "  "], "--us"),
    (["msa.txt", "--format", "csv"], "--format"),
    ([], "FILE"),
])
def test_bad_arguments_exit_2_naming_the_option(args: list[str], named: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "msa.txt").write_text(PREAMBLE, encoding="utf-8")
    result = run("extract", *args)

    assert result.exit_code == 2
    assert named in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "drafts.yaml").exists()


def test_prefill_gives_the_add_prompts_their_values_and_quotes(documents: dict[str, Path]) -> None:
    fields, quotes = prefill(documents["docx"], us="Customer")

    assert fields["vendor"] == "Acme Analytics Inc." and fields["notice"] == "90 days"
    assert fields["auto_renew"] is True and fields["start"] == "2025-03-01"
    assert set(quotes) == set(fields)
    assert "ninety (90) days prior" in quotes["notice"]


def test_prefill_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="--from"):
        prefill(tmp_path / "contract.xlsx")
    with pytest.raises(OperationalError, match="no such file"):
        prefill(tmp_path / "gone.pdf")


def test_help_does_not_load_the_document_libraries() -> None:
    code = "import sys, tracker.cli; print(sorted(m for m in ('pypdf', 'docx') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_add_from_a_document_prefills_the_prompts_and_shows_each_quote(
    documents: dict[str, Path], sqlite_tracker: Tracker,
) -> None:
    # Accept every suggestion with Enter; only the owner (not in the document) and the holidays are typed.
    answers = "\n\nlegal@example.com\n\n\n\n\nUS\n"
    result = sqlite_tracker("add", "--from", str(documents["docx"]), "--us", "Customer", "--format", "json",
                            input=answers)
    assert result.exit_code == 0, result.stderr
    assert "ninety (90) days prior" in result.stderr  # the notice prompt shows its sentence
    assert "termination_notice = 30 days" in result.stderr  # what no prompt asks for is said, with its quote
    view = json.loads(result.stdout)
    assert (view["vendor"], view["owner"], view["start"], view["notice"], view["auto_renew"]) == (
        "Acme Analytics Inc.", "legal@example.com", "2025-03-01", "90 days", True)
    assert view["termination_notice"] == "30 days" and view["holidays"] == "US"
