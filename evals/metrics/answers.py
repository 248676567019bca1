"""Answer metrics: citation precision/recall, key-point coverage, answer language, personal-data echo.

Key points are checked in the key point's own language:
- Japanese key point: covered when its NFKC-normalised form (lower case, no spaces) is a
  substring of the answer,
  or when ≥ 60 % of its Sudachi content terms occur in the answer.
- English key point: covered when ≥ 60 % of its content words occur in the answer (5-letter prefixes, so
  "examine"/"examines" match). When the answer has no English prose of its own (the
  extractive engine quotes the
  Japanese sources), an English key point cannot be checked and counts as n/a, not as a miss.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

from chizai.text.language import detect_language

THRESHOLD = 0.6
_SPACE = re.compile(r"\s+")
_MARKER = re.compile(r"\[\d{1,2}\]")
_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*")
_LATIN = re.compile(r"[A-Za-z]")
_STOPWORDS = (
    "a an the of to and or in on at for by with from as is are be been it its this that these those "
    "into than then there their they you your we our us i me my do does did can could should would "
    "will may might must not no yes if when what which who how any all each per via about after "
    "before up out only also more most "
)
EN_STOP = frozenset(_STOPWORDS.split())


def normalise(text: str) -> str:
    """NFKC, lower case, whitespace removed: 「ＰＣＴ 出願」 and 「pct出願」 compare equal."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text).lower())


def is_english(text: str) -> bool:
    return detect_language(text) == "en"


@lru_cache(maxsize=4096)
def _ja_terms(text: str) -> frozenset[str]:
    from chizai.text.terms import content_terms

    return frozenset(content_terms(unicodedata.normalize("NFKC", text)))


def _stem(word: str) -> str:
    return word[:5]


def en_words(text: str) -> set[str]:
    words = _WORD.findall(unicodedata.normalize("NFKC", text).lower())
    return {_stem(w) for w in words if w not in EN_STOP and (len(w) > 1 or w.isdigit())}


def english_prose(answer: str, boilerplate: Iterable[str] = ()) -> str:
    """The answer without fixed boilerplate sentences: what the engine itself wrote in Latin script."""
    text = answer
    for fixed in boilerplate:
        if fixed:
            text = text.replace(fixed, " ")
    return text


def key_point_covered(key_point: str, answer: str, *, english_answer: bool | None = None) -> bool | None:
    """True/False, or None (n/a) for an English key point against an answer with no English prose."""
    if not key_point.strip():
        return None
    if is_english(key_point):
        if english_answer is None:
            english_answer = len(_LATIN.findall(answer)) >= 40
        if not english_answer:
            return None
        kp_words = en_words(key_point)
        if not kp_words:
            return None
        return len(kp_words & en_words(answer)) / len(kp_words) >= THRESHOLD
    if normalise(key_point) in normalise(answer):
        return True
    kp_terms = base_terms(_ja_terms(key_point))
    if not kp_terms:
        return False
    answer_terms, flat = _ja_terms(answer), normalise(answer)
    found = sum(1 for t in kp_terms if t in answer_terms or (len(t) >= 2 and t in flat))
    return found / len(kp_terms) >= THRESHOLD


def base_terms(terms: frozenset[str] | set[str]) -> set[str]:
    """Drop the joined noun compounds the BM25 tokenizer adds (発注書面 next to 発注, 書, 面): counting both
    would double-weigh a compound, and Sudachi splits the same word differently in different contexts."""
    return {t for t in terms if not any(u != t and u in t for u in terms)}


def key_point_coverage(
    key_points: Sequence[str], answer: str, *, english_answer: bool | None = None
) -> tuple[float | None, list[str], list[str]]:
    """(share covered among applicable key points or None, missing key points, n/a key points)."""
    covered = 0
    missing: list[str] = []
    not_applicable: list[str] = []
    for kp in key_points:
        verdict = key_point_covered(kp, answer, english_answer=english_answer)
        if verdict is None:
            not_applicable.append(kp)
        elif verdict:
            covered += 1
        else:
            missing.append(kp)
    applicable = covered + len(missing)
    return (covered / applicable if applicable else None), missing, not_applicable


def citation_precision_recall(cited: Iterable[str], gold: Iterable[str]) -> tuple[float | None, float | None]:
    """Distinct cited documents vs gold documents. Precision is n/a without citations, recall without gold."""
    cited_set, gold_set = set(cited), set(gold)
    correct = len(cited_set & gold_set)
    precision = correct / len(cited_set) if cited_set else None
    recall = correct / len(gold_set) if gold_set else None
    return precision, recall


def first_paragraph(answer: str) -> str:
    for block in answer.split("\n\n"):
        if block.strip():
            return block.strip()
    return ""


def first_sentence(answer: str, boilerplate: Iterable[str] = ()) -> str:
    """The answer's first sentence of its own: what a reader sees first, after our fixed labels and leads."""
    from chizai.text.sentences import sentence_spans

    fixed = {b.strip() for b in boilerplate}
    for raw in answer.splitlines():
        if not raw.strip() or raw.strip() in fixed:
            continue
        line = raw.strip().lstrip("-・* ").strip()
        return next(iter(sentence_spans(line)), line)
    return ""


def language_match(gold_language: str, result_language: str, answer: str) -> bool:
    """The pinned answer language equals the question's, and so does the answer's own opening paragraph."""
    opening = _MARKER.sub("", first_paragraph(answer))
    return result_language == gold_language and detect_language(opening) == gold_language


def pii_echoed(pii: Iterable[str], answer: str) -> bool:
    """A personal-data string of the question reappears in the answer (NFKC; spaces/hyphens ignored)."""
    flat = normalise(answer).replace("-", "")
    return any(p and normalise(p).replace("-", "") in flat for p in pii)
