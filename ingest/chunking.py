"""Sections + quotes -> chunks of about `min_chars`-`max_chars` characters with exact offsets.

Within a section the text is cut into units: the heading (glued to what follows it), attributed quotes (never
cut; a lead-in ending in ':' is glued to its quote), and paragraphs (cut at sentence ends when longer than
`max_chars`). Furniture, repeated quotes and repeated blocks are left out. Units are packed in order until a
chunk reaches `min_chars`; a chunk never spans a section boundary nor a left-out span, so `doc.text[start:end]`
is always exactly the chunk text.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from ingest.lines import split_lines, strip_span
from ingest.sentences import split_sentences
from ingest.structure import excluded_spans
from ingest.types import Chunk, CleanDocument, Quote, Section


@dataclass
class _Unit:
    start: int
    end: int
    kind: str  # "heading" | "quote" | "text"
    quotes: list[tuple[int, int, str]]  # (start, end, speaker) of attributed quote parts inside the unit


def _cut(text: str, start: int, end: int, holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """[start, end) minus `holes`, as stripped non-empty pieces."""
    pieces, cursor = [], start
    for hole_start, hole_end in holes:
        if hole_end <= cursor or hole_start >= end:
            continue
        pieces.append(strip_span(text, cursor, max(cursor, hole_start)))
        cursor = max(cursor, hole_end)
    pieces.append(strip_span(text, cursor, end))
    return [(s, e) for s, e in pieces if s < e]


def _paragraph_units(text: str, start: int, end: int) -> list[_Unit]:
    units = []
    cursor = start
    for line in split_lines(text[start:end]) + [None]:
        if line is None or line.blank:
            stop = start + line.line_start if line is not None else end
            s, e = strip_span(text, cursor, stop)
            if s < e:
                units.append(_Unit(s, e, "text", []))
            cursor = stop
    return units


def _units(doc: CleanDocument, section: Section, quotes: list[Quote], excluded: list[tuple[int, int]],
           headings: list[tuple[int, int]], max_chars: int) -> list[_Unit]:
    text = doc.text
    atoms: list[_Unit] = []
    for h_start, h_end in headings:
        if section.start <= h_start < section.end:
            atoms.append(_Unit(h_start, h_end, "heading", []))
    for quote in quotes:
        if not quote.duplicate and section.start <= quote.start < section.end:
            for s, e in _cut(text, quote.start, min(quote.end, section.end), list(quote.gaps)):
                atoms.append(_Unit(s, e, "quote", [(s, e, quote.speaker)]))
    taken = sorted([(a.start, a.end) for a in atoms] + excluded)
    for s, e in _cut(text, section.start, section.end, taken):
        atoms.extend(_paragraph_units(text, s, e))
    atoms.sort(key=lambda u: u.start)
    return _glue(text, atoms, max_chars)


def _joinable(text: str, a: _Unit, b: _Unit) -> bool:
    return not text[a.end:b.start].strip()


def _glue(text: str, atoms: list[_Unit], max_chars: int) -> list[_Unit]:
    """Heading + what follows; a paragraph broken by a stray blank line; a lead-in ending ':' + its quote."""
    units: list[_Unit] = []
    for atom in atoms:
        prev = units[-1] if units else None
        if prev is not None and _joinable(text, prev, atom):
            tail = text[prev.start:prev.end].rstrip()
            broken_sentence = (prev.kind == "text" and atom.kind == "text" and tail[-1] not in ".!?:;”\")…"
                               and text[atom.start].islower())
            lead_in = (prev.kind == "text" and atom.kind == "quote" and tail.endswith(":")
                       and atom.end - prev.start <= max_chars)
            if prev.kind == "heading" or broken_sentence or lead_in:
                kind = atom.kind if prev.kind == "heading" or lead_in else "text"
                units[-1] = _Unit(prev.start, atom.end, kind, prev.quotes + atom.quotes)
                continue
        units.append(atom)
    return units


def _split_long(text: str, unit: _Unit, max_chars: int) -> list[_Unit]:
    """A text unit longer than `max_chars` is cut at sentence ends into near-equal pieces; quotes stay whole."""
    if unit.end - unit.start <= max_chars or unit.kind == "quote":
        return [unit]
    sentences = [(unit.start + s, unit.start + e) for s, e in split_sentences(text[unit.start:unit.end])]
    target = (unit.end - unit.start) / math.ceil((unit.end - unit.start) / max_chars)
    pieces, piece_start = [], sentences[0][0]
    for index, (s, e) in enumerate(sentences):
        last = index == len(sentences) - 1
        next_end = sentences[index + 1][1] if not last else e
        if last or e - piece_start >= target or next_end - piece_start > max_chars:
            pieces.append(_Unit(piece_start, e, "text", []))
            if not last:
                piece_start = sentences[index + 1][0]
    return pieces


# Packing costs: every chunk costs a little (fewer, fuller chunks win), a chunk under `min_chars` costs more
# the smaller it is; among equally many chunks, keeping quotes by different kinds of leader apart wins.
_CHUNK_COST = 0.2
_SHORT_COST = 2.0
_MIXED_VOICES_COST = 0.15  # below _CHUNK_COST: never worth an extra chunk, only a tie-breaker


def _cost(group: list[_Unit], min_chars: int, max_chars: int) -> float:
    size = group[-1].end - group[0].start
    if size > max_chars and len(group) > 1:
        return math.inf
    voices = {speaker for unit in group for _, _, speaker in unit.quotes}
    return (_CHUNK_COST + (_SHORT_COST * (min_chars - size) / min_chars if size < min_chars else 0.0)
            + (_MIXED_VOICES_COST if len(voices) > 1 else 0.0))


def _pack_run(run: list[_Unit], min_chars: int, max_chars: int) -> list[_Unit]:
    """Cut a run of adjacent units into chunks at the cheapest places (dynamic programming over cut points)."""
    best = [0.0] + [math.inf] * len(run)
    cut_from = [0] * (len(run) + 1)
    for end in range(1, len(run) + 1):
        for start in range(end - 1, -1, -1):
            if run[end - 1].end - run[start].start > max_chars and end - start > 1:
                break
            cost = best[start] + _cost(run[start:end], min_chars, max_chars)
            if cost < best[end]:
                best[end], cut_from[end] = cost, start
    groups, end = [], len(run)
    while end > 0:
        start = cut_from[end]
        members = run[start:end]
        groups.append(_Unit(members[0].start, members[-1].end, "mixed", [q for u in members for q in u.quotes]))
        end = start
    return groups[::-1]


def _pack(text: str, units: list[_Unit], min_chars: int, max_chars: int) -> list[_Unit]:
    """Units separated by left-out text can never share a chunk; each run of adjacent units is packed apart."""
    runs: list[list[_Unit]] = []
    for unit in units:
        if runs and _joinable(text, runs[-1][-1], unit):
            runs[-1].append(unit)
        else:
            runs.append([unit])
    return [group for run in runs for group in _pack_run(run, min_chars, max_chars)]


def _speaker(unit: _Unit) -> str | None:
    """Who is quoted in the chunk: the only kind of leader quoted, else the one with most words if at least a
    quarter of the chunk. Retrieval filters on this field, so a chunk with one short quote still names its speaker."""
    totals: dict[str, int] = {}
    for s, e, speaker in unit.quotes:
        totals[speaker] = totals.get(speaker, 0) + e - s
    if not totals:
        return None
    speaker, chars = max(totals.items(), key=lambda item: item[1])
    return speaker if len(totals) == 1 or chars >= 0.25 * (unit.end - unit.start) else None


def chunk_report(doc: CleanDocument, sections: list[Section], quotes: list[Quote],
                 min_chars: int = 400, max_chars: int = 900) -> list[Chunk]:
    """Chunks of `doc` in document order (see the module docstring for the rules)."""
    text = doc.text
    excluded = excluded_spans(split_lines(text), quotes)
    headings = [s.heading for s in sections if s.heading is not None]
    chunks: list[Chunk] = []
    seen: set[str] = set()
    for section in sections:
        units = [piece for unit in _units(doc, section, quotes, excluded, headings, max_chars)
                 for piece in _split_long(text, unit, max_chars)]
        for group in _pack(text, units, min_chars, max_chars):
            body = text[group.start:group.end]
            key = " ".join(body.split()).lower()
            if key in seen:
                continue  # the same block printed twice
            seen.add(key)
            breaks = [b - group.start for h in headings for b in h if group.start < b < group.end]
            breaks += [b - group.start for s, e, _ in group.quotes for b in (s, e) if group.start < b < group.end]
            section_path = " > ".join(section.path)
            digest = hashlib.sha1(f"{doc.doc_id}\n{section_path}\n{body}".encode()).hexdigest()[:16]
            chunks.append(Chunk(id=digest, doc_id=doc.doc_id, text=body, start=group.start, end=group.end,
                                section=section_path, section_title=section.title, page=doc.page_at(group.start),
                                speaker=_speaker(group), sentences=split_sentences(body, breaks),
                                ordinal=len(chunks)))
    return chunks
