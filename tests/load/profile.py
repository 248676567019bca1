"""Where the server's time goes under ``make load``: per script run, and per stage of each answer.

The app writes one JSON line per script run when ``CHIZAI_PROFILE_PATH`` is set (``assistant.ui.resources.
profiled_run``): the run's wall and CPU time, and the answer's ``timings_ms`` when the run answered. Stages:
query embedding, the three retrieval legs and their fusion, the gate (situation model and handoff policy), the
engine, verification, settling and composing, and ``shown_ms`` (Streamlit drawing the streamed pieces); what is
left of a run that answered is the page around the answer (history, widgets). The client's latency minus the
run's time is Streamlit itself: queueing, the websocket, its garbage collection after each run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

STAGES = (
    "embed_ms", "dense_ms", "bm25_ms", "bigram_ms", "fuse_ms", "gate_ms",
    "engine_ms", "verify_ms", "settle_ms", "compose_ms", "shown_ms", "total_ms",
)  # fmt: skip


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (no interpolation: with few samples p99 is the slowest one, as it should be)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))]


def _dist(values: list[float]) -> dict[str, float | int | None]:
    def r(x: float | None) -> float | None:
        return None if x is None else round(x, 1)

    return {"n": len(values), "p50": r(percentile(values, 50)), "p95": r(percentile(values, 95)),
            "mean": r(sum(values) / len(values) if values else None)}  # fmt: skip


def summarise_profile(path: Path, skip: int = 0) -> dict[str, Any]:
    """Distributions (ms) per answer stage and per kind of script run, after the first ``skip`` runs (warm-up)."""
    if not path.is_file():
        return {}
    runs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[skip:] if line.strip()]
    answered = [r for r in runs if r.get("answer")]
    stages = {s: _dist([r["answer"][s] for r in answered if s in r["answer"]]) for s in STAGES}
    page = [r["run_ms"] - r["answer"].get("total_ms", 0.0) for r in answered]
    return {
        "answer_stages_ms": stages,
        "runs_that_answered_ms": _dist([r["run_ms"] for r in answered]),
        "page_around_the_answer_ms": _dist(page),
        "other_runs_ms": _dist([r["run_ms"] for r in runs if not r.get("answer")]),
        "cpu_per_run_ms": _dist([r["run_cpu_ms"] for r in runs]),
    }


def markdown(profile: dict[str, Any]) -> list[str]:
    if not profile:
        return []
    lines = ["", "## Where the server's time goes (ms, from CHIZAI_PROFILE_PATH)", "",
             "| stage | n | p50 | p95 | mean |", "|---|---|---|---|---|"]  # fmt: skip
    rows = {**{f"answer: {k.removesuffix('_ms')}": v for k, v in profile["answer_stages_ms"].items()},
            "script run that answered": profile["runs_that_answered_ms"],
            "page around the answer": profile["page_around_the_answer_ms"],
            "other script runs (page loads, handoff)": profile["other_runs_ms"],
            "script-thread CPU per run": profile["cpu_per_run_ms"]}  # fmt: skip
    lines += [f"| {name} | {d['n']} | {d['p50']} | {d['p95']} | {d['mean']} |" for name, d in rows.items() if d["n"]]
    return lines
