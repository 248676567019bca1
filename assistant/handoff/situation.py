"""The situation model: what the user's message is about, read by a trained classifier, not by keyword lists.

Regexes over verbs could not follow how people describe what happened to them (see issue 19), so a logistic
regression reads semantic features instead: the query embedding that retrieval already computed (no extra model
call) and character n-grams of the message and of the earlier user turns. It returns probabilities for

* scope — is this an IP question at all;
* the situation — general / own-case / incident / dispute / deadline / request-person / resolved
  (definitions: ``evals/situations/GUIDE.md``);
* the topics (corpus categories) used to route to windows.

Training (``python -m evals situations train``) writes ``model/situation.npz`` and ``model/situation.json``;
this module only needs numpy to apply them, so the app never imports scikit-learn.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from chizai.text.normalize import nfkc

MODEL_DIR = Path(__file__).with_name("model")
SITUATIONS = ("general", "own-case", "incident", "dispute", "deadline", "request-person", "resolved")
HANDOFF_SITUATIONS = frozenset({"own-case", "incident", "dispute", "deadline", "request-person"})
NGRAM = (1, 3)

def char_ngrams(text: str) -> list[str]:
    """Character 1–3-grams of the NFKC, lower-cased text with runs of white space as one space."""
    norm = " ".join(nfkc(text).lower().split())
    lo, hi = NGRAM
    return [norm[i : i + n] for n in range(lo, hi + 1) for i in range(len(norm) - n + 1)]

def history_texts(history: Sequence[Mapping[str, Any] | str], turns: int = 2) -> list[str]:
    """The last ``turns`` user messages before the current one (what a follow-up depends on)."""
    users = [m if isinstance(m, str) else str(m.get("content", "")) for m in history
             if isinstance(m, str) or m.get("role", "user") == "user"]
    return users[-turns:]

@dataclass
class SituationReading:
    """What the model read in one message, with the probabilities an advisor can check on the sheet."""

    in_scope: float
    situations: dict[str, float]
    topics: dict[str, float]
    handoff: float  # P(a person should take over) = P(in scope) · P(handoff situation) (+ explicit out-of-scope asks)
    evidence: list[str] = field(default_factory=list)

    @property
    def situation(self) -> str:
        return max(self.situations, key=self.situations.__getitem__)

    def top_handoff_situation(self) -> str:
        return max(HANDOFF_SITUATIONS, key=lambda s: self.situations.get(s, 0.0))

    def to_dict(self) -> dict[str, Any]:
        return {
            "in_scope": round(self.in_scope, 3), "situation": self.situation, "handoff": round(self.handoff, 3),
            "situations": {k: round(v, 3) for k, v in self.situations.items()},
            "topics": {k: round(v, 3) for k, v in self.topics.items() if v >= 0.05},
        }

class _Tfidf:
    """The training vectoriser's vocabulary and idf, applied the way scikit-learn does (sublinear tf, l2)."""

    def __init__(self, vocabulary: list[str], idf: np.ndarray) -> None:
        self.index = {term: i for i, term in enumerate(vocabulary)}
        self.idf = idf

    def transform(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The non-zero entries of the text's TF-IDF vector: (column indices, values)."""
        pairs = [(i, c) for term, c in Counter(char_ngrams(text)).items() if (i := self.index.get(term)) is not None]
        if not pairs:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        idx = np.fromiter((i for i, _ in pairs), dtype=np.int64, count=len(pairs))
        vals = np.log(np.fromiter((c for _, c in pairs), dtype=np.float64, count=len(pairs))) + 1.0
        vals *= self.idf[idx]
        return idx, vals / np.linalg.norm(vals)

def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()

def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))

class SituationModel:
    """The trained classifier; ``read()`` costs a few milliseconds on top of the query embedding."""

    def __init__(self, arrays: Mapping[str, np.ndarray], meta: dict[str, Any]) -> None:
        self.meta = meta
        self.embedder: str = meta["embedder"]
        self.thresholds: dict[str, float] = meta["thresholds"]
        self.weights: dict[str, float] = meta["feature_weights"]
        self.tfidf = _Tfidf(meta["vocabulary"], arrays["idf"])
        self.arrays = dict(arrays)
        self.topics: list[str] = meta["topics"]

    @classmethod
    def load(cls, directory: Path = MODEL_DIR) -> SituationModel:
        meta = json.loads((directory / "situation.json").read_text(encoding="utf-8"))
        with np.load(directory / "situation.npz") as data:
            arrays = {k: data[k] for k in data.files}
        return cls(arrays, meta)

    def _scores(self, name: str, vector: np.ndarray, text: tuple[np.ndarray, np.ndarray],
                context: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """coef · [w_e·embedding, tfidf(text), w_c·tfidf(context)] + intercept, touching only non-zero columns."""
        coef, w, dim, vocab = self.arrays[f"{name}_coef"], self.weights, len(vector), len(self.tfidf.index)
        z = coef[:, :dim] @ (w["embedding"] * vector) + self.arrays[f"{name}_intercept"]
        z = z + coef[:, dim + text[0]] @ text[1]
        return z + coef[:, dim + vocab + context[0]] @ (w["context"] * context[1])

    def read(self, text: str, history: Sequence[Mapping[str, Any] | str], vector: Sequence[float]) -> SituationReading:
        v = np.asarray(vector, dtype=np.float64)
        t, c = self.tfidf.transform(text), self.tfidf.transform(" ".join(history_texts(history)))
        in_scope = float(_sigmoid(self._scores("scope", v, t, c))[0])
        probs = _softmax(self._scores("situation", v, t, c))
        situations = dict(zip(self.meta["situations"], map(float, probs), strict=True))
        topics = dict(zip(self.topics, map(float, _sigmoid(self._scores("topic", v, t, c))), strict=True))
        return SituationReading(in_scope, situations, topics, handoff_probability(in_scope, situations))


def handoff_probability(in_scope: float, situations: Mapping[str, float]) -> float:
    """A person is needed for a handoff situation within scope, or when someone explicitly asks for one."""
    needed = sum(p for s, p in situations.items() if s in HANDOFF_SITUATIONS)
    return in_scope * needed + (1.0 - in_scope) * situations.get("request-person", 0.0)

@lru_cache(maxsize=2)
def load_model(directory: str = str(MODEL_DIR)) -> SituationModel:
    """One model per process (the arrays are read-only)."""
    return SituationModel.load(Path(directory))
