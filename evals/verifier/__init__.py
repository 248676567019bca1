"""The contradiction set (``contradictions.jsonl``, written blind to the verifier) and its scoring.

Split by document: passages of even-hash documents are **dev** (the verifier's rules may be examined and improved
against them), the rest **test** (only ever scored; the README quotes these).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

FOLDER = Path(__file__).resolve().parent


def load(split: str | None = None) -> list[dict]:
    rows = [json.loads(line) for line in (FOLDER / "contradictions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    if split is None:
        return rows
    return [r for r in rows if split_of(r["doc_id"]) == split]


def split_of(doc_id: str) -> str:
    return "dev" if int(hashlib.sha1(doc_id.encode()).hexdigest(), 16) % 2 == 0 else "test"
