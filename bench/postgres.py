"""The PostgreSQL column of ``make bench``: the Sudachi keyword leg on the PostgreSQL catalog against SQLite FTS5,
at the scale tiers.

Each tier's SQLite catalog (built by :mod:`bench.scale`) is copied row for row — documents, chunks and the very
keyword strings FTS5 indexed — into a throw-away PostgreSQL cluster from Debian's ``postgresql`` package
(tests/servers.py), vacuumed and analysed as a long-running server would be. Then every gold question's terms are
searched on both catalogs, alternately, so both see the same load. Targets (issue 14): PostgreSQL p50 at most 2×
SQLite's at 10k chunks and at most 60 ms at 50k. Without the PostgreSQL binaries the column says why it is empty.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from bench.machine import load_average
from bench.stats import ratio, summarize
from chizai.index import pg_keyword
from chizai.index.catalog import SqliteCatalog
from chizai.index.pg_catalog import PostgresCatalog
from chizai.text.tokenizer import get_tokenizer
from evals.gold import GoldItem

TARGETS = {"ratio_size": 10_000, "max_ratio": 2.0, "ms_size": 50_000, "max_ms": 60.0}
WARMUP = 5
Progress = Callable[[int, int, str], None]


def copy_tier(manifest: Path, catalog: PostgresCatalog) -> float:
    """Copy a tier's SQLite catalog into an empty PostgreSQL catalog; returns the seconds it took."""
    t0 = time.perf_counter()
    src = sqlite3.connect(f"file:{manifest}?mode=ro", uri=True)
    try:
        docs = src.execute("SELECT doc_id, source, path, content_hash, title, metadata, chunk_count, pages_total, "
                           "updated_at FROM documents").fetchall()
        chunks = src.execute("SELECT c.rid, c.chunk_id, c.doc_id, c.idx, c.text, c.page, c.page_label, c.section, "
                             "t.terms FROM chunks c JOIN chunk_terms t ON t.rowid = c.rid").fetchall()
        embedder, dim = (src.execute("SELECT value FROM meta WHERE key = ?", (k,)).fetchone()[0] for k in ("embedder", "dim"))
    finally:
        src.close()
    catalog.check_embedder(embedder, int(dim), claim=True)
    with catalog.engine.connect() as sa_conn:
        conn = sa_conn.connection.driver_connection
        with conn.transaction(), conn.cursor() as cur:
            with cur.copy("COPY catalog_documents FROM STDIN") as copy:
                for row in docs:
                    copy.write_row(row)
            with cur.copy("COPY catalog_chunks (rid, chunk_id, doc_id, idx, text, page, page_label, section) FROM STDIN") as copy:
                for row in chunks:
                    copy.write_row(row[:8])
            n, tokens = pg_keyword.write_postings(cur, "chunk_terms", [(row[0], row[8].split()) for row in chunks])
            pg_keyword.add_stats(cur, "chunk_terms", n, tokens)
            pg_keyword.add_stats(cur, "chunk_bigrams", n, 0)  # the tiers have no bigram rows, on either side
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    return round(time.perf_counter() - t0, 1)


def time_both(sqlite: SqliteCatalog, pg: PostgresCatalog, items: list[GoldItem], limit: int,
              progress: Progress | None = None) -> dict:
    """Keyword search latency of both catalogs over the same questions, alternating; top-10 agreement."""
    queries = [get_tokenizer().tokens(i.question) for i in items]
    for terms in queries[:WARMUP]:
        sqlite.keyword_search(terms, limit)
        pg.keyword_search(terms, limit)
    times: dict[str, list[float]] = {"sqlite": [], "postgres": []}
    same_top10 = 0
    for n, terms in enumerate(queries):
        results = {}
        for name, catalog in (("sqlite", sqlite), ("postgres", pg))[:: 1 if n % 2 else -1]:
            t0 = time.perf_counter()
            results[name] = catalog.keyword_search(terms, limit)
            times[name].append((time.perf_counter() - t0) * 1000)
        same_top10 += [c for c, _ in results["sqlite"][:10]] == [c for c, _ in results["postgres"][:10]]
        if progress:
            progress(n + 1, len(queries), "keyword search")
    return {name: summarize(values) for name, values in times.items()} | {
        "same_top10_share": round(same_top10 / max(len(queries), 1), 3)}


def column(work: Path, sizes: tuple[int, ...], items: list[GoldItem], limit: int,
           task: Callable[[str], Progress]) -> dict:
    """The PostgreSQL column for every tier under ``work`` (``tier-<size>``), with its targets."""
    from tests.servers import pg_unavailable, running_pg

    reason = pg_unavailable()
    if reason:
        return {"measured": False, "reason": reason}
    tiers = []
    with running_pg() as server:
        for size in sizes:
            url = server.create_database(f"tier_{size}")
            pg = PostgresCatalog(url)
            sqlite = SqliteCatalog(work / f"tier-{size}" / "manifest.sqlite3", readonly=True)
            try:
                copy_s = copy_tier(sqlite.path, pg)
                load = load_average()
                timed = time_both(sqlite, pg, items, limit, task(f"postgres: keyword search at {size:,} chunks"))
            finally:
                sqlite.close()
                pg.close()
            tiers.append({"size": size, "copy_seconds": copy_s, "load_average_before": load,
                          "load_average_after": load_average(), **timed,
                          "ratio_p50": ratio(timed["postgres"]["p50"], timed["sqlite"]["p50"])})
    return {"measured": True, "limit": limit, "tiers": tiers, "targets": targets(tiers)}


def targets(tiers: list[dict]) -> dict:
    by_size = {t["size"]: t for t in tiers}
    out: dict = {"description": f"PostgreSQL keyword p50 ≤ {TARGETS['max_ratio']:g}× SQLite at {TARGETS['ratio_size']:,} "
                                f"chunks and ≤ {TARGETS['max_ms']:g} ms at {TARGETS['ms_size']:,}"}
    if TARGETS["ratio_size"] in by_size:
        out["met_ratio"] = (by_size[TARGETS["ratio_size"]]["ratio_p50"] or 0) <= TARGETS["max_ratio"]
    if TARGETS["ms_size"] in by_size:
        out["met_ms"] = by_size[TARGETS["ms_size"]]["postgres"]["p50"] <= TARGETS["max_ms"]
    return out


def markdown(section: dict | None) -> list[str]:
    if not section:
        return []
    lines = ["## 4. Keyword search on the PostgreSQL catalog (CHIZAI_INDEX_URL) vs SQLite FTS5", ""]
    if not section.get("measured"):
        return [*lines, f"Not measured: {section.get('reason')}.", ""]
    lines += ["| chunks | SQLite p50 ms | SQLite p95 | PostgreSQL p50 ms | PostgreSQL p95 | ratio p50 | same top 10 | "
              "load before / after | copy s |", "|---|---|---|---|---|---|---|---|---|"]
    for t in section["tiers"]:
        lines.append(f"| {t['size']:,} | {t['sqlite']['p50']} | {t['sqlite']['p95']} | {t['postgres']['p50']} | "
                     f"{t['postgres']['p95']} | ×{t['ratio_p50']} | {t['same_top10_share']:.0%} | "
                     f"{(t['load_average_before'] or ['?'])[0]} / {(t['load_average_after'] or ['?'])[0]} | {t['copy_seconds']} |")
    tg = section["targets"]
    verdicts = [f"{k.removeprefix('met_')}: {'met' if v else 'not met'}" for k, v in tg.items() if k.startswith("met_")]
    lines += ["", f"Target: {tg['description']} — {'; '.join(verdicts) or 'tiers not in this run'}. The Sudachi leg, "
              f"{section['limit']} candidates, one search per gold question on each catalog (alternating); PostgreSQL "
              "is a throw-away local cluster with default settings.", ""]
    return lines
