"""BM25 over the chunks (bm25s), Danish stemming (PyStemmer/Snowball), Danish stop words and compound parts.

Every word is indexed as its stem and, for compounds, also as the stems of its parts (see compounds.py),
so "dagsorden" finds "innovationsdagsorden" and "topleder" finds "kommunaltopleder". The index is saved
beside the Chroma store: bm25s's files plus the corpus words the compound splitter needs at query time.
"""
from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import numpy as np

from ingest.compounds import CompoundSplitter

_WORD = re.compile(r"[^\W_]+")
_CORPUS_WORDS = "corpus_words.json"


def danish_stop_words() -> frozenset[str]:
    """Snowball's Danish stop-word list as shipped by bm25s (94 words)."""
    from bm25s.stopwords import STOPWORDS_DANISH

    return frozenset(STOPWORDS_DANISH)


class Analyzer:
    """Text -> index terms: lower-case words minus stop words, plus compound parts, stemmed."""

    def __init__(self, corpus_words: list[str]) -> None:
        import Stemmer

        self._stemmer = Stemmer.Stemmer("danish")
        self._lock = threading.Lock()  # PyStemmer objects are not thread-safe
        self._stop = danish_stop_words()
        self.splitter = CompoundSplitter(corpus_words, self._stop)

    def terms(self, text: str) -> list[str]:
        words: list[str] = []
        for word in _WORD.findall(text.lower()):
            if word in self._stop or (len(word) < 2 and not word.isdigit()):
                continue
            words.append(word)
            words.extend(self.splitter.parts(word))
        with self._lock:
            return self._stemmer.stemWords(words)


def corpus_words(texts: list[str]) -> list[str]:
    """Lower-case words the corpus writes at least twice (the splitter's own-document vocabulary)."""
    from collections import Counter

    counts = Counter(w for text in texts for w in _WORD.findall(text.lower()))
    return sorted(w for w, n in counts.items() if n >= 2)


class LexicalIndex:
    """BM25 scores for the chunks in store order."""

    def __init__(self, retriever: object, analyzer: Analyzer, size: int) -> None:
        self._retriever = retriever
        self.analyzer = analyzer
        self.size = size

    @classmethod
    def build(cls, texts: list[str]) -> "LexicalIndex":
        import bm25s

        words = corpus_words(texts)
        analyzer = Analyzer(words)
        retriever = bm25s.BM25()
        corpus = [analyzer.terms(t) or [""] for t in texts]
        retriever.index(corpus, show_progress=False)
        index = cls(retriever, analyzer, len(texts))
        index._corpus_words = words
        return index

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._retriever.save(str(directory), show_progress=False)
        (directory / _CORPUS_WORDS).write_text(json.dumps({"size": self.size, "words": self._corpus_words}),
                                               encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> "LexicalIndex":
        import bm25s

        meta = json.loads((directory / _CORPUS_WORDS).read_text(encoding="utf-8"))
        retriever = bm25s.BM25.load(str(directory), show_progress=False)
        index = cls(retriever, Analyzer(meta["words"]), int(meta["size"]))
        index._corpus_words = meta["words"]
        return index

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for `query` (zeros when no query term is in the index)."""
        vocab = self._retriever.vocab_dict
        ids = [vocab[t] for t in self.analyzer.terms(query) if t in vocab and t != ""]
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(ids), dtype=np.float32)

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top `k` (chunk position, score) with score > 0, best first; `mask` keeps only True positions."""
        scores = self.scores(query)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        top = np.argsort(-scores, kind="stable")[:k]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]
