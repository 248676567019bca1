"""Input guard: prompt-injection attempts and out-of-scope questions, decided before anything is generated."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

GUARD_FILE = Path(__file__).parent / "prompts" / "guard.yaml"


@dataclass(frozen=True)
class GuardRules:
    injection: tuple[re.Pattern[str], ...]
    ip_vocabulary: re.Pattern[str]
    off_topic: re.Pattern[str]


@lru_cache(maxsize=4)
def load_guard(path: Path = GUARD_FILE) -> GuardRules:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return GuardRules(
        injection=tuple(re.compile(p, re.I) for p in data["injection"]),
        ip_vocabulary=re.compile("|".join(f"(?:{p})" for p in data["ip_vocabulary"]), re.I),
        off_topic=re.compile("|".join(f"(?:{p})" for p in data["off_topic"]), re.I),
    )


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def is_injection(text: str, rules: GuardRules | None = None) -> bool:
    rules = rules or load_guard()
    norm = _norm(text)
    return any(p.search(norm) for p in rules.injection)


def is_off_topic(text: str, rules: GuardRules | None = None, strict: bool = False) -> bool:
    """Off-topic when it names an off-topic subject or carries no IP vocabulary at all.

    ``strict`` only accepts the first reason: an explicitly off-topic subject is refused even when retrieval
    happens to match generic words of it.
    """
    rules = rules or load_guard()
    norm = _norm(text)
    if rules.off_topic.search(norm) and not re.search(r"特許|商標|著作|営業秘密|知財|patent|trademark|copyright", norm, re.I):
        return True
    return not strict and rules.ip_vocabulary.search(norm) is None
