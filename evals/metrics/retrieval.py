"""Ranking metrics: hit@k, reciprocal rank and nDCG@k with binary relevance.

A ranking is a list of distinct units (document ids, ``source#page`` keys or statute
labels) best first. Each gold
target is credited at most once, at the first ranked unit that matches it, so a gold
「第2条」 matched by two of
its paragraphs does not push nDCG above 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

Match = Callable[[str, str], bool]
KS = (1, 5, 10)


def distinct(units: Iterable[str | None]) -> list[str]:
    """Units in first-seen order without repeats (chunk hits → document ranking)."""
    seen: set[str] = set()
    out: list[str] = []
    for unit in units:
        if unit is None or unit in seen:
            continue
        seen.add(unit)
        out.append(unit)
    return out


def _equal(a: str, b: str) -> bool:
    return a == b


def gains(ranked: Sequence[str], relevant: Sequence[str], match: Match = _equal) -> list[int]:
    """1 at each rank that matches a not-yet-credited gold target, else 0."""
    remaining = list(dict.fromkeys(relevant))
    out: list[int] = []
    for unit in ranked:
        hit = next((target for target in remaining if match(unit, target)), None)
        if hit is None:
            out.append(0)
        else:
            remaining.remove(hit)
            out.append(1)
    return out


def hit_at_k(ranked: Sequence[str], relevant: Sequence[str], k: int, match: Match = _equal) -> float:
    return 1.0 if any(gains(ranked[:k], relevant, match)) else 0.0


def reciprocal_rank(ranked: Sequence[str], relevant: Sequence[str], match: Match = _equal) -> float:
    for rank, gain in enumerate(gains(ranked, relevant, match), 1):
        if gain:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: Sequence[str], k: int = 10, match: Match = _equal) -> float:
    n_relevant = len(dict.fromkeys(relevant))
    if n_relevant == 0:
        return 0.0
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains(ranked[:k], relevant, match)))
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(n_relevant, k)))
    return dcg / ideal


def ranking_scores(ranked: Sequence[str], relevant: Sequence[str], match: Match = _equal) -> dict[str, float]:
    """hit@1/5/10, MRR (over the whole ranking given) and nDCG@10."""
    scores = {f"hit@{k}": hit_at_k(ranked, relevant, k, match) for k in KS}
    scores["mrr"] = reciprocal_rank(ranked, relevant, match)
    scores["ndcg@10"] = ndcg_at_k(ranked, relevant, 10, match)
    return scores


def article_matches(label: str, gold: str) -> bool:
    """A chunk labelled 「法 第19条第1項」 answers gold 「法 第19条第1項第6号」 and vice versa,
    never 「第19条の2」.

    One label must be a prefix of the other and the longer one must continue with a finer
    unit (第…項 / 第…号).
    """
    a, b = label.strip(), gold.strip()
    if not a or not b:
        return False
    if a == b:
        return True
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return long_.startswith(short) and long_[len(short)] == "第"


def page_key(source: str, page: int | None) -> str | None:
    return None if page is None else f"{source}#p{page}"
