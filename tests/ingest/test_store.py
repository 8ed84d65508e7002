"""The read side on a real store of the bundled report: dense + lexical search, filters, vectors, errors."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from ingest.errors import StoreError
from ingest.lexical import LexicalIndex
from ingest.store import ReportStore
from ingest.store_layout import read_pointer
from ingest.settings import Settings, StoreSettings


def make_settings(store_path: Path, **groups: object) -> Settings:
    return Settings(store=StoreSettings(path=store_path, chroma_url=None), **groups)


@pytest.fixture(scope="module")
def store(store_settings) -> ReportStore:
    return ReportStore.open(store_settings)


def test_store_holds_the_report_with_vectors(store: ReportStore) -> None:
    assert store.embeddings is not None and store.notice is None
    assert len(store.chunks) >= 100
    assert [c.ordinal for c in store.chunks if c.doc_id == store.chunks[0].doc_id] == sorted(
        c.ordinal for c in store.chunks if c.doc_id == store.chunks[0].doc_id)
    document = store.documents[store.chunks[0].doc_id]
    assert "innovationsdagsorden" in document.title.lower()
    for chunk in store.chunks[:20]:
        assert document.clean_text[chunk.start:chunk.end] == chunk.text
        assert store.get_chunk(chunk.id) is chunk


def test_dense_search_finds_the_topic_in_danish_and_english(store: ReportStore) -> None:
    for question in ("Hvordan påvirker klimadagsordenen innovationsarbejdet?",
                     "How does the climate agenda affect innovation work?"):
        hits = store.dense_search(question, 5)
        assert len(hits) == 5
        scores = [score for _, score in hits]
        assert scores == sorted(scores, reverse=True) and 0 < scores[-1] <= scores[0] <= 1.0001
        assert any(re.search(r"klima", chunk.text, re.I) for chunk, _ in hits[:3])


def test_dense_score_is_cosine_of_stored_vectors(store: ReportStore) -> None:
    chunk, score = store.dense_search("Risikovilligheden er begrænset", 1)[0]
    expected = float(store.chunk_vector(chunk.id) @ store.embed_query("Risikovilligheden er begrænset"))
    assert score == pytest.approx(expected, abs=1e-3)


def test_lexical_search_ranks_term_matches(store: ReportStore) -> None:
    hits = store.lexical_search("risikovillighed", 5)
    assert hits and all("risikovillig" in chunk.text.lower() for chunk, _ in hits)
    assert store.lexical_search("xyzzy quux", 5) == []
    assert store.lexical_search("", 5) == []


def test_dagsorden_finds_innovationsdagsorden(store: ReportStore) -> None:
    hits = store.lexical_search("dagsorden", 40)
    only_compound = [c for c, _ in hits if "innovationsdagsorden" in c.text.lower()
                     and not re.search(r"\bdagsorden", c.text.lower())]
    assert only_compound, "no chunk that writes only the compound was found"


def test_compound_parts_are_indexed() -> None:
    index = LexicalIndex.build(["Toplederne har en ambitiøs innovationsdagsorden.", "Budgettet blev vedtaget i går.",
                                "Kommunen samarbejder med private virksomheder."])
    assert [i for i, _ in index.search("dagsorden", 3)] == [0]
    assert [i for i, _ in index.search("innovation", 3)] == [0]


@pytest.mark.parametrize("speaker", ["Regional topleder", "Kommunal topleder"])
def test_speaker_filter_on_both_sides(store: ReportStore, speaker: str) -> None:
    where = {"speaker": speaker}
    dense = store.dense_search("samarbejde på tværs", 6, where=where)
    lexical = store.lexical_search("samarbejde", 6, where=where)
    assert dense and lexical
    assert all(c.speaker == speaker for c, _ in dense + lexical)
    # Several conditions side by side mean all of them, on both sides (Chroma itself wants "$and").
    both = {"speaker": speaker, "doc_id": store.chunks[0].doc_id}
    hits = store.dense_search("samarbejde på tværs", 6, where=both) + store.lexical_search("samarbejde", 6, where=both)
    assert hits and all(c.speaker == speaker for c, _ in hits)


def test_section_filter_selects_a_section_with_its_subsections(store: ReportStore) -> None:
    top = store.chunks[len(store.chunks) // 2].section.split(" > ")[0]
    where = {"section_1": top}
    dense = store.dense_search("innovation", 50, where=where)
    lexical = store.lexical_search("innovation", 50, where=where)
    assert dense and lexical
    assert all(c.section.split(" > ")[0] == top for c, _ in dense + lexical)
    combined = {"$and": [{"section_1": top}, {"speaker": {"$ne": "Statslig topleder"}}]}
    assert all(c.speaker != "Statslig topleder" for c, _ in store.lexical_search("innovation", 50, combined))


def test_sentence_vectors_match_the_chunk_sentences(store: ReportStore) -> None:
    chunk = next(c for c in store.chunks if len(c.sentences) >= 3)
    vectors = store.sentence_vectors(chunk.id)
    assert vectors.shape == (len(chunk.sentences), 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-3)
    first = chunk.text[chunk.sentences[0][0]:chunk.sentences[0][1]]
    recomputed = store.embeddings.passage_vectors([first])[0]
    assert float(recomputed @ vectors[0]) > 0.999
    assert store.sentence_vectors("no-such-chunk") is None


def test_query_vectors_are_cached(store: ReportStore) -> None:
    first = store.embed_query("Hvad er en bunden innovationsopgave?")
    assert store.embed_query("Hvad er en bunden innovationsopgave?") is first
    assert first.shape == (384,)


def test_lexical_only_when_embeddings_are_off(built_store: Path) -> None:
    from ingest.settings import EmbeddingSettings

    store = ReportStore.open(make_settings(built_store, embeddings=EmbeddingSettings(backend="none")))
    assert store.embeddings is None and "lexical" in store.notice
    assert store.dense_search("klima", 5) == [] and store.embed_query("klima") is None
    assert store.sentence_vectors(store.chunks[0].id) is None
    assert store.lexical_search("klima", 5)


def test_missing_store_names_ingest(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="rapportbot ingest"):
        ReportStore.open(make_settings(tmp_path / "nothing-here"))


def _current_build(root: Path) -> Path:
    return root / "builds" / read_pointer(root)["build"]


@pytest.mark.parametrize("damage", ["pointer", "manifest", "chunks", "lexical", "chroma", "stray-build"])
def test_corrupt_store_names_ingest(built_store: Path, tmp_path: Path, damage: str) -> None:
    root = tmp_path / "store"
    shutil.copytree(built_store, root)
    build = _current_build(root)
    if damage == "pointer":
        (root / "CURRENT").write_text("{not json")
    elif damage == "manifest":
        (build / "manifest.json").unlink()
    elif damage == "chunks":
        lines = (build / "chunks.jsonl").read_text().splitlines()
        (build / "chunks.jsonl").write_text("\n".join(lines[: len(lines) // 2]) + "\n")
    elif damage == "lexical":
        shutil.rmtree(build / "lexical")
    elif damage == "chroma":
        shutil.rmtree(build / "chroma")
    elif damage == "stray-build":
        (root / "CURRENT").write_text(json.dumps({"build": "gone", "previous": None}))
    with pytest.raises(StoreError, match="rapportbot ingest"):
        ReportStore.open(make_settings(root))


def test_store_directory_is_relocatable(built_store: Path, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere" / "store"
    shutil.copytree(built_store, moved)
    store = ReportStore.open(make_settings(moved))
    assert store.path.is_relative_to(moved)
    assert store.dense_search("klima", 3)
