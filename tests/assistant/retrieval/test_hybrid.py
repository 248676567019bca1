"""Hybrid search over the shipped corpus: a leg the fusion gives no weight is not searched."""

from __future__ import annotations

from assistant.retrieval.hybrid import HybridRetriever


def test_a_leg_without_weight_is_not_searched_and_one_with_weight_is(corpus_index):
    retriever = HybridRetriever(corpus_index)
    assert corpus_index.bigram_weight == 0.0  # the default fusion leaves the bigram leg out
    timings: dict[str, float] = {}
    hits = retriever.search("商標の更新は何年ごとですか", timings=timings)
    assert hits and "bigram_ms" not in timings and "bm25_ms" in timings and "dense_ms" in timings
    weighted = retriever.with_settings(corpus_index.model_copy(update={"bigram_weight": 0.2}))
    timings = {}
    assert weighted.search("商標の更新は何年ごとですか", timings=timings) and "bigram_ms" in timings
    only = retriever.search("商標の更新", legs=("bigram",))  # asked for explicitly: searched whatever its weight
    assert only
