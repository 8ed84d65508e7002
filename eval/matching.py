"""Text matching used by every metric: evidence in a chunk, a quote in the report.

Both sides are compared in "matching form": Unicode NFKC, case-folded, with whitespace, line breaks,
hyphens/dashes and quote marks removed. That ignores exactly what PDF extraction changes without changing
the words (a word split over two lines "interes / serede", "innovati-/onsdagsorden", “” vs ""). The form
comes from the bot's own quote checker (`normalise_for_match`) so the eval and the bot agree on what
"verbatim" means; a local copy of the same rules is used if that function is not importable.
"""
from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path

_IGNORED = set("-\u00ad\u2010\u2011\u2012\u2013\u2014\u2015\u2212\"'`´\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f«»‹›")
_ELLIPSIS = re.compile(r"\s*[\[(]?\s*(?:\.{3,}|…)\s*[\])]?\s*")


def _local_normalise(text: str) -> str:
    out = []
    for ch in unicodedata.normalize("NFKC", text).casefold():
        if ch.isspace() or ch in _IGNORED or unicodedata.category(ch) == "Cc":
            continue
        out.append(ch)
    return "".join(out)


def _shared_normalise():
    for module in ("ingest.cleaning", "bot.quotes"):
        try:
            mod = __import__(module, fromlist=["normalise_for_match"])
        except ImportError:
            continue
        func = getattr(mod, "normalise_for_match", None)
        if callable(func):
            return func
    return _local_normalise


fold = _shared_normalise()


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
