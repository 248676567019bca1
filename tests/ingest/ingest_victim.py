"""`python -m tests.ingest.ingest_victim PATH ... [--prune]`: the real ingest CLI, killed on purpose.

Used by the SIGKILL tests in test_ingest_faults.py. It runs :func:`ingest.__main__.main` unchanged, with two
test-only changes that keep the run short and the kill points exact:

* a deterministic hash embedder replaces the neural one (crash safety is about the order of the writes to
  Chroma and the catalog, not about the vectors; a real model would make each run take half a minute), and
* ``CHIZAI_KILL_AT=<point>:<n>`` makes the process SIGKILL itself at the n-th pass through one of the points
  below — the same signal an OOM killer or ``kill -9`` sends, so nothing gets to clean up.

``CHIZAI_PROGRESS_FILE`` receives one line per embedded document, so the parent can also kill at an arbitrary
moment of its own choosing; ``CHIZAI_EMBED_DELAY`` (seconds per document) gives it time to do so.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from chizai.index.embedders import NamedEmbeddings, _as_lists

EMBEDDER_NAME = "hash-test-32"
DIM = 32
# Where the process can die. Each is a place where the index is between two writes that must not be seen apart.
KILL_POINTS = (
    "embed",  # vectors computed, nothing of this document written yet
    "after_upsert",  # new vectors in Chroma, catalog still serves the old version (or nothing)
    "mid_swap",  # inside the catalog transaction: old rows deleted, some new rows inserted, not committed
    "after_swap",  # catalog committed, stale vectors of the old version not deleted yet
    "after_prune",  # a removed file's catalog rows deleted, its vectors not yet
)


class HashEmbeddings(NamedEmbeddings):
    """Same text → same unit vector; different texts → different vectors. Cheap enough for fault tests."""

    def __init__(self, delay: float = 0.0) -> None:
        self.name = EMBEDDER_NAME
        self.dim = DIM
        self.delay = delay

    def _vector(self, text: str) -> list[float]:
        digest = hashlib.sha256(text.encode("utf-8")).digest()
        return [b - 127.5 for b in digest[:DIM]]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.delay:
            time.sleep(self.delay)
        return _as_lists([self._vector(t) for t in texts]) if texts else []  # type: ignore[arg-type]

    def embed_query(self, text: str) -> list[float]:
        return _as_lists([self._vector(text)])[0]  # type: ignore[arg-type]


def _die() -> None:
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


class _KillingConnection:
    """Delegates to the sqlite3 connection and dies after ``after`` statements (mid-transaction)."""

    def __init__(self, conn: Any, after: int) -> None:
        self._conn = conn
        self._left = after

    def execute(self, *args: Any) -> Any:
        result = self._conn.execute(*args)
        self._left -= 1
        if self._left <= 0:
            _die()
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def _install(point: str, nth: int) -> None:
    """Patch the pipeline so the process kills itself at the ``nth`` pass through ``point``."""
    from chizai.index.catalog import Catalog
    from chizai.index.vector_store import VectorStore

    passes = {"n": 0}

    def hit() -> bool:
        passes["n"] += 1
        return passes["n"] == nth

    def after(cls: type, name: str) -> None:
        original: Callable[..., Any] = getattr(cls, name)

        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(self, *args, **kwargs)
            if hit():
                _die()
            return result

        setattr(cls, name, wrapper)

    if point == "after_upsert":
        after(VectorStore, "upsert")
    elif point == "after_swap":
        after(Catalog, "replace_document")
    elif point == "after_prune":
        after(Catalog, "delete_document")
    elif point == "embed":
        after(HashEmbeddings, "embed_documents")
    elif point == "mid_swap":
        original_replace = Catalog.replace_document
        original_tx = Catalog.transaction
        armed = {"on": False}

        def replace(self: Catalog, **kwargs: Any) -> None:
            armed["on"] = hit()
            original_replace(self, **kwargs)

        @contextmanager
        def transaction(self: Catalog) -> Iterator[Any]:
            with original_tx(self) as conn:
                # 2 deletes of the old rows, then chunk/terms inserts: die after the third new row is written,
                # or, for a document that short, after its last statement but still before COMMIT.
                yield _KillingConnection(conn, after=2 + 5) if armed["on"] else conn
                if armed["on"]:
                    _die()

        Catalog.replace_document = replace  # type: ignore[method-assign]
        Catalog.transaction = transaction  # type: ignore[method-assign,assignment]
    else:
        raise SystemExit(f"unknown kill point {point!r} (expected one of {', '.join(KILL_POINTS)})")


def main(argv: list[str]) -> int:
    import ingest.pipeline
    from ingest.__main__ import main as ingest_main

    embedder = HashEmbeddings(float(os.environ.get("CHIZAI_EMBED_DELAY", "0")))
    progress = os.environ.get("CHIZAI_PROGRESS_FILE")
    if progress:
        original = HashEmbeddings.embed_documents

        def reporting(self: HashEmbeddings, texts: list[str]) -> list[list[float]]:
            vectors = original(self, texts)
            with open(progress, "a", encoding="utf-8") as fh:
                fh.write(f"{len(texts)}\n")
            return vectors

        HashEmbeddings.embed_documents = reporting  # type: ignore[method-assign]
    ingest.pipeline.build_embedder = lambda settings: embedder  # type: ignore[assignment]
    kill_at = os.environ.get("CHIZAI_KILL_AT")
    if kill_at:
        point, _, nth = kill_at.partition(":")
        _install(point, int(nth or 1))
    return ingest_main(argv)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
