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


def run(verifier: object | None = None) -> dict:
    """Catch and false-drop rates of the answer-side check (verdict screen + verifier) on dev and test."""
    from assistant.answer.verdicts import is_verdict
    from assistant.answer.verifier import Check, LexicalVerifier, evaluate

    lexical = verifier or LexicalVerifier()

    class Screened:
        def check(self, sentence: str, passage: str) -> Check:
            return Check("not_stated", "verdict") if is_verdict(sentence) else lexical.check(sentence, passage)  # type: ignore[attr-defined]

    out = {}
    for split in ("dev", "test"):
        out[split] = evaluate(Screened(), [(r["passage"], r["sentence"], r["label"]) for r in load(split)])
    out["note"] = "dev: the verifier's rules were examined and improved against it; test: scored only"
    return out
