"""Timing retrieval legs and the naive baseline over the gold questions, with document-level hit@k."""

from __future__ import annotations

import time
from collections.abc import Callable

from assistant.retrieval.hybrid import HybridRetriever
from bench.queries import CachedQueryEmbeddings
from bench.scale import origin_doc
from bench.stats import summarize
from evals.gold import GoldItem
from evals.metrics.retrieval import distinct, hit_at_k

LEGS: dict[str, tuple[str, ...]] = {"hybrid": ("dense", "bm25"), "dense": ("dense",), "bm25": ("bm25",)}
WARMUP = 5
Progress = Callable[[int, int, str], None]


def _scores(ranked: list[list[str]], items: list[GoldItem]) -> dict[str, float | int]:
    judged = [(docs, item.doc_ids) for docs, item in zip(ranked, items, strict=True) if item.doc_ids]
    if not judged:
        return {"n_judged": 0}
    return {
        "n_judged": len(judged),
        "hit@1": round(sum(hit_at_k(d, g, 1) for d, g in judged) / len(judged), 3),
        "hit@5": round(sum(hit_at_k(d, g, 5) for d, g in judged) / len(judged), 3),
    }


def time_leg(
    retriever: HybridRetriever,
    items: list[GoldItem],
    leg: str,
    k: int,
    embedder: CachedQueryEmbeddings,
    progress: Progress | None = None,
) -> dict:
    """One timed search per question (after a few untimed warm-up searches)."""
    legs = LEGS[leg]
    for item in items[:WARMUP]:
        retriever.search(item.question, k=k, legs=legs)
    search_ms: list[float] = []
    e2e_ms: list[float] = []
    parts: dict[str, list[float]] = {"dense_ms": [], "bm25_ms": [], "fuse_ms": []}
    ranked: list[list[str]] = []
    for n, item in enumerate(items):
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        hits = retriever.search(item.question, k=k, legs=legs, timings=timings)
        ms = (time.perf_counter() - t0) * 1000
        search_ms.append(ms)
        e2e_ms.append(ms + (embedder.embed_ms[item.question] if "dense" in legs else 0.0))
        for key, values in parts.items():
            if key in timings:
                values.append(timings[key])
        ranked.append(distinct(origin_doc(h.chunk.doc_id) for h in hits))
        if progress:
            progress(n + 1, len(items), leg)
    return {
        "leg": leg,
        "k": k,
        "end_to_end_ms": summarize(e2e_ms),
        "search_ms": summarize(search_ms),
        "parts_ms": {key: summarize(values) for key, values in parts.items() if values},
        **_scores(ranked, items),
    }


def time_naive(
    naive, items: list[GoldItem], k: int, embedder: CachedQueryEmbeddings, progress: Progress | None = None
) -> dict:  # noqa: ANN001
    """The naive LangChain baseline (``evals.naive.NaiveBaseline``) over the same questions."""
    for item in items[:WARMUP]:
        naive.search(item.question, k=k)
    search_ms: list[float] = []
    e2e_ms: list[float] = []
    ranked: list[list[str]] = []
    for n, item in enumerate(items):
        t0 = time.perf_counter()
        hits = naive.search(item.question, k=k)
        ms = (time.perf_counter() - t0) * 1000
        search_ms.append(ms)
        e2e_ms.append(ms + embedder.embed_ms[item.question])
        ranked.append(distinct(h.doc_id for h in hits))
        if progress:
            progress(n + 1, len(items), "naive")
    return {
        "leg": "naive",
        "k": k,
        "end_to_end_ms": summarize(e2e_ms),
        "search_ms": summarize(search_ms),
        "parts_ms": {},
        **_scores(ranked, items),
    }
