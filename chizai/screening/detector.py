"""The trained line detector: does this line of a document try to instruct the machine that reads it?

Rules written from known attacks missed most unseen phrasings (2 of 16 in the hardening review), so document lines
are judged by a logistic regression over :mod:`chizai.screening.features`, trained by
``python -m evals injection train`` and saved as plain arrays (``model/detector.npz``, loaded without pickle) plus
its settings and measured dev-split rates (``model/detector.json``).

Two stages keep it cheap: a prefilter over n-grams and rules clears the plainly ordinary lines (most of a corpus)
without embedding them; only the rest is embedded and scored by the full model. The prefilter threshold is chosen
on the dev split so that it lets through every line the full model would flag there.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
from scipy import sparse

from chizai.screening.features import (
    FeatureConfig,
    LineEncoder,
    get_encoder,
    ngram_matrix,
    normalize_line,
    rule_matrix,
)
from chizai.text.sentences import sentence_pieces

MODEL_DIR = Path(__file__).with_name("model")
MIN_SENTENCE = 8  # a piece of a long line shorter than this is scored only as part of its line
CACHE_SIZE = 8192  # unit scores kept: answers screen the same passages again and again


def units_of(line: str) -> list[str]:
    """What is scored for one line: the normalised line, and each of its sentences when it has several."""
    norm = normalize_line(line)
    pieces = [s for s in sentence_pieces(norm) if len(s) >= MIN_SENTENCE]
    return list(dict.fromkeys([norm, *pieces])) if len(pieces) > 1 else [norm]


@dataclass(frozen=True)
class LinearModel:
    """sigmoid(bias + n-grams·w + rules·w [+ embedding·w]); feature scales are already folded into the weights."""

    bias: float
    n_features: int  # width of the hashed n-gram space
    ngram_index: np.ndarray  # int64: hashed n-gram columns with a weight
    ngram_weight: np.ndarray
    rule_weight: np.ndarray
    embedding_weight: np.ndarray | None = None

    @cached_property
    def _dense_ngram_weight(self) -> np.ndarray:
        dense = np.zeros(self.n_features, dtype=np.float32)
        dense[self.ngram_index] = self.ngram_weight
        return dense

    def decision(self, ngrams: sparse.csr_matrix, rules: np.ndarray, embeddings: np.ndarray | None = None) -> np.ndarray:
        out = ngrams @ self._dense_ngram_weight + rules @ self.rule_weight + self.bias
        if self.embedding_weight is not None and embeddings is not None:
            out = out + embeddings @ self.embedding_weight
        return np.asarray(out, dtype=np.float64).ravel()

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        out = {
            f"{prefix}_bias": np.asarray([self.bias], dtype=np.float64),
            f"{prefix}_n_features": np.asarray([self.n_features], dtype=np.int64),
            f"{prefix}_ngram_index": self.ngram_index.astype(np.int64),
            f"{prefix}_ngram_weight": self.ngram_weight.astype(np.float32),
            f"{prefix}_rule_weight": self.rule_weight.astype(np.float32),
        }
        if self.embedding_weight is not None:
            out[f"{prefix}_embedding_weight"] = self.embedding_weight.astype(np.float32)
        return out

    @classmethod
    def from_arrays(cls, data: dict[str, np.ndarray], prefix: str) -> LinearModel:
        emb = data.get(f"{prefix}_embedding_weight")
        return cls(
            bias=float(data[f"{prefix}_bias"][0]),
            n_features=int(data[f"{prefix}_n_features"][0]),
            ngram_index=np.asarray(data[f"{prefix}_ngram_index"], dtype=np.int64),
            ngram_weight=np.asarray(data[f"{prefix}_ngram_weight"], dtype=np.float32),
            rule_weight=np.asarray(data[f"{prefix}_rule_weight"], dtype=np.float32),
            embedding_weight=None if emb is None else np.asarray(emb, dtype=np.float32),
        )


@dataclass(frozen=True)
class DetectorModel:
    """Everything a trained detector is: both stages, their thresholds (on the decision value) and settings."""

    config: FeatureConfig
    prefilter: LinearModel
    full: LinearModel
    prefilter_threshold: float
    threshold: float  # a line of a document at or above it is dropped
    sentence_threshold: float  # a sentence about to be shown at or above it is withheld (addresses_system)
    meta: dict

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(folder / "detector.npz", **self.prefilter.arrays("prefilter"), **self.full.arrays("full"))
        meta = {**self.meta, "features": self.config.__dict__, "prefilter_threshold": self.prefilter_threshold,
                "threshold": self.threshold, "sentence_threshold": self.sentence_threshold}
        (folder / "detector.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: Path = MODEL_DIR) -> DetectorModel:
        meta = json.loads((folder / "detector.json").read_text(encoding="utf-8"))
        with np.load(folder / "detector.npz", allow_pickle=False) as npz:
            data = {k: npz[k] for k in npz.files}
        return cls(
            config=FeatureConfig.from_dict(meta["features"]),
            prefilter=LinearModel.from_arrays(data, "prefilter"),
            full=LinearModel.from_arrays(data, "full"),
            prefilter_threshold=float(meta["prefilter_threshold"]),
            threshold=float(meta["threshold"]),
            sentence_threshold=float(meta["sentence_threshold"]),
            meta=meta,
        )


def model_version(folder: Path = MODEL_DIR) -> str:
    """A digest of the saved model: ingest re-screens every document when it changes."""
    digest = hashlib.sha1()
    for name in ("detector.json", "detector.npz"):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()[:12]


class InstructionDetector:
    """Scores lines; a line is flagged when it, or any sentence of it, reaches the model's threshold."""

    def __init__(self, model: DetectorModel | None = None, encoder: LineEncoder | None = None) -> None:
        self.model = model or DetectorModel.load()
        self._encoder = encoder
        self._cache: dict[str, float] = {}
        self._lock = threading.Lock()

    @property
    def encoder(self) -> LineEncoder:
        if self._encoder is None:
            self._encoder = get_encoder()
        return self._encoder

    def unit_scores(self, units: Sequence[str]) -> np.ndarray:
        """Decision values of normalised units (lines or sentences); prefiltered and empty units get -inf."""
        with self._lock:
            distinct = [u for u in dict.fromkeys(units) if u]
            known = {u: self._cache[u] for u in distinct if u in self._cache}
            todo = [u for u in distinct if u not in known]
            if todo:
                known.update(zip(todo, self._score(todo), strict=True))
                if len(self._cache) + len(todo) > CACHE_SIZE:
                    self._cache.clear()  # this call reads its scores from `known`, never back from the cache
                self._cache.update((u, known[u]) for u in todo)
            return np.asarray([known[u] if u else -np.inf for u in units], dtype=np.float64)

    def _score(self, units: list[str]) -> np.ndarray:
        out = np.full(len(units), -np.inf)
        ngrams, rules = ngram_matrix(units, self.model.config), rule_matrix(units)
        pre = self.model.prefilter.decision(ngrams, rules)
        keep = np.flatnonzero(pre >= self.model.prefilter_threshold)
        if keep.size:
            embeddings = self.encoder.encode([units[i] for i in keep])
            out[keep] = self.model.full.decision(ngrams[keep], rules[keep], embeddings)
        return out

    def scores(self, lines: Sequence[str]) -> np.ndarray:
        """Per line: the highest decision value of the line and of its sentences (an order can hide mid-paragraph)."""
        pairs = [(i, unit) for i, line in enumerate(lines) for unit in units_of(line)]
        best = np.full(len(lines), -np.inf)
        if pairs:
            owner, texts = zip(*pairs, strict=True)
            np.maximum.at(best, np.asarray(owner), self.unit_scores(texts))
        return best

    def flags(self, lines: Sequence[str]) -> list[bool]:
        return [bool(s >= self.model.threshold) for s in self.scores(lines)]

    def sentence_flags(self, sentences: Sequence[str]) -> list[bool]:
        return [bool(s >= self.model.sentence_threshold) for s in self.scores(sentences)]


@lru_cache(maxsize=1)
def get_detector() -> InstructionDetector:
    """One detector per process: the model is small, the encoder is loaded once on first use."""
    return InstructionDetector()
