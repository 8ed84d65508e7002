"""Decide whether a line break splits one word ("interes" / "serede") or falls between two ("idérige" / "og").

PDF extraction drops the soft hyphens of the typesetter, so most split words carry no hyphen at all. The
judge weighs general evidence, never a list of known pairs:
- the document itself: the joined form written whole elsewhere (or a form with the same stem) is strong;
- Danish morphology: inflection and derivation endings that never stand alone ("-ne", "-heden",
  "-ninger"), linking -s-/-e- in compounds, and compounds whose parts are known words;
- word frequencies from wordfreq's Danish list (installed with the project), loaded once;
- closed-class words ("og", "at", "alle"...): a break next to one is a real word boundary.
A break between two real words is joined only on strong evidence, so precision stays high.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field

from ingest.danish import (BOUND_ENDINGS, DEFINITE_ENDINGS, DERIVATIONS, ENDING_LIKE, FUNCTION_WORDS, INFLECTIONS,
                           PARTICLES, VOWELS, stem, wordfreq_zipf)

WORD = re.compile(r"\w+")
STANDALONE_ZIPF = 4.0  # rarer wordfreq entries are often PDF fragments in its web sources ("virksom", "arbejds")


@dataclass
class DocEvidence:
    """Words written whole in the document (line-edge fragments excluded) and their bigrams."""

    words: Counter = field(default_factory=Counter)
    bigrams: Counter = field(default_factory=Counter)
    stems: set[str] = field(default_factory=set)
    sorted_words: list[str] = field(default_factory=list)
    halves: Counter = field(default_factory=Counter)  # words at breaks judged to be word boundaries

    @classmethod
    def from_lines(cls, lines: list[str], edges: set[tuple[int, int]]) -> "DocEvidence":
        """`edges` holds (line index, token index) of tokens at a candidate break; they are not evidence."""
        ev = cls()
        for i, line in enumerate(lines):
            toks = [t.lower() for t in WORD.findall(line)]
            for k, tok in enumerate(toks):
                edge = (i, k) in edges or (i, k - len(toks)) in edges
                if not edge:
                    ev.words[tok] += 1
                if k and not edge and (i, k - 1) not in edges and (i, k - 1 - len(toks)) not in edges:
                    ev.bigrams[(toks[k - 1], tok)] += 1
        ev.stems = {stem(w) for w in ev.words if len(w) > 3}
        ev.sorted_words = sorted(ev.words)
        return ev

    def add(self, words: list[str], standalone: bool = True) -> None:
        """Add words found whole; `standalone=False` adds them to prefix and stem evidence only."""
        for w in words:
            if standalone:
                self.words[w] += 1
            else:
                self.halves[w] += 1
            if len(w) > 3:
                self.stems.add(stem(w))
        self.sorted_words = sorted(set(self.sorted_words) | set(words))

    def has_prefix(self, prefix: str) -> bool:
        """True when some word written whole in the document starts with `prefix`."""
        i = bisect_left(self.sorted_words, prefix)
        return i < len(self.sorted_words) and self.sorted_words[i].startswith(prefix)


class SplitJudge:
    """`should_join(left, right)`: is "left|right" one word broken across lines?"""

    def __init__(self, evidence: DocEvidence) -> None:
        self.ev = evidence
        self.zipf = wordfreq_zipf()
        self._memo: dict[tuple[str, str], bool | str] = {}  # word analyses, asked many times per document

    def _cached(self, kind: str, w: str, compute) -> bool | str:
        key = (kind, w)
        if key not in self._memo:
            self._memo[key] = compute(w)
        return self._memo[key]

    # -- what counts as a word ------------------------------------------------------------------
    def standalone(self, w: str) -> bool:
        """A word that occurs on its own: written whole in the document, or frequent in Danish."""
        return self.ev.words[w] > 0 or self.zipf.get(w, 0.0) >= STANDALONE_ZIPF

    def known(self, w: str) -> bool:
        return self.ev.words[w] > 0 or w in self.zipf

    def _lexeme(self, w: str) -> bool:
        """`w` is a known word or a known word plus an inflection ending."""
        return self._cached("lexeme", w, self._lexeme_uncached)

    def _lexeme_uncached(self, w: str) -> bool:
        for end in INFLECTIONS:
            if len(w) - len(end) >= 3 and w.endswith(end) and self.known(w[: len(w) - len(end)]):
                return True
        return False

    def _derived(self, w: str) -> bool:
        """`w` = known stem + derivation ending (+ inflection): "gear" + "ing", "prioriter(e)" + "ing"."""
        return self._cached("derived", w, self._derived_uncached)

    def _derived_uncached(self, w: str) -> bool:
        for end in DERIVATIONS:
            stem_ = w[: len(w) - len(end)]
            if len(stem_) >= 3 and w.endswith(end) and (self._lexeme(stem_) or self.known(stem_ + "e")):
                return True
        return False

    def _modifier_known(self, mod: str) -> bool:
        mods = [mod] + ([mod[:-1], mod[:-1] + "e"] if mod[-1] in "se" else [])
        return any(len(m) >= 3 and (m in PARTICLES or (m not in FUNCTION_WORDS and (self.known(m) or self._derived(m))))
                   for m in mods)

    def compound(self, word: str, boundary: int) -> bool:
        """`word` = modifier (+ linking s/e) + known head, split somewhere other than at the line break."""
        for p in range(3, len(word) - 2):
            if p == boundary:
                continue
            head, mod = word[p:], word[:p]
            if len(head) < 4 or head in FUNCTION_WORDS or not (self._lexeme(head) or self._derived(head)):
                continue
            if self._modifier_known(mod):
                return True
        return False

    def modifier(self, left: str) -> bool:
        """`left` ends in the linking -s of compounds and the document writes it as the first part of longer
        words more often than alone ("ledelses": "ledelsesniveau", "ledelseskæden"...), so it is not a
        genitive ("borgernes", "deres") or a passive ("fremmes")."""
        if len(left) < 4 or not left.endswith("s") or self.zipf.get(left, 0.0) >= 4.5:
            return False
        words = self.ev.sorted_words
        uses = 0
        for k in range(bisect_left(words, left), len(words)):
            w = words[k]
            if not w.startswith(left):
                break
            rest = w[len(left):]
            if len(rest) >= 3 and (self.known(rest) or self._lexeme(rest)):
                uses += self.ev.words[w]
        return uses > self.ev.words[left]

    def linking_s(self, left: str) -> bool:
        """A known noun ending in a consonant + the linking -s ("indhold|s"); an -e before the s marks a
        passive or a genitive ("fremmes", "andres"), -ens/-ets/-nes a definite genitive ("kommunens")."""
        base = left[:-1]
        return (left.endswith("s") and len(base) >= 4 and base[-1] not in VOWELS
                and not base.endswith(("en", "et", "ne")) and self.known(base))

    def head(self, right: str) -> bool:
        """`right` ends longer words of the document ("analyse" in "dataanalyse"): it heads compounds."""
        if len(right) < 4:
            return False
        for w in self.ev.sorted_words:
            if len(w) >= len(right) + 3 and w.endswith(right) and self._modifier_known(w[: len(w) - len(right)]):
                return True
        return False

    def definite_head(self, left: str, right: str) -> bool:
        """"ghetto|indsatsen", "kommunal|fuldmagten": a noun with its definite ending cannot follow a bare noun
        or adjective in Danish ("den kommunale fuldmagt"), so the two make one compound. Left words that may
        be verbs ("-e", "-r"), adverbs or neuter forms ("-t"), genitives ("-s") or short are not taken."""
        if len(left) < 4 or left.endswith(("e", "r", "t", "s")):
            return False
        for end in DEFINITE_ENDINGS:
            base = right[: len(right) - len(end)]
            if right.endswith(end) and len(base) >= 4 and self.known(base):
                return True
        return False

    # -- evidence for the joined form -----------------------------------------------------------
    def strong_evidence(self, left: str, right: str) -> bool:
        """The document writes the joined word (or a form of its stem that spans the break) whole."""
        joined = left + right
        if self.ev.words[joined] + self.ev.halves[joined] > self.ev.bigrams[(left, right)]:
            return True
        if len(right) >= 4 and self.ev.has_prefix(left + right[:4]):
            return True  # "ny|tænke": "nytænkning" is written whole
        s = stem(joined)
        return len(s) > len(left) + 1 and s in self.ev.stems

    def some_evidence(self, left: str, right: str) -> bool:
        joined = left + right
        return (self.strong_evidence(left, right) or joined in self.zipf or self._lexeme(joined)
                or self.ev.has_prefix(joined) or self.compound(joined, len(left)))

    def word_kind(self, w: str) -> str:
        """"word": stands alone; "plausible": a rare word that analyses as one; "fragment": neither."""
        return self._cached("kind", w, self._word_kind_uncached)

    def _word_kind_uncached(self, w: str) -> str:
        if self.standalone(w):
            return "word"
        if len(w) >= 5 and (self._lexeme(w) or self._derived(w) or self.compound(w, -1)):
            return "plausible"
        return "fragment"

    def should_join(self, left: str, right: str) -> bool:
        """Each half is a "word" (stands alone), "plausible" (a rare word by its form) or a "fragment".
        The more the halves look like words, the stronger the evidence for the joined form must be."""
        capitalised = left[:1].isupper()  # an unknown capitalised word is often a name or a label
        left, right = left.lower(), right.lower()
        if not left.isalpha() or not right.isalpha() or (left in FUNCTION_WORDS and right in FUNCTION_WORDS):
            return False
        if left in FUNCTION_WORDS:
            # "til|gange" may be "tilgange" or "til gange": the document's own usage decides, or the particle
            # compound being more common in Danish than the right word alone ("under|streger")
            return (left in PARTICLES and right not in FUNCTION_WORDS
                    and (self.strong_evidence(left, right) or self.zipf.get(left + right, 0.0) > self.zipf.get(right, 0.0)))
        if right in BOUND_ENDINGS:
            return True  # "kommuner|ne", "faglig|heden"
        left_kind, right_kind = self.word_kind(left), self.word_kind(right)
        if right in FUNCTION_WORDS:
            if left_kind != "fragment":
                return self.strong_evidence(left, right)  # "teknologi|er" only if "teknologier" is written
            # "forudsætnin|ger" joins, "idérige|og" (an unknown word, then a real one) does not; a lower-case
            # fragment cannot end a phrase, and "de", "der", "et"... are also word endings
            joined = left + right
            return (self.ev.words[joined] > 0 or joined in self.zipf or stem(joined) in self.ev.stems
                    or (not capitalised and right in ENDING_LIKE))
        if self.modifier(left) or (left_kind != "word" and self.linking_s(left) and self.head(right)):
            return True  # "ledelses|udvikling", "indholds|analyse"
        if not capitalised and self.definite_head(left, right):
            return True
        if right_kind == "fragment":
            # short unknown strings are not words ("kes", "ler"); a long one may be a rare word ("bramfri")
            return left_kind == "fragment" or len(right) <= 4 or self.some_evidence(left, right)
        if left_kind == "fragment":
            # neither half stands alone ("akkumu|leret"), or the joined form is attested
            return (right_kind == "plausible" and not capitalised) or self.some_evidence(left, right)
        if left_kind == "plausible" or right_kind == "plausible":
            return self.some_evidence(left, right)
        return self.strong_evidence(left, right)  # two real words: only the document's own usage joins them


def build_judge(lines: list[str], breaks: list[tuple[int, int, str, str]]) -> SplitJudge:
    """A judge for the line `breaks` (line, next line, left word, right word) of a document.

    Words at a break are no evidence at first (they may be fragments). After a first look, the halves of
    breaks judged to be word boundaries ("er|risikoavers") and the joined forms of split words
    ("kommunaldirektørfor|eningen") are added as words written whole, and the judge looks again."""
    edges = {(i, -1) for i, _, _, _ in breaks} | {(j, 0) for _, j, _, _ in breaks}
    evidence = DocEvidence.from_lines(lines, edges)
    first = SplitJudge(evidence)
    joined_forms: list[str] = []
    halves: list[str] = []
    for _, _, left, right in breaks:
        joined = first.should_join(left, right)
        left, right = left.lower(), right.lower()
        if joined:
            joined_forms.append(left + right)
        else:
            halves += [left, right]
    evidence.add(joined_forms)
    evidence.add(halves, standalone=False)  # a missed split must not make its halves look like words
    return SplitJudge(evidence)
