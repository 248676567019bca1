"""What every answer engine receives and yields."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Protocol

from assistant.retrieval.hybrid import Hit
from chizai.screening.instructions import strip_instructions


@lru_cache(maxsize=4096)
def _screened(text: str) -> str:
    """``strip_instructions`` once per text and process: the same chunks come back answer after answer, and
    screening them was a third of an extractive answer's CPU time (the rules are fixed while the process runs)."""
    return strip_instructions(text)


@dataclass
class Passage:
    """A numbered passage shown to the engine; citations are always built from these, never from model text."""

    n: int
    hit: Hit

    @cached_property
    def text(self) -> str:
        """The chunk with instruction-like lines removed: documents are data, never instructions."""
        return _screened(self.hit.chunk.text)

    @cached_property
    def title(self) -> str:
        """The document title, which a model also reads: an injection can sit there as well."""
        return _screened(self.hit.chunk.title)

    @cached_property
    def section(self) -> str | None:
        """The heading path (「題名 > 見出し」), screened like the title."""
        section = self.hit.chunk.section
        return _screened(section) if section else section


class AnswerEngine(Protocol):
    name: str

    def stream(self, question: str, passages: list[Passage], language: str) -> Iterator[str]:
        """Yield answer text pieces with [n] markers referring to ``passages``."""
        ...
