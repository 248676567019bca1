"""Latency summaries: medians and 95th percentiles of one run, in milliseconds."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def summarize(values_ms: Sequence[float]) -> dict[str, float | int]:
    if not values_ms:
        return {"n": 0}
    arr = np.asarray(values_ms, dtype=float)
    return {
        "n": int(arr.size),
        "p50": round(float(np.percentile(arr, 50)), 2),
        "p95": round(float(np.percentile(arr, 95)), 2),
        "mean": round(float(arr.mean()), 2),
        "min": round(float(arr.min()), 2),
        "max": round(float(arr.max()), 2),
    }


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 2)
