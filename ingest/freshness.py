"""Is the store up to date? `make run` ingests only when the store is missing, corrupt or stale."""
from __future__ import annotations

import hashlib
from pathlib import Path

from ingest.embeddings import backend_id
from ingest.errors import StoreError
from ingest.parsing import file_sha256
from ingest.settings import PROJECT_ROOT, Settings
from ingest.store_layout import FORMAT, build_dir, read_manifest, read_pointer

PIPELINE_VERSION = 1  # bump when the meaning of a build changes without an ingest/*.py change


def pipeline_fingerprint() -> str:
    """Changes when any ingest code changes, so `make run` rebuilds a store made by older code."""
    digest = hashlib.sha256(f"{PIPELINE_VERSION}/{FORMAT}".encode())
    for path in sorted((PROJECT_ROOT / "ingest").glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def store_is_stale(settings: Settings, paths: list[Path]) -> bool:
    """True when the store is missing or corrupt, or `paths`, the ingest code or its settings changed."""
    try:
        pointer = read_pointer(settings.store.path)
        if pointer is None:
            return True
        manifest = read_manifest(build_dir(settings.store.path, pointer["build"]))
    except StoreError:
        return True
    if manifest.get("pipeline") != pipeline_fingerprint():
        return True
    if manifest.get("ingest_settings") != settings.ingest.model_dump(mode="json"):
        return True
    # A store built lexical-only because e5 could not load here is as fresh as this machine allows.
    e5_failed = settings.embeddings.backend == "e5" and manifest.get("embeddings") == "none" and manifest.get("notice")
    if manifest.get("embeddings") != backend_id(settings) and not e5_failed:
        return True
    stored = {source.get("sha256") for source in manifest.get("sources", {}).values()}
    try:
        return any(file_sha256(Path(p)) not in stored for p in paths)
    except OSError:
        return True
