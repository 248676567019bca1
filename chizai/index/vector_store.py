"""The dense leg: a Chroma collection, embedded under CHIZAI_DATA_DIR or on a Chroma server (CHIZAI_CHROMA_URL)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

import chromadb
from chromadb.config import Settings as ChromaSettings

from chizai.settings import Settings

_CLIENTS: dict[str, Any] = {}
_LOCK = threading.Lock()


class VectorStoreUnavailable(RuntimeError):
    """The Chroma server cannot be reached; shown to users as a clear message, retried on the next request."""


def _client(settings: Settings) -> Any:
    key = settings.chroma_url or str(settings.chroma_dir.resolve())
    with _LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
            if settings.chroma_url:
                url = urlparse(settings.chroma_url)
                client = chromadb.HttpClient(
                    host=url.hostname or "127.0.0.1",
                    port=url.port or (443 if url.scheme == "https" else 8000),
                    ssl=url.scheme == "https",
                    settings=chroma_settings,
                )
            else:
                settings.chroma_dir.mkdir(parents=True, exist_ok=True)
                client = chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
            _CLIENTS[key] = client
        return client


def _forget_client(settings: Settings) -> None:
    with _LOCK:
        _CLIENTS.pop(settings.chroma_url or str(settings.chroma_dir.resolve()), None)


class VectorStore:
    """Thin wrapper: explicit ids and precomputed embeddings, cosine space, metadata for filters."""

    def __init__(self, settings: Settings, embedder_name: str, dim: int) -> None:
        self.settings = settings
        self.embedder_name = embedder_name
        self.dim = dim
        self._collection = None

    def _col(self) -> Any:
        if self._collection is None:
            try:
                self._collection = _client(self.settings).get_or_create_collection(
                    name=self.settings.collection,
                    metadata={"hnsw:space": "cosine", "embedder": self.embedder_name, "dim": self.dim},
                )
            except Exception as exc:  # noqa: BLE001 - chromadb raises many connection error types
                _forget_client(self.settings)
                raise VectorStoreUnavailable(_unavailable(self.settings, exc)) from exc
        return self._collection

    def _call(self, fn: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self._col(), fn)(*args, **kwargs)
        except VectorStoreUnavailable:
            raise
        except Exception as exc:
            if self.settings.chroma_url and _is_connection_error(exc):
                self._collection = None  # reconnect on the next call: the server may come back
                _forget_client(self.settings)
                raise VectorStoreUnavailable(_unavailable(self.settings, exc)) from exc
            raise

    def upsert(self, ids: Sequence[str], embeddings: Sequence[Sequence[float]], metadatas: Sequence[dict]) -> None:
        for start in range(0, len(ids), 1000):
            self._call(
                "upsert",
                ids=list(ids[start : start + 1000]),
                embeddings=[list(e) for e in embeddings[start : start + 1000]],
                metadatas=list(metadatas[start : start + 1000]),
            )

    def delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for start in range(0, len(ids), 1000):
            self._call("delete", ids=ids[start : start + 1000])

    def all_ids(self) -> set[str]:
        ids: set[str] = set()
        offset = 0
        while True:
            batch = self._call("get", include=[], limit=5000, offset=offset)["ids"]
            ids.update(batch)
            if len(batch) < 5000:
                return ids
            offset += len(batch)

    def documents_of(self, ids: Sequence[str]) -> dict[str, str]:
        """Chunk id → the doc_id in its metadata."""
        found: dict[str, str] = {}
        for start in range(0, len(ids), 1000):
            got = self._call("get", ids=list(ids[start : start + 1000]), include=["metadatas"])
            found.update({i: str((m or {}).get("doc_id", "")) for i, m in zip(got["ids"], got["metadatas"], strict=True)})
        return found

    def ids_of(self, doc_id: str) -> set[str]:
        """Every vector id of one document."""
        return set(self._call("get", where={"doc_id": doc_id}, include=[])["ids"])

    def count(self) -> int:
        return int(self._call("count"))

    def query(self, embedding: Sequence[float], n: int, where: dict | None = None) -> list[tuple[str, float]]:
        """(chunk_id, cosine similarity) best first."""
        result = self._call(
            "query", query_embeddings=[list(embedding)], n_results=max(1, n), where=where or None, include=["distances"]
        )
        return [(cid, 1.0 - float(dist)) for cid, dist in zip(result["ids"][0], result["distances"][0], strict=True)]


def _is_connection_error(exc: Exception) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return any(w in text for w in ("connect", "timeout", "timed out", "refused", "unavailable", "remote", "reset"))


def _unavailable(settings: Settings, exc: Exception) -> str:
    return (
        f"ベクトル検索サーバー ({settings.chroma_url or settings.chroma_dir}) に接続できません。しばらくしてから再度お試しください。 / "
        f"Vector store unavailable: {type(exc).__name__}"
    )
