"""Danish compound splitting for the lexical index, so "dagsorden" finds "innovationsdagsorden".

Danish writes compounds as one word and coins them freely, so word lists miss most of the report's
("innovationsdagsorden", "topleder"). A long word that is not itself a common word is split at the
LONGEST known tail (the head, which carries the meaning in Danish) and, when it is a known word too,
the modifier before it (a linking "s" or "e" dropped). Known words are wordfreq's Danish list plus
words the corpus itself writes on their own at least twice (once may be a broken-word fragment). A split
whose two parts are both words beats one that only finds a head.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

MIN_COMPOUND = 8  # shorter words are rarely compounds worth splitting
MIN_HEAD = 5  # "leder", "orden"; 4-letter tails are mostly inflections ("gevinst|erne", "test|ende")
MIN_LONE_HEAD = 6  # a tail whose modifier is no word must be longer still ("slutbrug|ernes")
MIN_MODIFIER = 3  # "top|leder"
COMMON_ZIPF = 3.5  # words at least this common are units of their own ("dagsorden" stays whole)
KNOWN_ZIPF = 2.5  # a tail at least this common counts as a word


@lru_cache(maxsize=1)
def _wordfreq_da() -> dict[str, float]:
    try:
        import math

        import wordfreq

        # zipf = log10(frequency per word) + 9; computed here because zipf_frequency() re-tokenises each word.
        return {w: math.log10(f) + 9 for w, f in wordfreq.get_frequency_dict("da").items() if f > 0}
    except Exception:  # wordfreq missing or without Danish data: the corpus vocabulary still works
        return {}


class CompoundSplitter:
    """Splits compounds against known words; `corpus_words` are words the indexed text writes whole."""

    def __init__(self, corpus_words: Iterable[str] = (), stop_words: Iterable[str] = ()) -> None:
        freq = _wordfreq_da()
        self._common = {w for w, z in freq.items() if z >= COMMON_ZIPF}
        self._known = {w for w, z in freq.items() if z >= KNOWN_ZIPF and len(w) >= MIN_MODIFIER}
        self._known.update(w for w in corpus_words if len(w) >= MIN_MODIFIER and w.isalpha())
        self._known -= set(stop_words)
        self._cache: dict[str, tuple[str, ...]] = {}

    def parts(self, word: str) -> tuple[str, ...]:
        """The head and modifier of a compound (may be empty); `word` is lower-case."""
        cached = self._cache.get(word)
        if cached is None:
            cached = self._cache[word] = self._split(word)
        return cached

    def _split(self, word: str) -> tuple[str, ...]:
        if len(word) < MIN_COMPOUND or word in self._common or not word.isalpha():
            return ()
        lone_head: tuple[str, ...] = ()
        # Longest head first: "innovations|dagsorden" before "innovationsdags|orden".
        for cut in range(MIN_MODIFIER, len(word) - MIN_HEAD + 1):
            head = word[cut:]
            if head not in self._known:
                continue
            modifier = word[:cut]
            for candidate in (modifier, modifier[:-1] if modifier[-1] in "se" else ""):
                if len(candidate) >= MIN_MODIFIER and candidate in self._known:
                    return head, candidate
            if not lone_head and len(head) >= MIN_LONE_HEAD:
                lone_head = (head,)
        return lone_head
