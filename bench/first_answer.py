"""First answer on a fresh data dir, as a new user meets it: ``make run`` from nothing to the first answer shown.

The measurement is the load driver's (``tests/load/first_answer.py``: it starts ``make run`` and asks over
Streamlit's websocket protocol), run as a subprocess for both ways a fresh clone could start: with the vectors
shipped with the corpus (what it does) and without them (what it did: embed the corpus first). The third option
the issue names — serve the keyword legs at once and fill the dense leg in the background — is bounded from the
first run's own stage times: it would skip only the vector write, and leave the embedding of the second run to
compete with the first answers.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _cold_start(shipped: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="chizai-bench-first-") as tmp:
        out = Path(tmp) / "first.json"
        cmd = [sys.executable, "-m", "tests.load.first_answer", "--json", str(out)]
        done = subprocess.run([*cmd, *([] if shipped else ["--no-shipped-vectors"])], cwd=REPO,
                              capture_output=True, text=True, timeout=3600)  # fmt: skip
        if not out.exists():
            return {"error": done.stderr[-2000:]}
        return json.loads(out.read_text(encoding="utf-8"))


def first_answer() -> dict:
    shipped, embedded = _cold_start(True), _cold_start(False)
    stages = (shipped.get("ingest") or {}).get("stages") or {}
    keyword_first = None
    if "seconds_to_first_answer" in shipped:
        keyword_first = round(shipped["seconds_to_first_answer"] - stages.get("write", 0.0), 2)
    background = ((embedded.get("ingest") or {}).get("stages") or {}).get("embed")
    return {"shipped_vectors": shipped, "embed_first": embedded,
            "keyword_first_lower_bound_s": keyword_first, "keyword_first_background_embedding_s": background}  # fmt: skip
