"""Synthetic scale-up: replica plans, vector perturbation, and a tiny index the real retriever can search."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bench.scale import (
    Pool,
    PoolChunk,
    PoolDoc,
    build_tier,
    drop_terms,
    origin_doc,
    perturb,
    plan,
    tier_settings,
)


def test_plan_puts_real_chunks_first_then_replicas():
    assert plan(3, 2) == [(0, 0), (1, 0)]
    assert plan(3, 7) == [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1), (0, 2)]
    with pytest.raises(ValueError):
        plan(0, 5)


def test_perturb_keeps_unit_vectors_close_to_the_original():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(50, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    moved = perturb(vectors, rng, 0.25)
    assert moved.dtype == np.float32
    assert np.allclose(np.linalg.norm(moved, axis=1), 1.0, atol=1e-5)
    cosines = (moved * vectors).sum(axis=1)
    assert 0.93 < cosines.mean() < 0.99 and cosines.min() > 0.9


def test_drop_terms_keeps_at_least_one_token():
    rng = np.random.default_rng(0)
    assert drop_terms("a b c", rng, 0.0) == "a b c"
    assert drop_terms("a b c", rng, 1.0) == "a"
    kept = drop_terms(" ".join(f"t{i}" for i in range(1000)), rng, 0.1).split()
    assert 850 < len(kept) < 950
    assert origin_doc("doc-1~syn3") == "doc-1" and origin_doc("doc-1") == "doc-1"


class _FakeEmbedder:
    """Deterministic 8-dimensional vectors; only queries are embedded by the retriever."""

    name = "fake8"
    dim = 8

    def embed_query(self, text: str) -> list[float]:
        v = np.zeros(8, dtype=np.float32)
        v[len(text) % 8] = 1.0
        return v.tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(t) for t in texts]


def _pool() -> Pool:
    pool = Pool()
    meta = json.dumps({"category": "test"})
    for d in range(3):
        pool.docs[f"doc{d}"] = PoolDoc(f"doc{d}", f"doc{d}.md", f"/x/doc{d}.md", "h", f"文書{d}", meta, 1)
    for i in range(6):
        pool.chunks.append(
            PoolChunk(
                f"doc{i % 3}:c{i}",
                f"doc{i % 3}",
                i,
                f"営業秘密 の 本文 {i}",
                None,
                None,
                "節",
                f"営業 秘密 本文{i}",
            )
        )
    eye = np.eye(8, dtype=np.float32)
    pool.vectors = np.stack([eye[i] for i in range(6)])
    return pool


def test_build_tier_writes_an_index_the_hybrid_retriever_searches(tmp_path):
    from assistant.retrieval.hybrid import HybridRetriever

    info = build_tier(_pool(), 20, tmp_path / "tier", "fake8")
    assert info["chunks"] == 20 and info["chunks_in_chroma"] == 20
    assert info["real_chunks"] == 6 and info["synthetic_chunks"] == 14 and info["replicas"] == 3
    retriever = HybridRetriever(tier_settings(tmp_path / "tier"), embedder=_FakeEmbedder())
    try:
        assert retriever.catalog.counts() == {
            "documents": 11,
            "chunks": 20,
        }  # 3 × 3 documents + 2 of the partial replica
        for legs in (("dense", "bm25"), ("dense",), ("bm25",)):
            hits = retriever.search("営業秘密", k=6, legs=legs)
            assert hits, legs
            assert {origin_doc(h.chunk.doc_id) for h in hits} <= {"doc0", "doc1", "doc2"}
    finally:
        retriever.catalog.close()
