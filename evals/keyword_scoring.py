"""Which keyword scoring the PostgreSQL catalog uses, by measurement: ``python -m evals keyword-scoring``.

Three catalogs of the same shipped-corpus index (same chunks, same Sudachi terms and bigrams, same vectors):

- SQLite FTS5 ``bm25()`` (the single-machine default, the reference),
- PostgreSQL BM25 computed in SQL over postings (what :mod:`chizai.index.pg_keyword` ships),
- PostgreSQL ``tsvector`` ('simple' configuration over the pre-tokenised terms) with a GIN index, ranked by
  ``ts_rank_cd`` (built here, in side tables, only for this comparison).

Each is scored on dev (``core``) and test (``core_test`` + ``corpus_new``): the Sudachi leg alone, the bigram leg
alone, and the default hybrid. The PostgreSQL server is ``--index-url`` or a throw-away cluster from Debian's
``postgresql`` package (tests/servers.py). Writes ``evals/reports/keyword_scoring.{json,md}``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.retrieval.hybrid import HybridRetriever
from chizai.index.catalog_base import keyword_text
from chizai.index.pg_catalog import PostgresCatalog
from chizai.settings import Settings
from chizai.text.tokenizer import get_tokenizer
from evals.retrieval_study import DEV, TEST, items, score, split_table, system

REPORT = Path(__file__).resolve().parent / "reports"
TSV_TABLES = {"chunk_terms": "tsv_terms", "chunk_bigrams": "tsv_bigrams"}


class TsvectorCatalog(PostgresCatalog):
    """The PostgreSQL catalog with ``ts_rank_cd`` over GIN-indexed tsvectors instead of BM25 (comparison only)."""

    def keyword_search(
        self, terms: list[str], limit: int, doc_ids: set[str] | None = None, *, table: str = "chunk_terms"
    ) -> list[tuple[str, float]]:
        words = list(dict.fromkeys(t for t in terms if t))
        if not words:
            return []
        sql = (
            "WITH q AS (SELECT to_tsquery('simple', string_agg(quote_literal(w), ' | ')) AS q FROM unnest(%s::text[]) w) "
            f"SELECT c.chunk_id, ts_rank_cd(t.v, q.q) AS score FROM q, {TSV_TABLES[table]} t "
            "JOIN catalog_chunks c ON c.rid = t.rid WHERE t.v @@ q.q AND (%s::text[] IS NULL OR c.doc_id = ANY(%s::text[])) "
            "ORDER BY score DESC, c.rid LIMIT %s"
        )
        docs = sorted(doc_ids) if doc_ids is not None else None
        return [(c, float(s)) for c, s in self._rows(sql, (words, docs, docs, limit))]


def build_tsvectors(catalog: PostgresCatalog) -> None:
    """Side tables (rid, tsvector) for both legs from the catalog's own chunks, tokenised the way ingest does."""
    from chizai.text.bigrams import bigrams

    tokenizer = get_tokenizer()
    rows = catalog._rows(  # noqa: SLF001 - a measurement reading the catalog it built
        "SELECT c.rid, d.title, c.section, d.metadata, c.text FROM catalog_chunks c "
        "JOIN catalog_documents d ON d.doc_id = c.doc_id"
    )
    with catalog.engine.begin() as conn:
        raw = conn.connection.driver_connection
        for table in TSV_TABLES.values():
            raw.execute(f"DROP TABLE IF EXISTS {table}")
            raw.execute(f"CREATE TABLE {table} (rid bigint PRIMARY KEY, v tsvector NOT NULL)")
        for rid, title, section, meta, text in rows:
            words = keyword_text(title, section, meta.get("keywords"), text)
            raw.execute("INSERT INTO tsv_terms VALUES (%s, to_tsvector('simple', %s))", (rid, " ".join(tokenizer.tokens(words))))
            raw.execute("INSERT INTO tsv_bigrams VALUES (%s, to_tsvector('simple', %s))", (rid, " ".join(bigrams(words))))
        for table in TSV_TABLES.values():
            raw.execute(f"CREATE INDEX ON {table} USING gin (v)")
            raw.execute(f"ANALYZE {table}")


def systems(retriever: HybridRetriever) -> dict[str, Callable[[str], list[str]]]:
    return {
        "Sudachi leg": system(retriever, ("bm25",)),
        "bigram leg": system(retriever, ("bigram",)),
        "hybrid (default)": system(retriever, ("dense", "bm25", "bigram")),
    }


def measure(sqlite: Settings, url: str) -> dict[str, Any]:
    """Build the PostgreSQL catalog of the same index, then score the three catalogs on dev and test."""
    with _copy_of(sqlite) as settings:
        pg_settings = settings.model_copy(update={"index_url": url})
        from evals.index import build_index

        build = build_index(pg_settings, None)
        pg = PostgresCatalog(url)
        build_tsvectors(pg)
        retrievers = {
            "SQLite FTS5 bm25()": HybridRetriever(settings),
            "PostgreSQL BM25 over postings": HybridRetriever(pg_settings, catalog=pg),
            "PostgreSQL tsvector + ts_rank_cd": HybridRetriever(pg_settings, catalog=TsvectorCatalog(url, readonly=True)),
        }
        result: dict[str, Any] = {"postgres_build": build}
        for split, names in (("dev", DEV), ("test", TEST)):
            gold = items(names)
            result[split] = {
                f"{backend} · {name}": {k: v for k, v in score(run, gold).items() if not k.startswith("_")}
                for backend, retriever in retrievers.items()
                for name, run in systems(retriever).items()
            }
        for retriever in retrievers.values():
            retriever.catalog.close()
    return result


@contextmanager
def _copy_of(settings: Settings) -> Iterator[Settings]:
    """The index in a temporary copy, so the PostgreSQL build cannot touch the shared eval cache."""
    work = Path(tempfile.mkdtemp(prefix="chizai-kw-"))
    try:
        shutil.copytree(settings.data_dir, work / "data")
        yield settings.model_copy(update={"data_dir": work / "data"})
    finally:
        shutil.rmtree(work, ignore_errors=True)


def markdown(result: dict[str, Any]) -> str:
    lines = ["# Keyword scoring for the PostgreSQL catalog (document level)", "",
             f"dev = {', '.join(DEV)}; test = {', '.join(TEST)}. Same chunks, terms and vectors in every catalog.", ""]
    for split in ("dev", "test"):
        lines += split_table(split, result[split])
    lines += ["## Hybrid (default) against SQLite", "", "| catalog | dev Δ hit@5 | dev Δ MRR | test Δ hit@5 | test Δ MRR |",
              "|---|---|---|---|---|"]
    for backend in ("PostgreSQL BM25 over postings", "PostgreSQL tsvector + ts_rank_cd"):
        cells = [f"{delta(result, split, backend, m):+.3f}" for split in ("dev", "test") for m in ("hit@5", "mrr")]
        lines.append(f"| {backend} | " + " | ".join(cells) + " |")
    lines += ["", "The catalog keeps the BM25 postings (target: within 0.01 of SQLite). Times here come from one run "
              "with other work on the 2 cores: compare them with `make bench`, which times both catalogs alternately.", ""]
    return "\n".join(lines)


def delta(result: dict[str, Any], split: str, backend: str, metric: str) -> float:
    """The backend's hybrid score minus SQLite's."""
    hybrid = " · hybrid (default)"
    return result[split][backend + hybrid][metric] - result[split]["SQLite FTS5 bm25()" + hybrid][metric]


def run(url: str | None, report: Path = REPORT) -> dict[str, Any]:
    from evals.index import build_index, corpus_cache_settings

    sqlite = corpus_cache_settings(Settings())
    build_index(sqlite, None)
    if url:
        result = measure(sqlite, url)
    else:
        from tests.servers import running_pg

        with running_pg() as server:
            result = measure(sqlite, server.create_database("keyword_scoring"))
    report.mkdir(parents=True, exist_ok=True)
    (report / "keyword_scoring.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (report / "keyword_scoring.md").write_text(markdown(result), encoding="utf-8")
    return result
