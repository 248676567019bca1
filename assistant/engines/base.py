"""What every answer engine receives and yields."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from assistant.retrieval import Hit


@dataclass
class Passage:
    """A numbered passage shown to the engine; citations are always built from these, never from model text."""

    n: int
    hit: Hit

    @property
    def text(self) -> str:
        return self.hit.chunk.text

    @property
    def title(self) -> str:
        return self.hit.chunk.title


class AnswerEngine(Protocol):
    name: str

    def stream(self, question: str, passages: list[Passage], language: str) -> Iterator[str]:
        """Yield answer text pieces with [n] markers referring to ``passages``."""
        ...
