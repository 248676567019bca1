"""Handoff metrics: was a person recommended when the gold says so, and to the right window."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def handoff_prf(pairs: Iterable[tuple[bool, bool]]) -> dict[str, float | int | None]:
    """Precision/recall/F1 of ``recommended`` over (gold, predicted) pairs; None where undefined."""
    tp = fp = fn = tn = 0
    for gold, pred in pairs:
        if gold and pred:
            tp += 1
        elif pred:
            fp += 1
        elif gold:
            fn += 1
        else:
            tn += 1
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    if precision is None or recall is None:
        f1 = None
    else:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    n = tp + fp + fn + tn
    accuracy = (tp + tn) / n if n else None
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "accuracy": accuracy,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }


def window_routed(gold_windows: Sequence[str], recommended: Sequence[str], k: int = 3) -> bool | None:
    """The gold's first window is among the top-k recommended windows; None (n/a) when the gold names none."""
    if not gold_windows:
        return None
    return gold_windows[0] in list(recommended)[:k]
