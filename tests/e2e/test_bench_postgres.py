"""The bench's PostgreSQL column on a small catalog: a tier copied row for row searches like the original."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from bench.postgres import copy_tier, markdown, targets, time_both
from chizai.index.catalog import SqliteCatalog
from chizai.index.pg_catalog import PostgresCatalog
from evals.gold import load_gold, resolve_gold
from tests.e2e.test_catalog_postgres import _fill
from tests.servers import PgServer

pytestmark = pytest.mark.e2e


def test_a_copied_tier_ranks_like_sqlite_and_is_reported(pg: PgServer, tmp_path: Path) -> None:
    sqlite = SqliteCatalog(tmp_path / "manifest.sqlite3")
    sqlite.check_embedder("hash-test-32", 32, claim=True)
    _fill([sqlite], docs=20)
    pg_catalog = PostgresCatalog(pg.create_database(f"b_{uuid.uuid4().hex[:8]}"))
    assert copy_tier(sqlite.path, pg_catalog) >= 0
    assert pg_catalog.counts() == sqlite.counts() and pg_catalog.get_meta("embedder") == "hash-test-32"
    items = load_gold(resolve_gold("core"))[:12]
    timed = time_both(sqlite, pg_catalog, items, 40)
    assert timed["same_top10_share"] == 1.0
    assert timed["sqlite"]["n"] == timed["postgres"]["n"] == 12
    tier = {"size": 10_000, "copy_seconds": 0.1, "load_average_before": [1.0], "load_average_after": [1.0], **timed,
            "ratio_p50": 1.5}
    text = "\n".join(markdown({"measured": True, "limit": 40, "tiers": [tier], "targets": targets([tier])}))
    assert "| 10,000 |" in text and "ratio: met" in text
    assert "Not measured: no binaries" in "\n".join(markdown({"measured": False, "reason": "no binaries"}))
    sqlite.close()
    pg_catalog.close()
