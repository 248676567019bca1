"""``make load`` with an ingest running on the same machine (``--with-ingest``).

The real ``python -m ingest`` of ``../shared/realdocs`` into a fresh data dir with an empty embedding cache (so
it really parses and embeds), at its default priority (``CHIZAI_INGEST_NICE``): once alone before the server
starts (the yardstick), then again from the first wave on, with waves of users until it has finished. Throughput
is pages per second of the whole run (a run commits documents in batches, so a rate over part of it would not
compare).
"""

from __future__ import annotations

import contextlib
import json
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

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def progress(self) -> dict[str, Any]:
        """Pages, chunks and seconds of the run: its own summary once it finished (``IngestReport.seconds``),
        else what it has committed so far since it was started."""
        elapsed = time.monotonic() - self.started
        summary, pages, chunks = None, 0, 0
        with contextlib.suppress(sqlite3.Error):
            conn = sqlite3.connect(f"file:{self.data / 'manifest.sqlite3'}?mode=ro", uri=True, timeout=10)
            with contextlib.closing(conn):
                pages, chunks = conn.execute("SELECT COALESCE(SUM(pages_total),0), COALESCE(SUM(chunk_count),0) FROM documents").fetchone()
                row = conn.execute("SELECT summary FROM runs ORDER BY id DESC LIMIT 1").fetchone()
                summary = json.loads(row[0]) if row else None
        finished = summary is not None and not self.running()
        seconds = summary["seconds"] if finished else round(elapsed, 1)
        return {"finished": finished, "seconds": seconds, "pages": pages, "chunks": chunks,
                "pages_per_s": round(pages / seconds, 2) if seconds else None,
                "stages": summary.get("stages") if finished else None}  # fmt: skip

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
    """The ingest alone (no chat users), to its end or for at most ``seconds``: the yardstick."""
    ingest = BackgroundIngest(work, "ingest-idle", embedder)
    ingest.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and ingest.running():
        time.sleep(1)
    result = {**ingest.stop(), "load_average": [round(x, 2) for x in os.getloadavg()]}
    log(f"ingest alone: {result['pages']} pages in {result['seconds']} s ({result['pages_per_s']} pages/s)")
    return result
