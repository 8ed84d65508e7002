"""Text matching used by every metric: evidence in a chunk, a quote in the report.

Both sides are compared in "matching form": Unicode NFKC, quote marks unified (“” -> "), hyphens, dashes,
soft hyphens and all whitespace removed; case is kept. That ignores exactly what PDF extraction changes
without changing the words (a word split over two lines "interes / serede", "innovati-/onsdagsorden",
line breaks, quote styles). The form is ingest.cleaning.normalise_for_match, the one the ingest and the bot
use, so all three agree on what "verbatim" means; a local copy of the same rules is the fallback.
"""
from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path

_QUOTES = str.maketrans({c: '"' for c in "“”„‟«»″"} | {c: "'" for c in "‘’‚‛‹›′`´"})
_DASHES = re.compile(r"[-\u2010-\u2015\u2212\u00ad]")
_SPACE = re.compile(r"\s+")
_ELLIPSIS = re.compile(r"\s*[\[(]?\s*(?:\.{3,}|…)\s*[\])]?\s*")


def _local_normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _SPACE.sub("", _DASHES.sub("", text))


try:
    from ingest.cleaning import normalise_for_match as fold
except ImportError:  # an older ingest without it
    fold = _local_normalise


def contains(haystack: str, needle: str) -> bool:
    """True when `needle` occurs in `haystack` in matching form (an empty needle never matches)."""
    key = fold(needle)
    return bool(key) and key in fold(haystack)


def contains_folded(folded_haystack: str, needle: str) -> bool:
    key = fold(needle)
    return bool(key) and key in folded_haystack


class FoldedReport(str):
    """The report in matching form; `.without_furniture` is the same with page furniture (running footers
    such as "24 Analyse af ...", lone "-" lines) cut out, as the chunker does, so that a sentence running
    over a page break still counts as verbatim."""

    without_furniture: str = ""


def is_verbatim(quote: str, folded_report: str) -> bool:
    """A quote is verbatim when it occurs in the report in matching form (or in the report without its page
    furniture); a quote with elisions ("...", "…", "[...]") is verbatim when each part occurs, in order."""
    key = fold(quote)
    if not key:
        return False
    for text in (folded_report, getattr(folded_report, "without_furniture", "")):
        if text and _found(quote, key, text):
            return True
    return False


def _found(quote: str, key: str, folded_report: str) -> bool:
    if key in folded_report:
        return True
    parts = [fold(part) for part in _ELLIPSIS.split(quote)]
    parts = [p for p in parts if p]
    if len(parts) < 2:
        return False
    position = 0
    for part in parts:
        found = folded_report.find(part, position)
        if found < 0:
            return False
        position = found + len(part)
    return True


def overlap_chars(a: str, b: str) -> int:
    """Length of the longest common substring of two texts in matching form."""
    fa, fb = fold(a), fold(b)
    if not fa or not fb:
        return 0
    match = SequenceMatcher(None, fa, fb, autojunk=False).find_longest_match(0, len(fa), 0, len(fb))
    return match.size


def _without_furniture(text: str) -> str:
    try:
        from ingest.furniture import find_furniture
        from ingest.lines import split_lines
    except ImportError:
        return ""
    pieces, position = [], 0
    for start, end in sorted(find_furniture(split_lines(text))):
        pieces.append(text[position:start])
        position = max(position, end)
    pieces.append(text[position:])
    return " ".join(pieces)


@lru_cache(maxsize=4)
def folded_report(path: str) -> FoldedReport:
    """The original report file in matching form, with and without page furniture (cached per path)."""
    text = Path(path).read_text(encoding="utf-8")
    folded = FoldedReport(fold(text))
    folded.without_furniture = fold(_without_furniture(text))
    return folded
