"""A lexical bridge from an English question to the Danish report: cognates.

An English question shares no words with the Danish text, but many English content words have a Danish
relative the report uses (technology/teknologi, bureaucratic/bureaukratisk, drones/droner, experiment/
eksperiment, culture/kultur). Both sides are stemmed (Snowball English / Danish), spelled alike (c->k, ph->f,
th->t, w->v, y->i, æ/ø/å folded) and compared by the character trigrams of their beginnings, so a Danish
compound or inflection that starts like the English word still counts ("drone" ~ "droneprojekt").
A question whose subject words (bot/terms.subject_words) have no such relative anywhere in the report -
"sourdough bread", "Eiffel Tower", "password", "photosynthesis" - gives no lexical evidence that the report
speaks of it; bot/answer/refusal.py weighs that together with the question's cosines.
"""
from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

from bot.question.terms import tokens

MIN_LETTERS = 5  # shorter English words find a look-alike among any 10,000 Danish words ("tall"/"tal")
_PARTS = re.compile(r"[-'’]")
_SPELLING = (("ph", "f"), ("th", "t"), ("ch", "k"), ("c", "k"), ("q", "k"), ("x", "ks"), ("z", "s"),
             ("w", "v"), ("y", "i"), ("æ", "ae"), ("ø", "o"), ("å", "aa"))
_STEM_LOCK = threading.Lock()  # PyStemmer objects are not thread-safe


@lru_cache(maxsize=2)
def _stemmer(language: str):
    import Stemmer

    return Stemmer.Stemmer(language)


def _spelled(word: str) -> str:
    for a, b in _SPELLING:
        word = word.replace(a, b)
    return word


def _stemmed(word: str, language: str) -> str:
    with _STEM_LOCK:
        return _stemmer(language).stemWord(word)


def _grams(word: str) -> set[str]:
    marked = f"^{word}"  # the beginning counts, the ending does not: inflections and compounds differ there
    return {marked[i:i + 3] for i in range(len(marked) - 2)}


class Vocabulary:
    """The report's words (stemmed, respelled), indexed by trigram, built once per store version."""

    _lock = threading.Lock()
    _cache: dict[int, tuple[Any, "Vocabulary"]] = {}  # id(store) -> (store, vocabulary)

    def __init__(self, texts: list[str]):
        parts = {part for text in texts for token in tokens(text) for part in _PARTS.split(token)
                 if len(part) >= 3 and not part.isdigit()}
        # The word as written and its stem: the Danish stemmer cuts deep ("intelligens" -> "intel").
        self.words = {_spelled(form) for part in parts for form in (part, _stemmed(part, "danish"))}
        # Each word's trigrams once, here: working them out again for every candidate of every question word
        # was most of what the cognate check cost.
        self.grams = {word: frozenset(_grams(word)) for word in self.words}
        self.index: dict[str, set[str]] = {}
        for word, grams in self.grams.items():
            for gram in grams:
                self.index.setdefault(gram, set()).add(word)
        self._cognates: dict[str, float] = {}

    def cognate(self, english_word: str) -> float:
        """Dice similarity (0..1) of `english_word` with its nearest report word (memoised: subject words recur)."""
        found = self._cognates.get(english_word)
        if found is None:
            if len(self._cognates) > 50_000:
                self._cognates.clear()
            found = self._cognates[english_word] = self._nearest(english_word)
        return found

    def _nearest(self, english_word: str) -> float:
        word = _spelled(_stemmed(english_word.lower(), "english"))
        if word in self.words:
            return 1.0
        grams = _grams(word)
        if not grams:
            return 0.0
        candidates = set().union(*(self.index.get(g, set()) for g in grams))
        return max((2 * len(grams & self.grams[c]) / (len(grams) + len(self.grams[c])) for c in candidates), default=0.0)

    @classmethod
    def of(cls, store: Any) -> "Vocabulary":
        with cls._lock:
            found = cls._cache.get(id(store))
            if found is None or found[0] is not store:
                found = cls._cache[id(store)] = (store, cls([c.text for c in store.chunks]))
                if len(cls._cache) > 4:
                    cls._cache.pop(next(iter(cls._cache)))
            return found[1]


def english_words(subject: str) -> list[str]:
    """The subject's words long enough to judge by their spelling ("covid-19" -> "covid")."""
    return [part for word in subject.split() for part in _PARTS.split(word)
            if len(part) >= MIN_LETTERS and not part.isdigit()]


def cognate_evidence(store: Any, subject: str) -> float | None:
    """The best cognate similarity among the subject's words (None: no word long enough to judge)."""
    words = english_words(subject)
    if not words:
        return None
    vocabulary = Vocabulary.of(store)
    return max(vocabulary.cognate(w) for w in words)
