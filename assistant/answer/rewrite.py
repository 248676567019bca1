"""Rewrite stage: a follow-up such as 「それの費用は？」 becomes a question that can be searched on its own."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

_FOLLOW_UP = re.compile(r"^(それ|その|これ|この|あれ|そちら|そっち|じゃあ|では|なら|他に|ほかに)|(それ|その|これ|この)(の|は|って|に)|\b(it|that|this|they|those)\b", re.I)


def rewrite_follow_up(question: str, history: Sequence[Mapping[str, Any]]) -> str:
    """Carry the previous user question's topic into a short or pronoun-led follow-up."""
    previous = [str(m.get("content", "")) for m in history if m.get("role") == "user"]
    if not previous:
        return question
    short = len(question) <= 25
    if not (_FOLLOW_UP.search(question) or short):
        return question
    return f"{previous[-1]} {question}"
