"""The document's title and its parties; the vendor is the party that is not us (``--us NAME``).

Pure. The title is the heading (or "This ... Agreement" in the preamble); the parties are the names the
preamble lists after "between" or "among", each with the label it is defined by ("Supplier").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.services.extract.model import Evidence, Finding, evidence_of
from tracker.services.extract.text import Sentence

I = re.IGNORECASE  # noqa: E741 - the flag, used in every pattern here

_DOC_WORDS = (r"AGREEMENT|CONTRACT|AMENDMENT|LICEN[CS]E|LEASE|ADDENDUM|MEMORANDUM|TERMS\s+AND\s+CONDITIONS|"
              r"TERMS\s+OF\s+SERVICE|ORDER\s+FORM|STATEMENT\s+OF\s+WORK|UNDERTAKING|DEED|PROTOCOL|ARRANGEMENT")
_HEADING_SKIP = re.compile(
    r"^(?:exhibit|ex-|schedule|annex|appendix|attachment|page\b|execution\s+(?:version|copy)|confidential|"
    r"\[?\*|portions|certain\s+(?:information|confidential)|table\s+of\s+contents|\d+\s*$|-\s*\d+\s*-$)", I)
# An all-capitals run of words ending in a kind of document: "JOINT CONTENT LICENSE AGREEMENT".
_CAPS_RUN = re.compile(
    rf"(?<![\w.])(?P<title>(?:(?!(?:AGREEMENTS?|CONTRACTS?|THIS|INC|LLC|LTD|CORPORATION|COMPANY|LIMITED)\b)(?:[A-Z][A-Z&'\-/]*|&|"
    rf"[A-Z]+-[A-Z]+),?\s+){{0,9}}(?:{_DOC_WORDS})S?)\b(?![a-z])")
_LEADING_THIS = re.compile(r"^(?:(?:THIS|THE|AND|BETWEEN|OF|EXHIBIT|ANNEX|SCHEDULE|APPENDIX|ATTACHMENT)\s+)+")
_JOINT = re.compile(r",?\s+(?i:and)\s*:?\s+(?=(?:the\s+)?[A-Z0-9])")
_THIS_TITLE = re.compile(
    rf"\b(?:this|the\s+following)\s+(?P<title>(?:[A-Z0-9][\w&'’.\-/]*\s+(?:(?:and|of|for|to|on)\s+)?){{0,9}}?"
    rf"(?:{_DOC_WORDS}|Agreement|Contract|Amendment|Licen[cs]e|Lease|Addendum))\b")
_BETWEEN = re.compile(
    r"\b(?:by\s+and\s+)?(?:between|among|amongst)\b|\b(?:made|entered\s+into)\s+by\b(?!\s+and\s+(?:between|among))", I)
_PREAMBLE_END = re.compile(
    r"\b(?:WHEREAS|RECITALS|W\s?I\s?T\s?N\s?E\s?S\s?S\s?E\s?T\s?H|NOW,?\s+THEREFORE|BACKGROUND)\b")
_LABEL = re.compile(r'\(\s*(?:(?:hereinafter|herein|individually|collectively|each|together)\b[^"]{0,40}?)?'
                    r'(?:the\s+)?"(?P<label>[^"]{1,40})"')
_NAME_END = re.compile(
    r",|\((?![A-Za-z.]{1,6}\)\s*(?:Ltd|Limited|Inc|LLC|GmbH|AG|plc|Pte|Pty|B\.V|S\.A)\b)|\s+(?:an?|the)\s+(?:[\w-]+\s+){0,4}?(?:corporation|company|limited|partnership|entity|bank|"
    r"association|organi[sz]ation|trust|societe|société|corporate|public|private|wholly|national|state|"
    r"university|subsidiary|division|foundation)|\s+(?:with|having|whose|located|organi[sz]ed|incorporated|"
    r"existing|acting|doing|on\s+behalf|at\s+\d|of\s+\d|date[d]?|source|hereinafter|herein|by|whose|effective|"
    r"january|february|march|april|may|june|july|august|september|october|november|december|\d)\b", I)
_SUFFIX_AFTER_COMMA = re.compile(
    r",\s*(?:Inc|Corp|Co|Ltd|LLC|L\.L\.C|LLP|L\.P|LP|N\.A|Limited|plc|PLC|GmbH|AG|S\.A|B\.V|N\.V|S\.p\.A|Pte|"
    r"S\.r\.l|SE|SAS|KK|Incorporated|Corporation|Company)\b\.?", I)
_SUFFIX_WORD = re.compile(
    r"\b(?:Inc|Corp|Co|Ltd|LLC|L\.L\.C|LLP|L\.P|LP|N\.A|Limited|plc|PLC|GmbH|AG|S\.A|B\.V|N\.V|S\.p\.A|Pte|S\.r\.l|"
    r"SE|SAS|KK|Incorporated|Corporation|Company|University|Bank|Trust|Association|Foundation)\b\.?", I)
_SUPPLIER = ("supplier", "vendor", "provider", "licensor", "consultant", "contractor", "seller", "manufacturer",
             "developer", "service", "agency", "servicer", "processor", "producer", "host", "maintainer")
_CUSTOMER = ("customer", "client", "licensee", "purchaser", "buyer", "recipient", "subscriber", "user",
             "company", "distributor", "reseller", "franchisee", "member")


@dataclass(frozen=True)
class Party:
    """One party: its name as written and the label the contract defines for it ("Supplier")."""

    name: str
    label: str | None
    evidence: Evidence


def find_title(text: str, sentences: list[Sentence]) -> Finding | None:
    """The document's title: its first all-capitals heading naming a kind of agreement, else "This ... Agreement".

    Headings are read from the cleaned text, not from lines, so a PDF's line breaks give the same title.
    """
    for sentence in sentences[:40]:
        if sentence.start > 4000:
            break
        for match in _CAPS_RUN.finditer(sentence.text):
            title = _LEADING_THIS.sub("", match.group("title")).strip(" ,.-")
            if len(title.split()) >= 2 and not _HEADING_SKIP.match(title):
                return Finding(title, evidence_of(sentence, 0.85, match.start()))
    for sentence in sentences[:15]:
        preamble = _THIS_TITLE.search(sentence.text)
        if preamble and len(preamble.group("title").split()) >= 2:
            return Finding(preamble.group("title").strip(), evidence_of(sentence, 0.7, preamble.start()))
    return None


def _split_top_level(segment: str) -> list[str]:
    """Split a party list at "and" / ";" outside parentheses and quotes.

    "and" separates parties only after a defined label ("... ("Supplier"), and") or after a bare name;
    inside a long description ("organised under the laws of England and Wales") it does not.
    """
    pieces: list[str] = []
    depth = 0
    quoted = False
    cut = 0
    index = 0
    while index < len(segment):
        char = segment[index]
        if char == '"':
            quoted = not quoted
        elif char == "(" and not quoted:
            depth += 1
        elif char == ")" and not quoted:
            depth = max(0, depth - 1)
        elif depth == 0 and not quoted:
            if char == ";":
                pieces.append(segment[cut:index])
                cut = index + 1
            elif char in ", " and (joint := _JOINT.match(segment, index)):
                so_far = segment[cut:index].rstrip(" ,")
                if so_far.endswith((")", '"')) or len(so_far) <= 60:
                    pieces.append(segment[cut:index])
                    cut = index = joint.end()
                    continue
        index += 1
    pieces.append(segment[cut:])
    return [piece.strip(" ,.:") for piece in pieces if piece.strip(" ,.:")]


def _name_of(piece: str) -> str | None:
    """The party's name at the start of its piece of the list, without its description."""
    piece = re.sub(r"^(?:the\s+)?(?:undersigned\s+)?", "", piece.strip(), flags=I)
    end = _NAME_END.search(piece)
    while end and end.group().startswith(","):
        suffix = _SUFFIX_AFTER_COMMA.match(piece, end.start())
        if not suffix:
            break
        end = _NAME_END.search(piece, suffix.end())
    name = (piece[: end.start()] if end else piece).strip(" ,;:\"'")
    if (stop := re.search(r"\.\s+\S", name)) and not _SUFFIX_WORD.search(name[: stop.start() + 1][-12:]):
        name = name[: stop.start()]  # "Sold Capacity. COUNTRY ..." ran on into the next sentence
    name = name.rstrip(". ")
    if re.search(r"\b(?:Inc|Corp|Co|Ltd|L\.L\.C|L\.P|N\.A|S\.A|B\.V|N\.V|S\.p\.A|S\.r\.l)$", name, I):
        name += "."  # one spelling whatever the layout: "Acme Inc."
    if not name or len(name) > 90 or not (name[0].isupper() or name[0].isdigit()):
        return None
    if re.match(r"(?:each|both|all|either|party|parties|such|any|other)\b", name, I) or re.search(
            rf"\b(?:{_DOC_WORDS})$", name, I):
        return None
    return name


def find_parties(sentences: list[Sentence]) -> list[Party]:
    """The parties the preamble names, in order, each with its defined label."""
    for sentence in sentences[:30]:
        between = _BETWEEN.search(sentence.text)
        if not between:
            continue
        # A cover page puts "BETWEEN:" and each party on lines of their own: read on into the next sentences.
        following = " ".join(s.text for s in sentences[sentence.index + 1: sentence.index + 4])
        segment = (sentence.text[between.end():] + " " + following)[:1500]
        if stop := _PREAMBLE_END.search(segment):
            segment = segment[: stop.start()]
        pieces = _split_top_level(segment)
        parties: list[Party] = []
        for piece in pieces:
            name = _name_of(piece)
            if name is None:
                continue
            label = _LABEL.search(piece)
            if label is None and not _plausible_name(name) and len(pieces) > 2:
                continue
            parties.append(Party(name, label.group("label").strip() if label else None,
                                 evidence_of(sentence, 0.8, between.start())))
        if len(parties) >= 2:
            return parties
    return []


def _plausible_name(name: str) -> bool:
    """A name without a defined label counts when it looks like an organisation's."""
    return bool(_SUFFIX_WORD.search(name)) or (name.isupper() and len(name.split()) >= 2)


def _simple(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _matches(party: Party, us: str) -> bool:
    wanted = _simple(us)
    if not wanted:
        return False
    names = [_simple(party.name)] + ([_simple(party.label)] if party.label else [])
    return any(wanted == name or (len(wanted) >= 3 and (wanted in name or (len(name) >= 3 and name in wanted)))
               for name in names)


def _role(party: Party, roles: tuple[str, ...]) -> bool:
    label = (party.label or "").lower()
    return any(role in label for role in roles)


def pick_vendor(parties: list[Party], us: str | None) -> tuple[Finding | None, list[str]]:
    """The counterparty: the party that is not ``us``; without ``us``, a guess from the parties' labels."""
    if not parties:
        return None, ["vendor: no parties found in the preamble"]
    names = "; ".join(p.name + (f' ("{p.label}")' if p.label else "") for p in parties)
    if us:
        ours = [p for p in parties if _matches(p, us)]
        others = [p for p in parties if p not in ours]
        if ours and others:
            vendor = others[0]
            return Finding(vendor.name, vendor.evidence), []
        warning = f"vendor: --us {us!r} matches {'every' if ours else 'no'} party ({names}); the vendor is a guess"
    else:
        warning = f"vendor: a guess among the parties ({names}); pass --us NAME to say which one you are"
    suppliers = [p for p in parties if _role(p, _SUPPLIER)]
    customers = [p for p in parties if _role(p, _CUSTOMER)]
    if len(suppliers) == 1:
        vendor = suppliers[0]
    elif len(customers) == 1 and len(parties) == 2:
        vendor = next(p for p in parties if p is not customers[0])
    else:
        vendor = parties[1] if len(parties) > 1 else parties[0]
    return Finding(vendor.name, vendor.evidence.weaker(0.5, "which party is the vendor is a guess")), [warning]
