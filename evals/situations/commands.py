"""``python -m evals situations split | train | report``: the situation model's data, training and honest report."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from assistant.handoff.situation import SituationModel
from chizai.index.embedding_cache import build_embedder
from chizai.settings import Settings
from evals.situations import data, train
from evals.situations.scoring import policy_for_eval, score_items

REPORTS = Path(__file__).resolve().parent.parent / "reports" / "latest"


def cmd_split(settings: Settings) -> dict:
    """Write ``excluded.json``: blind items within cosine 0.9 of any pool item."""
    pool = data.load_pool()
    embedder = build_embedder(settings)

    def embed(texts: list[str]) -> list[list[float]]:
        return [embedder.embed_query(t) for t in texts]

    test, para = data.load("test"), data.load("paraphrase")
    dup_test = data.near_duplicates(pool, test, embed)
    dup_para = data.near_duplicates(pool, para, embed)
    doc = {
        "note": "blind items whose query embedding is within this cosine of a pool (train+dev) item; not scored",
        "embedder": embedder.name, "cosine": data.DUPLICATE_COSINE,
        "ids": sorted(dup_test) + sorted(dup_para), "scores": {**dup_test, **dup_para},
    }
    (data.FOLDER / "excluded.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    train_items, dev_items = data.split_pool()
    return {
        "pool": len(pool), "train": len(train_items), "dev": len(dev_items),
        "train_scenarios": len({i.scenario for i in train_items}), "dev_scenarios": len({i.scenario for i in dev_items}),
        "test": len(test), "test_excluded": len(dup_test), "paraphrase": len(para), "paraphrase_excluded": len(dup_para),
    }


def cmd_train(settings: Settings, keep_hyperparameters: bool = False) -> dict:
    """Tune on dev, refit on train + dev, write the model; returns what was chosen and the dev scores.
    ``keep_hyperparameters``: keep the shipped model's C and feature weights, choose only the thresholds."""
    train_items, dev_items = data.split_pool()
    emb_train, emb_dev = data.embed_items(settings, train_items), data.embed_items(settings, dev_items)
    def decider(model_dir: Path):  # noqa: ANN202 - returns decide(handoff_threshold, scope_threshold)
        policy = policy_for_eval(settings, SituationModel.load(model_dir))
        readings = [policy.read(i.text, i.messages, v) for i, v in zip(dev_items, emb_dev, strict=True)]

        def decide(handoff_threshold: float, scope_threshold: float) -> list[tuple[bool, bool]]:
            policy.handoff_threshold, policy.scope_threshold = handoff_threshold, scope_threshold
            return [(s.handoff, s.in_scope) for s in score_items(policy, dev_items, emb_dev, readings)]

        return decide

    keep = SituationModel.load(train.MODEL_DIR).meta if keep_hyperparameters else None
    tuned = train.tune(train_items, dev_items, emb_train, emb_dev, decider, keep)
    chosen = tuned["chosen"]
    everything = train_items + dev_items
    final = train.fit(everything, np.vstack([emb_train, emb_dev]), chosen["C"], chosen["weights"])
    extra = {
        "trained_at": datetime.now(UTC).strftime("%Y-%m-%d"),
        "trained_on": {"train": len(train_items), "dev": len(dev_items),
                       "situations": dict(Counter(i.situation for i in everything))},
        "dev": {k: v for k, v in chosen.items() if k.startswith("dev_")},
        "tuned_on": "dev split of the pool (evals/situations/pool*.jsonl, by scenario); the blind test and paraphrase sets were not used",
    }
    train.export(final, chosen, build_embedder(settings).name, extra=extra)
    return {"chosen": chosen, "grid_size": len(tuned["grid"])}
