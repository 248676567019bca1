"""Fusing the ranked lists of the retrieval legs into one score per chunk.

Three methods, chosen on the dev split and reported on the untuned test split (``python -m evals retrieval``):
weighted max-normalised scores, weighted reciprocal-rank fusion, and a small learned combiner (logistic regression
over each leg's normalised score and reciprocal rank, ``combiner.json``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

Ranked = Sequence[tuple[str, float]]
COMBINER_FILE = Path(__file__).with_name("combiner.json")
LEGS = ("dense", "bm25", "bigram")


def normalised(leg: str, ranked: Ranked) -> dict[str, float]:
    """Scores on 0–1: dense cosines min–max over the list (they sit in a narrow band), keyword scores / best."""
    if not ranked:
        return {}
    if leg == "dense":
        top, bottom = ranked[0][1], ranked[-1][1]
        span = max(top - bottom, 1e-6)
        return {cid: (s - bottom) / span for cid, s in ranked}
    top = max(ranked[0][1], 1e-6)
    return {cid: s / top for cid, s in ranked}


def fuse(legs: Mapping[str, Ranked], *, method: str, weights: Mapping[str, float], rrf_k: int) -> dict[str, float]:
    """One score per chunk id from the legs' ranked lists (legs absent from ``weights`` count with weight 0)."""
    if method == "learned":
        return learned(legs, combiner())
    fused: dict[str, float] = {}
    for leg, ranked in legs.items():
        w = weights.get(leg, 0.0)
        if not w:
            continue
        if method == "rrf":
            for rank, (cid, _) in enumerate(ranked):
                fused[cid] = fused.get(cid, 0.0) + w / (rrf_k + rank + 1)
        else:
            for cid, s in normalised(leg, ranked).items():
                fused[cid] = fused.get(cid, 0.0) + w * s
    return fused


def features(legs: Mapping[str, Ranked]) -> dict[str, list[float]]:
    """Per chunk: for each leg its normalised score and reciprocal rank (0 when the leg did not return it)."""
    norm = {leg: normalised(leg, legs.get(leg, ())) for leg in LEGS}
    ranks = {leg: {cid: r for r, (cid, _) in enumerate(legs.get(leg, ()))} for leg in LEGS}
    ids = {cid for ranked in legs.values() for cid, _ in ranked}
    return {
        cid: [v for leg in LEGS for v in (norm[leg].get(cid, 0.0), 1.0 / (1 + ranks[leg][cid]) if cid in ranks[leg] else 0.0)]
        for cid in ids
    }


def learned(legs: Mapping[str, Ranked], model: Mapping[str, list[float] | float]) -> dict[str, float]:
    coef, intercept = model["coef"], float(model["intercept"])  # type: ignore[arg-type]
    return {cid: 1 / (1 + math.exp(-(intercept + sum(c * x for c, x in zip(coef, xs, strict=True)))))
            for cid, xs in features(legs).items()}


@lru_cache(maxsize=1)
def combiner() -> dict:
    """The learned combiner trained by ``python -m evals retrieval train`` on the dev split."""
    return json.loads(COMBINER_FILE.read_text(encoding="utf-8"))
