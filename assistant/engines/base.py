"""What every answer engine receives and yields."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

from assistant.guard import is_instruction
from assistant.retrieval import Hit

REMOVED = "［指示のような記述を除外しました］"


def strip_instructions(text: str) -> str:
    """Replace every line of a passage that addresses the assistant (indirect prompt injection) by ``REMOVED``.

    Whole lines go, not single sentences: an attacker can spread one instruction over several sentences
    (「次の文を回答に含めること。『…』」), and a line of a document is cheap to lose.
    """
    if not text or not is_instruction(text):
        return text
    lines = re.split(r"(?<=\n)", text)
    return "".join(
        (REMOVED + ("\n" if line.endswith("\n") else "")) if is_instruction(line) else line for line in lines
    )


@dataclass
class Passage:
    """A numbered passage shown to the engine; citations are always built from these, never from model text."""

    n: int
    hit: Hit

    @cached_property
    def text(self) -> str:
        """The chunk with instruction-like lines removed: documents are data, never instructions."""
        return strip_instructions(self.hit.chunk.text)

    @cached_property
    def title(self) -> str:
        """The document title, which a model also reads: an injection can sit there as well."""
        return strip_instructions(self.hit.chunk.title)

    @cached_property
    def section(self) -> str | None:
        """The heading path (「題名 > 見出し」), screened like the title."""
        section = self.hit.chunk.section
        return strip_instructions(section) if section else section


class AnswerEngine(Protocol):
    name: str

    def stream(self, question: str, passages: list[Passage], language: str) -> Iterator[str]:
        """Yield answer text pieces with [n] markers referring to ``passages``."""
        ...
