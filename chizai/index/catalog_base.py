"""What every catalog backend is: the interface ingest, retrieval, the evals and the corpus page use.

The catalog is the source of truth for what is served — documents, chunks, both keyword indexes, runs and
problems — whatever engine holds it (a SQLite file for one machine, PostgreSQL for several app instances). The
shared rules live here, so the backends cannot drift apart: what the keyword legs index for a chunk, how an
embedder mismatch is reported, and how a row becomes a :class:`StoredChunk`.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from chizai.index.model import Chunk, Problem
from chizai.text.bigrams import bigrams

# The two keyword indexes: Sudachi forms, and character bigrams (the retriever names the one it searches).
KEYWORD_TABLES = ("chunk_terms", "chunk_bigrams")


@dataclass
class StoredChunk:
    chunk_id: str
    doc_id: str
    idx: int
    text: str
    page: int | None
    page_label: str | None
    section: str | None
    title: str
    source: str
    metadata: dict[str, Any]


class IndexMismatchError(RuntimeError):
    """The index was built with another embedder; querying it would return nonsense."""


class IndexMissingError(FileNotFoundError):
    """No index yet (no file, or an empty database): every entry point tells the user to run ingest."""


def keyword_text(title: str, section: str | None, keywords: Any, text: str) -> str:
    """What the keyword legs index for a chunk: its title, heading, the document's keywords, and its text."""
    words = " ".join(map(str, keywords)) if isinstance(keywords, list) else str(keywords or "")
    return f"{title}\n{section or ''}\n{words}\n{text}"


def keyword_rows(
    title: str, metadata: dict[str, Any], chunks: Sequence[Chunk], terms: Sequence[Sequence[str]]
) -> Iterator[tuple[Chunk, list[str], list[str]]]:
    """(chunk, Sudachi terms, character bigrams) per chunk: the rows both keyword indexes receive."""
    for chunk, chunk_terms in zip(chunks, terms, strict=True):
        grams = bigrams(keyword_text(title, chunk.section.section, metadata.get("keywords"), chunk.text))
        yield chunk, list(chunk_terms), grams


@lru_cache(maxsize=1024)
def _parsed_metadata(raw: str) -> dict[str, Any]:
    return json.loads(raw)


def stored_chunk(row: Sequence[Any]) -> StoredChunk:
    """A chunk from (chunk_id, doc_id, idx, text, page, page_label, section, title, source, metadata).

    A document's metadata (with its duplicate sketch) is parsed once per version: a search fetches ~70 chunks of a
    few documents, and it was parsed again for every chunk and every question."""
    meta = row[9]
    return StoredChunk(*row[:9], dict(_parsed_metadata(meta)) if isinstance(meta, str) else dict(meta))


def mismatch_message(stored: str, stored_dim: str | None, name: str, dim: int) -> str:
    return (
        f"この索引は埋め込みモデル {stored} ({stored_dim}次元) で作られています。{name} ({dim}次元) で使うには "
        f"別の CHIZAI_DATA_DIR / CHIZAI_INDEX_URL に再取り込みするか、索引を消して `python -m ingest` を再実行してください。 / "
        f"The index was built with {stored} (dim {stored_dim}); re-ingest to use {name} (dim {dim})."
    )


class Catalog(ABC):
    """The catalog interface. Writes that change what is served are atomic per document."""

    # ------------------------------------------------------------------ meta
    @abstractmethod
    def get_meta(self, key: str) -> str | None: ...

    @abstractmethod
    def _put_meta(self, items: dict[str, str]) -> None:
        """Write meta keys in one transaction."""

    def check_embedder(self, name: str, dim: int, *, claim: bool) -> None:
        """Record the embedder on first use; refuse another one afterwards."""
        stored, stored_dim = self.get_meta("embedder"), self.get_meta("dim")
        if stored is None:
            if claim:
                self._put_meta({"embedder": name, "dim": str(dim)})
            return
        if stored != name or int(stored_dim or 0) != dim:
            raise IndexMismatchError(mismatch_message(stored, stored_dim, name, dim))

    # ------------------------------------------------------------- documents
    @abstractmethod
    def claim(self, doc_id: str) -> AbstractContextManager[None]:
        """Exclusive right to change one document (its catalog rows and its vectors) until the block ends.

        Concurrent ingest workers wait for each other per document, so a document is never embedded and swapped
        by two at once, and garbage collection never deletes vectors a worker has written but not yet swapped in.
        A worker that dies releases its claims.
        """

    @abstractmethod
    def document_hash(self, doc_id: str) -> str | None: ...

    @abstractmethod
    def documents(self) -> list[dict[str, Any]]:
        """Every served document: doc_id, source, path, content_hash, title, metadata (dict), chunk_count,
        pages_total, updated_at; ordered by source."""

    @abstractmethod
    def chunk_ids(self, doc_id: str | None = None) -> set[str]: ...

    @abstractmethod
    def replace_document(
        self, *, doc_id: str, source: str, path: str, content_hash: str, title: str, metadata: dict[str, Any],
        pages_total: int, chunks: list[Chunk], terms: list[list[str]],
    ) -> None:
        """Atomically swap a document's chunks and keyword rows for a new version."""

    @abstractmethod
    def update_metadata(self, doc_id: str, changes: dict[str, Any]) -> None:
        """Merge ``changes`` into a document's metadata (e.g. marking it the duplicate of a better copy)."""

    @abstractmethod
    def delete_document(self, doc_id: str) -> None: ...

    # ------------------------------------------------------------ runs, problems
    @abstractmethod
    def record_run(self, started: float, summary: dict[str, Any], problems: list[Problem]) -> None: ...

    @abstractmethod
    def problems(self) -> list[dict[str, Any]]: ...

    @abstractmethod
    def last_run(self) -> dict[str, Any] | None: ...

    # --------------------------------------------------------------- reading
    @abstractmethod
    def keyword_search(
        self, terms: list[str], limit: int, doc_ids: set[str] | None = None, *, table: str = "chunk_terms"
    ) -> list[tuple[str, float]]:
        """BM25 over one keyword index (``KEYWORD_TABLES``): (chunk_id, score) best first, higher is better."""

    @abstractmethod
    def fetch_chunks(self, chunk_ids: list[str]) -> dict[str, StoredChunk]: ...

    @abstractmethod
    def document_chunks(self, doc_id: str) -> list[StoredChunk]:
        """Every chunk of one document, in reading order."""

    @abstractmethod
    def section_texts(self, doc_id: str, heading_contains: str) -> list[str]: ...

    @abstractmethod
    def counts(self) -> dict[str, int]: ...

    @abstractmethod
    def close(self) -> None: ...
