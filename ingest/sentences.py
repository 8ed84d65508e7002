"""A Danish-aware sentence splitter that returns character spans, so a sentence can be quoted verbatim.

A sentence ends at . ! ? or … (with any closing quote mark or bracket) followed by a space and a capital,
digit, opening quote or bullet, and always at a blank line, a bullet or around a figure's caption or source
line ("Kilde: ..."). It does not end after an
abbreviation ("bl.a.", "fx.", "f.eks.", "mv.", "dvs.", "ca.", "pct."), an initial ("J. Bourgon"), or an ordinal
before a month ("8. November"); nor between a closing ” and its attribution "(Kommunal topleder)".
"""
from __future__ import annotations

import re

from ingest.quotes import BODY_ATTRIBUTION

ABBREVIATIONS = frozenset("""
bl.a f.eks fx mv m.v dvs d.v.s ca jf jvf pct mio mia kr nr evt inkl ekskl osv etc m.fl m.m hhv iflg ift mht pga
p.t vedr ang bla s.d o.l o.a el tlf gl ll stk kap ref red udg dr hr fr prof kl mr mrs ms vs e.g i.e cf approx
""".split())
MONTHS = frozenset("""
januar februar marts april maj juni juli august september oktober november december
january february march june july october
""".split())
_END = re.compile(r"[.!?…]+[”\"’)\]»]*(?=\s)")
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")
_BULLET = re.compile(r"\n[ \t]*(?=[•·▪◦])")
_STARTS_SENTENCE = re.compile(r"[A-ZÆØÅÄÖÜÉ0-9“”\"«(\[•#–-]")
# A figure's caption or source line ("Figur 1: Den nye syntese", "Kilde: Jocelyne Bourgon – ... (2017)") has
# no full stop; it runs on over lines that start in lower case and ends before the next line that does not.
_CAPTION = re.compile(r"(?m)^[ \t]*(?:Kilde|Kilder|Figur|Tabel|Source|Sources|Figure|Table)(?:[ \t]+\d+)?[ \t]*:"
                      r"[^\n]*(?:\n[ \t]*[a-zæøå0-9(][^\n]*)*")


def _is_boundary(text: str, end: int, match: re.Match[str]) -> bool:
    rest = text[end:].lstrip()
    if not rest or not _STARTS_SENTENCE.match(rest[0]):
        return False
    if BODY_ATTRIBUTION.match(rest):
        return False  # the attribution belongs to the quote it follows
    if match.group(0)[0] != ".":
        return True
    word = re.search(r"(\S+)$", text[:match.start()])
    original = word.group(1).lstrip("“”\"«(") if word else ""
    token = original.lower()
    if token in ABBREVIATIONS or token.rstrip(".") in ABBREVIATIONS:
        return False
    if re.fullmatch(r"[A-ZÆØÅ]", original) or re.fullmatch(r"([a-zæøå]\.)+[a-zæøå]", token):
        return False  # an initial ("J.") or a dotted abbreviation ("f.eks") not in the list
    if token.isdigit() and rest.split()[0].lower().strip(",.") in MONTHS:
        return False
    return True


def _runs_on(text: str, blank: re.Match[str]) -> bool:
    """A blank line between "oppe i" and "40'erne" is a page break inside a sentence, not a paragraph end."""
    before = text[:blank.start()].rstrip()
    after = text[blank.end():blank.end() + 1]
    return bool(before) and (before[-1].isalpha() or before[-1] == ",") and (after.islower() or after.isdigit())


def split_sentences(text: str, breaks: list[int] | tuple[int, ...] = ()) -> list[tuple[int, int]]:
    """Spans (start, end) of the sentences of `text`, stripped of surrounding whitespace.

    `breaks` are offsets that always start a new sentence (a heading's end, a quote's start or end).
    """
    cuts = {0, len(text)}
    cuts.update(b for b in breaks if 0 < b < len(text))
    cuts.update(m.start() for m in _PARAGRAPH.finditer(text) if not _runs_on(text, m))
    cuts.update(m.start() for m in _BULLET.finditer(text))
    for caption in _CAPTION.finditer(text):
        cuts.update((caption.start(), caption.end()))
    for match in _END.finditer(text):
        if _is_boundary(text, match.end(), match):
            cuts.add(match.end())
    spans: list[tuple[int, int]] = []
    ordered = sorted(cuts)
    for start, end in zip(ordered, ordered[1:]):
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            spans.append((start, end))
    return spans
