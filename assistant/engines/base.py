"""What every answer engine receives and yields."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from assistant.guard import is_injection
from assistant.retrieval import Hit

REMOVED = "［指示のような記述を除外しました］"


def strip_instructions(text: str) -> str:
    """Drop sentences of a passage that try to instruct the assistant (indirect prompt injection)."""
    if not is_injection(text):
        return text
    parts = re.split(r"(?<=[。！？!?\n])", text)
    return "".join(REMOVED if is_injection(p) else p for p in parts)


@dataclass
class Passage:
    """A numbered passage shown to the engine; citations are always built from these, never from model text."""

    n: int
    hit: Hit

    @property
    def text(self) -> str:
        """The chunk with instruction-like sentences removed: documents are data, never instructions."""
        return strip_instructions(self.hit.chunk.text)

    @property
    def title(self) -> str:
        return self.hit.chunk.title


class AnswerEngine(Protocol):
    name: str

    def stream(self, question: str, passages: list[Passage], language: str) -> Iterator[str]:
        """Yield answer text pieces with [n] markers referring to ``passages``."""
        ...
