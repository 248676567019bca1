"""Retrieval against a real `chroma run` server on 127.0.0.1, including the server going away and coming back."""

from __future__ import annotations

import pytest

from assistant.container import build_assistant
from assistant.retrieval.hybrid import HybridRetriever
from chizai.index.vector_store import VectorStoreUnavailable
from ingest.pipeline import Ingestor
from tests.conftest import make_settings

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server_settings(chroma, tmp_path_factory):
    from tests.conftest import CORPUS_DOCS

    folder = tmp_path_factory.mktemp("server-docs")
    for name in ("trade-secret-three-requirements.md", "madrid-protocol-international-trademark.md", "j-platpat.md",
                 "dispute-warning-letter-received.md", "chiiki-dantai-shohyo.md"):
        (folder / name).write_bytes((CORPUS_DOCS / name).read_bytes())
    settings = make_settings(tmp_path_factory.mktemp("server-data"), chroma_url=f"http://127.0.0.1:{chroma.port}")
    ingestor = Ingestor(settings)
    report = ingestor.run([folder])
    ingestor.close()
    assert report.count("ingested") == 5
    return settings


def test_nothing_is_written_to_the_local_chroma_dir(server_settings):
    assert not server_settings.chroma_dir.exists()


@pytest.mark.parametrize(
    ("question", "doc_id"),
    [
        ("営業秘密の3要件を教えて", "trade-secret-three-requirements"),
        ("マドプロで海外に商標を出したい", "madrid-protocol-international-trademark"),
        ("先行技術を無料で調べるデータベース", "j-platpat"),
        ("地域の名前を付けた特産品のブランドを守る商標", "chiiki-dantai-shohyo"),
    ],
)
def test_hybrid_retrieval_against_the_server(server_settings, question, doc_id):
    hits = HybridRetriever(server_settings).search(question, k=3)
    assert hits[0].chunk.doc_id == doc_id


def test_server_down_gives_a_clear_error_and_recovery_needs_no_restart(chroma, server_settings):
    assistant = build_assistant(server_settings)
    assert assistant.answer("営業秘密の3要件は？").citations
    chroma.stop()
    with pytest.raises(VectorStoreUnavailable, match="接続できません"):
        assistant.answer("営業秘密の3要件は？")
    chroma.start()
    result = assistant.answer("営業秘密の3要件は？")
    assert result.citations and result.citations[0].doc_id == "trade-secret-three-requirements"
