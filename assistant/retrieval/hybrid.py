"""Hybrid retrieval: dense (Chroma) and BM25 (Sudachi/FTS5) legs, fused, de-duplicated, capped per document.

``search()`` returns scored hits with their citation metadata for the assistant, the evals and the bench.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from langchain_core.embeddings import Embeddings

from assistant.retrieval.fusion import fuse
from assistant.retrieval.query import keyword_query
from assistant.retrieval.units import asks_definition, defines, unit_of
from chizai.index.catalog_base import Catalog, StoredChunk
from chizai.index.catalogs import open_catalog
from chizai.index.embedders import NamedEmbeddings
from chizai.index.embedding_cache import build_embedder
from chizai.index.vector_store import VectorStore
from chizai.settings import Settings
from chizai.text.bigrams import bigrams
from chizai.text.tokenizer import get_tokenizer

DEFINITION_BOOST = 1.5  # a defining passage outranks one that only uses the term (chosen on the dev split)


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

    def __init__(
        self, settings: Settings, embedder: Embeddings | None = None, k: int | None = None, catalog: Catalog | None = None
    ) -> None:
        self.settings = settings
        self.k = k or settings.top_k
        self._embedder: NamedEmbeddings = embedder or build_embedder(settings)  # type: ignore[assignment]
        self._catalog = catalog or open_catalog(settings, readonly=True)
        self._catalog.check_embedder(self._embedder.name, self._embedder.dim, claim=False)
        self._vectors = VectorStore(settings, self._embedder.name, self._embedder.dim)
        self._served: set[str] = set()
        self._served_at = -1e9

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def with_settings(self, settings: Settings) -> HybridRetriever:
        """The same index, embedder and connections under other retrieval settings (fusion studies)."""
        other = object.__new__(HybridRetriever)
        other.__dict__.update(self.__dict__)
        other.settings = settings
        return other

    def leg_lists(self, query: str, n: int | None = None) -> dict[str, list[tuple[str, float]]]:
        """Each leg's ranked (chunk id, score) list, before fusion (the learned combiner's training data)."""
        terms = get_tokenizer().tokens(keyword_query(query, self.settings.official_vocabulary))
        n = n or self.settings.candidates
        return self._legs(query, terms, ("dense", "bm25", "bigram"), n, None, None, None, {})

    @property
    def embedder_name(self) -> str:
        return self._embedder.name

    def embed(self, query: str, timings: dict[str, float] | None = None) -> list[float]:
        """The query vector (computed once per question: retrieval and the situation model share it)."""
        t0 = time.perf_counter()
        vector = self._embedder.embed_query(query)
        if timings is not None:
            timings["embed_ms"] = (time.perf_counter() - t0) * 1000
        return vector

    @staticmethod
    def _title_terms(title: str) -> set[str]:
        return set(get_tokenizer().tokens(title))

    def _served_docs(self) -> set[str]:
        """Ids of the documents the catalog serves (cached for a second: a re-ingest changes them rarely)."""
        now = time.monotonic()
        if now - self._served_at > 1.0:
            self._served, self._served_at = {d["doc_id"] for d in self._catalog.documents()}, now
        return self._served

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
        legs: tuple[str, ...] = ("dense", "bm25", "bigram"),
        timings: dict[str, float] | None = None,
        vector: Sequence[float] | None = None,
        method: str | None = None,
    ) -> list[Hit]:
        """The top ``k`` hits; ``vector`` is the query's embedding when the caller already has it."""
        k = k or self.k
        n = max(self.settings.candidates, k * 4)
        timings = timings if timings is not None else {}
        allowed = self._allowed_docs(filters)
        terms = get_tokenizer().tokens(keyword_query(query, self.settings.official_vocabulary))
        s = self.settings
        weights = {"dense": s.dense_weight, "bm25": s.bm25_weight, "bigram": s.bigram_weight}
        fusion = method or s.fusion
        # A leg the weighted fusion gives no weight cannot change the result: not searched. The learned combiner reads all.
        searched = legs if len(legs) == 1 or fusion == "learned" else tuple(leg for leg in legs if weights.get(leg))
        ranked_legs = self._legs(query, terms, searched, n, filters, allowed, vector, timings)
        t0 = time.perf_counter()
        if len(legs) == 1:
            fused = dict(next(iter(ranked_legs.values())))
        else:
            fused = fuse(ranked_legs, method=fusion, weights=weights, rrf_k=s.rrf_k)
        hits = self._select(query, terms, fused, ranked_legs, k, n, allowed)
        timings["fuse_ms"] = (time.perf_counter() - t0) * 1000
        return hits

    def _legs(
        self, query: str, terms: list[str], legs: tuple[str, ...], n: int, filters: dict[str, str] | None,
        allowed: set[str] | None, vector: Sequence[float] | None, timings: dict[str, float],
    ) -> dict[str, list[tuple[str, float]]]:
        out: dict[str, list[tuple[str, float]]] = {}
        if "dense" in legs:
            if vector is None:
                vector = self.embed(query, timings)
            t0 = time.perf_counter()
            where = {"$and": [{k_: v} for k_, v in filters.items()]} if filters and len(filters) > 1 else filters
            out["dense"] = self._vectors.query(vector, n, where=where)
            timings["dense_ms"] = (time.perf_counter() - t0) * 1000
        for leg, table, words in (("bm25", "chunk_terms", terms), ("bigram", "chunk_bigrams", None)):
            if leg in legs:
                t0 = time.perf_counter()
                keys = words if words is not None else bigrams(keyword_query(query, self.settings.official_vocabulary))
                out[leg] = self._catalog.keyword_search(keys, n, allowed, table=table)
                timings[f"{leg}_ms"] = (time.perf_counter() - t0) * 1000
        return out

    def _select(
        self, query: str, terms: list[str], fused: dict[str, float], legs: dict[str, list[tuple[str, float]]],
        k: int, n: int, allowed: set[str] | None,
    ) -> list[Hit]:
        """Best first, de-duplicated, at most ``max_chunks_per_doc`` per citable unit (a statute's article counts
        as its own unit) and ``max_chunks_per_file`` per file; definitions first for definition questions."""
        chunks = self._catalog.fetch_chunks([cid for cid, _ in sorted(fused.items(), key=lambda x: -x[1])[: n * 2]])
        term_set = set(terms)
        if asks_definition(query):
            # the law's own name is not what is asked about (「不正競争防止法で営業秘密は…」 asks about 営業秘密)
            fused = {cid: s * (DEFINITION_BOOST if cid in chunks and defines(chunks[cid].text, term_set - self._title_terms(
                chunks[cid].title)) else 1.0) for cid, s in fused.items()}
        ranked = sorted(fused.items(), key=lambda item: item[1], reverse=True)
        info = {leg: {cid: (rank, s) for rank, (cid, s) in enumerate(r)} for leg, r in legs.items()}
        hits: list[Hit] = []
        per_unit: dict[str, int] = {}
        per_file: dict[str, int] = {}
        seen_text: set[str] = set()
        for cid, score in ranked:
            chunk = chunks.get(cid)
            if chunk is None or (allowed is not None and chunk.doc_id not in allowed):
                continue  # a vector of a document version that is not (or no longer) served
            twin = chunk.metadata.get("duplicate_of")
            if twin and twin in self._served_docs():
                continue  # the same text is served in a more citable copy
            unit = unit_of(chunk.doc_id, chunk.section)
            digest = hashlib.sha1(chunk.text.encode()).hexdigest()
            if digest in seen_text or per_unit.get(unit, 0) >= self.settings.max_chunks_per_doc \
                    or per_file.get(chunk.doc_id, 0) >= self.settings.max_chunks_per_file:
                continue
            seen_text.add(digest)
            per_unit[unit] = per_unit.get(unit, 0) + 1
            per_file[chunk.doc_id] = per_file.get(chunk.doc_id, 0) + 1
            d_rank, d_score = info.get("dense", {}).get(cid, (None, None))
            b_rank, b_score = info.get("bm25", {}).get(cid, (None, None))
            chunk_terms = set(get_tokenizer().tokens(f"{chunk.title} {chunk.section or ''} {chunk.text}"))
            hits.append(Hit(chunk, score, d_score, b_score, d_rank, b_rank, sorted(term_set & chunk_terms)))
            if len(hits) >= k:
                break
        return hits
