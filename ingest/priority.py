"""Ingest yields to answering: an ingest run works at a lower CPU priority than the app's threads.

An operator adds documents exactly while people ask questions, on the same 2 cores. ``CHIZAI_INGEST_NICE``
(default 10) is applied to the thread that runs the ingest; the threads and processes it starts meanwhile (the
embedding workers, the isolation worker that parses files) inherit it. Linux keeps a nice value per thread, so an
ingest started from the app's コーパス page lowers only its own thread, not the threads answering questions.
With nothing else running, a niced ingest is exactly as fast; under load the kernel gives the app's threads about
ten times its share.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


@contextlib.contextmanager
def lowered_priority(nice: int) -> Iterator[None]:
    """Run the calling thread at niceness ``nice`` (if higher than now) meanwhile; restored afterwards where the
    system allows it (raising priority back needs CAP_SYS_NICE; a thread that cannot stays niced)."""
    if nice <= 0 or not hasattr(os, "setpriority"):
        yield
        return
    tid = threading.get_native_id()
    try:
        before = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, max(before, nice))
    except OSError:
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, tid, before)


def at_ingest_priority(method: F) -> F:
    """Decorate an ``Ingestor`` method to run at ``settings.ingest_nice``."""

    @functools.wraps(method)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lowered_priority(self.settings.ingest_nice):
            return method(self, *args, **kwargs)

    return run  # type: ignore[return-value]
