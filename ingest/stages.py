"""Where an ingest run's seconds go: parse, normalise, chunk, tokenise, embed, write.

Parsing overlaps embedding (the isolation worker reads the next file meanwhile), so stage times are the time each
stage itself took — in the worker or in the ingest process — and may add up to more than the run's wall time.
The bench sets them beside the embedder's own ceiling to show how far the pipeline is from it.

Normalising happens inside the loaders, in the worker; :func:`timed` tallies it per thread, and the worker
sends the tally back with each document.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

STAGES = ("parse", "normalise", "chunk", "tokenise", "embed", "write")
F = TypeVar("F", bound=Callable[..., Any])
_tally = threading.local()


def timed(stage: str) -> Callable[[F], F]:
    """Add the decorated function's time to this thread's tally for ``stage`` (nested calls count once)."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            depth = getattr(_tally, "depth", 0)
            _tally.depth = depth + 1
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                _tally.depth = depth
                if depth == 0:
                    seconds = getattr(_tally, "seconds", None) or defaultdict(float)
                    seconds[stage] += time.perf_counter() - t0
                    _tally.seconds = seconds

        return inner  # type: ignore[return-value]

    return wrap


def take_tally() -> dict[str, float]:
    """This thread's tally since the last call (and reset it)."""
    seconds = dict(getattr(_tally, "seconds", None) or {})
    _tally.seconds = defaultdict(float)
    return seconds


class StageClock:
    """Seconds per stage of one run (thread-safe)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(STAGES, 0.0)
        self._lock = threading.Lock()

    def add(self, stage: str, seconds: float) -> None:
        with self._lock:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds

    def add_tally(self, tally: dict[str, float]) -> None:
        for stage, seconds in tally.items():
            self.add(stage, seconds)

    def add_load(self, load_seconds: float, tally: dict[str, float]) -> None:
        """A file's load time from the worker: normalising as tallied, the rest is parsing."""
        normalise = tally.get("normalise", 0.0)
        self.add("normalise", normalise)
        self.add("parse", max(0.0, load_seconds - normalise))

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - t0)

    def rounded(self) -> dict[str, float]:
        return {k: round(v, 2) for k, v in self.seconds.items()}
