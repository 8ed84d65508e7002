"""What the answer engine knows of a chunk before any question is asked: its sentences, their vectors and
surface facts, and the candidate spans they form.

Scoring a question's spans (bot/answer/spans.py) used to work all of this out again on every ask: which
sentences are headings, where the attributed quotes run, which sentences join into one span, the spans'
mean vectors, and a dozen regular-expression facts per span (how many things it lists, a caption, a bare
web address, digits, a bullet). None of it depends on the question, and the same chunks come back question
after question, so it is worked out once per chunk of a store version and kept (ChunkLayouts); a warm ask
then only measures each span against the question. The values are the very ones the span ranker was
fitted on: the same expressions compute them, only once.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.question.terms import stem_set
from ingest.types import Chunk

SHORT_SPAN = 40  # characters: a shorter sentence takes the next one along
WHOLE_QUOTE_MAX = 480  # an attributed quote up to this long is cited whole

_ATTRIBUTED = re.compile(r"[“”\"]([^“”\"]{15,}?)[”\"]\s*\(\s*(?P<who>[A-ZÆØÅ][a-zæøå]+ (?:topleder|topchef|leder|direktør|chef))\s*\)")
_PULL_BOX = re.compile(r"\n\s*[-–—]\s*[A-ZÆØÅ][a-zæøå]+ topleder")
_URL = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+", re.IGNORECASE)
# A figure's caption or source line ("Kilde: Jocelyne Bourgon – Den Nye Syntese ... (2017)") credits the figure;
# it answers a question about the figure or its source, not "who carried out the analysis?".
_CAPTION = re.compile(r"(?:Kilde|Kilder|Figur|Tabel|Source|Sources|Figure|Table)(?:\s+\d+)?\s*:")
_SEPARATOR = re.compile(r",|;|\bog\b|\bsamt\b|\beller\b|\bsom\b|\band\b|\bor\b|\n\s*[•\-–]")
_LEANS_BACK = re.compile(r"^\W*(?:det|dette|den|denne|disse|de|der|derfor|dermed|her|også|men|og|samtidig|"
                         r"således|endvidere|desuden|heller|this|these|that|it|they|however|also)\b", re.IGNORECASE)
_BULLET = re.compile(r"\s*[•\-–]")
_DIGIT = re.compile(r"\d")
_LETTER_WORD = re.compile(r"[^\W\d_]{2,}")


def enumerated_items(text: str) -> int:
    """Roughly how many things a sentence lists: separators plus one."""
    return len(_SEPARATOR.findall(text)) + 1


def _says_nothing(text: str) -> bool:
    """A web or mail address alone ("http://www.coi.dk") is close to a question that names the body, yet
    tells nothing about it; it is an answer only when the question asks for an address."""
    return bool(_URL.search(text)) and len(_LETTER_WORD.findall(_URL.sub(" ", text))) < 3


def folded(text: str) -> str:
    return " ".join(text.split()).strip(" .:").lower()


def heading_lines(chunk: Chunk) -> set[str]:
    """The chunk's section headings. A chunk of nothing but a heading ("Bag om analysen") names a part of the
    report and says nothing, so it is never quoted ("How much did the analysis cost?" once got "Bag om
    analysen" as its answer); inside a chunk a heading stays, as context ("Dem har vi talt med")."""
    return {folded(part) for part in chunk.section.split(" > ") if part.strip()}


def _normalised(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def _quote_regions(chunk: Chunk) -> list[tuple[int, int, str]]:
    """Attributed quotes inside the chunk: (start, end, speaker), end just after the closing mark."""
    regions = []
    for match in _ATTRIBUTED.finditer(chunk.text):
        close = match.end(1) + 1
        if not _PULL_BOX.search(chunk.text, match.start(), close):
            regions.append((match.start(), close, _speaker_label(match.group("who"))))
    return regions


def _speaker_label(who: str) -> str:
    kind, role = who.split(" ", 1)
    for prefix, name in (("kommun", "Kommunal"), ("region", "Regional"), ("stat", "Statslig")):
        if kind.lower().startswith(prefix):
            kind = name
    return f"{kind} {'topleder' if role in ('topleder', 'topchef') else role}"


@dataclass(frozen=True)
class TextFacts:
    """What a sentence's or a span's text shows on its surface, as the hand score and the ranker read it."""

    items: int  # enumerated_items
    caption: bool
    url: bool
    says_nothing: bool
    bullet: bool
    digits: bool
    ends_colon: bool
    leans_back: bool  # opens with a word pointing back ("Det ...", "However ...")
    chars: int
    words: int

    @classmethod
    def of(cls, text: str) -> "TextFacts":
        return cls(items=enumerated_items(text), caption=bool(_CAPTION.match(text)), url=bool(_URL.search(text)),
                   says_nothing=_says_nothing(text), bullet=bool(_BULLET.match(text)),
                   digits=bool(_DIGIT.search(text)), ends_colon=text.rstrip().endswith(":"),
                   leans_back=bool(_LEANS_BACK.match(text.lstrip())), chars=len(text), words=len(text.split()))


def _read_only(vector: np.ndarray | None) -> np.ndarray | None:
    # Every question's spans share these arrays: an in-place change would corrupt all later answers.
    if vector is not None:
        vector.setflags(write=False)
    return vector


@dataclass(frozen=True)
class CandidateLayout:
    """One candidate span, led by sentence `first` (whose score it takes): a sentence, a sentence with the
    next one, or a whole attributed quote. `start`/`end` are offsets into chunk.text."""

    first: int
    start: int
    end: int
    members: tuple[int, ...]  # its sentences
    is_quote: bool  # `first` lies in an attributed quote (cited whole when short enough)
    speaker: str | None
    text: str
    stems: frozenset[str]
    facts: TextFacts
    heading_start: bool  # `first` is one of the chunk's headings
    vector: np.ndarray | None  # the normalised mean of its sentences' vectors
    context: np.ndarray | None  # the normalised mean of `first`'s vector and its neighbours'
    surface: dict[str, float]  # the ranker's measurements of it that no question changes (surface_features)


@dataclass(frozen=True)
class ChunkLayout:
    """A chunk's non-empty sentences (the whole text when it has none) and its candidate spans."""

    chunk: Chunk
    sentences: list[tuple[int, int]]
    texts: list[str]
    stems: list[frozenset[str]]
    facts: list[TextFacts]
    vectors: list[np.ndarray] | None  # one per sentence; None when the store holds none for each sentence
    candidates: list[CandidateLayout]
    only_headings: bool  # nothing but headings: never quoted

    @classmethod
    def of(cls, store: Any, chunk: Chunk) -> "ChunkLayout":
        text = chunk.text
        headings = heading_lines(chunk)
        sentences = [(s, e) for s, e in chunk.sentences if text[s:e].strip()] or [(0, len(text))]
        texts = [text[s:e] for s, e in sentences]
        only_headings = all(folded(t) in headings for t in texts)
        stored = store.sentence_vectors(chunk.id)
        vectors = None
        if stored is not None and len(stored) == len(chunk.sentences):
            aligned = [i for i, span in enumerate(chunk.sentences) if span in sentences]
            vectors = [_read_only(np.asarray(stored[aligned[j]], dtype=np.float32)) for j in range(len(sentences))]
        candidates = [] if only_headings else _candidates(chunk, sentences, headings, vectors)
        return cls(chunk=chunk, sentences=sentences, texts=texts, stems=[stem_set(t) for t in texts],
                   facts=[TextFacts.of(t) for t in texts], vectors=vectors, candidates=candidates,
                   only_headings=only_headings)


def _candidates(chunk: Chunk, sentences: list[tuple[int, int]], headings: set[str],
                vectors: list[np.ndarray] | None) -> list[CandidateLayout]:
    """One candidate per sentence, but for a heading closing the chunk. A span runs over the next sentence
    when the first is a heading, short or ends with ":"; a sentence inside a short attributed quote stands
    for the whole quote."""
    regions = _quote_regions(chunk)
    candidates = []
    for j, (s, e) in enumerate(sentences):
        region = next((r for r in regions if r[0] <= s < r[1] or r[0] < e <= r[1]), None)
        if region and region[1] - region[0] <= WHOLE_QUOTE_MAX:
            members = [k for k, (s2, e2) in enumerate(sentences) if region[0] <= s2 < region[1] or region[0] < e2 <= region[1]]
            start, end = region[0], region[1]
        else:
            start, end, members = s, e, [j]
            text = chunk.text[s:e].rstrip()
            heading = folded(text) in headings
            if heading and j + 1 >= len(sentences):
                continue  # a heading alone says nothing ("#6 De store udfordringer ..."); lists use headings apart
            if j + 1 < len(sentences) and (heading or len(text) < SHORT_SPAN or text.endswith(":")):
                end = sentences[j + 1][1]
                members = [j, j + 1]
        vector = context = None
        if vectors is not None:
            vecs = [vectors[k] for k in members]
            # The mean of one vector is that vector (exactly): most spans are one sentence.
            vector = _normalised(vecs[0]) if len(vecs) == 1 else _normalised(np.mean(vecs, axis=0))
            context = _normalised(np.mean(vectors[max(0, j - 1): j + 2], axis=0))
        # A chunk's speaker names the quote it mainly holds; its narrative sentences are nobody's quote.
        speaker = region[2] if region else (chunk.speaker if not regions else None)
        text = chunk.text[start:end]
        facts = TextFacts.of(text)
        heading_start = folded(chunk.text[s:e]) in headings
        candidates.append(CandidateLayout(
            first=j, start=start, end=end, members=tuple(members), is_quote=region is not None, speaker=speaker,
            text=text, stems=stem_set(text), facts=facts, heading_start=heading_start, vector=_read_only(vector),
            context=_read_only(context),
            surface=surface_features(facts, j, len(sentences), len(members), heading_start, region is not None, speaker)))
    return candidates


_SPEAKER_KINDS = {"Kommunal": 1.0, "Regional": 2.0, "Statslig": 3.0}


def surface_features(facts: TextFacts, first: int, sentences: int, members: int, heading_start: bool,
                     is_quote: bool, speaker: str | None) -> dict[str, float]:
    """The span ranker's measurements of a candidate span that do not depend on the question (sentence
    `first` of `sentences` in its chunk, `members` sentences long); bot/answer/spans.span_features adds the
    rest. Names are the model file's feature names."""
    return {
        "list_items": float(facts.items), "caption": float(facts.caption), "url": float(facts.url),
        "says_nothing": float(facts.says_nothing), "heading_start": float(heading_start),
        "position": first / max(1, sentences - 1), "first_in_chunk": float(first == 0),
        "sentences": float(members), "chars": float(facts.chars), "words": float(facts.words),
        "ends_colon": float(facts.ends_colon), "leans_back": float(facts.leans_back), "quote": float(is_quote),
        "speaker_kind": _SPEAKER_KINDS.get((speaker or " ").split(" ")[0], 0.0),
        "bullet": float(facts.bullet), "digits": float(facts.digits),
    }


class ChunkLayouts:
    """The layouts of one store version's chunks, each worked out the first time it is asked for (or all at
    once by `warm`); thread-safe (two threads may both work one out; either result is the same)."""

    _lock = threading.Lock()
    _cache: dict[int, "ChunkLayouts"] = {}

    def __init__(self, store: Any):
        self.store = store
        self._layouts: dict[str, ChunkLayout] = {}

    def layout(self, chunk: Chunk) -> ChunkLayout:
        found = self._layouts.get(chunk.id)
        if found is None or found.chunk is not chunk:
            found = self._layouts[chunk.id] = ChunkLayout.of(self.store, chunk)
        return found

    def warm(self) -> None:
        for chunk in self.store.chunks:
            self.layout(chunk)

    @classmethod
    def of(cls, store: Any) -> "ChunkLayouts":
        with cls._lock:
            found = cls._cache.get(id(store))
            if found is None or found.store is not store:
                found = cls._cache[id(store)] = cls(store)
                if len(cls._cache) > 4:  # earlier store versions; holding them keeps ids unique
                    cls._cache.pop(next(iter(cls._cache)))
            return found
