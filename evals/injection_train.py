"""``python -m evals injection train``: fit the line detector and save it to ``chizai/screening/model/``.

Every choice — feature weights, regularisation, the flag threshold, the prefilter threshold — is made on the
five-fold dev split of :mod:`evals.injection_data` (out-of-fold scores); the blind set is not read. The model
that ships is then fitted on all training lines with the chosen settings.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from chizai.screening.detector import MODEL_DIR, DetectorModel, LinearModel, units_of
from chizai.screening.features import RULE_FEATURES, FeatureConfig, get_encoder, ngram_matrix, rule_matrix
from evals.injection_data import (
    FOLDS,
    Line,
    corpus_lines,
    dev_folds,
    digest,
    labelled_lines,
    realdoc_lines,
    rules_digest,
)

# Benign lines on plain IP topics (the training README's "plain content lines"): almost never flagged, so they
# would dilute the false-removal rate. The cap is set on the other, confusable benign lines and on the corpus.
PLAIN_STYLES = frozenset({"case", "contract", "copyright", "court", "design", "dispute", "faq", "genai-copyright",
                          "glossary", "patent", "statute", "subsidy", "trade-secret", "trademark"})
MAX_CONFUSABLE_REMOVALS = 0.015  # the blind target is 2 % of lines chosen to be confusable: keep a margin
MAX_CORPUS_REMOVALS = 0.002
# A sentence withheld from an answer costs less than a line removed from the index: a looser cap.
MAX_SENTENCE_CONFUSABLE = 0.03
PREFILTER_MARGIN = 1.0  # logit units below the lowest dev line the full model flags
GRID = {"embedding_scale": [0.25, 0.5], "rule_scale": [0.5, 1.0], "C": [64.0]}  # C=16 lost every earlier search


@dataclass
class Features:
    """The three views of every unit the detector scores (each line, and each sentence of a long line)."""

    ngrams: sparse.csr_matrix
    rules: np.ndarray
    embeddings: np.ndarray
    owner: np.ndarray  # the line each unit belongs to
    whole: np.ndarray  # the unit is its whole line (training fits on those only)
    labels: np.ndarray  # per line

    def stacked(self, config: FeatureConfig, units: np.ndarray, embeddings: bool = True) -> sparse.csr_matrix:
        blocks = [self.ngrams[units] * config.ngram_scale, sparse.csr_matrix(self.rules[units] * config.rule_scale)]
        if embeddings:
            blocks.append(sparse.csr_matrix(self.embeddings[units] * config.embedding_scale))
        return sparse.hstack(blocks, format="csr")


def featurize(lines: list[Line], config: FeatureConfig) -> Features:
    pairs = [(i, n == 0, unit) for i, line in enumerate(lines) for n, unit in enumerate(units_of(line.text))]
    owner, whole, texts = (list(x) for x in zip(*pairs, strict=True))
    unique = list(dict.fromkeys(texts))
    vectors = dict(zip(unique, get_encoder().encode(unique), strict=True))
    return Features(ngram_matrix(texts, config), rule_matrix(texts), np.vstack([vectors[t] for t in texts]),
                    np.asarray(owner), np.asarray(whole), np.asarray([x.injection for x in lines], dtype=np.int8))


def fit(features: Features, lines: np.ndarray, config: FeatureConfig, c: float, embeddings: bool = True) -> LinearModel:
    """Logistic regression on the whole-line units of ``lines``; weights come back with the scales folded in."""
    units = np.flatnonzero(features.whole & np.isin(features.owner, lines))
    clf = LogisticRegression(C=c, class_weight="balanced", max_iter=3000, solver="liblinear", random_state=0)
    clf.fit(features.stacked(config, units, embeddings), features.labels[features.owner[units]])
    w = clf.coef_.ravel()
    n, r = 2**config.ngram_bits, len(RULE_FEATURES)
    ngram = w[:n] * config.ngram_scale
    index = np.flatnonzero(ngram)
    return LinearModel(
        bias=float(clf.intercept_[0]), n_features=n, ngram_index=index, ngram_weight=ngram[index],
        rule_weight=w[n : n + r] * config.rule_scale,
        embedding_weight=w[n + r :] * config.embedding_scale if embeddings else None,
    )


def out_of_fold(features: Features, folds: np.ndarray, config: FeatureConfig, c: float, embeddings: bool = True) -> np.ndarray:
    """Each dev line's score — the highest of its units, as at inference — from the model of the other folds."""
    scores = np.full(len(folds), np.nan)
    for k in range(FOLDS):
        model = fit(features, np.flatnonzero(folds != k), config, c, embeddings)
        units = np.flatnonzero(folds[features.owner] == k)
        emb = features.embeddings[units] if embeddings else None
        values = model.decision(features.ngrams[units], features.rules[units], emb)
        best = np.full(len(folds), -np.inf)
        np.maximum.at(best, features.owner[units], values)
        scores[folds == k] = best[folds == k]
    return scores


def _cap(scores: np.ndarray, share: float) -> float:
    """The lowest threshold that flags at most ``share`` of these (benign) scores."""
    ordered = np.sort(scores)[::-1]
    allowed = int(np.floor(share * len(ordered)))
    return float(np.nextafter(ordered[allowed], np.inf)) if allowed < len(ordered) else float(ordered.min())


def threshold_for(scores: np.ndarray, lines: list[Line], confusable_cap: float = MAX_CONFUSABLE_REMOVALS) -> float:
    """The lowest threshold within both caps: confusable benign lines and corpus lines."""
    confusable = [i for i, x in enumerate(lines) if not x.injection and x.style not in PLAIN_STYLES | {"corpus"}]
    corpus = [i for i, x in enumerate(lines) if x.style == "corpus"]
    return max(_cap(scores[confusable], confusable_cap), _cap(scores[corpus], MAX_CORPUS_REMOVALS))


def rates(flags: np.ndarray, lines: list[Line]) -> dict[str, Any]:
    """Detection and false-removal rates, overall, for confusable benign lines, per language and per style."""

    def cell(idx: list[int]) -> dict[str, Any]:
        inj = [i for i in idx if lines[i].injection]
        ben = [i for i in idx if not lines[i].injection]
        found, removed = int(sum(flags[i] for i in inj)), int(sum(flags[i] for i in ben))
        return {"injection": len(inj), "detected": found, "benign": len(ben), "removed": removed,
                "detection_rate": round(found / len(inj), 4) if inj else None,
                "false_removal_rate": round(removed / len(ben), 4) if ben else None}

    groups: dict[str, dict[str, list[int]]] = {"lang": {}, "style": {}}
    for i, line in enumerate(lines):
        groups["lang"].setdefault(line.lang, []).append(i)
        groups["style"].setdefault(line.style, []).append(i)
    confusable = [i for i, x in enumerate(lines) if not x.injection and x.style not in PLAIN_STYLES | {"corpus"}]
    return {"overall": cell(list(range(len(lines)))), "confusable_benign": cell(confusable),
            **{f"by_{k}": {g: cell(idx) for g, idx in sorted(v.items())} for k, v in groups.items()}}


def search(features: Features, folds: np.ndarray, dev: list[Line], log: Callable[[str], None]) -> dict[str, Any]:
    """Every grid point judged by its out-of-fold detection rate at its own capped threshold."""
    rows = np.flatnonzero(folds >= 0)
    best: dict[str, Any] | None = None
    for es, rs, c in itertools.product(*GRID.values()):
        config = FeatureConfig(embedding_scale=es, rule_scale=rs)
        scores = out_of_fold(features, folds, config, c)[rows]
        threshold = threshold_for(scores, dev)
        recall = float(np.mean(scores[features.labels[rows] == 1] >= threshold))
        log(f"embedding ×{es} rules ×{rs} C={c}: dev detection {recall:.3f}")
        if best is None or recall > best["recall"]:
            best = {"config": config, "C": c, "recall": recall, "scores": scores, "threshold": threshold}
    assert best is not None
    return best


def provenance(labelled: list[Line], documents: list[Line], dev_lines: int, c: float) -> dict[str, Any]:
    """What a model was trained on and with which caps: saved with it, checked by the tests."""
    return {
        "labelled_digest": digest(labelled), "rules_digest": rules_digest(), "labelled_lines": len(labelled),
        "document_lines": len(documents), "corpus_documents": len({x.origin for x in documents if x.origin.endswith(".md")}),
        "other_documents": sorted({x.origin for x in documents if not x.origin.endswith(".md")}),
        "dev_lines": dev_lines, "folds": FOLDS, "C": c, "max_confusable_removals": MAX_CONFUSABLE_REMOVALS,
        "max_corpus_removals": MAX_CORPUS_REMOVALS, "max_sentence_confusable": MAX_SENTENCE_CONFUSABLE,
    }


def train_detector(out: Path = MODEL_DIR, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Choose on the dev folds, fit both stages on everything, save; returns the metadata written with the model."""
    started = time.time()
    labelled, documents = labelled_lines(), corpus_lines() + realdoc_lines()
    lines = labelled + documents
    folds = np.asarray(dev_folds(lines))
    rows = np.flatnonzero(folds >= 0)
    dev = [lines[i] for i in rows]
    log(f"{len(lines)} lines ({len(labelled)} labelled), {len(rows)} of them in the {FOLDS} dev folds")
    features = featurize(lines, FeatureConfig())
    best = search(features, folds, dev, log)
    config, c, scores, threshold = best["config"], best["C"], best["scores"], best["threshold"]
    sentence_threshold = threshold_for(scores, dev, MAX_SENTENCE_CONFUSABLE)
    pre_config = replace(config, embedding_scale=0.0)
    pre = out_of_fold(features, folds, pre_config, c, embeddings=False)[rows]
    # The prefilter must pass every dev line the full model flags (with a margin), so the cascade decides like
    # the full model while most ordinary lines are never embedded.
    prefilter_threshold = float(pre[scores >= sentence_threshold].min()) - PREFILTER_MARGIN
    flags = (scores >= threshold) & (pre >= prefilter_threshold)
    sentence_flags = (scores >= sentence_threshold) & (pre >= prefilter_threshold)
    everything = np.arange(len(lines))
    meta = {
        "trained_on": provenance(labelled, documents, len(rows), c),
        "dev": rates(flags, dev),
        "dev_sentence_threshold": rates(sentence_flags, dev),
        "dev_prefiltered_share": round(float(np.mean(pre < prefilter_threshold)), 4),
    }
    model = DetectorModel(config, fit(features, everything, pre_config, c, embeddings=False),
                          fit(features, everything, config, c), prefilter_threshold, threshold, sentence_threshold,
                          meta)
    model.save(out)  # nothing time-dependent is saved: a retrain on the same lines writes the same bytes
    log(f"trained in {time.time() - started:.0f} s")
    return meta
