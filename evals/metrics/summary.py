"""Aggregate per-item records into metric tables, overall and per category.

Records are plain dicts (JSON-ready) written by ``evals.runner``; the gate re-aggregates the records stored in
a baseline with the same functions, so a baseline and a new run are always summarised alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from evals.metrics.handoff import handoff_prf
from evals.metrics.latency import latency_summary
from evals.metrics.retrieval import KS

Record = dict[str, Any]
RANK_METRICS = tuple(f"hit@{k}" for k in KS) + ("mrr", "ndcg@10")


def mean(values: Iterable[float | bool | None]) -> float | None:
    vals = [float(v) for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def summarise_retrieval(records: Sequence[Record]) -> dict[str, Any]:
    scored = [r for r in records if r.get("scores")]
    out: dict[str, Any] = {"n": len(scored)}
    for metric in RANK_METRICS:
        out[metric] = mean(r["scores"][metric] for r in scored)
    unit_scored = [r for r in scored if r.get("unit_scores")]
    if unit_scored:
        out["unit"] = {"n": len(unit_scored)}
        for metric in RANK_METRICS:
            out["unit"][metric] = mean(r["unit_scores"][metric] for r in unit_scored)
    out.update(latency_summary([r["ms"] for r in records if r.get("ms") is not None]))
    return out


def summarise_answers(records: Sequence[Record]) -> dict[str, Any]:
    out: dict[str, Any] = {"n": len(records)}
    plain = [r for r in records if r.get("expect") is None]  # core / realdocs: should be answered
    out["answered"] = mean(r.get("refused") is None for r in records)
    out["over_refusal"] = mean(r.get("refused") is not None for r in plain)
    out["citation_precision"] = mean(r.get("citation_precision") for r in records)
    out["citation_recall"] = mean(r.get("citation_recall") for r in records)
    out["page_citation_precision"] = mean(r.get("page_citation_precision") for r in records)
    out["grounded_ratio"] = mean(r.get("grounded_ratio") for r in records if r.get("refused") is None)
    out["key_point_coverage"] = mean(r.get("kp_coverage") for r in records)
    out["first_sentence_key_point"] = mean(r.get("first_sentence_kp") for r in records)
    out["dead_ends"] = sum(bool(r.get("dead_end")) for r in records)
    pairs = [
        (bool(r["handoff_gold"]), bool(r["handoff_pred"]))
        for r in records
        if r.get("handoff_gold") is not None
    ]
    prf = handoff_prf(pairs)
    out["handoff_precision"], out["handoff_recall"], out["handoff_f1"] = (
        prf["precision"],
        prf["recall"],
        prf["f1"],
    )
    out["handoff_counts"] = {k: prf[k] for k in ("tp", "fp", "fn", "tn")}
    out["window_routing"] = mean(r.get("window_hit") for r in records)
    out["refusal_accuracy"] = mean(r.get("refusal_ok") for r in records if r.get("refusal_expected"))
    out["behaviour_accuracy"] = mean(r.get("behaviour_ok") for r in records)
    kinds = sorted({r["kind"] for r in records if r.get("kind")})
    if kinds:
        out["behaviour_by_kind"] = {
            k: mean(r.get("behaviour_ok") for r in records if r.get("kind") == k) for k in kinds
        }
    out["pii_echoed"] = mean(r.get("pii_echoed") for r in records if r.get("pii_echoed") is not None)
    out["language_match"] = mean(r.get("language_match") for r in records)
    out.update(latency_summary([r["ms"] for r in records if r.get("ms") is not None]))
    return out


def by_category(
    records: Sequence[Record], summarise: Callable[[Sequence[Record]], dict[str, Any]]
) -> dict[str, Any]:
    groups: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        groups[r.get("category") or "none"].append(r)
    return {cat: summarise(group) for cat, group in sorted(groups.items())}


def summarise_all(
    records: Sequence[Record], summarise: Callable[[Sequence[Record]], dict[str, Any]]
) -> dict[str, Any]:
    return {"overall": summarise(records), "by_category": by_category(records, summarise)}
