"""Statute questions cite the right article: ``python -m evals statutes`` (also part of ``make eval``).

The index holds both e-Gov statutes of ``shared/realdocs/statutes`` in both formats (XML and plain text), as an
operator who ingests that folder gets them. A question is answered at article level when a retrieved passage's
label (「不正競争防止法 第2条第6項」) names the gold article and paragraph (or one of the gold alternatives);
unlabelled plain-text passages never count. The set (``evals/gold/statutes.jsonl``) was written blind to the
retrieval code and is not tuned on.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.retrieval.hybrid import HybridRetriever
from chizai.settings import Settings
from evals.gold import GOLD_DIR
from evals.index import _slug, build_index, cache_root, moved, realdocs_dir
from evals.metrics.retrieval import article_matches

K = 3


def gold_label(law: str, article: str, paragraph: str | None) -> str:
    """「不正競争防止法 第2条第6項」 from law 不正競争防止法, article "2", paragraph "6" ("2_2" → 第2条の2)."""
    main, _, branch = article.partition("_")
    label = f"{law} 第{main}条" + (f"の{branch}" if branch else "")
    return label + (f"第{paragraph}項" if paragraph and paragraph != "1" else "")


def golds(item: dict[str, Any]) -> list[str]:
    return [gold_label(item["law"], a["article"], a.get("paragraph"))
            for a in [{"article": item["article"], "paragraph": item.get("paragraph")}, *item.get("also", [])]]


def statute_settings(base: Settings) -> Settings:
    settings = moved(base, cache_root() / f"statutes-{_slug(base.embedder)}", collection="statutes")
    build_index(settings, [realdocs_dir() / "statutes"])
    return settings


def run(base: Settings, report: Path | None = None) -> dict[str, Any]:
    items = [json.loads(line) for line in (GOLD_DIR / "statutes.jsonl").read_text(encoding="utf-8").splitlines() if line]
    retriever = HybridRetriever(statute_settings(base))
    rows = []
    for item in items:
        labels = [h.chunk.section for h in retriever.search(item["question"], k=10)]
        wanted = golds(item)
        ranks = [i for i, label in enumerate(labels) if label and any(article_matches(label, g) for g in wanted)]
        rows.append({"id": item["id"], "kind": item.get("kind"), "gold": wanted[0], "top": labels[:K],
                     "rank": ranks[0] + 1 if ranks else None})
    result = {"n": len(rows), **_scores(rows), "by_kind": {k: _scores([r for r in rows if r["kind"] == k])
                                                            for k in sorted({r["kind"] for r in rows})},
              "misses": [r for r in rows if r["rank"] != 1]}
    if report:
        report.mkdir(parents=True, exist_ok=True)
        (report / "statutes.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return result


def _scores(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    ranks = [r["rank"] for r in rows]
    return {"hit@1": round(float(np.mean([r == 1 for r in ranks])), 4),
            f"hit@{K}": round(float(np.mean([r is not None and r <= K for r in ranks])), 4),
            "mrr": round(float(np.mean([1 / r if r else 0.0 for r in ranks])), 4), "n": len(rows)}
