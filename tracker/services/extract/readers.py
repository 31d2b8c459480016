"""Reading documents into text: .txt, .md, .pdf (pypdf), .docx (python-docx), .html (the standard library).

The only I/O of the extractor. pypdf and python-docx are imported inside the readers, so importing this
module (and every ``tracker`` command's start-up) stays cheap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from tracker.errors import InvalidInput, OperationalError

SUFFIXES = (".txt", ".md", ".pdf", ".docx", ".html", ".htm")
EXPECTED = "a .txt, .md, .pdf, .docx or .html file"
PAGE_BREAK = "\n\n"  # between pages: a blank line, so a sentence split across pages still joins (lower case)
_MIN_CHARS_PER_PAGE = 40  # below this a PDF page has no text layer worth reading (a scan)
_PAGE_NUMBER = re.compile(r"^\s*(?:-\s*)?(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?(?:\s*-)?\s*$", re.IGNORECASE)


class Unreadable(OperationalError):
    """The file exists (or was named) but its text cannot be read: missing, corrupt, encrypted or a scan."""


@dataclass
class Document:
    """A document's text and, for paged formats, the offset where each page starts."""

    text: str
    page_starts: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def page_of(self, offset: int | None) -> int | None:
        """The 1-based page holding ``offset``; None for documents without pages."""
        if offset is None or not self.page_starts:
            return None
        page = 0
        for index, start in enumerate(self.page_starts):
            if start <= offset:
                page = index
            else:
                break
        return page + 1


def check_suffix(path: Path) -> None:
    """Raise :class:`InvalidInput` (exit 2) for a file type the extractor does not read."""
    if path.suffix.lower() not in SUFFIXES:
        raise InvalidInput.field("FILE", str(path), EXPECTED)


def read_document(path: Path) -> Document:
    """The text of ``path``; :class:`Unreadable` when it cannot be read, :class:`InvalidInput` for other types."""
    check_suffix(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".pdf":
            return _read_pdf(path)
        if suffix == ".docx":
            return Document(_read_docx(path))
        raw = path.read_bytes()
    except Unreadable:
        raise
    except FileNotFoundError:
        raise Unreadable(f"{path}: no such file") from None
    except IsADirectoryError:
        raise Unreadable(f"{path}: a directory, not a file") from None
    except PermissionError:
        raise Unreadable(f"{path}: permission denied") from None
    except OSError as exc:
        raise Unreadable(f"{path}: cannot be read ({exc.strerror or exc})") from None
    text = _decode(raw)
    if suffix in (".html", ".htm"):
        text = html_to_text(text)
    return Document(text)


def _decode(raw: bytes) -> str:
    """UTF-8 (with or without a BOM), else Windows-1252, which decodes any byte: old filings use it."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _strip_page_furniture(text: str) -> str:
    """Drop a page's lone page-number lines (first and last), which would split a sentence otherwise."""
    lines = text.strip("\n").split("\n")
    while lines and _PAGE_NUMBER.match(lines[0]):
        lines.pop(0)
    while lines and _PAGE_NUMBER.match(lines[-1]):
        lines.pop()
    return "\n".join(lines)


def _read_pdf(path: Path) -> Document:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise Unreadable(f"{path}: reading PDF needs pypdf ({exc})") from None
    if not path.exists():
        raise Unreadable(f"{path}: no such file")
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception:
                raise Unreadable(f"{path}: the PDF is encrypted") from None
        pages = [page.extract_text() or "" for page in reader.pages]
    except Unreadable:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise Unreadable(f"{path}: not a readable PDF ({type(exc).__name__}: {exc})") from None
    if not pages:
        raise Unreadable(f"{path}: the PDF has no pages")
    if sum(len(page.strip()) for page in pages) < _MIN_CHARS_PER_PAGE * len(pages):
        raise Unreadable(f"{path}: no text layer (a scanned PDF?); run OCR first, the extractor does not guess")
    texts: list[str] = []
    starts: list[int] = []
    offset = 0
    for page in pages:
        cleaned = _strip_page_furniture(page)
        starts.append(offset)
        texts.append(cleaned)
        offset += len(cleaned) + len(PAGE_BREAK)
    document = Document(PAGE_BREAK.join(texts), starts)
    empty = [str(number) for number, page in enumerate(pages, 1) if len(page.strip()) < _MIN_CHARS_PER_PAGE]
    if empty:
        document.warnings.append(f"pages without a text layer (scanned?): {', '.join(empty[:20])}; not read")
    return document


def _read_docx(path: Path) -> str:
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise Unreadable(f"{path}: reading .docx needs python-docx ({exc})") from None
    if not path.exists():
        raise Unreadable(f"{path}: no such file")
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, ValueError, KeyError, OSError) as exc:
        raise Unreadable(f"{path}: not a readable .docx ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # a zip that is not a Word document fails deep inside lxml/zipfile
        raise Unreadable(f"{path}: not a readable .docx ({type(exc).__name__})") from None
    blocks = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            blocks.append(" | ".join(cell.text for cell in row.cells))
    return "\n\n".join(block for block in blocks if block.strip())


class _TextParser(HTMLParser):
    """Visible text of an HTML page; block elements become blank lines, scripts and styles are skipped."""

    BLOCKS = frozenset(("p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "section",
                        "article", "table", "ul", "ol", "title", "header", "footer"))
    SKIP = frozenset(("script", "style", "head", "noscript", "template"))

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The visible text of an HTML document."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return re.sub(r"\n[ \t]*(?:\n[ \t]*)+", "\n\n", "".join(parser.parts)).strip()
