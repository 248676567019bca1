"""The one sentence splitter: chunking, quoting, verification, handoff rules and the loop guard all cut here.

A sentence ends at 。！？!? (with the closing brackets that follow) or at a line end; English full stops count
only where a decision needs the sentence around a match (:func:`sentence_bounds`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

ENDERS = "。！？!?"
_SPAN = re.compile(rf"[^{ENDERS}\n]*(?:[{ENDERS}]+[」』）)]*|\n|$)")
_BOUNDARY = re.compile(rf"[{ENDERS}\n]|\.(?=\s|$)")
END_OR_NEWLINE = re.compile(rf"[{ENDERS}\n]")
_PIECE_END = re.compile(rf"(?<=[{ENDERS}])(?![{ENDERS}」』）)])|(?<=[{ENDERS}][」』）)])|(?<=\.)\s+|\n")
_ENUM = re.compile(r"^(?:\d{1,2}[\.\)）]|[①-⑳])\s*")
MARKER = re.compile(r"\[(\d{1,2})\]")


def split_sentences(text: str) -> list[str]:
    """Sentences with their closing punctuation, layout kept: a sentence that ended its line keeps the line break.

    Blank lines are dropped; a bare line break after 。 still separates paragraphs.
    """
    out: list[str] = []
    for match in _SPAN.finditer(text):
        raw = match.group(0)
        sentence = raw.strip()
        if not sentence and raw and out and not out[-1].endswith("\n"):
            out[-1] += "\n"
        elif sentence:
            out.append(sentence + "\n" if raw.endswith("\n") else sentence)
    return out


def sentence_spans(text: str) -> Iterator[str]:
    """Each sentence of one line of text, stripped (markers such as [1] stay where they are)."""
    for match in _SPAN.finditer(text):
        if sentence := match.group(0).strip():
            yield sentence


def sentence_pieces(text: str) -> list[str]:
    """Sentences to judge one by one (the injection screen): English full stops before a space end one too."""
    return [piece.strip() for piece in _PIECE_END.split(text) if piece.strip()]


def sentences(text: str) -> list[str]:
    """Quotable sentences: without list bullets, enumerations (1. ①) and bold markers; at least 2 characters."""
    out = []
    for raw in sentence_spans(text):
        s = _ENUM.sub("", raw.lstrip("・-*• ").strip()).replace("**", "").strip()
        if len(s) >= 2:
            out.append(s)
    return out


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Offsets of the sentence that contains ``text[start:end]`` (English full stops count as ends here)."""
    s0 = 0
    for m in _BOUNDARY.finditer(text, 0, start):
        s0 = m.end()
    m = _BOUNDARY.search(text, end)
    return s0, (m.start() if m else len(text))
