"""``make load`` with an ingest running on the same machine (``--with-ingest``).

The real ``python -m ingest`` of ``../shared/realdocs`` into a fresh data dir with an empty embedding cache (so
it really parses and embeds), at its default priority (``CHIZAI_INGEST_NICE``). Its throughput is the pages it
committed (catalog rows) per second since it started; the same measure is taken once before the server starts,
with no chat users, for as long as the load will last, so the two figures compare the same files' first pages.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.load.run_load import REPO, clean_env


def realdocs() -> Path:
    return Path(os.environ.get("REALDOCS_DIR", REPO.parent / "shared" / "realdocs"))


class BackgroundIngest:
    """One ``python -m ingest`` run in its own process group; ``progress()`` reads what it committed."""

    def __init__(self, work: Path, name: str, embedder: str) -> None:
        self.data = work / name
        self.env = clean_env(data_dir=str(self.data), embed_cache_dir=str(work / f"{name}-cache"), embedder=embedder)
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = 0.0

    def start(self) -> None:
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ingest", str(realdocs())], cwd=REPO, env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip

    def progress(self) -> dict[str, Any]:
        """Pages and chunks committed so far, and the rate since the start."""
        elapsed = time.monotonic() - self.started
        pages = chunks = 0
        with contextlib.suppress(sqlite3.Error):
            conn = sqlite3.connect(f"file:{self.data / 'manifest.sqlite3'}?mode=ro", uri=True, timeout=10)
            with contextlib.closing(conn):
                pages, chunks = conn.execute("SELECT COALESCE(SUM(pages_total),0), COALESCE(SUM(chunk_count),0) FROM documents").fetchone()
        finished = self.proc is not None and self.proc.poll() is not None
        return {"seconds": round(elapsed, 1), "pages": pages, "chunks": chunks, "finished": finished,
                "pages_per_s": round(pages / elapsed, 2) if elapsed else None}  # fmt: skip

    def stop(self) -> dict[str, Any]:
        """Progress now, then interrupt the run (the index stays consistent) and wait for it."""
        result = self.progress()
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        return result


def idle_throughput(work: Path, embedder: str, seconds: float, log: Any) -> dict[str, Any]:
    """The ingest alone (no chat users) for ``seconds``: the yardstick for the run under load."""
    ingest = BackgroundIngest(work, "ingest-idle", embedder)
    ingest.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and ingest.proc is not None and ingest.proc.poll() is None:
        time.sleep(1)
    result = {**ingest.stop(), "load_average": [round(x, 2) for x in os.getloadavg()]}
    log(f"ingest alone: {result['pages']} pages in {result['seconds']} s ({result['pages_per_s']} pages/s)")
    return result
