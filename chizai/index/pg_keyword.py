"""BM25 in PostgreSQL over postings tables, scored like SQLite FTS5's ``bm25()``.

Why postings and not ``tsvector``: ``ts_rank_cd`` has no inverse document frequency, and on the gold sets it
ranked worse than FTS5 (``evals/reports/keyword_scoring.md``); BM25 computed in SQL over (term, chunk, tf, dl)
rows with the corpus statistics in ``catalog_keyword_stats`` reproduces FTS5's ranking.

The rows are cut the way FTS5's ``unicode61`` tokenizer cuts the indexed string (letters, digits and private-use
characters are token characters, everything else separates), so the term frequencies and lengths match the SQLite
index; the query takes each quoted term's tokens (FTS5 would take a multi-token term as a phrase: rare, and the
only place the two can differ).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from chizai.index.catalog_base import KEYWORD_TABLES

K1, B = 1.2, 0.75  # FTS5's bm25() defaults
POSTINGS = {"chunk_terms": "catalog_chunk_terms", "chunk_bigrams": "catalog_chunk_bigrams"}


@lru_cache(maxsize=4096)
def _is_token_char(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat[0] in "LN" or cat == "Co"


def fts_tokens(text: str) -> list[str]:
    """``text`` cut like FTS5 unicode61 (remove_diacritics 0) cuts it, lower-cased."""
    out: list[str] = []
    run: list[str] = []
    for ch in text.lower():
        if _is_token_char(ch):
            run.append(ch)
        elif run:
            out.append("".join(run))
            run = []
    if run:
        out.append("".join(run))
    return out


def postings(words: Iterable[str]) -> tuple[Counter[str], int]:
    """Term frequencies and the row length in tokens of one indexed row (its words joined by spaces)."""
    tokens = fts_tokens(" ".join(words))
    return Counter(tokens), len(tokens)


def query_terms(terms: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(t for term in terms if term for t in fts_tokens(term)))


def table_for(table: str) -> str:
    if table not in KEYWORD_TABLES:
        raise ValueError(f"unknown keyword index {table!r}")
    return POSTINGS[table]


def write_postings(cur: Any, table: str, rows: Sequence[tuple[int, Sequence[str]]]) -> tuple[int, int]:
    """COPY the postings of (rid, words) rows into ``table``; returns (rows, tokens) for the statistics."""
    tokens = 0
    with cur.copy(f"COPY {table_for(table)} (term, rid, tf, dl) FROM STDIN") as copy:
        for rid, words in rows:
            counts, length = postings(words)
            tokens += length
            for term, tf in counts.items():
                copy.write_row((term, rid, tf, length))
    return len(rows), tokens


def add_stats(cur: Any, table: str, chunks: int, tokens: int) -> None:
    """Move the corpus statistics of one keyword index by a delta (inside the caller's transaction)."""
    if chunks or tokens:
        cur.execute(
            "UPDATE catalog_keyword_stats SET chunks = chunks + %s, tokens = tokens + %s WHERE tbl = %s",
            (chunks, tokens, table),
        )


def removed_stats(cur: Any, table: str, doc_id: str) -> tuple[int, int]:
    """(rows, tokens) a document contributes to one keyword index, read before its rows are deleted."""
    cur.execute(  # every chunk is a row of the index, also one without tokens (FTS5 counts it too)
        "SELECT (SELECT count(*) FROM catalog_chunks WHERE doc_id = %(d)s), "
        f"(SELECT coalesce(sum(dl), 0) FROM (SELECT DISTINCT p.rid, p.dl FROM {table_for(table)} p "
        "JOIN catalog_chunks c ON c.rid = p.rid WHERE c.doc_id = %(d)s) x)",
        {"d": doc_id},
    )
    rows, tokens = cur.fetchone()
    return int(rows), int(tokens)


# df by a window over the query terms' postings (one index-only scan), then the FTS5 formula per posting.
_BM25 = """
WITH s AS (SELECT chunks::float8 AS n, tokens::float8 / GREATEST(chunks, 1) AS avgdl
           FROM catalog_keyword_stats WHERE tbl = %(stats)s),
p AS (SELECT rid, tf, dl, count(*) OVER (PARTITION BY term) AS df FROM {postings} WHERE term = ANY(%(terms)s))
SELECT c.chunk_id, x.score FROM (
    SELECT p.rid, sum(GREATEST(ln((s.n - p.df + 0.5) / (p.df + 0.5)), 1e-6)
                      * p.tf * ({k1} + 1) / (p.tf + {k1} * (1 - {b} + {b} * p.dl / s.avgdl))) AS score
    FROM p, s{docs} GROUP BY p.rid ORDER BY score DESC, p.rid LIMIT %(limit)s
) x JOIN catalog_chunks c ON c.rid = x.rid ORDER BY x.score DESC, x.rid
"""
_DOCS = " WHERE p.rid IN (SELECT rid FROM catalog_chunks WHERE doc_id = ANY(%(docs)s))"  # after df: idf is corpus-wide


def bm25_sql(table: str, filtered: bool) -> str:
    return _BM25.format(postings=table_for(table), docs=_DOCS if filtered else "", k1=K1, b=B)


def search(conn: Any, table: str, terms: list[str], limit: int, doc_ids: set[str] | None) -> list[tuple[str, float]]:
    """(chunk_id, BM25) best first; ``doc_ids`` restricts the chunks considered (before the limit)."""
    words = query_terms(terms)
    if not words or limit <= 0:
        return []
    params = {"stats": table, "terms": words, "limit": limit, "docs": sorted(doc_ids or ())}
    rows = conn.execute(bm25_sql(table, doc_ids is not None), params).fetchall()
    return [(cid, float(score)) for cid, score in rows]
