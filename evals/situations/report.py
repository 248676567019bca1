"""The situation model's honest report: per-class scores on the blind test split, handoff on test and paraphrases.

Dev numbers come from training (they chose the hyper-parameters and thresholds, so they are optimistic and are
labelled as such); test and paraphrase numbers come from the shipped policy — model plus rules — on sets nobody
tuned anything on. Relative dates are read as of ``EVAL_TODAY``, the day the blind sets were written, so the numbers
do not drift with the calendar.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.handoff.situation import SITUATIONS
from chizai.settings import Settings
from evals.situations import data
from evals.situations.scoring import Scored, policy_for_eval, score_items  # noqa: F401 - a running `train` imports them here

BASELINE = Path(__file__).resolve().parent.parent / "baselines" / "situations.json"
GATE_TOLERANCE = 0.03  # the CI gate fails when test-split handoff F1 drops by more than this


def prf(gold: Sequence[bool], pred: Sequence[bool]) -> dict[str, float]:
    tp = sum(g and p for g, p in zip(gold, pred, strict=True))
    fp = sum(p and not g for g, p in zip(gold, pred, strict=True))
    fn = sum(g and not p for g, p in zip(gold, pred, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "n": len(gold)}


def summarise(scored: Sequence[Scored]) -> dict[str, Any]:
    gold_sit = [s.item.situation for s in scored]
    pred_sit = [s.situation for s in scored]
    per_class = {c: prf([g == c for g in gold_sit], [p == c for p in pred_sit]) for c in SITUATIONS}
    matrix = [[sum(g == a and p == b for g, p in zip(gold_sit, pred_sit, strict=True)) for b in SITUATIONS]
              for a in SITUATIONS]
    return {
        "n": len(scored),
        "handoff": prf([s.item.handoff for s in scored], [s.handoff for s in scored]),
        "scope_accuracy": round(float(np.mean([s.in_scope == s.item.in_scope for s in scored])), 4),
        "situation_accuracy": round(float(np.mean([g == p for g, p in zip(gold_sit, pred_sit, strict=True)])), 4),
        "situation_macro_f1": round(float(np.mean([v["f1"] for v in per_class.values()])), 4),
        "per_class": per_class,
        "confusion": {"labels": list(SITUATIONS), "matrix": matrix},
        "misses": [{"id": s.item.id, "gold": s.item.situation, "pred": s.situation, "handoff_gold": s.item.handoff,
                    "handoff_pred": s.handoff} for s in scored if s.item.handoff != s.handoff][:60],
    }


def run(settings: Settings) -> dict[str, Any]:
    policy = policy_for_eval(settings)
    result: dict[str, Any] = {"model": {k: policy.model.meta[k] for k in ("trained_at", "trained_on", "dev", "tuned_on",
                                                                           "thresholds")}}
    for name in ("test", "paraphrase"):
        items = data.blind(name, screened=False)
        scored = score_items(policy, items, data.embed_items(settings, items))
        drop = data.excluded_ids()
        result[name] = summarise([s for s in scored if s.item.id not in drop])
        result[f"{name}_unscreened"] = summarise(scored)
    result["excluded"] = len(data.excluded_ids())
    return result


def gate(result: dict[str, Any]) -> list[str]:
    """Failures against the committed baseline (empty when the gate passes)."""
    if not BASELINE.exists():
        return [f"missing {BASELINE}: run `python -m evals situations report --update-baseline`"]
    base = json.loads(BASELINE.read_text(encoding="utf-8"))
    was, now = base["test"]["handoff"]["f1"], result["test"]["handoff"]["f1"]
    return [f"test handoff F1 {now:.3f} < baseline {was:.3f} − {GATE_TOLERANCE}"] if now < was - GATE_TOLERANCE else []


def markdown(result: dict[str, Any]) -> str:
    m, t, p = result["model"], result["test"], result["paraphrase"]
    lines = [
        "# Situation model — handoff and scope", "",
        f"Model trained {m['trained_at']} on {m['trained_on']['train']} train + {m['trained_on']['dev']} dev messages; "
        f"tuned on: {m['tuned_on']}. Thresholds: {m['thresholds']}.", "",
        "| set | n | handoff P | handoff R | handoff F1 | scope acc | situation acc | situation macro-F1 |",
        "|---|---|---|---|---|---|---|---|",
        f"| dev (tuning; optimistic) | – | – | – | {m['dev']['dev_handoff_f1']:.3f} | – | – | {m['dev']['dev_situation_macro_f1']:.3f} |",
    ]
    rows = (("**test (blind)**", t), ("test, unscreened", result["test_unscreened"]), ("paraphrase (blind)", p),
            ("paraphrase, unscreened", result["paraphrase_unscreened"]))
    for name, s in rows:
        h = s["handoff"]
        lines.append(f"| {name} | {s['n']} | {h['precision']:.3f} | {h['recall']:.3f} | {h['f1']:.3f} | "
                     f"{s['scope_accuracy']:.3f} | {s['situation_accuracy']:.3f} | {s['situation_macro_f1']:.3f} |")
    lines += ["", f"{result['excluded']} blind items were excluded as near-duplicates of training items (cosine ≥ "
              f"{data.DUPLICATE_COSINE}).", "", "## Per class on the test split", "",
              "| situation | precision | recall | F1 | n (gold) |", "|---|---|---|---|---|"]
    gold_counts = [sum(row) for row in t["confusion"]["matrix"]]
    for (c, v), n in zip(t["per_class"].items(), gold_counts, strict=True):
        lines.append(f"| {c} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | {n} |")
    labels = t["confusion"]["labels"]
    lines += ["", "## Confusion matrix (test; rows gold, columns predicted)", "",
              "| gold \\ pred | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
    lines += [f"| {a} | " + " | ".join(map(str, row)) + " |" for a, row in zip(labels, t["confusion"]["matrix"], strict=True)]
    return "\n".join(lines) + "\n"


def write(result: dict[str, Any], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "situations.json", folder / "situations.md"]
    paths[0].write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    paths[1].write_text(markdown(result), encoding="utf-8")
    chart = _confusion_chart(result["test"]["confusion"], folder / "situations-confusion.png")
    return paths + ([chart] if chart else [])


def _confusion_chart(confusion: dict[str, Any], path: Path) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    labels, matrix = confusion["labels"], np.asarray(confusion["matrix"])
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    for (i, j), v in np.ndenumerate(matrix):
        ax.text(j, i, str(v), ha="center", va="center", color="white" if v > matrix.max() / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title("Situation model — blind test split")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
