"""Vectors shipped with the corpus, so a fresh clone answers its first question without embedding the corpus.

Embedding the shipped corpus is the one slow step of a first ``make run`` (about a minute on 2 idle cores, several
on a busy machine). ``corpus/vectors/<embedder>.npz`` holds the vector of every passage the shipped corpus yields
with the default chunking, under the same content key as the machine-wide cache (embedder, passage, text hash):
ingest looks there before it embeds. A stale file is harmless — a changed chunk has another text, hence another key,
and is embedded for real — and a file made for another embedder or format is ignored. ``make vectors``
regenerates it (``ingest/vectors.py``) and ``tests/ingest/test_vectors.py`` fails while it is stale.

The file is an uncompressed ``.npz`` with rows sorted by key, so a corpus edit changes only a few rows and git
stores the new version as a small delta.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
FORMAT = 1


@dataclass(frozen=True)
class ShippedVectors:
    """What one file holds; ``lookup`` maps a cache key to its vector."""

    embedder: str
    chunk_size: int
    chunk_overlap: int
    lookup: dict[bytes, list[float]]


def file_for(directory: Path, embedder: str) -> Path:
    slug = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in embedder)
    return directory / f"{slug}.npz"


def write(path: Path, embedder: str, chunk_size: int, chunk_overlap: int, vectors: dict[bytes, list[float]]) -> None:
    """Write the file atomically (a reader never sees half of it)."""
    keys = sorted(vectors)
    meta = {"format": FORMAT, "embedder": embedder, "chunk_size": chunk_size, "chunk_overlap": chunk_overlap}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        np.savez(
            fh,
            meta=np.array(json.dumps(meta, sort_keys=True)),
            keys=np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), -1),
            vectors=np.asarray([vectors[k] for k in keys], dtype=np.float32),
        )
    tmp.replace(path)


def read(path: Path, embedder: str) -> ShippedVectors | None:
    """The file's vectors, or None when it is missing, unreadable, or made for another embedder or format."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            keys, vectors = data["keys"], data["vectors"]
    except (OSError, ValueError, KeyError) as exc:
        log.warning("shipped vectors %s unreadable (%s): ignored", path, type(exc).__name__)
        return None
    if meta.get("format") != FORMAT or meta.get("embedder") != embedder or len(keys) != len(vectors):
        log.warning("shipped vectors %s are for %s (format %s): ignored", path, meta.get("embedder"), meta.get("format"))
        return None
    lookup = {bytes(k): v for k, v in zip(keys, vectors.tolist(), strict=True)}
    return ShippedVectors(embedder, int(meta["chunk_size"]), int(meta["chunk_overlap"]), lookup)


@lru_cache(maxsize=8)
def shipped_for(directory: Path | None, embedder: str) -> ShippedVectors | None:
    """Read once per process, directory and embedder."""
    return read(file_for(directory, embedder), embedder) if directory else None
