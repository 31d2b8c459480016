"""Sentences of a document, each with its offset in the text as read, and a cleaned copy to match against.

Pure. Contracts arrive with hard line wraps (PDF), page-break gaps in the middle of a sentence (EDGAR
texts), curly quotes and hyphenated line ends; matching happens on a cleaned copy of each sentence while
the evidence keeps the sentence's offset into the original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Abbreviations that end with a period without ending the sentence (companies, addresses, references).
_ABBREVIATIONS = frozenset(
    """
inc corp co ltd no nos mr mrs ms dr st ave blvd rd sec secs art arts para paras sect approx etc vs viz cf
jan feb mar apr jun jul aug sep sept oct nov dec january february march april may june july august september
october november december u.s u.k e.g i.e l.l.c l.p n.a s.a b.v n.v p.m a.m pty ltda
s.r.l s.p.a a.g plc bros dept est fig ft jr sr mt hon esq cal calif del fla ill ind mass md mich minn mo nev
pa tex va wash wis colo conn ga ky la ore okla ala tenn neb ark kan miss ariz n.y n.j d.c p.o pp ex exh
""".split()  # noqa: SIM905
)
_BOUNDARY = re.compile(r"[.!?][\"'”’)\]]*(?=\s)|\n[ \t\r\f\v]*\n")
_TOKEN_BEFORE = re.compile(r"([\w.&]+)\.$")
_NEXT_START = re.compile(r"\s*([\"“(\[]?[A-Z0-9•])")
_HYPHEN_WRAP = re.compile(r"(\w)-[ \t]*\r?\n\s*(\w)")
_SPACES = re.compile(r"\s+")
_BLANKS = re.compile(r"_+")  # fill-in blanks ("effective as of _Dec. 8, 2005") would glue to the words around them
_GLUED_NUMBER = re.compile(r"\b(of|on|dated|as)(?=\d)", re.IGNORECASE)  # "as of1 August 2019"
_TRANSLATE = str.maketrans({
    "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'",
    "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "",
    "–": "-", "—": "-", "‑": "-", "‐": "-", "\u00ad": "",
})
MAX_SENTENCE = 1500  # longer "sentences" are lists or tables run together: cut them at semicolons


def clean(text: str) -> str:
    """One line of plain text: straight quotes, hyphenated line ends joined, whitespace runs collapsed."""
    text = _HYPHEN_WRAP.sub(r"\1-\2", text.translate(_TRANSLATE))
    text = _GLUED_NUMBER.sub(r"\1 ", _BLANKS.sub(" ", text))
    return _SPACES.sub(" ", text).strip()


@dataclass
class Sentence:
    """One sentence: the cleaned text to match, and its [start, end) offsets in the original text."""

    text: str
    start: int
    end: int
    index: int = 0
    lower: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.lower = self.text.lower()


def _is_boundary(text: str, match: re.Match[str]) -> bool:
    mark = match.group()
    if mark.startswith("\n"):
        before = text[max(0, match.start() - 80): match.start()].rstrip()
        after = text[match.end(): match.end() + 80].lstrip()
        # A blank line inside a sentence (a page break in an EDGAR text) joins lower-case words or commas.
        return not (before.endswith((",", "-")) or (before[-1:].isalpha() and before[-1:].islower())
                    or (after[:1].isalpha() and after[:1].islower()))
    if mark[0] != ".":
        return bool(_NEXT_START.match(text, match.end()))
    token = _TOKEN_BEFORE.search(text, max(0, match.start() - 12), match.start() + 1)
    if token:
        word = token.group(1).lower().lstrip(".")
        digits = word.replace(".", "")
        # "1." and "16.1." number sections; a year ("in 2010.") ends a sentence.
        if word in _ABBREVIATIONS or len(word) == 1 or (digits.isdigit() and len(digits) <= 3):
            return False
    return bool(_NEXT_START.match(text, match.end()))


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split an over-long span at semicolons or line breaks so each piece stays quotable."""
    if end - start <= MAX_SENTENCE:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    cut = start
    for match in re.finditer(r";\s|\n", text[start:end]):
        position = start + match.end()
        if position - cut >= MAX_SENTENCE // 3:
            pieces.append((cut, position))
            cut = position
    pieces.append((cut, end))
    return pieces


def split_sentences(text: str) -> list[Sentence]:
    """The document's sentences in order, empty ones dropped."""
    sentences: list[Sentence] = []
    cut = 0
    spans: list[tuple[int, int]] = []
    for match in _BOUNDARY.finditer(text):
        if _is_boundary(text, match):
            spans.extend(_pieces(text, cut, match.end()))
            cut = match.end()
    spans.extend(_pieces(text, cut, len(text)))
    for start, end in spans:
        cleaned = clean(text[start:end])
        if cleaned:
            lead = len(text[start:end]) - len(text[start:end].lstrip())
            sentences.append(Sentence(cleaned, start + lead, end, len(sentences)))
    return sentences
