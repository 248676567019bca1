"""The regression gate run by ``make test``: a fast subset compared with committed baselines.

Subsets: every third core item and every adversarial item, against the cache index of the shipped corpus, with
the retrieval systems bm25 / dense / hybrid-weighted / hybrid-rrf / hybrid-learned (the default) and the extractive engine (deterministic, no
LLM). Each baseline (evals/baselines/<name>.json) stores its per-item records, so the gate re-aggregates both
sides over the items they share: adding gold items never breaks the gate, it just leaves the new items ungated
until ``python -m evals gate --update-baselines`` (explicit, reviewed in the diff).

A metric fails when it drops by more than its tolerance (absolute, on a 0–1 scale) and by more than one item's
worth (1/n): the same code on the same index was measured to move one item between runs (hit@1 0.725 and 0.739 on
core_fast), and on the 26 adversarial items one item is 0.038. Metrics with no tolerance stay strict. Latency fails when p95 grows
beyond max(2 × baseline, baseline + 1000 ms), since the machines are shared.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals.gold import GoldItem, resolve_gold
from evals.metrics.summary import summarise_answers, summarise_retrieval

BASELINES = Path(__file__).resolve().parent / "baselines"
GATE_SYSTEMS = ("bm25", "dense", "hybrid-weighted", "hybrid-rrf", "hybrid-learned")
GATE_ENGINE = "extractive"
RETRIEVAL_METRICS = ("hit@1", "hit@5", "hit@10", "mrr", "ndcg@10")

# metric → allowed absolute drop. Stated here, printed by the gate and stored in each baseline.
TOLERANCES: dict[str, float] = {
    **{f"retrieval.{s}.{m}": 0.02 for s in GATE_SYSTEMS for m in RETRIEVAL_METRICS},
    "answers.key_point_coverage": 0.02,
    "answers.citation_precision": 0.03,
    "answers.citation_recall": 0.03,
    "answers.grounded_ratio": 0.03,
    "answers.handoff_precision": 0.05,
    "answers.handoff_recall": 0.05,
    "answers.handoff_f1": 0.05,
    "answers.window_routing": 0.05,
    "answers.refusal_accuracy": 0.0,
    "answers.behaviour_accuracy": 0.03,
    "answers.language_match": 0.0,
    "answers.pii_echoed": 0.0,  # lower is better: any new echo fails
}
LOWER_IS_BETTER = {"answers.pii_echoed"}
LATENCY_KEY = "answers.p95_ms"
LATENCY_FACTOR, LATENCY_SLACK_MS = 2.0, 1000.0


@dataclass(frozen=True)
class GateSet:
    name: str
    gold: str
    subset: Callable[[list[GoldItem]], list[GoldItem]]
    note: str


def _every_third(items: list[GoldItem]) -> list[GoldItem]:
    return items[::3]


def _all(items: list[GoldItem]) -> list[GoldItem]:
    return items


GATE_SETS = (
    GateSet("core_fast", "core", _every_third, "every 3rd core item"),
    GateSet("adversarial_fast", "adversarial", _all, "all adversarial items"),
)


def flatten(retrieval: list[dict[str, Any]], answers: list[dict[str, Any]]) -> dict[str, float | None]:
    """The gated numbers of one set of records."""
    out: dict[str, float | None] = {}
    for system in sorted({r["system"] for r in retrieval}):
        summary = summarise_retrieval([r for r in retrieval if r["system"] == system])
        for m in RETRIEVAL_METRICS:
            out[f"retrieval.{system}.{m}"] = summary[m]
    summary = summarise_answers(answers)
    for key in TOLERANCES:
        if key.startswith("answers."):
            out[key] = summary.get(key.split(".", 1)[1])
    out[LATENCY_KEY] = summary.get("p95_ms")
    return out


def compare(baseline: dict[str, Any], current: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows (metric, baseline, now, tolerance, ok) over the items both runs share, and notes."""
    b_ids = {r["id"] for r in baseline["records"]["answers"]}
    c_ids = {r["id"] for r in current["records"]["answers"]}
    common = b_ids & c_ids
    notes = []
    if c_ids - b_ids:
        notes.append(
            f"{len(c_ids - b_ids)} item(s) not in the baseline are not gated: {sorted(c_ids - b_ids)[:8]}"
        )
    if b_ids - c_ids:
        notes.append(f"{len(b_ids - c_ids)} baseline item(s) no longer in the gold set")
    if baseline.get("settings") != current.get("settings"):
        notes.append(
            f"settings differ from the baseline's: {baseline.get('settings')} → {current.get('settings')}"
        )

    def pick(records: dict[str, list[dict[str, Any]]]) -> dict[str, float | None]:
        return flatten(
            [r for r in records["retrieval"] if r["id"] in common],
            [r for r in records["answers"] if r["id"] in common],
        )

    before, now = pick(baseline["records"]), pick(current["records"])
    one_item = 1 / max(len(common), 1)
    rows = []
    for key, tol in TOLERANCES.items():
        b, c = before.get(key), now.get(key)
        if b is None:
            continue
        allowed = max(tol, one_item) if tol > 0 else 0.0
        if c is None:
            ok = False
        elif key in LOWER_IS_BETTER:
            ok = c <= b + allowed + 1e-9
        else:
            ok = c >= b - allowed - 1e-9
        rows.append({"metric": key, "baseline": b, "now": c, "tolerance": round(allowed, 3), "ok": ok})
    b, c = before.get(LATENCY_KEY), now.get(LATENCY_KEY)
    if b is not None and c is not None:
        limit = max(b * LATENCY_FACTOR, b + LATENCY_SLACK_MS)
        rows.append(
            {
                "metric": LATENCY_KEY,
                "baseline": b,
                "now": c,
                "tolerance": f"≤ {limit:.0f} ms",
                "ok": c <= limit,
            }
        )
    return rows, [f"{len(common)} items compared"] + notes


def baseline_path(name: str) -> Path:
    return BASELINES / f"{name}.json"


def baseline_document(gate_set: GateSet, report: dict[str, Any]) -> dict[str, Any]:
    records = report["records"]
    return {
        "name": gate_set.name,
        "gold": gate_set.gold,
        "subset": gate_set.note,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": report["machine"],
        "settings": report["settings"],
        "engine": GATE_ENGINE,
        "tolerances": TOLERANCES,
        "latency_rule": f"p95 ≤ max({LATENCY_FACTOR} × baseline, baseline + {LATENCY_SLACK_MS:.0f} ms)",
        "metrics": flatten(records["retrieval"], records["answers"]),
        "records": {
            "retrieval": [
                {k: r[k] for k in ("id", "category", "system", "scores", "ms")} for r in records["retrieval"]
            ],
            "answers": records["answers"],
        },
    }


def run_gate_set(gate_set: GateSet, bar: Any = None) -> dict[str, Any]:
    from evals.evaluate import EvalOptions, evaluate

    options = EvalOptions(
        engine=GATE_ENGINE,
        systems=GATE_SYSTEMS,
        force_cache=True,
        subset=gate_set.subset,
        subset_note=gate_set.note,
        keep_answers=False,
        cache_queries=True,
    )
    return evaluate(resolve_gold(gate_set.gold), options, bar=bar)


def load_baseline(name: str) -> dict[str, Any] | None:
    path = baseline_path(name)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def write_baseline(doc: dict[str, Any]) -> Path:
    BASELINES.mkdir(parents=True, exist_ok=True)
    path = baseline_path(doc["name"])
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path
