"""Quote verification: a quote is shown only if it is verbatim in the report.

The model's quote is compared with its cited passage after a normalisation that ignores what PDF
extraction and typing habits change but meaning does not: whitespace and line breaks, hyphens and dashes
(words split across lines), quote-mark styles and case. The quote that is finally shown is always the
passage's own span, never the model's wording.
"""
from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz

# Characters dropped before matching: PDF line breaks split words ("innovati-\nonen", "innovati \nonen"),
# models swap dash and quote-mark styles.
_IGNORED = set("-\u00ad\u2010\u2011\u2012\u2013\u2014\u2015\u2212\"'`´\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f«»‹›")
_ELLIPSIS = re.compile(r"\s*[\[(]?\s*(?:\.{3,}|…)\s*[\])]?\s*")
_EDGE_PUNCT = ".,;:!?"
_MIN_QUOTE_WORDS = 3    # "sk" or "innovation" is found anywhere and proves nothing
_MIN_FUZZY_CHARS = 20   # shorter quotes must match exactly: fuzzy scores on a few words mean little
_MAX_STRETCH = 3.0      # an elided quote may cover at most this many times its own length (plus slack)


@dataclass
class QuoteCheck:
    status: Literal["kept", "repaired", "dropped"]
    quote: str | None
    start: int | None
    end: int | None
    score: float


def _normalise_with_map(text: str) -> tuple[str, list[int]]:
    """Matching form of `text` and, for each of its characters, the offset it came from in `text`."""
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch).casefold():
            if c.isspace() or c in _IGNORED or unicodedata.category(c) == "Cc":
                continue
            out.append(c)
            origin.append(i)
    return "".join(out), origin


def _match_form(text: str) -> str:
    """Matching form of `text` for finding a quote in a passage (see module doc)."""
    return _normalise_with_map(text)[0]


def _strip_edges(norm: str) -> str:
    return norm.strip(_EDGE_PUNCT)


def _span(passage: str, origin: list[int], a: int, b: int) -> tuple[int, int]:
    """Offsets in `passage` of normalised span [a, b), widened to whole words and a following sentence end."""
    start, end = origin[a], origin[b - 1] + 1
    # Never cut a word: a quote that starts or ends inside one is widened to the whole word.
    while start > 0 and passage[start - 1].isalnum() and passage[start].isalnum():
        start -= 1
    while end < len(passage) and passage[end - 1].isalnum() and passage[end].isalnum():
        end += 1
    # Keep the passage's own full stop / question mark right after the span: a quote reads as a sentence.
    rest = passage[end:end + 1]
    if rest and rest in ".!?":
        end += 1
    return start, end


def _find_exact(qnorm: str, pnorm: str, from_norm: int = 0) -> tuple[int, int] | None:
    pos = pnorm.find(qnorm, from_norm)
    if pos < 0:
        return None
    return pos, pos + len(qnorm)


def _word_starts(passage: str) -> list[int]:
    return [m.start() for m in re.finditer(r"\w+", passage)]


def _word_ends(passage: str) -> list[int]:
    return [m.end() for m in re.finditer(r"\w+", passage)]


def _find_fuzzy(qnorm: str, pnorm: str, origin: list[int], passage: str, from_norm: int = 0):
    """Best near match of `qnorm` in `pnorm[from_norm:]`: (norm_start, norm_end, score 0..1) or None."""
    hay = pnorm[from_norm:]
    if len(qnorm) < _MIN_FUZZY_CHARS or len(qnorm) > len(hay):
        return None
    rough = fuzz.partial_ratio_alignment(qnorm, hay)
    if rough is None or rough.score < 75:
        return None
    a0, b0 = rough.dest_start + from_norm, rough.dest_end + from_norm
    # partial_ratio aligns a window of the quote's own length; a quote that lost or gained a word is
    # better served by a window ending on other word boundaries, so try the nearby ones.
    starts, ends = _word_starts(passage), _word_ends(passage)
    to_norm = lambda off: bisect.bisect_left(origin, off)  # noqa: E731 - local helper
    s_orig, e_orig = origin[a0], origin[b0 - 1] + 1
    si = bisect.bisect_right(starts, s_orig)
    ei = bisect.bisect_left(ends, e_orig)
    best = None
    for s in starts[max(0, si - 3): si + 2]:
        for e in ends[max(0, ei - 3): ei + 3]:
            a, b = to_norm(s), to_norm(e)
            if a < from_norm or b <= a:
                continue
            score = fuzz.ratio(qnorm, pnorm[a:b]) / 100.0
            if best is None or score > best[2]:
                best = (a, b, score)
    return best


def _match_piece(qnorm: str, pnorm: str, origin: list[int], passage: str, from_norm: int, threshold: float):
    """(norm_start, norm_end, score, exact) of one quote piece at or after `from_norm`, or None."""
    hit = _find_exact(qnorm, pnorm, from_norm)
    if hit:
        return hit[0], hit[1], 1.0, True
    fuzzy = _find_fuzzy(qnorm, pnorm, origin, passage, from_norm)
    if fuzzy and fuzzy[2] >= threshold:
        return fuzzy[0], fuzzy[1], fuzzy[2], False
    return None


def _dropped(score: float = 0.0) -> QuoteCheck:
    return QuoteCheck("dropped", None, None, None, score)


def verify_quote(quote: str, passage: str, threshold: float = 0.9) -> QuoteCheck:
    """Check `quote` against `passage`: kept (exact after normalisation), repaired (a near match, replaced by
    the passage's verbatim span) or dropped. A quote of fewer than three words proves nothing and is dropped.
    Quotes shortened with "..." are checked piece by piece, in
    order, and the shown quote is the passage span from the first piece to the last."""
    pnorm, origin = _normalise_with_map(passage)
    if not pnorm:
        return _dropped()
    whole = _strip_edges(_match_form(quote))
    if not whole or len(re.findall(r"\w+", quote)) < _MIN_QUOTE_WORDS:
        return _dropped()
    # The report itself has "..." in places, so try the quote whole before treating dots as elisions.
    hit = _find_exact(whole, pnorm)
    if hit:
        start, end = _span(passage, origin, *hit)
        return QuoteCheck("kept", passage[start:end], start, end, 1.0)
    pieces = [p for p in (_strip_edges(_match_form(x)) for x in _ELLIPSIS.split(quote)) if p]
    if len(pieces) <= 1:
        found = _find_fuzzy(whole, pnorm, origin, passage)
        if found and found[2] >= threshold:
            start, end = _span(passage, origin, found[0], found[1])
            return QuoteCheck("repaired", passage[start:end], start, end, found[2])
        return _dropped(found[2] if found else 0.0)
    return _verify_pieces(pieces, pnorm, origin, passage, threshold)


def _verify_pieces(pieces: list[str], pnorm: str, origin: list[int], passage: str, threshold: float) -> QuoteCheck:
    matches = []
    cursor = 0
    for piece in pieces:
        found = _match_piece(piece, pnorm, origin, passage, cursor, threshold)
        if found is None:
            return _dropped()
        matches.append(found)
        cursor = found[1]
    score = min(m[2] for m in matches)
    status = "kept" if all(m[3] for m in matches) else "repaired"
    quoted_len = sum(len(p) for p in pieces)
    a, b = matches[0][0], matches[-1][1]
    if b - a > _MAX_STRETCH * quoted_len + 200:
        # The pieces lie far apart: show the longest one alone rather than a long stretch of passage.
        a, b, score, exact = max(matches, key=lambda m: m[1] - m[0])
        status = "kept" if exact else "repaired"
    start, end = _span(passage, origin, a, b)
    return QuoteCheck(status, passage[start:end], start, end, score)


def verify_in_document(quote: str, clean_text: str, raw_text: str) -> bool:
    """True if `quote` is verbatim in the original report `raw_text`, compared in the report-wide matching
    form (ingest.cleaning.normalise_for_match: case and words exact; spaces, line breaks, hyphens ignored).

    Cleaning may drop page footers or repeated pull quotes that sat between the quote's words in the raw
    extraction, so a quote found in `clean_text` is also accepted when its parts appear in order in the raw
    text with only short gaps between them."""
    from ingest.cleaning import normalise_for_match  # the report-wide matching key, shared with the eval

    qnorm = normalise_for_match(quote).strip(_EDGE_PUNCT + "\"'")  # surrounding marks are presentation
    if not qnorm:
        return False
    raw_norm = _cached_key(raw_text, normalise_for_match)
    if qnorm in raw_norm:
        return True
    if qnorm not in _cached_key(clean_text, normalise_for_match):
        return False
    return _in_order_with_gaps(qnorm, raw_norm)


_KEYS: dict[int, tuple[str, str]] = {}


def _cached_key(text: str, key) -> str:
    """Matching key of a whole document, kept for the few documents a process sees (it takes ~20 ms)."""
    hit = _KEYS.get(id(text))
    if hit is not None and hit[0] is text:
        return hit[1]
    value = key(text)
    if len(_KEYS) > 16:
        _KEYS.clear()
    _KEYS[id(text)] = (text, value)
    return value


def _in_order_with_gaps(qnorm: str, hay: str, max_gap: int = 300, min_part: int = 12) -> bool:
    """Greedy: the longest prefix of the rest of the quote found in `hay`, then the next within `max_gap`."""
    for first in _occurrences(hay, qnorm[:min_part]):
        pos, rest, ok = first, qnorm, True
        while rest:
            n = _longest_prefix_at(rest, hay, pos, max_gap if pos != first else 0)
            if n is None or (n < min_part and n < len(rest)):
                ok = False
                break
            found_at = hay.find(rest[:n], pos, pos + max_gap + n) if pos != first else pos
            pos, rest = found_at + n, rest[n:]
        if ok:
            return True
    return False


def _occurrences(hay: str, needle: str):
    pos = hay.find(needle)
    while pos >= 0:
        yield pos
        pos = hay.find(needle, pos + 1)


def _longest_prefix_at(rest: str, hay: str, pos: int, gap: int) -> int | None:
    """Length of the longest prefix of `rest` occurring in hay[pos : pos + gap + len]."""
    lo, hi = 0, len(rest)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if hay.find(rest[:mid], pos, pos + gap + mid) >= 0:
            lo = mid
        else:
            hi = mid - 1
    return lo or None
