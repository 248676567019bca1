"""Retrieval legs and fusions, chosen on dev and reported on test: ``python -m evals retrieval [train]``.

dev  = ``core.jsonl`` (the set earlier weights and thresholds were tuned on);
test = ``core_test.jsonl`` + ``corpus_new.jsonl`` (written blind, never tuned on).

``train`` grids the weighted fusion of the three legs, fits the learned combiner on dev, and writes
``assistant/retrieval/combiner.json`` and ``evals/reports/latest/retrieval-dev.json`` (the chosen weights, to be
copied into the settings defaults by a person). The report shows every leg, every fusion and the naive baseline on
test with a sign test (hit@1 discordant pairs) of the default against the best single leg.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.retrieval.fusion import COMBINER_FILE, LEGS, features
from assistant.retrieval.hybrid import HybridRetriever
from assistant.retrieval.query import expand_query
from chizai.settings import Settings
from evals.gold import GoldItem, load_gold, resolve_gold
from evals.metrics.latency import percentile
from evals.metrics.retrieval import ranking_scores

DEV, TEST = ("core",), ("core_test", "corpus_new")
K = 10
WEIGHT_GRID = (0.0, 0.25, 0.5, 0.75, 1.0)


def items(names: Sequence[str]) -> list[GoldItem]:
    return [i for n in names for i in load_gold(resolve_gold(n)) if i.doc_ids]


def system(retriever: HybridRetriever, legs: tuple[str, ...], method: str | None = None,
           weights: dict[str, float] | None = None) -> Callable[[str], list[str]]:
    settings = retriever.settings
    variant = retriever if weights is None else retriever.with_settings(settings.model_copy(update={
        "dense_weight": weights["dense"], "bm25_weight": weights["bm25"], "bigram_weight": weights["bigram"]}))

    def run(query: str) -> list[str]:
        hits = variant.search(query, k=20, legs=legs, method=method)
        return list(dict.fromkeys(h.chunk.doc_id for h in hits))

    return run


def score(run: Callable[[str], list[str]], gold: Sequence[GoldItem]) -> dict[str, Any]:
    per_item, ms = [], []
    for item in gold:
        t0 = time.perf_counter()
        ranked = run(expand_query(item.question))
        ms.append((time.perf_counter() - t0) * 1000)
        per_item.append(ranking_scores(ranked[:K], list(item.doc_ids)))
    out = {m: round(float(np.mean([p[m] for p in per_item])), 4) for m in ("hit@1", "hit@5", "hit@10", "mrr", "ndcg@10")}
    out.update({"p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1), "n": len(gold)})
    out["_hit1"] = [p["hit@1"] for p in per_item]
    return out


def sign_test(a: Sequence[float], b: Sequence[float]) -> dict[str, float]:
    """Two-sided exact sign test on the discordant pairs of two systems' hit@1 (ties dropped)."""
    wins = sum(x > y for x, y in zip(a, b, strict=True))
    losses = sum(x < y for x, y in zip(a, b, strict=True))
    n = wins + losses
    tail = sum(math.comb(n, k) for k in range(0, min(wins, losses) + 1)) / 2**n if n else 1.0
    return {"wins": wins, "losses": losses, "p": float(f"{min(1.0, 2 * tail):.3g}")}


def tune_weights(retriever: HybridRetriever, dev: Sequence[GoldItem]) -> list[dict[str, Any]]:
    grid = []
    for d, b, g in itertools.product(WEIGHT_GRID, repeat=3):
        if d + b + g == 0 or (d, b, g) != tuple(x / max(d, b, g) for x in (d, b, g)):
            continue  # scale-free: only the grid points whose largest weight is 1
        w = {"dense": d, "bm25": b, "bigram": g}
        s = score(system(retriever, LEGS, "weighted", w), dev)
        grid.append({"weights": w, **{k: v for k, v in s.items() if not k.startswith("_")}})
    return sorted(grid, key=lambda r: (r["mrr"], r["hit@1"]), reverse=True)


def train_combiner(retriever: HybridRetriever, dev: Sequence[GoldItem]) -> dict[str, Any]:
    """Logistic regression over each leg's normalised score and reciprocal rank; relevant = a gold document."""
    from sklearn.linear_model import LogisticRegression

    xs, ys = [], []
    for item in dev:
        query = expand_query(item.question)
        legs = retriever.leg_lists(query)
        chunks = retriever.catalog.fetch_chunks(list({c for r in legs.values() for c, _ in r}))
        for cid, vec in features(legs).items():
            if cid in chunks:
                xs.append(vec)
                ys.append(chunks[cid].doc_id in item.doc_ids)
    model = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced").fit(np.asarray(xs), ys)
    return {"coef": [round(float(c), 6) for c in model.coef_[0]], "intercept": round(float(model.intercept_[0]), 6),
            "features": [f"{leg}:{kind}" for leg in LEGS for kind in ("score", "rr")], "trained_on": "evals/gold/core.jsonl",
            "pairs": len(ys)}


def run_train(settings: Settings, report: Path) -> dict[str, Any]:
    retriever = HybridRetriever(settings)
    dev = items(DEV)
    grid = tune_weights(retriever, dev)
    combiner = train_combiner(retriever, dev)
    COMBINER_FILE.write_text(json.dumps(combiner, indent=1) + "\n", encoding="utf-8")
    report.mkdir(parents=True, exist_ok=True)
    result = {"chosen_weights": grid[0]["weights"], "grid": grid[:15], "combiner": combiner}
    (report / "retrieval-dev.json").write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    return result


def run_report(settings: Settings, report: Path, naive: Any | None = None) -> dict[str, Any]:
    retriever = HybridRetriever(settings)
    systems: dict[str, Callable[[str], list[str]]] = {
        "dense": system(retriever, ("dense",)),
        "bm25 (Sudachi)": system(retriever, ("bm25",)),
        "bigram": system(retriever, ("bigram",)),
        "hybrid 2 legs, weighted (previous default)": system(
            retriever, ("dense", "bm25"), "weighted", {"dense": 0.5, "bm25": 0.5, "bigram": 0.0}),
        "hybrid 3 legs, weighted": system(retriever, LEGS, "weighted"),
        "hybrid 3 legs, RRF": system(retriever, LEGS, "rrf"),
        "hybrid 3 legs, learned": system(retriever, LEGS, "learned"),
    }
    if naive is not None:
        systems["naive LangChain baseline"] = lambda q: list(dict.fromkeys(h.doc_id for h in naive.search(q, k=20)))
    result: dict[str, Any] = {"settings": {k: getattr(settings, k) for k in
                              ("fusion", "dense_weight", "bm25_weight", "bigram_weight", "max_chunks_per_doc")}}
    for split, names in (("dev", DEV), ("test", TEST)):
        gold = items(names)
        result[split] = {name: score(run, gold) for name, run in systems.items()}
    test = result["test"]
    default = _default_name(settings)
    best_leg = max(("dense", "bm25 (Sudachi)", "bigram"), key=lambda n: (test[n]["hit@1"], test[n]["mrr"]))
    result["sign_test"] = {"default": default, "best_single_leg": best_leg,
                           **sign_test(test[default]["_hit1"], test[best_leg]["_hit1"])}
    for split in ("dev", "test"):
        for s in result[split].values():
            s.pop("_hit1", None)
    report.mkdir(parents=True, exist_ok=True)
    (report / "retrieval.json").write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    (report / "retrieval.md").write_text(markdown(result), encoding="utf-8")
    return result


def _default_name(settings: Settings) -> str:
    return {"weighted": "hybrid 3 legs, weighted", "rrf": "hybrid 3 legs, RRF", "learned": "hybrid 3 legs, learned"}[settings.fusion]


def split_table(split: str, systems: dict[str, dict[str, Any]]) -> list[str]:
    """One split's scores, a row per system (shared with evals/keyword_scoring.py)."""
    n = next(iter(systems.values()))["n"]
    lines = [f"## {split} ({n} questions)", "", "| system | hit@1 | hit@5 | hit@10 | MRR | nDCG@10 | p50 ms | p95 ms |",
             "|---|---|---|---|---|---|---|---|"]
    for name, s in systems.items():
        lines.append(f"| {name} | {s['hit@1']:.3f} | {s['hit@5']:.3f} | {s['hit@10']:.3f} | {s['mrr']:.3f} | "
                     f"{s['ndcg@10']:.3f} | {s['p50_ms']:.0f} | {s['p95_ms']:.0f} |")
    return [*lines, ""]


def markdown(result: dict[str, Any]) -> str:
    lines = ["# Retrieval: legs and fusions (document level)", "",
             f"Settings: {result['settings']}. dev = {', '.join(DEV)} (tuned on); test = {', '.join(TEST)} (never tuned on).", ""]
    for split in ("test", "dev"):
        lines += split_table(split, result[split])
    t = result["sign_test"]
    lines.append(f"Sign test on test hit@1, {t['default']} vs {t['best_single_leg']}: {t['wins']} wins, {t['losses']} "
                 f"losses, p = {t['p']}.")
    return "\n".join(lines) + "\n"
