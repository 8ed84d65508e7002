"""Is a question Danish or English? Answers follow the question's language.

Why not a language-identification model: questions are often five words long and full of the report's own
terms ("Hvad er COI?", "What is COI?"), where general detectors are least reliable, and we only ever choose
between two languages. We score each word by how much more common it is in Danish than in English, using
the word-frequency lists of `wordfreq` (already a dependency, loaded once, ~0.4 s and ~20 MB), and count the
Danish letters æ, ø, å as strong Danish evidence. Unknown words (names, acronyms, report jargon) weigh
nothing; when the evidence is weak the answer is Danish, the report's own language.
"""
from __future__ import annotations

import re
from functools import lru_cache

from bot.types import Language

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
_DANISH_LETTERS = re.compile(r"[æøåÆØÅ]")
# A word's vote is capped so one rare word cannot outvote the rest.
_MAX_VOTE = 3.0
# English must win by this margin (in capped zipf units) before we leave the default, Danish.
_ENGLISH_MARGIN = 0.5


@lru_cache(maxsize=4096)
def _word_vote(word: str) -> float:
    """Positive: the word is more Danish than English (difference of zipf frequencies, capped)."""
    from wordfreq import zipf_frequency

    da = zipf_frequency(word, "da")
    en = zipf_frequency(word, "en")
    if da == 0.0 and en == 0.0:
        return 0.0
    return max(-_MAX_VOTE, min(_MAX_VOTE, da - en))


def language_scores(text: str) -> float:
    """Danish-minus-English evidence for `text` (> 0 leans Danish)."""
    # Acronyms (COI, KL, IT) are the report's own names, not evidence of a language.
    words = [w.lower() for w in _WORD.findall(text) if not (len(w) > 1 and w.isupper())]
    score = 2.0 * len(_DANISH_LETTERS.findall(text))
    score += sum(_word_vote(word) for word in words[:60])
    return score


_QUOTED = re.compile(r"[“”\"«»„][^“”\"«»„]{2,120}[“”\"«»„]")


def detect_language(text: str) -> Language:
    """'da' or 'en'; Danish when unsure. Words in quotation marks are the report's wording being cited
    (`What does the report say about “Dem har vi talt med”?`), so they count only when nothing else does."""
    unquoted = _QUOTED.sub(" ", text)
    if len(_WORD.findall(unquoted)) >= 3:
        text = unquoted
    return "en" if language_scores(text) <= -_ENGLISH_MARGIN else "da"


def warm_up() -> None:
    """Load the frequency lists now (the service calls this at start so the first question is not slow)."""
    detect_language("Hvad er det? What is it?")
