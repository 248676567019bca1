"""report.json for machines, report.md for people, PNG charts when matplotlib is installed.

The Streamlit 評価 page shows ``DIR/report.md`` and ``DIR/*.png``; ``run-all`` writes one report.md with a
section per gold set and charts named ``<set>-<chart>.png``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.metrics.summary import RANK_METRICS

LABELS = {
    "hit@1": "hit@1",
    "hit@5": "hit@5",
    "hit@10": "hit@10",
    "mrr": "MRR",
    "ndcg@10": "nDCG@10",
    "p50_ms": "p50 ms",
    "p95_ms": "p95 ms",
}
ANSWER_ROWS = [
    ("n", "items"),
    ("answered", "answered (share not refused)"),
    ("over_refusal", "over-refusal (answerable items refused)"),
    ("citation_precision", "citation precision (docs)"),
    ("citation_recall", "citation recall (docs)"),
    ("page_citation_precision", "citation precision (page/article)"),
    ("grounded_ratio", "grounded share"),
    ("key_point_coverage", "key-point coverage"),
    ("handoff_precision", "handoff precision"),
    ("handoff_recall", "handoff recall"),
    ("handoff_f1", "handoff F1"),
    ("window_routing", "window routing (gold 1st window in top 3)"),
    ("refusal_accuracy", "refusal accuracy (out-of-scope + injection)"),
    ("behaviour_accuracy", "expected behaviour (adversarial)"),
    ("pii_echoed", "personal data echoed (lower is better)"),
    ("language_match", "answer-language match"),
    ("p50_ms", "latency p50 ms"),
    ("p95_ms", "latency p95 ms"),
]
CATEGORY_ANSWER_COLS = [
    ("n", "n"),
    ("key_point_coverage", "key points"),
    ("citation_precision", "cit. P"),
    ("citation_recall", "cit. R"),
    ("grounded_ratio", "grounded"),
    ("handoff_f1", "handoff F1"),
    ("window_routing", "windows"),
    ("refusal_accuracy", "refusal"),
    ("behaviour_accuracy", "behaviour"),
    ("language_match", "language"),
    ("p50_ms", "p50 ms"),
]


def fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.0f}" if abs(value) >= 10 else f"{value:.3f}"
    return str(value)


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(fmt(c) if not isinstance(c, str) else c for c in row) + " |" for row in rows]
    return lines + [""]


def _system_label(report: dict[str, Any], system: str) -> str:
    return f"**{system}** (default)" if system == report.get("default_system") else system


def retrieval_section(report: dict[str, Any]) -> list[str]:
    out: list[str] = []
    systems = report["systems"]
    if not systems or not any(report["retrieval"][s]["overall"]["n"] for s in systems):
        return ["No retrieval gold in this set (no doc_ids / sources).", ""]
    out += ["### Retrieval: systems compared (document level)", ""]
    metrics = (*RANK_METRICS, "p50_ms", "p95_ms")
    rows = [
        [_system_label(report, s), report["retrieval"][s]["overall"]["n"]]
        + [report["retrieval"][s]["overall"][m] for m in metrics]
        for s in systems
    ]
    out += table(["system", "n", *[LABELS[m] for m in metrics]], rows)
    unit = [s for s in systems if report["retrieval"][s]["overall"].get("unit")]
    if unit:
        out += ["### Retrieval: page / statute-article level", ""]
        rows = [
            [_system_label(report, s), report["retrieval"][s]["overall"]["unit"]["n"]]
            + [report["retrieval"][s]["overall"]["unit"][m] for m in RANK_METRICS]
            for s in unit
        ]
        out += table(["system", "n", *[LABELS[m] for m in RANK_METRICS]], rows)
    for metric in ("hit@5", "mrr"):
        out += [f"### Retrieval by category: {LABELS[metric]}", ""]
        cats = sorted({c for s in systems for c in report["retrieval"][s]["by_category"]})
        rows = []
        for cat in cats:
            first = next(
                (
                    report["retrieval"][s]["by_category"].get(cat)
                    for s in systems
                    if cat in report["retrieval"][s]["by_category"]
                ),
                {},
            )
            rows.append(
                [cat, first.get("n")]
                + [report["retrieval"][s]["by_category"].get(cat, {}).get(metric) for s in systems]
            )
        out += table(["category", "n", *systems], rows)
    return out


def answers_section(report: dict[str, Any]) -> list[str]:
    engines = report["engines"]
    if not engines:
        return ["No answer engine was run.", ""]
    out = ["### Answers: engines compared", ""]
    rows = [
        [label] + [report["answers"][e]["overall"].get(key) for e in engines] for key, label in ANSWER_ROWS
    ]
    rows = [r for r in rows if any(v is not None for v in r[1:])]
    out += table(["metric", *engines], rows)
    for engine in engines:
        overall = report["answers"][engine]["overall"]
        if overall.get("handoff_counts") and any(overall["handoff_counts"].values()):
            c = overall["handoff_counts"]
            out += [
                f"Handoff confusion ({engine}): TP {c['tp']} · FP {c['fp']} · FN {c['fn']} · TN {c['tn']}",
                "",
            ]
        if overall.get("behaviour_by_kind"):
            out += [f"### Adversarial behaviour by kind ({engine})", ""]
            out += table(
                ["kind", "share as expected"], [[k, v] for k, v in overall["behaviour_by_kind"].items()]
            )
        out += [f"### Answers by category ({engine})", ""]
        by_cat = report["answers"][engine]["by_category"]
        cols = [c for c in CATEGORY_ANSWER_COLS if any(v.get(c[0]) is not None for v in by_cat.values())]
        out += table(
            ["category", *[label for _, label in cols]],
            [[cat, *[v.get(k) for k, _ in cols]] for cat, v in by_cat.items()],
        )
    return out


def judge_section(report: dict[str, Any]) -> list[str]:
    judge = report.get("judge") or {}
    out = ["### LLM judge (separate from the metrics above)", ""]
    if "skipped" in judge:
        return out + [f"Skipped: {judge['skipped']}", ""]
    rows = [
        [e, v["parsed"], v["n"], v["faithfulness"], v["correctness"]]
        for e, v in judge.items()
        if isinstance(v, dict)
    ]
    return (
        out
        + [f"Judge engine: {judge.get('judge')}", ""]
        + table(["engine", "graded", "answered", "faithfulness 1–5", "correctness 1–5"], rows)
    )


def worst_items(report: dict[str, Any], limit: int = 15) -> list[dict[str, Any]]:
    """Items with the most problems under the default system and the first engine, worst first."""
    default = report.get("default_system")
    engine = report["engines"][0] if report["engines"] else None
    retrieval = {r["id"]: r for r in report["records"]["retrieval"] if r["system"] == default}
    answers = {r["id"]: r for r in report["records"]["answers"] if r["engine"] == engine}
    rows = []
    for item_id, meta in report["items"].items():
        badness, problems = 0.0, []
        r = retrieval.get(item_id)
        if r and r.get("scores"):
            scores = r.get("unit_scores") or r["scores"]
            badness += 1 - scores["mrr"]
            if scores["mrr"] < 1:
                rank = round(1 / scores["mrr"]) if scores["mrr"] else None
                problems.append(f"gold rank {rank}" if rank else "gold not in top 20")
        a = answers.get(item_id)
        if a:
            if a.get("kp_coverage") is not None and a["kp_coverage"] < 1:
                badness += 1 - a["kp_coverage"]
                problems.append("missing: " + "・".join(a["kp_missing"][:3]))
            if a.get("citation_precision") is not None and a["citation_precision"] < 1:
                badness += 1 - a["citation_precision"]
                problems.append(f"cited {', '.join(a['cited'][:3])}")
            if a.get("handoff_gold") is not None and a["handoff_gold"] != a["handoff_pred"]:
                badness += 1
                got = f"yes ({a.get('handoff_reason')})" if a["handoff_pred"] else "no"
                problems.append(f"handoff expected {'yes' if a['handoff_gold'] else 'no'}, got {got}")
            if a.get("behaviour_ok") is False:
                badness += 1
                problems.append(f"expected {a['expect']}, got {a['refused'] or 'an answer'}")
            if a.get("window_hit") is False:
                badness += 0.5
                problems.append(f"windows {a['windows_pred'][:3]} ≠ {a['windows_gold'][:1]}")
            if a.get("language_match") is False:
                badness += 0.5
                problems.append("answer language")
        if badness > 0:
            rows.append(
                {
                    "id": item_id,
                    "category": meta["category"],
                    "question": meta["question"],
                    "badness": badness,
                    "problems": problems,
                }
            )
    rows.sort(key=lambda x: (-x["badness"], x["id"]))
    return rows[:limit]


def _load_text(report: dict[str, Any]) -> str:
    load = report.get("load_average") or {}
    return f"{load.get('start')} → {load.get('end')} on {os.cpu_count()} CPUs"


def gold_section(report: dict[str, Any], charts: Sequence[str] = ()) -> list[str]:
    s = report["settings"]
    subset = f", {report['subset']}" if report.get("subset") else ""
    out = [
        f"## {report['gold']} ({report['n_items']} items{subset})",
        "",
        f"Run {report['created']} on {report['machine']} (load average {_load_text(report)}); "
        f"{report['seconds']['total']} s. "
        f"Settings: fusion={s['fusion']} bm25_weight={s['bm25_weight']} rrf_k={s['rrf_k']} "
        f"min_support={s['min_support']} "
        f"top_k={s['top_k']} embedder={s['embedder']}.",
        "",
    ]
    out += [f"- {n}" for n in report["notes"]] + [""]
    out += retrieval_section(report)
    out += answers_section(report)
    out += judge_section(report)
    worst = worst_items(report)
    if worst:
        out += ["### Worst items", ""]
        out += table(
            ["id", "category", "question", "problems"],
            [
                [
                    w["id"],
                    w["category"],
                    w["question"][:60].replace("|", "｜"),
                    "; ".join(w["problems"]).replace("|", "｜"),
                ]
                for w in worst
            ],
        )
    for chart in charts:
        out += [f"![{chart}]({chart})", ""]
    return out


def write_reports(
    reports: Sequence[dict[str, Any]], directory: Path, title: str = "評価レポート / Evaluation report"
) -> list[Path]:
    """Write report.json, report.md and charts for one or more gold-set reports into ``directory``."""
    from evals.charts import write_charts

    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.png"):
        old.unlink()
    written: list[Path] = []
    md = [f"# {title}", ""]
    summary = comparison_overview(reports)
    if summary:
        md += summary
    chart_notes: list[str] = []
    for report in reports:
        charts, note = write_charts(report, directory)
        if note:
            chart_notes.append(note)
        md += gold_section(report, [c.name for c in charts])
        written += charts
    md += [f"_{n}_" for n in dict.fromkeys(chart_notes)] + [""]
    data = reports[0] if len(reports) == 1 else {"reports": {r["gold"]: r for r in reports}}
    (directory / "report.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    (directory / "report.md").write_text("\n".join(md), encoding="utf-8")
    return [directory / "report.json", directory / "report.md", *written]


def comparison_overview(reports: Sequence[dict[str, Any]]) -> list[str]:
    """Headline numbers across gold sets: default retrieval system and first engine."""
    rows = []
    for r in reports:
        default = r["retrieval"].get(r["default_system"], {}).get("overall", {})
        unit = default.get("unit") or {}
        engine = r["engines"][0] if r["engines"] else None
        ans = r["answers"][engine]["overall"] if engine else {}
        rows.append(
            [
                r["gold"],
                r["n_items"],
                default.get("hit@5"),
                default.get("mrr"),
                unit.get("hit@5"),
                ans.get("key_point_coverage"),
                ans.get("citation_precision"),
                ans.get("handoff_f1"),
                ans.get("refusal_accuracy"),
                ans.get("behaviour_accuracy"),
                ans.get("p95_ms"),
            ]
        )
    if not rows:
        return []
    return ["## Overview", ""] + table(
        [
            "set",
            "items",
            "hit@5",
            "MRR",
            "page/article hit@5",
            "key points",
            "cit. P",
            "handoff F1",
            "refusal",
            "behaviour",
            "p95 ms",
        ],
        rows,
    )
