"""Hybrid retrieval: dense (Chroma) and BM25 (Sudachi/FTS5) legs, fused, de-duplicated, capped per document.

``search()`` returns scored hits with their citation metadata for the assistant, the evals and the bench.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

from langchain_core.embeddings import Embeddings

from assistant.retrieval.fusion import fuse
from chizai.index.catalog import Catalog, StoredChunk
from chizai.index.embedders import NamedEmbeddings, get_embedder
from chizai.index.vector_store import VectorStore
from chizai.settings import Settings
from chizai.text.tokenizer import get_tokenizer


@dataclass
class Hit:
    chunk: StoredChunk
    score: float
    dense: float | None = None  # cosine similarity
    bm25: float | None = None
    dense_rank: int | None = None
    bm25_rank: int | None = None
    matched_terms: list[str] = field(default_factory=list)


class HybridRetriever:
    """Search over the index that ``python -m ingest`` wrote: the legs, their fusion, and the citation metadata."""

    def __init__(self, settings: Settings, embedder: Embeddings | None = None, k: int | None = None) -> None:
        self.settings = settings
        self.k = k or settings.top_k
        self._embedder: NamedEmbeddings = embedder or get_embedder(settings.embedder, settings.embed_threads)  # type: ignore[assignment]
        self._catalog = Catalog(settings.manifest_path, readonly=True)
        self._catalog.check_embedder(self._embedder.name, self._embedder.dim, claim=False)
        self._vectors = VectorStore(settings, self._embedder.name, self._embedder.dim)

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def _allowed_docs(self, filters: dict[str, str] | None) -> set[str] | None:
        if not filters:
            return None
        docs = self._catalog.documents()
        return {d["doc_id"] for d in docs if all(str(d["metadata"].get(k)) == str(v) for k, v in filters.items())}

    def search(
        self,
        query: str,
        k: int | None = None,
        filters: dict[str, str] | None = None,
        *,
        legs: tuple[str, ...] = ("dense", "bm25"),
        timings: dict[str, float] | None = None,
    ) -> list[Hit]:
        k = k or self.k
        n = max(self.settings.candidates, k * 4)
        timings = timings if timings is not None else {}
        allowed = self._allowed_docs(filters)
        dense: list[tuple[str, float]] = []
        keyword: list[tuple[str, float]] = []
        terms = get_tokenizer().tokens(query)
        if "dense" in legs:
            t0 = time.perf_counter()
            vector = self._embedder.embed_query(query)
            timings["embed_ms"] = (time.perf_counter() - t0) * 1000
            t0 = time.perf_counter()
            where = {"$and": [{k_: v} for k_, v in filters.items()]} if filters and len(filters) > 1 else filters
            dense = self._vectors.query(vector, n, where=where)
            timings["dense_ms"] = (time.perf_counter() - t0) * 1000
        if "bm25" in legs:
            t0 = time.perf_counter()
            keyword = self._catalog.keyword_search(terms, n, allowed)
            timings["bm25_ms"] = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        if legs == ("dense",):
            fused = {cid: s for cid, s in dense}
        elif legs == ("bm25",):
            fused = {cid: s for cid, s in keyword}
        else:
            fused = fuse(
                dense, keyword, method=self.settings.fusion, bm25_weight=self.settings.bm25_weight, rrf_k=self.settings.rrf_k
            )
        ranked = sorted(fused.items(), key=lambda item: item[1], reverse=True)
        chunks = self._catalog.fetch_chunks([cid for cid, _ in ranked[: n * 2]])
        dense_info = {cid: (rank, s) for rank, (cid, s) in enumerate(dense)}
        bm25_info = {cid: (rank, s) for rank, (cid, s) in enumerate(keyword)}
        hits: list[Hit] = []
        per_doc: dict[str, int] = {}
        seen_text: set[str] = set()
        term_set = set(terms)
        for cid, score in ranked:
            chunk = chunks.get(cid)
            if chunk is None:  # vector of a document version that is not (or no longer) served
                continue
            if allowed is not None and chunk.doc_id not in allowed:
                continue
            digest = hashlib.sha1(chunk.text.encode()).hexdigest()
            if digest in seen_text or per_doc.get(chunk.doc_id, 0) >= self.settings.max_chunks_per_doc:
                continue
            seen_text.add(digest)
            per_doc[chunk.doc_id] = per_doc.get(chunk.doc_id, 0) + 1
            d_rank, d_score = dense_info.get(cid, (None, None))
            b_rank, b_score = bm25_info.get(cid, (None, None))
            chunk_terms = set(get_tokenizer().tokens(f"{chunk.title} {chunk.section or ''} {chunk.text}"))
            hits.append(
                Hit(chunk, score, d_score, b_score, d_rank, b_rank, sorted(term_set & chunk_terms))
            )
            if len(hits) >= k:
                break
        timings["fuse_ms"] = (time.perf_counter() - t0) * 1000
        return hits
