"""Client/server mode against a real `chroma run` on 127.0.0.1: ingest, search, server gone, server back."""
from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from ingest.errors import StoreError
from ingest.pipeline import ingest_files
from ingest.settings import PROJECT_ROOT, Settings, StoreSettings
from ingest.store import ReportStore

pytestmark = pytest.mark.chroma_server

CHROMA = PROJECT_ROOT / ".venv" / "bin" / "chroma"
TEXT = """Regionernes arbejde med sundhedsinnovation

Regionerne tester nye behandlingsformer i tæt samarbejde med hospitalerne. En regional topleder \
fortæller, at telemedicin har gjort det muligt at følge patienter hjemme i stedet for på sengeafsnit.

Kommunerne arbejder især med velfærdsteknologi i ældreplejen, hvor robotstøvsugere og skærmbesøg \
frigør tid til omsorg. Erfaringerne spredes gennem fælles netværk på tværs af kommunegrænser.
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ChromaServer:
    def __init__(self, path: Path, port: int) -> None:
        self.path, self.port, self.process = path, port, None
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> None:
        self.process = subprocess.Popen([str(CHROMA), "run", "--path", str(self.path), "--port", str(self.port),
                                         "--host", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "chroma run exited"
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("chroma run did not answer its heartbeat within 60 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture()
def chroma_server(tmp_path: Path):
    server = ChromaServer(tmp_path / "chroma-data", free_port())
    server.start()
    yield server
    server.stop()


def test_ingest_into_a_chroma_server_and_search(chroma_server: ChromaServer, tmp_path: Path) -> None:
    source = tmp_path / "region.txt"
    source.write_text(TEXT, encoding="utf-8")
    settings = Settings(store=StoreSettings(path=tmp_path / "store", chroma_url=chroma_server.url))
    summary = ingest_files([source], settings, progress=False)
    assert summary.embedded > 0
    assert not (tmp_path / "store" / "builds" / summary.version / "chroma").exists()  # vectors live on the server

    store = ReportStore.open(settings)
    assert store.manifest["chroma"] == "server"
    hit, score = store.dense_search("Which technology helps in elder care?", 1)[0]
    assert "velfærdsteknologi" in hit.text and score > 0.7
    assert store.lexical_search("telemedicin", 1)

    # A second ingest swaps collections on the server; the old one stays for readers, older ones go.
    second = ingest_files([source], settings, progress=False)
    third = ingest_files([source], settings, progress=False)
    assert second.embedded == 0 and third.embedded == 0
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.HttpClient(host="127.0.0.1", port=chroma_server.port,
                                 settings=ChromaSettings(anonymized_telemetry=False))
    names = {c.name for c in client.list_collections()}
    assert names == {f"rapport-{second.version}", f"rapport-{third.version}"}

    # The server goes away: a clear error, not a traceback from deep inside the client.
    store = ReportStore.open(settings)
    chroma_server.stop()
    with pytest.raises(StoreError, match="Chroma server"):
        store.dense_search("velfærdsteknologi i ældreplejen", 2)
    with pytest.raises(StoreError, match="Chroma server"):
        ReportStore.open(settings)
    # ... and it comes back: the same store answers again.
    chroma_server.start()
    assert store.dense_search("velfærdsteknologi i ældreplejen", 1)[0][0].id == hit.id
    assert ReportStore.open(settings).version == third.version


def test_settings_mismatch_is_explained(chroma_server: ChromaServer, tmp_path: Path) -> None:
    source = tmp_path / "region.txt"
    source.write_text(TEXT, encoding="utf-8")
    ingest_files([source], Settings(store=StoreSettings(path=tmp_path / "store", chroma_url=chroma_server.url)),
                 progress=False)
    with pytest.raises(StoreError, match="RAPPORTBOT_CHROMA_URL"):
        ReportStore.open(Settings(store=StoreSettings(path=tmp_path / "store", chroma_url=None)))
