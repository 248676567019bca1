"""Train the situation model: hyper-parameters and thresholds chosen on dev, never on the blind sets.

Features: the product's query embedding, character n-gram TF-IDF of the message, and of the earlier user turns
(weighted). Three logistic regressions share them: scope (binary), situation (7 classes), topics (one per
category, on in-scope items). The grid is small on purpose; the winner is the best dev handoff F1, ties broken by
situation macro-F1. The shipped model is then refit on train + dev with those settings and thresholds.
"""

from __future__ import annotations

import itertools
import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from assistant.handoff.situation import MODEL_DIR, SITUATIONS, char_ngrams, handoff_probability, history_texts
from evals.situations.data import Item

TOPICS = ("trade-secret", "fair-trade", "rights", "overseas", "regional-brand", "funding", "content-ai", "dispute",
          "support")
GRID_C = (4.0, 16.0, 64.0)
GRID_EMBEDDING = (1.0, 2.0, 4.0)
GRID_CONTEXT = (0.3, 0.6)
HANDOFF_THRESHOLDS = tuple(round(0.3 + 0.05 * i, 2) for i in range(11))  # 0.30 … 0.80
SCOPE_THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)
SEED = 0


@dataclass
class Fitted:
    vectorizer: TfidfVectorizer
    weights: dict[str, float]
    scope: LogisticRegression
    situation: LogisticRegression
    topics: dict[str, LogisticRegression]


def _design(vec: TfidfVectorizer, items: Sequence[Item], emb: np.ndarray, weights: dict[str, float]) -> sparse.csr_matrix:
    texts = vec.transform([i.text for i in items])
    contexts = vec.transform([" ".join(history_texts(i.history)) for i in items])
    return sparse.hstack([sparse.csr_matrix(weights["embedding"] * emb), texts, weights["context"] * contexts]).tocsr()


def fit(items: Sequence[Item], emb: np.ndarray, c: float, weights: dict[str, float]) -> Fitted:
    vec = TfidfVectorizer(analyzer=char_ngrams, min_df=2, sublinear_tf=True, norm="l2", max_features=30000)
    vec.fit([i.text for i in items] + [" ".join(history_texts(i.history)) for i in items if i.history])
    x = _design(vec, items, emb, weights)
    scope = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(x, [i.in_scope for i in items])
    situation = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(x, [i.situation for i in items])
    inside = [k for k, i in enumerate(items) if i.in_scope]
    topics = {}
    for topic in TOPICS:
        y = [topic in items[k].topics for k in inside]
        topics[topic] = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(x[inside], y)
    return Fitted(vec, weights, scope, situation, topics)


def predict(model: Fitted, items: Sequence[Item], emb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(P(in scope), P(situation) rows in SITUATIONS order, P(handoff))."""
    x = _design(model.vectorizer, items, emb, model.weights)
    p_scope = model.scope.predict_proba(x)[:, list(model.scope.classes_).index(True)]
    raw = model.situation.predict_proba(x)
    order = [list(model.situation.classes_).index(s) for s in SITUATIONS]
    p_sit = raw[:, order]
    p_handoff = np.array([
        handoff_probability(s, dict(zip(SITUATIONS, row, strict=True))) for s, row in zip(p_scope, p_sit, strict=True)
    ])
    return p_scope, p_sit, p_handoff



def tune(train: Sequence[Item], dev: Sequence[Item], emb_train: np.ndarray, emb_dev: np.ndarray,
         decider: Callable[[Path], Callable[[float, float], list[tuple[bool, bool]]]],
         keep: dict | None = None) -> dict:
    """Grid on dev; returns the chosen settings with their dev scores. ``keep``: the shipped model's meta, whose
    C and feature weights are kept (only the thresholds are chosen again: for added training data).

    Thresholds are chosen for the whole policy (model + rules: an explicit request or a dated deadline already
    hands off): ``decider(model_dir)`` reads the dev items once and returns ``decide(handoff_threshold,
    scope_threshold)`` → (handoff, in scope) per dev item.
    """
    results = []
    grid = [(keep["C"], keep["feature_weights"]["embedding"], keep["feature_weights"]["context"])] if keep else \
        itertools.product(GRID_C, GRID_EMBEDDING, GRID_CONTEXT)
    for c, we, wc in grid:
        weights = {"embedding": we, "context": wc}
        model = fit(train, emb_train, c, weights)
        _, p_sit, _ = predict(model, dev, emb_dev)
        predicted = [SITUATIONS[k] for k in p_sit.argmax(axis=1)]
        macro = f1_score([i.situation for i in dev], predicted, average="macro", zero_division=0)
        with tempfile.TemporaryDirectory() as folder:
            export(model, {"C": c, "weights": weights, "handoff_threshold": 0.5, "scope_threshold": 0.5}, "", Path(folder))
            decide = decider(Path(folder))
            for th, ts in itertools.product(HANDOFF_THRESHOLDS, SCOPE_THRESHOLDS):
                decided = decide(th, ts)
                handoff_f1 = f1_score([i.handoff for i in dev], [h for h, _ in decided], zero_division=0)
                scope_acc = float(np.mean([s == i.in_scope for (_, s), i in zip(decided, dev, strict=True)]))
                results.append({"C": c, "weights": weights, "handoff_threshold": th, "scope_threshold": ts,
                                "dev_handoff_f1": round(float(handoff_f1), 4), "dev_scope_accuracy": round(scope_acc, 4),
                                "dev_situation_macro_f1": round(float(macro), 4)})
    results.sort(key=lambda r: (r["dev_handoff_f1"], r["dev_scope_accuracy"], r["dev_situation_macro_f1"]), reverse=True)
    return {"chosen": results[0], "grid": results}


def export(model: Fitted, chosen: dict, embedder: str, directory: Path = MODEL_DIR, extra: dict | None = None) -> None:
    """Arrays in ``situation.npz`` (float32), everything else in ``situation.json``: no pickle in the product."""
    directory.mkdir(parents=True, exist_ok=True)
    sit_order = [list(model.situation.classes_).index(s) for s in SITUATIONS]
    true_col = list(model.scope.classes_).index(True)
    scope_sign = 1.0 if true_col == 1 else -1.0
    np.savez_compressed(
        directory / "situation.npz",
        idf=model.vectorizer.idf_.astype(np.float32),
        scope_coef=(scope_sign * model.scope.coef_).astype(np.float32),
        scope_intercept=(scope_sign * model.scope.intercept_).astype(np.float32),
        situation_coef=model.situation.coef_[sit_order].astype(np.float32),
        situation_intercept=model.situation.intercept_[sit_order].astype(np.float32),
        topic_coef=np.vstack([_positive(model.topics[t])[0] for t in TOPICS]).astype(np.float32),
        topic_intercept=np.array([_positive(model.topics[t])[1] for t in TOPICS], dtype=np.float32),
    )
    vocabulary = sorted(model.vectorizer.vocabulary_, key=model.vectorizer.vocabulary_.__getitem__)
    meta = {
        "embedder": embedder, "situations": list(SITUATIONS), "topics": list(TOPICS), "vocabulary": vocabulary,
        "feature_weights": chosen["weights"], "C": chosen["C"],
        "thresholds": {"handoff": chosen["handoff_threshold"], "in_scope": chosen["scope_threshold"]},
        **(extra or {}),
    }
    (directory / "situation.json").write_text(json.dumps(meta, ensure_ascii=False, indent=0), encoding="utf-8")


def _positive(clf: LogisticRegression) -> tuple[np.ndarray, float]:
    """Coefficients for P(True) whatever order scikit-learn keeps the two classes in."""
    sign = 1.0 if list(clf.classes_).index(True) == 1 else -1.0
    return sign * clf.coef_[0], float(sign * clf.intercept_[0])
