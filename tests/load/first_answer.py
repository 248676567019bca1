"""First answer on a fresh data dir: ``make run`` started from nothing, until the chat shows its first answer.

    python -m tests.load.first_answer                       # shipped vectors (what a fresh clone does)
    python -m tests.load.first_answer --no-shipped-vectors  # what it did before: embed the corpus first
    python -m tests.load.first_answer --json out.json

A fresh data dir and an empty machine cache (``CHIZAI_EMBED_CACHE_DIR`` in a temporary folder) stand in for a fresh
clone whose packages are installed. ``make run PORT=<free port>`` runs as it is, in its own process group; the
clock starts when it is started and stops when the first answer is on screen (the script run that shows the
disclaimer), driven over Streamlit's websocket protocol like ``make load``. The ingest's own stage times come
from the run it recorded in the new catalog.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.load.run_load import CONVERSATIONS, Session, chat_input, classify_answer, clean_env
from tests.streamlit_server import free_port, streamlit_server

REPO = Path(__file__).resolve().parents[2]


async def _first_answer(port: int, question: str, timeout: float) -> dict[str, Any]:
    async with Session(port, timeout) as s:
        page = await s.rerun()
        t0 = time.perf_counter()
        run = await s.rerun([chat_input(page.widgets["chat_input"], question)])
        return {"page_seconds": round(page.seconds, 2), "answer_seconds": round(time.perf_counter() - t0, 2),
                "outcome": classify_answer(run)}  # fmt: skip


def _ingest_run(data_dir: Path) -> dict[str, Any]:
    with sqlite3.connect(data_dir / "manifest.sqlite3") as conn:
        row = conn.execute("SELECT summary FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    summary = json.loads(row[0]) if row else {}
    return {k: summary.get(k) for k in ("files", "chunks", "seconds", "stages")}


def measure(shipped_vectors: bool = True, question: str = CONVERSATIONS[0].turns[0], timeout: float = 900) -> dict[str, Any]:
    """One cold start: seconds from ``make run`` to the first answer, and where they went."""
    load_before = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="chizai-first-") as tmp:
        work = Path(tmp)
        env = clean_env(data_dir=str(work / "data"), embed_cache_dir=str(work / "cache"))
        if not shipped_vectors:
            env["CHIZAI_SHIPPED_VECTORS_DIR"] = ""
        port = free_port()
        started = time.monotonic()
        cmd = ["make", "--no-print-directory", "run", f"PORT={port}", f"PYTHON={sys.executable}"]
        with streamlit_server(env, work / "make-run.log", port, timeout=timeout, cmd=cmd):
            healthy = time.monotonic() - started
            answer = asyncio.run(_first_answer(port, question, timeout))
            total = time.monotonic() - started
        return {
            "shipped_vectors": shipped_vectors,
            "question": question,
            "seconds_to_first_answer": round(total, 2),
            "seconds_to_server_healthy": round(healthy, 2),
            **answer,
            "ingest": _ingest_run(work / "data"),
            "load_average_before": load_before,
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.load.first_answer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-shipped-vectors", action="store_true", help="embed the corpus (as before the shipped vectors)")
    parser.add_argument("--json", type=Path, help="write the result here")
    args = parser.parse_args(argv)
    result = measure(shipped_vectors=not args.no_shipped_vectors)
    text = json.dumps(result, ensure_ascii=False, indent=1)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0 if result["outcome"] == "answered" else 1


if __name__ == "__main__":
    sys.exit(main())
