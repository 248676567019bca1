"""Guard stage, scope part: questions about other subjects are declined.

The other part of the guard, refusing questions that try to instruct the assistant, shares its rules with the
passage screen and ingest (:mod:`chizai.screening.instructions`). The scope vocabulary is ``scope.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from chizai.text.normalize import nfkc

SCOPE_FILE = Path(__file__).with_name("scope.yaml")
_IP_CORE = re.compile(r"特許|商標|著作|営業秘密|知財|patent|trademark|copyright", re.I)


@dataclass(frozen=True)
class ScopeRules:
    ip_vocabulary: re.Pattern[str]
    off_topic: re.Pattern[str]


@lru_cache(maxsize=4)
def load_scope(path: Path = SCOPE_FILE) -> ScopeRules:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return ScopeRules(
        ip_vocabulary=re.compile("|".join(f"(?:{p})" for p in data["ip_vocabulary"]), re.I),
        off_topic=re.compile("|".join(f"(?:{p})" for p in data["off_topic"]), re.I),
    )


def is_off_topic(text: str, rules: ScopeRules | None = None, strict: bool = False) -> bool:
    """Off-topic when it names an off-topic subject or carries no IP vocabulary at all.

    ``strict`` only accepts the first reason: an explicitly off-topic subject is refused even when retrieval
    happens to match generic words of it.
    """
    rules = rules or load_scope()
    norm = nfkc(text)
    if rules.off_topic.search(norm) and not _IP_CORE.search(norm):
        return True
    return not strict and rules.ip_vocabulary.search(norm) is None
