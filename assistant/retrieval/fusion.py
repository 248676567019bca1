"""Fusing the ranked lists of the retrieval legs into one score per chunk."""

from __future__ import annotations


def fuse(
    dense: list[tuple[str, float]],
    keyword: list[tuple[str, float]],
    *,
    method: str,
    bm25_weight: float,
    rrf_k: int,
) -> dict[str, float]:
    """Weighted reciprocal-rank fusion, or weighted max-normalised scores; weights tuned on the gold sets."""
    fused: dict[str, float] = {}
    dense_weight = 1.0 - bm25_weight
    if method == "rrf":
        for rank, (cid, _) in enumerate(dense):
            fused[cid] = fused.get(cid, 0.0) + dense_weight / (rrf_k + rank + 1)
        for rank, (cid, _) in enumerate(keyword):
            fused[cid] = fused.get(cid, 0.0) + bm25_weight / (rrf_k + rank + 1)
        return fused
    if dense:
        top, bottom = dense[0][1], dense[-1][1]
        span = max(top - bottom, 1e-6)
        for cid, score in dense:
            fused[cid] = fused.get(cid, 0.0) + dense_weight * (score - bottom) / span
    if keyword:
        top = max(keyword[0][1], 1e-6)
        for cid, score in keyword:
            fused[cid] = fused.get(cid, 0.0) + bm25_weight * score / top
    return fused
