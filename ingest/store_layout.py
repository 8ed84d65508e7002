"""The store directory on disk: builds side by side, one pointer file naming the current one.

    <store>/CURRENT                 {"build": id, "previous": id|null}; replaced atomically (os.replace)
    <store>/builds/<id>/manifest.json   written last inside a build: a build without it is incomplete
    <store>/builds/<id>/chunks.jsonl, documents.json, vectors.npy, vectors.json, lexical/, chroma/

Every path inside is relative, so the directory can be copied or moved. An ingest writes a new build
and swaps the pointer only on success; a killed ingest leaves a stray build that the next one removes.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from ingest.errors import StoreError

POINTER = "CURRENT"
BUILDS = "builds"
MANIFEST = "manifest.json"
LOCK = ".ingest.lock"
FORMAT = 1  # bump when the on-disk layout changes


def builds_dir(root: Path) -> Path:
    return root / BUILDS


def build_dir(root: Path, build_id: str) -> Path:
    return root / BUILDS / build_id


def new_build_id() -> str:
    """Sortable by time and unique: the collection name and `ReportStore.version`."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f") + "-" + os.urandom(3).hex()


def read_pointer(root: Path) -> dict | None:
    """The pointer file's content, None when there is none; StoreError when it is unreadable."""
    path = root / POINTER
    if not path.exists():
        return None
    try:
        pointer = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(pointer, dict) or not isinstance(pointer.get("build"), str):
            raise ValueError("no build named")
        return pointer
    except (OSError, ValueError) as err:
        raise StoreError(f"the store at {root} is corrupt ({POINTER}: {err}); rebuild it with `rapportbot ingest`") from err


def write_pointer(root: Path, build_id: str, previous: str | None) -> None:
    """Swap the current build atomically: readers see the old or the new pointer, never half of one."""
    tmp = root / f"{POINTER}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump({"build": build_id, "previous": previous}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, root / POINTER)
    _fsync_dir(root)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_manifest(directory: Path) -> dict:
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise StoreError(f"the store build {directory} is missing or corrupt ({err}); "
                         "rebuild it with `rapportbot ingest`") from err
    if manifest.get("format") != FORMAT:
        raise StoreError(f"the store at {directory} was written by another rapportbot version; "
                         "rebuild it with `rapportbot ingest`")
    return manifest


def write_json(path: Path, data: object) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False)
        handle.flush()
        os.fsync(handle.fileno())


@contextmanager
def ingest_lock(root: Path) -> Iterator[None]:
    """One ingest at a time per store (a second one fails fast instead of racing the pointer)."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        handle = open(root / LOCK, "w")
    except OSError as err:
        raise StoreError(f"cannot write the store at {root}: {err.strerror or err} - ingest needs a writable "
                         "store directory (the previous build is untouched)") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(f"another `rapportbot ingest` is writing {root}; wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remove_stale_builds(root: Path, keep: set[str]) -> list[str]:
    """Delete builds other than `keep` (the current and previous one: a reader may still use those)."""
    removed = []
    directory = builds_dir(root)
    if not directory.is_dir():
        return removed
    for child in directory.iterdir():
        if child.name not in keep:
            shutil.rmtree(child, ignore_errors=True)
            removed.append(child.name)
    return removed
