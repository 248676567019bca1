"""The catalog: one SQLite file that is the source of truth for what is served.

It holds the document manifest (content hashes for idempotent re-ingest), every chunk's text and citation metadata,
and the BM25 keyword index (FTS5 over pre-tokenised Sudachi forms). A document's chunks and keyword rows switch
from the old to the new version in one transaction, so a crash never serves half a document; dense hits from Chroma
are only served when their chunk id is in this catalog.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from chizai.index.model import Chunk, Problem
from chizai.text.bigrams import bigrams

SCHEMA_VERSION = "2"  # 2: the character-bigram keyword leg (chunk_bigrams)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, source TEXT NOT NULL, path TEXT NOT NULL, content_hash TEXT NOT NULL,
    title TEXT NOT NULL, metadata TEXT NOT NULL, chunk_count INTEGER NOT NULL, pages_total INTEGER NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    rid INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE NOT NULL, doc_id TEXT NOT NULL, idx INTEGER NOT NULL,
    text TEXT NOT NULL, page INTEGER, page_label TEXT, section TEXT
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_terms USING fts5(terms, tokenize = 'unicode61 remove_diacritics 0');
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_bigrams USING fts5(grams, tokenize = 'unicode61 remove_diacritics 0');
CREATE TABLE IF NOT EXISTS problems (source TEXT NOT NULL, page INTEGER, reason TEXT NOT NULL, seen_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, started_at REAL, finished_at REAL, summary TEXT);
"""


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


KEYWORD_TABLES = ("chunk_terms", "chunk_bigrams")


def keyword_text(title: str, section: str | None, keywords: Any, text: str) -> str:
    """What the keyword legs index for a chunk: its title, heading, the document's keywords, and its text."""
    words = " ".join(map(str, keywords)) if isinstance(keywords, list) else str(keywords or "")
    return f"{title}\n{section or ''}\n{words}\n{text}"


def fts_query(terms: Iterable[str]) -> str:
    unique = list(dict.fromkeys(t for t in terms if t))
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in unique)


@lru_cache(maxsize=1024)
def _parsed_metadata(raw: str) -> dict[str, Any]:
    return json.loads(raw)


def _metadata(raw: str) -> dict[str, Any]:
    """A document's metadata, parsed once per version: a search fetches ~70 chunks of a few documents, and each
    document's metadata (with its duplicate sketch) was parsed again for every chunk and every question."""
    return dict(_parsed_metadata(raw))


class Catalog:
    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = path
        if readonly and not path.exists():
            raise FileNotFoundError(
                f"索引がありません / no index at {path}: 先に `python -m ingest` を実行してください / run `python -m ingest` first"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()  # one connection per thread: sqlite3 connections are not shareable
        # Every connection with the thread that opened it, so the ones of finished threads can be closed:
        # Streamlit runs each script rerun in a new thread, and a served catalog lives as long as the process.
        self._all: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._all_lock = threading.Lock()
        if not readonly:
            self._conn.executescript(_SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        """An index written before the bigram leg existed gets it from its own chunks (no re-embedding).

        Runs once, in one transaction; an index without documents yet only gets the table.
        """
        tables = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "chunks" not in tables:
            return
        missing = "chunk_bigrams" not in tables
        if not missing and self.get_meta("schema") == SCHEMA_VERSION:
            return
        with self.transaction() as conn:
            if missing:
                conn.execute("CREATE VIRTUAL TABLE chunk_bigrams USING fts5(grams, tokenize = 'unicode61 remove_diacritics 0')")
            conn.execute("DELETE FROM chunk_bigrams")
            rows = conn.execute(
                "SELECT c.rid, d.title, c.section, d.metadata, c.text FROM chunks c JOIN documents d ON d.doc_id = c.doc_id"
            ).fetchall()
            conn.executemany(
                "INSERT INTO chunk_bigrams (rowid, grams) VALUES (?, ?)",
                [(rid, " ".join(bigrams(keyword_text(title, section, json.loads(meta).get("keywords"), text))))
                 for rid, title, section, meta, text in rows],
            )
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))

    @property
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            with self._all_lock:
                self._close_orphans()
                self._all.append((threading.current_thread(), conn))
        return conn

    def _close_orphans(self) -> None:
        """Close the connections of threads that have ended (each holds file handles and a page cache)."""
        alive = []
        for thread, conn in self._all:
            if thread.is_alive():
                alive.append((thread, conn))
            else:
                conn.close()  # its thread is gone, nothing else can be using it
        self._all = alive

    @property
    def open_connections(self) -> int:
        with self._all_lock:
            return len(self._all)

    def close(self) -> None:
        with self._all_lock:
            for _, conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    # ------------------------------------------------------------------ meta
    def get_meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def check_embedder(self, name: str, dim: int, *, claim: bool) -> None:
        """Record the embedder on first use; refuse another one afterwards."""
        stored, stored_dim = self.get_meta("embedder"), self.get_meta("dim")
        if stored is None:
            if claim:
                with self.transaction() as conn:
                    conn.executemany(
                        "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                        [("embedder", name), ("dim", str(dim)), ("schema", SCHEMA_VERSION)],
                    )
            return
        if stored != name or int(stored_dim or 0) != dim:
            raise IndexMismatchError(
                f"この索引は埋め込みモデル {stored} ({stored_dim}次元) で作られています。{name} ({dim}次元) で使うには "
                f"別の CHIZAI_DATA_DIR に再取り込みするか、データを消して `python -m ingest` を再実行してください。 / "
                f"The index was built with {stored} (dim {stored_dim}); re-ingest to use {name} (dim {dim})."
            )

    # ------------------------------------------------------------- documents
    def document_hash(self, doc_id: str) -> str | None:
        row = self._conn.execute("SELECT content_hash FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        return row[0] if row else None

    def documents(self) -> list[dict[str, Any]]:
        rows = self._conn.execute(
            "SELECT doc_id, source, path, content_hash, title, metadata, chunk_count, pages_total, updated_at "
            "FROM documents ORDER BY source"
        ).fetchall()
        keys = ["doc_id", "source", "path", "content_hash", "title", "metadata", "chunk_count", "pages_total", "updated_at"]
        out = []
        for row in rows:
            item = dict(zip(keys, row, strict=True))
            item["metadata"] = json.loads(item["metadata"])
            out.append(item)
        return out

    def doc_id_for_path(self, path: str) -> str | None:
        row = self._conn.execute("SELECT doc_id FROM documents WHERE path=?", (path,)).fetchone()
        return row[0] if row else None

    def chunk_ids(self, doc_id: str | None = None) -> set[str]:
        if doc_id is None:
            return {r[0] for r in self._conn.execute("SELECT chunk_id FROM chunks")}
        return {r[0] for r in self._conn.execute("SELECT chunk_id FROM chunks WHERE doc_id=?", (doc_id,))}

    def replace_document(
        self,
        *,
        doc_id: str,
        source: str,
        path: str,
        content_hash: str,
        title: str,
        metadata: dict[str, Any],
        pages_total: int,
        chunks: list[Chunk],
        terms: list[list[str]],
    ) -> None:
        """Atomically swap a document's chunks and keyword rows for a new version."""
        with self.transaction() as conn:
            self._delete_doc_rows(conn, doc_id)
            for chunk, chunk_terms in zip(chunks, terms, strict=True):
                cur = conn.execute(
                    "INSERT INTO chunks (chunk_id, doc_id, idx, text, page, page_label, section) VALUES (?,?,?,?,?,?,?)",
                    (
                        chunk.chunk_id,
                        doc_id,
                        chunk.index,
                        chunk.text,
                        chunk.section.page,
                        chunk.section.page_label,
                        chunk.section.section,
                    ),
                )
                conn.execute("INSERT INTO chunk_terms (rowid, terms) VALUES (?, ?)", (cur.lastrowid, " ".join(chunk_terms)))
                grams = bigrams(keyword_text(title, chunk.section.section, metadata.get("keywords"), chunk.text))
                conn.execute("INSERT INTO chunk_bigrams (rowid, grams) VALUES (?, ?)", (cur.lastrowid, " ".join(grams)))
            conn.execute(
                "INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    doc_id,
                    source,
                    path,
                    content_hash,
                    title,
                    json.dumps(metadata, ensure_ascii=False, default=str),
                    len(chunks),
                    pages_total,
                    time.time(),
                ),
            )

    def update_metadata(self, doc_id: str, changes: dict[str, Any]) -> None:
        """Merge ``changes`` into a document's metadata (e.g. marking it the duplicate of a better copy)."""
        with self.transaction() as conn:
            row = conn.execute("SELECT metadata FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
            if row is not None:
                merged = {**json.loads(row[0]), **changes}
                conn.execute("UPDATE documents SET metadata=? WHERE doc_id=?", (json.dumps(merged, ensure_ascii=False), doc_id))

    def delete_document(self, doc_id: str) -> None:
        with self.transaction() as conn:
            self._delete_doc_rows(conn, doc_id)
            conn.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))

    @staticmethod
    def _delete_doc_rows(conn: sqlite3.Connection, doc_id: str) -> None:
        conn.execute("DELETE FROM chunk_terms WHERE rowid IN (SELECT rid FROM chunks WHERE doc_id=?)", (doc_id,))
        conn.execute("DELETE FROM chunk_bigrams WHERE rowid IN (SELECT rid FROM chunks WHERE doc_id=?)", (doc_id,))
        conn.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))

    # -------------------------------------------------------------- problems
    def record_run(self, started: float, summary: dict[str, Any], problems: list[Problem]) -> None:
        with self.transaction() as conn:
            now = time.time()
            sources = {p.source for p in problems} | set(summary.get("ingested_sources", []))
            conn.executemany("DELETE FROM problems WHERE source=?", [(s,) for s in sources])
            conn.executemany(
                "INSERT INTO problems VALUES (?,?,?,?)", [(p.source, p.page, p.reason, now) for p in problems]
            )
            conn.execute(
                "INSERT INTO runs (started_at, finished_at, summary) VALUES (?,?,?)",
                (started, now, json.dumps({k: v for k, v in summary.items() if k != "ingested_sources"}, ensure_ascii=False)),
            )

    def problems(self) -> list[dict[str, Any]]:
        rows = self._conn.execute("SELECT source, page, reason, seen_at FROM problems ORDER BY source, page").fetchall()
        return [dict(zip(["source", "page", "reason", "seen_at"], r, strict=True)) for r in rows]

    def last_run(self) -> dict[str, Any] | None:
        row = self._conn.execute("SELECT started_at, finished_at, summary FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        if not row:
            return None
        return {"started_at": row[0], "finished_at": row[1], **json.loads(row[2])}

    # --------------------------------------------------------------- reading
    def keyword_search(
        self, terms: list[str], limit: int, doc_ids: set[str] | None = None, *, table: str = "chunk_terms"
    ) -> list[tuple[str, float]]:
        """BM25 over an FTS5 index (``chunk_terms``: Sudachi forms; ``chunk_bigrams``: character bigrams):
        (chunk_id, score) best first, score higher is better."""
        if table not in KEYWORD_TABLES:
            raise ValueError(f"unknown keyword index {table!r}")
        query = fts_query(terms)
        if not query:
            return []
        rows = self._conn.execute(
            f"SELECT c.chunk_id, c.doc_id, -bm25({table}) AS score FROM {table} "
            f"JOIN chunks c ON c.rid = {table}.rowid WHERE {table} MATCH ? ORDER BY bm25({table}) LIMIT ?",
            (query, limit if doc_ids is None else limit * 5),
        ).fetchall()
        hits = [(cid, score) for cid, did, score in rows if doc_ids is None or did in doc_ids]
        return hits[:limit]

    def fetch_chunks(self, chunk_ids: list[str]) -> dict[str, StoredChunk]:
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        rows = self._conn.execute(
            "SELECT c.chunk_id, c.doc_id, c.idx, c.text, c.page, c.page_label, c.section, d.title, d.source, d.metadata "
            f"FROM chunks c JOIN documents d ON d.doc_id = c.doc_id WHERE c.chunk_id IN ({marks})",
            chunk_ids,
        ).fetchall()
        return {
            r[0]: StoredChunk(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], _metadata(r[9])) for r in rows
        }

    def document_chunks(self, doc_id: str) -> list[StoredChunk]:
        """Every chunk of one document, in reading order."""
        ids = [r[0] for r in self._conn.execute("SELECT chunk_id FROM chunks WHERE doc_id=? ORDER BY idx", (doc_id,))]
        found = self.fetch_chunks(ids)
        return [found[i] for i in ids if i in found]

    def section_texts(self, doc_id: str, heading_contains: str) -> list[str]:
        rows = self._conn.execute(
            "SELECT text FROM chunks WHERE doc_id=? AND section LIKE ? ORDER BY idx", (doc_id, f"%{heading_contains}%")
        ).fetchall()
        return [r[0] for r in rows]

    def counts(self) -> dict[str, int]:
        docs = self._conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        chunks = self._conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return {"documents": docs, "chunks": chunks}
