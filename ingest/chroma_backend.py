"""Chroma through langchain-chroma: an embedded persistent store per build, or a `chroma run` server.

Always with our embedding function (Chroma's default would download a model), cosine space, telemetry
off (offline). In server mode each build is its own collection, `<collection>-<build id>`.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.errors import StoreError

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from langchain_chroma import Chroma

    from ingest.settings import Settings

COSINE = {"hnsw": {"space": "cosine"}}


def collection_name(settings: "Settings", build_id: str) -> str:
    return f"{settings.store.collection}-{build_id}"


def read_only_copy(chroma_dir: Path) -> str:
    """A private copy of a build's Chroma files in a temporary directory (removed at exit). Chroma writes
    to its database even to read it, so a store on a read-only disk is searched from the copy (~2 MB)."""
    import atexit
    import shutil
    import tempfile

    target = Path(tempfile.mkdtemp(prefix="rapportbot-chroma-")) / "chroma"
    shutil.copytree(chroma_dir, target)
    atexit.register(shutil.rmtree, target.parent, True)
    log.warning("the store at %s is read-only; searching a private copy of its vectors", chroma_dir.parent)
    return str(target)


def make_client(settings: "Settings", build_path: Path):
    """A Chroma client for this build: HttpClient when RAPPORTBOT_CHROMA_URL is set, else on-disk."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    url = settings.store.chroma_url
    if not url:
        try:
            return chromadb.PersistentClient(path=str(build_path / "chroma"), settings=chroma_settings)
        except Exception as err:
            if "readonly" not in str(err).lower() and "read-only" not in str(err).lower():
                raise
            return chromadb.PersistentClient(path=read_only_copy(build_path / "chroma"), settings=chroma_settings)
    parsed = urlparse(url if "://" in url else f"http://{url}")
    try:
        return chromadb.HttpClient(host=parsed.hostname or "localhost",
                                   port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                                   ssl=parsed.scheme == "https", settings=chroma_settings)
    except Exception as err:
        raise server_unreachable(url, err) from err


def server_unreachable(url: str, err: Exception) -> StoreError:
    return StoreError(f"cannot reach the Chroma server at {url} (RAPPORTBOT_CHROMA_URL): {type(err).__name__}: "
                      f"{err}; start it (`chroma run`), or unset RAPPORTBOT_CHROMA_URL and run `rapportbot ingest`")


class PrecomputedEmbeddings(Embeddings):
    """Hands Chroma vectors computed (or reused) earlier in the ingest, so nothing is embedded twice."""

    def __init__(self, vectors_by_text: dict[str, np.ndarray]) -> None:
        self._vectors = vectors_by_text

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vectors[t].tolist() for t in texts]

    def embed_query(self, text: str) -> list[float]:
        raise NotImplementedError("ingest-only embeddings")


def write_collection(client, name: str, ids: list[str], texts: list[str], metadatas: list[dict],
                     vectors_by_text: dict[str, np.ndarray]) -> None:
    from langchain_chroma import Chroma

    store = Chroma(client=client, collection_name=name, embedding_function=PrecomputedEmbeddings(vectors_by_text),
                   collection_configuration=COSINE)
    batch = 1000
    for start in range(0, len(ids), batch):
        store.add_texts(texts[start:start + batch], metadatas=metadatas[start:start + batch],
                        ids=ids[start:start + batch])


def open_collection(client, name: str, embeddings: Embeddings | None) -> "Chroma":
    from langchain_chroma import Chroma

    return Chroma(client=client, collection_name=name, embedding_function=embeddings,
                  create_collection_if_not_exists=False)


def drop_collection(client, name: str) -> None:
    """Best effort: a failed build's or an old build's collection (server mode)."""
    try:
        client.delete_collection(name)
    except Exception:
        pass
