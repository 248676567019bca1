"""Ingest throughput: the real pipeline over /work/shared/realdocs into a fresh data directory."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from chizai.index.embedders import get_embedder
from chizai.settings import Settings
from ingest.pipeline import Ingestor

Progress = Callable[[int, int, str], None]


def run_ingest(settings: Settings, paths: list[Path], progress: Progress | None = None) -> dict:
    """Ingest ``paths`` into ``settings.data_dir`` (expected empty) and report throughput.

    The embedder is loaded before the clock starts (its load time is reported separately); ``seconds`` is the
    pipeline's own ``IngestReport.seconds``: discovery, loading, normalising, chunking, embedding and indexing.
    """
    t0 = time.perf_counter()
    embedder = get_embedder(settings.embedder, settings.embed_threads)
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
        "per_file": files,
    }
