"""Chunk invariants over the whole bundled report, sentence spans, and small documents."""
from __future__ import annotations

import re

import pytest

from ingest.chunking import chunk_report
from ingest.cleaning import clean_document
from ingest.readers import load_document
from ingest.sentences import split_sentences
from ingest.settings import BUNDLED_REPORT
from ingest.structure import excluded_spans, parse_structure
from ingest.lines import split_lines, strip_span
from ingest.types import Chunk, CleanDocument

MIN, MAX = 400, 900


@pytest.fixture(scope="module")
def report():
    doc = clean_document(load_document(BUNDLED_REPORT))
    sections, quotes = parse_structure(doc)
    return doc, sections, quotes, chunk_report(doc, sections, quotes, MIN, MAX)


def section_of(sections, offset):
    return next(s for s in sections if s.start <= offset < s.end)


def quote_parts(text, quote):
    """(start, end) of the pieces of a quote between its gaps, without surrounding whitespace."""
    parts, cursor = [], quote.start
    for gap_start, gap_end in quote.gaps:
        parts.append((cursor, gap_start))
        cursor = gap_end
    return [strip_span(text, s, e) for s, e in parts + [(cursor, quote.end)]]


def test_offsets_are_exact_and_stripped(report):
    doc, _, _, chunks = report
    assert chunks
    for chunk in chunks:
        assert doc.text[chunk.start:chunk.end] == chunk.text
        assert chunk.text == chunk.text.strip()
        assert chunk.page == doc.page_at(chunk.start)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert all(a.end <= b.start for a, b in zip(chunks, chunks[1:]))


def test_no_chunk_crosses_a_section_boundary(report):
    _, sections, _, chunks = report
    for chunk in chunks:
        section = section_of(sections, chunk.start)
        assert chunk.end <= section.end
        assert chunk.section == " > ".join(section.path) and chunk.section_title == section.title


def test_every_section_opens_its_first_chunk_with_its_heading(report):
    doc, sections, _, chunks = report
    for section in sections:
        if section.title == "Forord":
            continue
        first = next((c for c in chunks if section.start <= c.start < section.end), None)
        assert first is not None, section.title
        assert first.start == section.start + len(doc.text[section.start:section.end]) - len(
            doc.text[section.start:section.end].lstrip())


def test_no_quote_is_cut_and_repeated_quotes_are_left_out(report):
    doc, _, quotes, chunks = report
    for quote in quotes:
        overlapping = [c for c in chunks if c.start < quote.end and quote.start < c.end]
        if quote.duplicate:
            assert not overlapping, quote.text[:60]
            continue
        for part_start, part_end in quote_parts(doc.text, quote):
            holders = [c for c in chunks if c.start < part_end and part_start < c.end]
            assert len(holders) == 1 and holders[0].start <= part_start and part_end <= holders[0].end, \
                quote.text[:60]


def test_sizes_within_bounds_except_where_documented(report):
    doc, sections, quotes, chunks = report
    body = [q for q in quotes if not q.duplicate]
    for index, chunk in enumerate(chunks):
        size = len(chunk.text)
        if size > MAX:
            # Only a single quote too long to cut (with at most its heading or lead-in) may exceed the maximum.
            inside = [q for q in body if chunk.start <= q.start and q.end <= chunk.end]
            assert len(inside) == 1 and (inside[0].end - inside[0].start) > 0.6 * size, chunk.text[:80]
        if size < MIN:
            # A short chunk could not be joined to a neighbour: another section, left-out text between, or too big.
            before = chunks[index - 1] if index else None
            after = chunks[index + 1] if index + 1 < len(chunks) else None
            for neighbour in (before, after):
                if neighbour is None or neighbour.section != chunk.section:
                    continue
                first, second = sorted((neighbour, chunk), key=lambda c: c.start)
                gap = doc.text[first.end:second.start]
                assert gap.strip() or second.end - first.start > MAX, chunk.text[:80]
    sizes = sorted(len(c.text) for c in chunks)
    assert sum(MIN <= s <= MAX for s in sizes) >= 0.85 * len(sizes)


def test_no_duplicate_text_and_no_furniture(report):
    doc, _, quotes, chunks = report
    normalised = [" ".join(c.text.split()).lower() for c in chunks]
    assert len(set(normalised)) == len(normalised)
    excluded = excluded_spans(split_lines(doc.text), quotes)
    for chunk in chunks:
        assert not any(chunk.start < e and s < chunk.end for s, e in excluded), chunk.text[:80]
        assert "Denne side er med vilje" not in chunk.text
        assert not re.search(r"^\s*-\s*$", chunk.text, re.MULTILINE)
    # The map of the interviewees' organisations (printed twice) yields no chunk of bare place names.
    for chunk in chunks:
        if re.search(r"Lemvig\s+Kommune|Regions\s*hospitalet", chunk.text):
            assert "•" in chunk.text, chunk.text


def test_interviewee_list_is_chunked_with_bullets_intact(report):
    _, _, _, chunks = report
    listed = [c for c in chunks if c.section_title == "Dem har vi talt med" and "•" in c.text]
    assert sum(c.text.count("•") for c in listed) == 24
    assert "Følgende topledere er blevet interviewet:" in listed[0].text
    for chunk in listed[1:]:
        assert chunk.text.startswith("•")
    for chunk in listed:
        assert chunk.text.endswith(("Udviklings- og\nforenklingsstyrelsen", ")")) or not chunk.text.endswith(",")


def test_ids_are_unique_and_stable(report):
    doc, sections, quotes, chunks = report
    again = chunk_report(doc, *parse_structure(doc), MIN, MAX)
    assert [c.id for c in again] == [c.id for c in chunks]
    assert len({c.id for c in chunks}) == len(chunks)
    assert all(re.fullmatch(r"[0-9a-f]{16}", c.id) for c in chunks)


def test_speaker_is_set_on_quote_chunks(report):
    _, _, quotes, chunks = report
    with_speaker = [c for c in chunks if c.speaker]
    assert len(with_speaker) >= 40
    assert {c.speaker for c in with_speaker} == {"Kommunal topleder", "Regional topleder", "Statslig topleder"}
    for chunk in with_speaker:  # the speaker is quoted in the chunk (part of a quote split by a call-out box counts)
        assert any(q.speaker == chunk.speaker and q.start < chunk.end and chunk.start < q.end
                   for q in quotes if not q.duplicate)
    # Retrieval narrows "what did regional leaders say" to chunks with that speaker: nearly every quote must be there.
    body = [q for q in quotes if not q.duplicate]
    tagged = sum(next(c for c in chunks if c.start <= q.start < c.end).speaker == q.speaker for q in body)
    assert tagged >= 0.9 * len(body)
    regional = next(q for q in quotes if q.text.startswith("Den faglige innovationskraft"))
    holder = next(c for c in chunks if c.start <= regional.start < c.end)
    assert holder.speaker == "Regional topleder"


def test_sentence_spans_cover_the_chunk_and_keep_quotes_reachable(report):
    _, _, quotes, chunks = report
    for chunk in chunks:
        spans = chunk.sentences
        assert spans and all(0 <= s < e <= len(chunk.text) for s, e in spans)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
        covered = set()
        for s, e in spans:
            assert chunk.text[s:e] == chunk.text[s:e].strip()
            covered.update(range(s, e))
        assert all(i in covered for i, ch in enumerate(chunk.text) if not ch.isspace())
        starts, ends = {s for s, _ in spans}, {e for _, e in spans}
        for quote in quotes:
            if not quote.duplicate and not quote.gaps and chunk.start <= quote.start and quote.end <= chunk.end:
                # The quote with its attribution is a run of whole sentences.
                assert quote.start - chunk.start in starts and quote.end - chunk.start in ends


@pytest.mark.parametrize("text, expected", [
    ("Det gælder bl.a. kommunerne. Også regionerne.", ["Det gælder bl.a. kommunerne.", "Også regionerne."]),
    ("Vi så fx. Aarhus og f.eks. Vejle mv. i 2019. Det var godt.",
     ["Vi så fx. Aarhus og f.eks. Vejle mv. i 2019.", "Det var godt."]),
    ("Interviews fra 8. november til 9. December 2019. Dvs. to måneder.",
     ["Interviews fra 8. november til 9. December 2019.", "Dvs. to måneder."]),
    ("Det er ca. 1,5 pct. Hvert år. Ifølge J. Bourgon er det nok.",
     ["Det er ca. 1,5 pct. Hvert år.", "Ifølge J. Bourgon er det nok."]),
    ("Som en sagde:\n\n“Det tager tid. Meget tid.”\n(Statslig topleder)\n\nNæste afsnit.",
     ["Som en sagde:", "“Det tager tid.", "Meget tid.”\n(Statslig topleder)", "Næste afsnit."]),
    ("Er det svært? Ja! Det er det… Men vi gør det.",
     ["Er det svært?", "Ja!", "Det er det…", "Men vi gør det."]),
    ("Følgende:\n• Anne, direktør\n• Bo, chef", ["Følgende:", "• Anne, direktør", "• Bo, chef"]),
    ("Åbent mellem kl. 17-22. Ledere er oppe i\n\n40’erne. Nyt afsnit\n\nher.\n\nSlut.",
     ["Åbent mellem kl. 17-22.", "Ledere er oppe i\n\n40’erne.", "Nyt afsnit\n\nher.", "Slut."]),
    # A figure's source line has no full stop; it runs over lower-case lines and ends at the next sentence.
    ("velfærd.\nKilde: J. Bourgon – Den Nye Syntese for offentlig\nværdiskabelse (2017)\n I det følgende ser vi.",
     ["velfærd.", "Kilde: J. Bourgon – Den Nye Syntese for offentlig\nværdiskabelse (2017)", "I det følgende ser vi."]),
])
def test_danish_sentence_splitter(text, expected):
    assert [text[s:e] for s, e in split_sentences(text)] == expected


def test_markdown_document_chunks_by_heading():
    text = ("# Rapport\n\nIndledning til rapporten.\n\n## Metode\n\n" + "Vi talte med ledere. " * 30 + "\n\n"
            "## Fund\n\nLederne savner tid. Som en sagde:\n\n“Vi har ikke tid.”\n(Kommunal topleder)\n")
    doc = CleanDocument(doc_id="md", text=text)
    chunks = chunk_report(doc, *parse_structure(doc))
    assert [c.section for c in chunks] == ["Rapport", "Rapport > Metode", "Rapport > Fund"]
    assert chunks[1].text.startswith("## Metode\n\nVi talte")
    assert chunks[2].speaker == "Kommunal topleder" and chunks[2].page is None
    assert all(isinstance(c, Chunk) and doc.text[c.start:c.end] == c.text for c in chunks)


def test_long_paragraph_is_cut_at_sentence_ends():
    sentence = "Toplederne efterspørger mere tid til innovation, bl.a. i driften. "
    text = "Overskrift om tid\n" + sentence * 40
    doc = CleanDocument(doc_id="long", text=text)
    chunks = chunk_report(doc, *parse_structure(doc))
    assert len(chunks) >= 3
    for chunk in chunks:
        assert len(chunk.text) <= MAX and chunk.text.endswith("driften.")
