"""Attributed quotes: “...” (Kommunal topleder) in the body, and call-out boxes ending "- Kommunal topleder".

Call-out boxes (pull quotes) repeat a body quote in large type; they are marked `duplicate` when their words
appear in another quote, so the chunker can leave them out. A call-out box printed in the middle of a body
quote (the layout put it there) becomes a gap of that quote.
"""
from __future__ import annotations

import re
from dataclasses import replace

from ingest.lines import Line, strip_span
from ingest.types import Quote

_ROLES = "topleder|topchef|leder|direktør|chef|leader|manager|director|executive"
_SPEAKER = r"(?P<kind>[A-ZÆØÅa-zæøå][a-zæøå]+)\s+(?P<role>" + _ROLES + ")"
BODY_ATTRIBUTION = re.compile(r"\(\s*" + _SPEAKER + r"\s*\)")
PULL_ATTRIBUTION = re.compile(r"^[-–—]\s*" + _SPEAKER + r"\s*$")
_OPENERS = "“«„"
_CLOSERS = "”\"»“"
_SEARCH_WINDOW = 4000  # no quote in a report runs longer than this; stops a missing “ from swallowing pages


def normalise_speaker(kind: str, role: str) -> str:
    """'Kommunal topchef' -> 'Kommunal topleder'; the three sectors are spelt one way whatever the source."""
    stem = kind.lower()
    for prefix, name in (("kommun", "Kommunal"), ("region", "Regional"), ("stat", "Statslig")):
        if stem.startswith(prefix):
            kind = name
            break
    else:
        kind = kind.capitalize()
    role = "topleder" if role in ("topleder", "topchef") else role
    return f"{kind} {role}"


def quote_key(text: str) -> str:
    """Letters and digits only: a call-out box and its body quote differ in line breaks, hyphens and marks."""
    return re.sub(r"[\W_]+", "", text.lower())


def _body_quotes(text: str) -> list[Quote]:
    quotes: list[Quote] = []
    floor = 0
    for match in BODY_ATTRIBUTION.finditer(text):
        close = match.start() - 1
        while close >= floor and text[close].isspace():
            close -= 1
        if close < floor or text[close] not in _CLOSERS:
            continue
        low = max(floor, close - _SEARCH_WINDOW)
        opener = max(text.rfind(ch, low, close) for ch in _OPENERS)
        if opener < 0:
            # Some quotes open with ” (the PDF's typesetting): take the nearest ” that begins a line or follows ':'.
            for found in re.finditer(r"(?:^|\n|:)[ \t]*”", text[low:close]):
                opener = low + found.end() - 1
        if opener < 0:
            continue
        start, end = strip_span(text, opener + 1, close)
        speaker = normalise_speaker(match.group("kind"), match.group("role"))
        quotes.append(Quote(start=opener, end=match.end(), speaker=speaker, text=text[start:end]))
        floor = match.end()
    return quotes


def _pull_quotes(lines: list[Line], text: str) -> list[tuple[Quote, list[int]]]:
    """Call-out boxes, each with the line starts where its words may begin (when no blank line sets the box
    off from the text above, the box is trimmed later to the part that repeats another quote)."""
    quotes: list[tuple[Quote, list[int]]] = []
    for line in lines:
        match = PULL_ATTRIBUTION.match(line.text)
        if not match:
            continue
        i = line.index - 1
        while i >= 0 and lines[i].blank:
            i -= 1
        if i < 0:
            continue
        first = i
        while first > 0 and not lines[first - 1].blank and not lines[first].indented:
            previous = lines[first - 1].text
            if BODY_ATTRIBUTION.fullmatch(previous) or PULL_ATTRIBUTION.match(previous) or line.index - first > 15:
                break
            first -= 1
        start, end = strip_span(text, lines[first].start, lines[i].end)
        speaker = normalise_speaker(match.group("kind"), match.group("role"))
        quote = Quote(start=lines[first].start, end=line.end, speaker=speaker, text=text[start:end], pull=True)
        quotes.append((quote, [lines[k].start for k in range(first, i + 1)]))
    return quotes


def _trim_pull(pull: Quote, starts: list[int], others: list[str], text: str) -> Quote:
    """The longest tail of the box whose words appear in another quote, marked duplicate; else the box as found
    (then a repeat only if it holds most of another quote: the box may have dropped a few words)."""
    words_end = strip_span(text, pull.start, pull.end)[1]
    words_end = text.rfind("\n", pull.start, words_end) if "\n" in text[pull.start:words_end] else words_end
    for start in starts:
        words = text[start:words_end].strip()
        key = quote_key(words)
        if key and any(key in other for other in others):
            return replace(pull, start=start, text=words, duplicate=True)
    key = quote_key(pull.text)
    return replace(pull, duplicate=bool(key) and any(other in key and len(other) > 0.8 * len(key)
                                                      for other in others if other))


def _without_gaps(quote: Quote, gaps: tuple[tuple[int, int], ...], text: str) -> Quote:
    """The quote's words with the call-out boxes printed inside it left out."""
    parts, cursor = [], quote.start + 1
    for gap_start, gap_end in gaps:
        parts.append(text[cursor:gap_start].strip())
        cursor = gap_end
    close = BODY_ATTRIBUTION.search(text, cursor, quote.end)
    tail = text[cursor:close.start() if close else quote.end].strip()
    parts.append(tail[:-1].rstrip() if tail and tail[-1] in _CLOSERS else tail)
    return replace(quote, gaps=gaps, text=" ".join(p for p in parts if p))


def find_quotes(lines: list[Line], text: str) -> list[Quote]:
    """All attributed quotes in document order; repeats marked `duplicate`, boxes inside quotes made gaps."""
    found_pulls = _pull_quotes(lines, text)
    raw_body = _body_quotes(text)
    pulls: list[Quote] = []
    for pull, starts in found_pulls:
        # Compare with body quotes that do not enclose the box (one printed inside a quote is not its repeat).
        others = [quote_key(q.text) for q in raw_body if not q.start < pull.end < q.end]
        others += [quote_key(p.text) for p in pulls]
        pulls.append(_trim_pull(pull, starts, others, text))
    body = []
    for quote in raw_body:
        gaps = tuple((p.start, p.end) for p in pulls if quote.start < p.start and p.end < quote.end)
        body.append(_without_gaps(quote, gaps, text) if gaps else quote)
    keys = [quote_key(q.text) for q in body]
    result = [replace(q, duplicate=bool(keys[i]) and keys[i] in keys[:i]) for i, q in enumerate(body)]
    return sorted(result + pulls, key=lambda q: q.start)
