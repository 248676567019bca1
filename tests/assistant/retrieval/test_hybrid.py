"""Hybrid search over the shipped corpus: with weighted fusion a leg given no weight is not searched; the learned
combiner (the default) reads every leg."""

from __future__ import annotations

from assistant.retrieval.hybrid import HybridRetriever

QUESTION = "商標の更新は何年ごとですか"


def test_weighted_fusion_skips_a_leg_without_weight_and_the_learned_one_reads_all(corpus_index):
    retriever = HybridRetriever(corpus_index)
    assert corpus_index.fusion == "learned"
    timings: dict[str, float] = {}
    assert retriever.search(QUESTION, timings=timings)
    assert {"bigram_ms", "bm25_ms", "dense_ms"} <= set(timings)
    weighted = retriever.with_settings(corpus_index.model_copy(update={"fusion": "weighted", "bigram_weight": 0.0}))
    timings = {}
    assert weighted.search(QUESTION, timings=timings) and "bigram_ms" not in timings and "bm25_ms" in timings
    with_bigrams = retriever.with_settings(corpus_index.model_copy(update={"fusion": "weighted", "bigram_weight": 0.2}))
    timings = {}
    assert with_bigrams.search(QUESTION, timings=timings) and "bigram_ms" in timings
    only = weighted.search("商標の更新", legs=("bigram",))  # asked for explicitly: searched whatever its weight
    assert only
