"""The catalog on PostgreSQL (``CHIZAI_INDEX_URL``), for several app instances and ingest workers on other hosts.

Same contract as the SQLite catalog: a document's chunks and keyword rows switch in one transaction, and only
chunk ids the catalog knows are served. What PostgreSQL adds:

* Claims are session advisory locks (one per document) on a connection held for the whole claim, and every catalog
  call the claiming thread makes meanwhile runs on that same connection. So a swap can only commit while its
  worker still holds the claim: if the worker dies, or the server restarts, the lock goes with the session and the
  uncommitted swap with it.
* Calls outside a claim are retried on transient errors (a restart, a dropped connection; :mod:`chizai.retry`), so
  a question asked while the server restarts waits a moment instead of failing. Inside a claim nothing is retried
  here: the claim is gone with its connection, and the ingest worker retries the whole document.
* Connections are autocommit; writes open their own transaction. The pool pings before use, so connections that a
  restart broke are replaced.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
import sqlalchemy as sa
from psycopg.types.json import Jsonb

from chizai.index import pg_keyword, pg_schema
from chizai.index.catalog_base import (
    KEYWORD_TABLES,
    Catalog,
    IndexMissingError,
    StoredChunk,
    keyword_rows,
    stored_chunk,
)
from chizai.index.model import Chunk, Problem
from chizai.logsafe import text_allowed
from chizai.retry import RetryPolicy, run_with_retry

T = TypeVar("T")
# Rides out a restart of a few seconds (full jitter: the expected wait before giving up is about 15 s).
READ_RETRY = RetryPolicy(attempts=30, base_delay=0.05, max_delay=1.0)
CLAIM_NAMESPACE = 7_231_004  # first key of every document claim (pg_advisory_lock(int, int))
_CHUNK_COLUMNS = "c.chunk_id, c.doc_id, c.idx, c.text, c.page, c.page_label, c.section, d.title, d.source, d.metadata"
_CHUNKS = f"SELECT {_CHUNK_COLUMNS} FROM catalog_chunks c JOIN catalog_documents d ON d.doc_id = c.doc_id"


class PostgresCatalog(Catalog):
    def __init__(self, url: str, *, readonly: bool = False, retry: RetryPolicy | None = None) -> None:
        self.url = url
        self.retry = retry or READ_RETRY
        # hide_parameters: a failing statement must not quote document text into the logs unless allowed.
        self.engine = sa.create_engine(
            url, pool_pre_ping=True, pool_size=5, max_overflow=10, hide_parameters=not text_allowed()
        )
        self._local = threading.local()  # the claim's connection of this thread, if any
        try:
            if readonly:
                self._require_schema()
            else:
                run_with_retry(lambda: pg_schema.migrate(self.engine), self.retry, what="catalog migration")
        except BaseException:
            self.engine.dispose()
            raise

    def _require_schema(self) -> None:
        current = run_with_retry(lambda: pg_schema.current_revision(self.engine), self.retry, what="catalog check")
        if current != pg_schema.head_revision():
            raise IndexMissingError(
                f"索引がありません / no catalog (schema {current or 'missing'}) at {sa.make_url(self.url).render_as_string()}: "
                "先に `python -m ingest` を実行してください / run `python -m ingest` first"
            )

    # ------------------------------------------------------------- connections
    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        held = getattr(self._local, "conn", None)
        if held is not None:
            yield held
            return
        fairy = self.engine.raw_connection()
        try:
            conn = fairy.driver_connection
            conn.autocommit = True
            yield conn
        except (psycopg.OperationalError, psycopg.InterfaceError):
            fairy.invalidate()  # broken by a restart: never hand it out again
            raise
        finally:
            fairy.close()

    def _run(self, fn: Callable[[psycopg.Connection], T], what: str) -> T:
        def attempt() -> T:
            with self._connection() as conn:
                return fn(conn)

        if getattr(self._local, "conn", None) is not None:
            return attempt()
        return run_with_retry(attempt, self.retry, what=what)

    def _rows(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        return self._run(lambda conn: conn.execute(sql, params).fetchall(), "catalog read")

    @contextmanager
    def claim(self, doc_id: str) -> Iterator[None]:
        if getattr(self._local, "conn", None) is not None:
            raise RuntimeError("one claim at a time per thread")
        fairy = run_with_retry(self.engine.raw_connection, self.retry, what="catalog claim")
        conn = fairy.driver_connection
        conn.autocommit = True
        try:
            conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (CLAIM_NAMESPACE, doc_id))
            self._local.conn = conn
            try:
                yield
            finally:
                self._local.conn = None
            conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (CLAIM_NAMESPACE, doc_id))
        except BaseException:
            fairy.invalidate()  # closing the session releases the lock, whatever state it is in
            raise
        finally:
            fairy.close()

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ meta
    def get_meta(self, key: str) -> str | None:
        rows = self._rows("SELECT value FROM catalog_meta WHERE key = %s", (key,))
        return rows[0][0] if rows else None

    def _put_meta(self, items: dict[str, str]) -> None:
        def write(conn: psycopg.Connection) -> None:
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO catalog_meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                    list(items.items()),
                )

        self._run(write, "catalog meta")

    # ------------------------------------------------------------- documents
    def document_hash(self, doc_id: str) -> str | None:
        rows = self._rows("SELECT content_hash FROM catalog_documents WHERE doc_id = %s", (doc_id,))
        return rows[0][0] if rows else None

    def documents(self) -> list[dict[str, Any]]:
        keys = ["doc_id", "source", "path", "content_hash", "title", "metadata", "chunk_count", "pages_total", "updated_at"]
        rows = self._rows(f"SELECT {', '.join(keys)} FROM catalog_documents ORDER BY source, doc_id")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def chunk_ids(self, doc_id: str | None = None) -> set[str]:
        if doc_id is None:
            return {r[0] for r in self._rows("SELECT chunk_id FROM catalog_chunks")}
        return {r[0] for r in self._rows("SELECT chunk_id FROM catalog_chunks WHERE doc_id = %s", (doc_id,))}

    def replace_document(
        self, *, doc_id: str, source: str, path: str, content_hash: str, title: str, metadata: dict[str, Any],
        pages_total: int, chunks: list[Chunk], terms: list[list[str]],
    ) -> None:
        """Atomically swap a document's chunks and keyword rows for a new version (statistics last, so
        concurrent workers hold the shared statistics rows only for the end of their transactions)."""
        rows = list(keyword_rows(title, metadata, chunks, terms))

        def write(conn: psycopg.Connection) -> None:
            with conn.transaction(), conn.cursor() as cur:
                delta = self._delete_rows(cur, doc_id)
                rids = _insert_chunks(cur, doc_id, chunks)
                for table, column in zip(KEYWORD_TABLES, (1, 2), strict=True):
                    added = pg_keyword.write_postings(cur, table, [(rids[r[0].chunk_id], r[column]) for r in rows])
                    delta[table] = (delta[table][0] + added[0], delta[table][1] + added[1])
                cur.execute(
                    "INSERT INTO catalog_documents VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (doc_id) DO UPDATE "
                    "SET source = EXCLUDED.source, path = EXCLUDED.path, content_hash = EXCLUDED.content_hash, "
                    "title = EXCLUDED.title, metadata = EXCLUDED.metadata, chunk_count = EXCLUDED.chunk_count, "
                    "pages_total = EXCLUDED.pages_total, updated_at = EXCLUDED.updated_at",
                    (doc_id, source, path, content_hash, title, _jsonb(metadata), len(chunks), pages_total, time.time()),
                )
                for table, (n, tokens) in delta.items():
                    pg_keyword.add_stats(cur, table, n, tokens)

        self._run(write, "catalog swap")

    def update_metadata(self, doc_id: str, changes: dict[str, Any]) -> None:
        """One statement (``||`` merges JSON objects), so a concurrent swap of the same row is never half-merged."""
        self._run(lambda conn: conn.execute("UPDATE catalog_documents SET metadata = metadata || %s WHERE doc_id = %s",
                                            (_jsonb(changes), doc_id)), "catalog metadata")

    def delete_document(self, doc_id: str) -> None:
        def write(conn: psycopg.Connection) -> None:
            with conn.transaction(), conn.cursor() as cur:
                delta = self._delete_rows(cur, doc_id)
                cur.execute("DELETE FROM catalog_documents WHERE doc_id = %s", (doc_id,))
                for table, (n, tokens) in delta.items():
                    pg_keyword.add_stats(cur, table, n, tokens)

        self._run(write, "catalog delete")

    @staticmethod
    def _delete_rows(cur: psycopg.Cursor, doc_id: str) -> dict[str, tuple[int, int]]:
        """Delete a document's chunks (their postings cascade); returns the statistics delta per keyword index."""
        delta = {}
        for table in KEYWORD_TABLES:
            n, tokens = pg_keyword.removed_stats(cur, table, doc_id)
            delta[table] = (-n, -tokens)
        cur.execute("DELETE FROM catalog_chunks WHERE doc_id = %s", (doc_id,))
        return delta

    # -------------------------------------------------------------- problems
    def record_run(self, started: float, summary: dict[str, Any], problems: list[Problem]) -> None:
        def write(conn: psycopg.Connection) -> None:
            now = time.time()
            sources = sorted({p.source for p in problems} | set(summary.get("ingested_sources", [])))
            with conn.transaction(), conn.cursor() as cur:
                cur.execute("DELETE FROM catalog_problems WHERE source = ANY(%s)", (sources,))
                cur.executemany(
                    "INSERT INTO catalog_problems (source, page, reason, seen_at) VALUES (%s, %s, %s, %s)",
                    [(p.source, p.page, p.reason, now) for p in problems],
                )
                cur.execute(
                    "INSERT INTO catalog_runs (started_at, finished_at, summary) VALUES (%s, %s, %s)",
                    (started, now, _jsonb({k: v for k, v in summary.items() if k != "ingested_sources"})),
                )

        self._run(write, "catalog run")

    def problems(self) -> list[dict[str, Any]]:
        rows = self._rows("SELECT source, page, reason, seen_at FROM catalog_problems ORDER BY source, page NULLS FIRST")
        return [dict(zip(["source", "page", "reason", "seen_at"], r, strict=True)) for r in rows]

    def last_run(self) -> dict[str, Any] | None:
        rows = self._rows("SELECT started_at, finished_at, summary FROM catalog_runs ORDER BY id DESC LIMIT 1")
        if not rows:
            return None
        started, finished, summary = rows[0]
        return {"started_at": started, "finished_at": finished, **summary}

    # --------------------------------------------------------------- reading
    def keyword_search(
        self, terms: list[str], limit: int, doc_ids: set[str] | None = None, *, table: str = "chunk_terms"
    ) -> list[tuple[str, float]]:
        pg_keyword.table_for(table)  # an unknown index fails before any connection is used
        return self._run(lambda conn: pg_keyword.search(conn, table, terms, limit, doc_ids), "keyword search")

    def fetch_chunks(self, chunk_ids: list[str]) -> dict[str, StoredChunk]:
        if not chunk_ids:
            return {}
        return {r[0]: stored_chunk(r) for r in self._rows(f"{_CHUNKS} WHERE c.chunk_id = ANY(%s)", (chunk_ids,))}

    def document_chunks(self, doc_id: str) -> list[StoredChunk]:
        return [stored_chunk(r) for r in self._rows(f"{_CHUNKS} WHERE c.doc_id = %s ORDER BY c.idx", (doc_id,))]

    def section_texts(self, doc_id: str, heading_contains: str) -> list[str]:
        rows = self._rows(
            "SELECT text FROM catalog_chunks WHERE doc_id = %s AND strpos(section, %s) > 0 ORDER BY idx",
            (doc_id, heading_contains),
        )
        return [r[0] for r in rows]

    def counts(self) -> dict[str, int]:
        rows = self._rows("SELECT (SELECT count(*) FROM catalog_documents), (SELECT count(*) FROM catalog_chunks)")
        return {"documents": int(rows[0][0]), "chunks": int(rows[0][1])}


def _jsonb(value: dict[str, Any]) -> Jsonb:
    """JSON with Japanese kept readable (psql shows 営業秘密, not \\u escapes), like the SQLite catalog."""
    return Jsonb(value, dumps=lambda v: json.dumps(v, ensure_ascii=False, default=str))


def _insert_chunks(cur: psycopg.Cursor, doc_id: str, chunks: list[Chunk]) -> dict[str, int]:
    """Insert a document's chunks in one statement; their row ids by chunk id."""
    cur.execute(
        "INSERT INTO catalog_chunks (chunk_id, doc_id, idx, text, page, page_label, section) "
        "SELECT u.cid, %s, u.idx, u.text, u.page, u.label, u.section FROM unnest("
        "%s::text[], %s::int[], %s::text[], %s::int[], %s::text[], %s::text[]) AS u(cid, idx, text, page, label, section) "
        "RETURNING chunk_id, rid",
        (
            doc_id,
            [c.chunk_id for c in chunks],
            [c.index for c in chunks],
            [c.text for c in chunks],
            [c.section.page for c in chunks],
            [c.section.page_label for c in chunks],
            [c.section.section for c in chunks],
        ),
    )
    return dict(cur.fetchall())
