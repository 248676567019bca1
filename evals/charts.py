"""PNG charts, only when matplotlib is installed (imported lazily; the evals work without it).

Labels are ASCII (system, metric and category ids) so no Japanese font is needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

MISSING_NOTE = "Charts skipped: matplotlib is not installed (pip install matplotlib==3.11.2)."


def _pyplot() -> Any | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def _grouped_bars(
    plt: Any, path: Path, groups: list[str], series: dict[str, list[float]], title: str, ylabel: str
) -> Path:
    width_in = min(11.0, 3.0 + 0.18 * len(groups) * max(1, len(series)))
    fig, ax = plt.subplots(figsize=(width_in, 4.6), dpi=110)
    width = 0.8 / max(1, len(series))
    for i, (name, values) in enumerate(series.items()):
        xs = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
        ax.bar(xs, [v if v is not None else 0 for v in values], width, label=name)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(
        groups, rotation=30 if len(groups) > 5 else 0, ha="right" if len(groups) > 5 else "center"
    )
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(
        fontsize=8,
        ncols=min(len(series), 5),
        loc="upper center",
        bbox_to_anchor=(0.5, -0.22 if len(groups) > 5 else -0.1),
    )
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def write_charts(report: dict[str, Any], directory: Path) -> tuple[list[Path], str | None]:
    plt = _pyplot()
    if plt is None:
        return [], MISSING_NOTE
    name = report["gold"]
    charts: list[Path] = []
    systems = [s for s in report["systems"] if report["retrieval"][s]["overall"]["n"]]
    if systems:
        metrics = ["hit@1", "hit@5", "hit@10", "mrr", "ndcg@10"]
        series = {s: [report["retrieval"][s]["overall"][m] for m in metrics] for s in systems}
        charts.append(
            _grouped_bars(
                plt,
                directory / f"{name}-retrieval.png",
                metrics,
                series,
                f"{name}: retrieval (document level)",
                "score",
            )
        )
        unit = [s for s in systems if report["retrieval"][s]["overall"].get("unit")]
        if unit:
            series = {s: [report["retrieval"][s]["overall"]["unit"][m] for m in metrics] for s in unit}
            charts.append(
                _grouped_bars(
                    plt,
                    directory / f"{name}-retrieval-pages.png",
                    metrics,
                    series,
                    f"{name}: retrieval (page / article)",
                    "score",
                )
            )
        cats = sorted({c for s in systems for c in report["retrieval"][s]["by_category"]})
        if len(cats) > 1:
            series = {
                s: [report["retrieval"][s]["by_category"].get(c, {}).get("mrr") for c in cats]
                for s in systems
            }
            charts.append(
                _grouped_bars(
                    plt,
                    directory / f"{name}-retrieval-categories.png",
                    cats,
                    series,
                    f"{name}: MRR by category",
                    "MRR",
                )
            )
    if report["engines"]:
        engine = report["engines"][0]
        by_cat = report["answers"][engine]["by_category"]
        cats = sorted(by_cat)
        keys = [
            k
            for k in ("key_point_coverage", "citation_precision", "handoff_f1", "behaviour_accuracy")
            if any(by_cat[c].get(k) is not None for c in cats)
        ]
        if keys:
            series = {k: [by_cat[c].get(k) for c in cats] for k in keys}
            charts.append(
                _grouped_bars(
                    plt,
                    directory / f"{name}-answers-categories.png",
                    cats,
                    series,
                    f"{name}: answers by category ({engine})",
                    "share",
                )
            )
    return charts, None
