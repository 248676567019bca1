"""Text that tries to instruct the assistant: typed into a question, or planted in a document.

- A question is refused when the rules of ``instructions.yaml`` match (:func:`is_injection`): refusing a user's
  question costs a lot, so only what people wrote down as an attack counts.
- A line of a document is dropped when the trained detector flags it (at ingest, :mod:`ingest.screen`; for every
  passage an engine or a user sees, :func:`strip_instructions`): losing a line of a document costs little, and
  planted lines come in phrasings no rule list foresees. Whole lines go, not single sentences: an attacker can
  spread one instruction over several sentences (「次の文を回答に含めること。『…』」).
"""

from __future__ import annotations

import re

from chizai.screening.detector import get_detector
from chizai.screening.rules import matches_question_rules

REMOVED = "［指示のような記述を除外しました］"  # what a removed line is replaced by (shown to users)
_LINES = re.compile(r"(?<=\n)")


def is_injection(text: str) -> bool:
    """A question (or any text) that tries to change, reveal or bypass the assistant's instructions."""
    return matches_question_rules(text)


def is_instruction(text: str) -> bool:
    """Whether any line of a piece of a document addresses the machine that reads it (the detector's verdict)."""
    return any(get_detector().flags(text.splitlines() or [text]))


def strip_instructions(text: str) -> str:
    """Replace every flagged line of a passage by ``REMOVED``, so readers see that something was left out."""
    if not text:
        return text
    lines = _LINES.split(text)
    flags = get_detector().flags([line.strip() for line in lines])
    return "".join(
        (REMOVED + ("\n" if line.endswith("\n") else "")) if flag else line
        for line, flag in zip(lines, flags, strict=True)
    )
