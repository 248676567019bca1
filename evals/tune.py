"""Tuning sweeps that inform the defaults in ingest/settings.py (this module never changes them).

1. Fusion: weighted vs RRF × bm25_weight ∈ {0.3, 0.5, 0.7} (RRF also with k = 20), document-level retrieval on
   core, next to BM25 only and dense only; optionally the extractive answers' key-point coverage and citation
   precision per configuration.
2. min_support: the assistant refuses when the share of question terms found in the top passages is below it.
   Support does not depend on the threshold, so one pass records it per question and every threshold is then
   simulated exactly: core questions should be answered, adversarial out-of-scope and unanswerable ones should
   not be answered from the corpus. Injection items are refused before retrieval and are left out.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.answer.pipeline import rewrite_follow_up, support_of
from assistant.container import build_assistant
from assistant.retrieval.hybrid import HybridRetriever
from assistant.retrieval.query import expand_query
from chizai.index.embedding_cache import build_embedder
from chizai.settings import Settings
from evals.gold import GoldItem, load_gold, resolve_gold
from evals.index import corpus_settings
from evals.metrics.behaviour import threshold_sweep
from evals.metrics.summary import summarise_answers, summarise_retrieval
from evals.report import fmt, table
from evals.runner import make_systems, run_answers, run_retrieval

FUSIONS: tuple[tuple[str, float, int], ...] = (
    ("weighted", 0.3, 60),
    ("weighted", 0.5, 60),
    ("weighted", 0.7, 60),
    ("rrf", 0.3, 60),
    ("rrf", 0.5, 60),
    ("rrf", 0.7, 60),
    ("rrf", 0.5, 20),
)
THRESHOLDS = tuple(round(0.2 + 0.05 * i, 2) for i in range(11))  # 0.20 … 0.70


def label(fusion: str, weight: float, rrf_k: int) -> str:
    return f"{fusion} w={weight}" + (f" k={rrf_k}" if fusion == "rrf" else "")


def support_for(retriever: HybridRetriever, question: str, k: int) -> float:
    """The assistant's support score for a first question (same steps as ``assistant.answer.pipeline.Turn``)."""
    standalone = rewrite_follow_up(question, [])
    query = expand_query(standalone)
    hits = retriever.search(query, k=k)
    return support_of(query[len(standalone) :] if query != standalone else query, hits)


def tune(
    core: Sequence[GoldItem],
    adversarial: Sequence[GoldItem],
    base: Settings,
    *,
    answers: bool = True,
    bar: Any = None,
    data_dir: Path | None = None,
) -> dict[str, Any]:
    from evals.evaluate import Bar

    bar = bar or Bar()
    settings, index_note = corpus_settings(
        base, data_dir, force_cache=data_dir is None, progress=bar.ingest("indexing corpus")
    )
    embedder = build_embedder(settings)  # questions memoised, and kept in the machine's cache between runs
    rows: list[dict[str, Any]] = []
    legs = make_systems(settings, ("bm25", "dense"), embedder=embedder)
    records = run_retrieval(core, legs, bar.task("tune: single legs", len(core) * 2))
    for system in ("bm25", "dense"):
        rows.append(
            {"config": f"{system} only", **summarise_retrieval([r for r in records if r["system"] == system])}
        )
    per_config: dict[str, Settings] = {}
    for fusion, weight, rrf_k in FUSIONS:
        variant = settings.model_copy(update={"fusion": fusion, "bm25_weight": weight, "rrf_k": rrf_k})
        name = label(fusion, weight, rrf_k)
        per_config[name] = variant
        systems = make_systems(variant, (f"hybrid-{fusion}",), embedder=embedder)
        recs = run_retrieval(core, systems, bar.task(f"tune: {name}", len(core)))
        row: dict[str, Any] = {
            "config": name,
            "fusion": fusion,
            "bm25_weight": weight,
            "rrf_k": rrf_k,
            **summarise_retrieval(recs),
        }
        if answers:
            assistant = build_assistant(variant, retriever=HybridRetriever(variant, embedder=embedder))
            ans = summarise_answers(
                run_answers(core, assistant, "extractive", bar.task(f"tune answers: {name}", len(core)))
            )
            row.update(
                {
                    k: ans[k]
                    for k in ("key_point_coverage", "citation_precision", "citation_recall", "over_refusal")
                }
            )
        rows.append(row)
    hybrid_rows = [r for r in rows if "fusion" in r]
    best = max(hybrid_rows, key=lambda r: (r["mrr"], r["hit@1"], r.get("key_point_coverage") or 0))

    # min_support, with the default fusion and with the best one
    negatives = [i for i in adversarial if i.kind in ("out-of-scope", "unanswerable")]
    support_rows: dict[str, Any] = {}
    default_label = label(settings.fusion, settings.bm25_weight, settings.rrf_k)
    variants = {f"default ({default_label})": settings}
    if best["config"] != default_label:
        variants[f"best ({best['config']})"] = per_config[best["config"]]
    for name, variant in variants.items():
        retriever = HybridRetriever(variant, embedder=embedder)
        tick = bar.task(f"tune: support ({name})", len(core) + len(negatives))
        pos, neg = [], []
        for item in core:
            pos.append(support_for(retriever, item.question, variant.top_k))
            tick(item.id)
        neg_detail = {}
        for item in negatives:
            s = support_for(retriever, item.question, variant.top_k)
            neg.append(s)
            neg_detail[item.id] = round(s, 3)
            tick(item.id)
        sweep = threshold_sweep(pos, neg, THRESHOLDS)
        support_rows[name] = {
            "sweep": sweep,
            "best": max(sweep, key=lambda r: (round(r["balanced"], 6), r["answered"])),
            "negatives": neg_detail,
            "core_support_quantiles": _quantiles(pos),
        }
    return {
        "index": index_note,
        "n_core": len(core),
        "n_negatives": len(negatives),
        "settings": {
            k: getattr(settings, k)
            for k in ("fusion", "bm25_weight", "rrf_k", "min_support", "top_k", "candidates")
        },
        "fusion": rows,
        "best_fusion": best["config"],
        "min_support": support_rows,
    }


def _quantiles(values: Sequence[float]) -> dict[str, float]:
    from evals.metrics.latency import percentile

    return {f"p{q}": round(percentile(values, q) or 0.0, 3) for q in (5, 10, 25, 50)}


def markdown(result: dict[str, Any]) -> str:
    cols = [
        "hit@1",
        "hit@5",
        "hit@10",
        "mrr",
        "ndcg@10",
        "key_point_coverage",
        "citation_precision",
        "over_refusal",
    ]
    lines = [
        "# Tuning: fusion and min_support",
        "",
        f"- {result['index']}",
        f"- current settings: {result['settings']}",
        f"- core items: {result['n_core']}; adversarial out-of-scope + unanswerable: {result['n_negatives']}",
        "",
        "## Fusion (core, document level; answers = extractive engine)",
        "",
    ]
    rows = [[r["config"], *[r.get(c) for c in cols]] for r in result["fusion"]]
    lines += table(
        ["config", "hit@1", "hit@5", "hit@10", "MRR", "nDCG@10", "key points", "cit. P", "over-refusal"], rows
    )
    lines += [f"Best by MRR (then hit@1, key points): **{result['best_fusion']}**", ""]
    for name, data in result["min_support"].items():
        lines += [
            f"## min_support — {name}",
            "",
            f"core support quantiles: {data['core_support_quantiles']}",
            "",
        ]
        lines += table(
            [
                "min_support",
                "core answered",
                "out-of-scope + unanswerable refused",
                "balanced",
                "core refused (n)",
                "negatives answered (n)",
            ],
            [
                [
                    r["min_support"],
                    r["answered"],
                    r["refused"],
                    r["balanced"],
                    round(result["n_core"] * (1 - r["answered"])),
                    round(result["n_negatives"] * (1 - r["refused"])),
                ]
                for r in data["sweep"]
            ],
        )
        b = data["best"]
        lines += [
            f"Best balanced: min_support={b['min_support']} "
            f"(answered {fmt(b['answered'])}, refused {fmt(b['refused'])})",
            "",
        ]
        lines += [
            "Support of the negatives: " + ", ".join(f"{k} {v}" for k, v in data["negatives"].items()),
            "",
        ]
    return "\n".join(lines)


def run_tune(report_dir: Path, *, answers: bool, bar: Any = None, limit: int | None = None) -> dict[str, Any]:
    started = time.time()
    core = load_gold(resolve_gold("core"), limit)
    adversarial = load_gold(resolve_gold("adversarial"))
    result = tune(core, adversarial, Settings(), answers=answers, bar=bar)
    result["seconds"] = round(time.time() - started, 1)
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "tune.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    (report_dir / "tune.md").write_text(markdown(result), encoding="utf-8")
    return result
