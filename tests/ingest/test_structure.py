"""Sections and attributed quotes of the bundled report (through the real loader and cleaner) and small documents."""
from __future__ import annotations

import re

import pytest

from ingest.cleaning import clean_document
from ingest.readers import load_document
from ingest.settings import BUNDLED_REPORT
from ingest.structure import parse_structure
from ingest.types import CleanDocument, Quote, Section

KNOWN_SPEAKERS = {"Kommunal topleder", "Regional topleder", "Statslig topleder"}


def key(title: str) -> str:
    """Titles compared without spaces and hyphens: the cleaner may join a word split over two lines."""
    return re.sub(r"[\s\-]+", "", title).lower()


@pytest.fixture(scope="module")
def report() -> tuple[CleanDocument, list[Section], list[Quote]]:
    doc = clean_document(load_document(BUNDLED_REPORT))
    sections, quotes = parse_structure(doc)
    return doc, sections, quotes


def titles(sections: list[Section]) -> set[str]:
    return {key(s.title) for s in sections}


def find(sections: list[Section], title: str) -> Section:
    matches = [s for s in sections if key(s.title) == key(title)]
    assert len(matches) == 1, f"{title!r}: {len(matches)} sections"
    return matches[0]


def test_six_points_of_attention_with_full_titles_under_their_chapter(report):
    _, sections, _ = report
    numbered = [s for s in sections if re.match(r"#\d", s.title)]
    assert [key(s.title) for s in numbered] == [key(t) for t in (
        "#1 Innovationsarbejdet taber flyvehøjde i en presset drift",
        "#2 Styringslogikken hæmmer innovationsarbejdet",
        "#3 Spredningen af gode løsninger halter stadig",
        "#4 Klimadagsordenen er en bunden innovationsopgave",
        "#5 Teknologi og digitalisering fremmer innovation",
        "#6 De store udfordringer skal løses med innovation i samarbejde",
    )]
    for section in numbered:
        assert [key(p) for p in section.path] == [key("Smertensbørn og lyspunkter i innovationsarbejdet"),
                                                   key(section.title)]
        assert section.level == 2


def test_chapters_and_their_sub_headings(report):
    _, sections, _ = report
    chapters = [s.title for s in sections if s.level == 1]
    assert [key(t) for t in chapters] == [key(t) for t in (
        "Om offentlig innovation", "Forord", "Bag om analysen",
        "Smertensbørn og lyspunkter i innovationsarbejdet",
        "Det siger toplederne om innovationsarbejdet",
        "Det siger toplederne om udfordringer og strategiske dagsordener",
    )]
    expected_children = {
        "Bag om analysen": ["Sådan er analysen lavet", "Dem har vi talt med"],
        "Det siger toplederne om innovationsarbejdet": [
            "Toplederne er optaget af innovation og udvikling af den offentlige sektor",
            "Innovationsarbejdet er rykket tæt på driften", "Økonomisk pres er en drivkraft for innovation",
            "Innovation tager tid", "Innovationskraften er blevet udsultet", "Ledelse er afgørende for innovation",
            "Innovation tæt på driften stiller krav til ledelsen",
            "Ledelse af bæredygtighed og partnerskaber stiller nye krav og kræver andre greb",
            "Risikovilligheden er begrænset", "Barrierer for innovation", "Det er svært at stoppe med det gamle"],
        "Det siger toplederne om udfordringer og strategiske dagsordener": [
            "Strukturelle vilkår",
            "Digitalisering og teknologi – det vigtigste strategiske tema for de offentlige topledere",
            "Store ambitioner og en modning af dagsordenen", "Testbaseret udvikling i højt tempo",
            "Digitalisering som besparelse eller kvalitet?", "Udfordringer: Kompetencer, data og borgere",
            "Politikerne skal mere med",
            "Det private er en tæt samarbejdspartner, men rigide rammer udfordrer samarbejdet",
            "Samarbejdet i hverdagen", "Udbudsprocesser",
            "Klima, bæredygtighed og grøn omstilling – en gamechanger for de offentlige topchefer",
            "Samarbejde på tværs er stadig en hovedpine", "På tværs af professioner",
            "På tværs af organisatoriske enheder", "På tværs af sektorer"],
    }
    for parent, children in expected_children.items():
        found = [key(s.title) for s in sections if len(s.path) == 2 and key(s.path[0]) == key(parent)]
        assert found == [key(c) for c in children], parent
    # Nothing else became a heading (a body line, a map label, a figure caption, a footer).
    expected = {key(t) for t in chapters} | {key(c) for cs in expected_children.values() for c in cs}
    expected |= {key(s.title) for s in sections if re.match(r"#\d", s.title)}
    assert titles(sections) == expected


def test_sections_are_ordered_and_cover_the_text_exactly_once(report):
    doc, sections, _ = report
    assert sections[0].start == 0 and sections[-1].end == len(doc.text)
    for before, after in zip(sections, sections[1:]):
        assert before.end == after.start
    for section in sections:
        assert section.start < section.end
        assert section.path[-1] == section.title and section.level == len(section.path)
        if section.title != "Forord":  # the one untitled stretch; every other section opens with its heading
            opening = " ".join(doc.text[section.start:section.end].split())
            assert key(opening).startswith(key(section.title))


def test_foreword_is_its_own_section(report):
    doc, sections, _ = report
    foreword = find(sections, "Forord")
    assert doc.text[foreword.start:foreword.end].strip().startswith("Den offentlige sektor er innovativ.")
    assert "God læselyst!" in doc.text[foreword.start:foreword.end]
    assert "God læselyst!" not in doc.text[find(sections, "Om offentlig innovation").start:foreword.start]


def test_at_least_100_attributed_quotes_with_known_speakers(report):
    doc, _, quotes = report
    body = [q for q in quotes if not q.pull]
    assert len(body) >= 100
    assert {q.speaker for q in quotes} <= KNOWN_SPEAKERS
    for quote in body:
        assert doc.text[quote.start] in "“”"
        assert doc.text[quote.start:quote.end].rstrip().endswith(f"({quote.speaker.split()[0]} " + "topleder)") \
            or "topchef)" in doc.text[quote.start:quote.end]
        assert quote.text and quote.text[0] not in "“”" and quote.text[-1] not in "“”"


@pytest.mark.parametrize("words, speaker", [
    ("Det er en sindssygt spændende dagsorden", "Kommunal topleder"),
    ("Den faglige innovationskraft i sektoren er", "Regional topleder"),
    ("Drop ledelsesturismen til Californien", "Statslig topleder"),
    ("Det går den gale vej med vækstbetingelser", "Kommunal topleder"),  # printed "(Kommunal topchef)"
    ("Vi har grundlæggende begået den fejl", "Kommunal topleder"),  # opens with ” instead of “
])
def test_spot_checked_attributions(report, words, speaker):
    _, _, quotes = report
    found = [q for q in quotes if not q.pull and " ".join(q.text.split()).startswith(words)]
    assert len(found) == 1 and found[0].speaker == speaker


def test_pull_quotes_are_marked_as_repeats_of_their_body_quote(report):
    doc, _, quotes = report
    pulls = [q for q in quotes if q.pull]
    assert len(pulls) == 7 and all(q.duplicate for q in pulls)
    assert not any(q.duplicate for q in quotes if not q.pull)
    # "ny-orientering" in the box, "nyorientering" in the body: still recognised as the same quote.
    box = next(q for q in pulls if "orientering" in q.text)
    assert box.speaker == "Statslig topleder" and "- Statslig topleder" in doc.text[box.start:box.end]
    body = [q for q in quotes if not q.pull and "nyorientering" in q.text.replace("\n", " ")]
    assert len(body) == 1 and body[0].speaker == "Statslig topleder"


def test_a_box_printed_inside_a_body_quote_is_a_gap_of_that_quote(report):
    doc, _, quotes = report
    quote = next(q for q in quotes if q.text.startswith("Data vælter ind"))
    assert len(quote.gaps) == 1
    gap_start, gap_end = quote.gaps[0]
    assert "spareøvelse" in doc.text[gap_start:gap_end] and "spareøvelse" not in quote.text
    assert " ".join(quote.text.split()).endswith("Og at tilpasse os til borgernes behov og adfærd.")


def test_markdown_headings_give_sections_with_paths():
    text = ("# Rapport\n\nIndledende tekst om rapporten.\n\n## Metode\n\nVi har talt med 24 ledere.\n\n"
            "### Udvælgelse\n\nLederne blev udvalgt i fællesskab.\n\n## Resultater\n\nDe vigtigste fund.\n")
    sections, quotes = parse_structure(CleanDocument(doc_id="md", text=text))
    assert [s.path for s in sections] == [("Rapport",), ("Rapport", "Metode"), ("Rapport", "Metode", "Udvælgelse"),
                                          ("Rapport", "Resultater")]
    assert [s.level for s in sections] == [1, 2, 3, 2]
    assert sections[0].start == 0 and sections[-1].end == len(text)
    assert text[sections[1].start:sections[1].end].startswith("## Metode")
    assert quotes == []


def test_plain_text_headings_come_from_layout_not_from_a_list():
    text = ("Indledning\nDette notat beskriver, hvordan vi har arbejdet med brugerinddragelse i\n"
            "kommunen. Det er skrevet til ledere.\n\n"
            "Hvad vi lærte af\nforsøgene\nForsøgene viste, at borgerne gerne vil inddrages. Som en sagde:\n\n"
            "“Vi blev hørt for første gang. Det gjorde en forskel.”\n(Regional topleder)\n\n"
            "Det videre arbejde kræver tid og ledelse. Vi vender tilbage\n"
            "Senere i år med en plan.\n")
    doc = CleanDocument(doc_id="txt", text=text)
    sections, quotes = parse_structure(doc)
    assert [s.title for s in sections] == ["Indledning", "Hvad vi lærte af forsøgene"]
    assert [s.path for s in sections] == [("Indledning",), ("Indledning", "Hvad vi lærte af forsøgene")]
    assert len(quotes) == 1 and quotes[0].speaker == "Regional topleder"
    assert quotes[0].text == "Vi blev hørt for første gang. Det gjorde en forskel."


def test_text_without_headings_is_one_section():
    text = "bare en linje uden overskrift, der fortsætter.\nog en til.\n"
    sections, _ = parse_structure(CleanDocument(doc_id="plain", text=text))
    assert len(sections) == 1 and (sections[0].start, sections[0].end) == (0, len(text))


def test_same_structure_without_blank_lines(report):
    """pypdf gives text without blank lines between paragraphs: the same sections and repeats must come out."""
    doc, sections, quotes = report
    packed = CleanDocument(doc_id=doc.doc_id, text="\n".join(line for line in doc.text.split("\n") if line.strip()))
    packed_sections, packed_quotes = parse_structure(packed)
    assert [[key(t) for t in s.path] for s in packed_sections] == [[key(t) for t in s.path] for s in sections]
    assert [(q.speaker, q.pull, q.duplicate, len(q.gaps)) for q in packed_quotes] == \
        [(q.speaker, q.pull, q.duplicate, len(q.gaps)) for q in quotes]
    assert [key(q.text) for q in packed_quotes] == [key(q.text) for q in quotes]
