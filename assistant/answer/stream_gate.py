"""Sentence-gated streaming: a sentence reaches the screen only after it passed verification.

The engine's stream is buffered until a sentence is complete (an ender such as 。 and whatever citation markers
follow it), then checked by the same :class:`AnswerCheck` a finished answer goes through; dropped sentences are
never shown, not even briefly. Headings and bold lines are decided when their line ends.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from assistant.answer.verify import _STRUCTURAL, AnswerCheck, _head
from chizai.text.sentences import ENDERS

# A sentence is complete once an ender is followed by something that is neither another ender, a closing bracket
# nor a citation marker (「です。[1]」 keeps its marker), or by the end of the line.
_COMPLETE = re.compile(rf"[{ENDERS}]+[」』）)]*(?:\s*\[\d{{1,2}}\])*(?=[^{ENDERS}」』）)\[\d\]\s])")


class SentenceGate:
    def __init__(self, check: AnswerCheck) -> None:
        self.check = check
        self.buffer = ""
        self.head: str | None = None  # the current line's bullet prefix; None until the line has started
        self.shown_in_line = False
        self.shown: list[str] = []

    def feed(self, pieces: Iterable[str]) -> Iterator[str]:
        """Verified text as it becomes certain; everything shown is also collected in ``self.shown``."""
        for piece in pieces:
            self.buffer += piece
            yield from self._drain(final=False)
        yield from self._drain(final=True)

    @property
    def text(self) -> str:
        return "".join(self.shown)

    def _emit(self, text: str) -> Iterator[str]:
        if text:
            self.shown.append(text)
            yield text

    def _drain(self, final: bool) -> Iterator[str]:
        while self.buffer:
            newline = self.buffer.find("\n")
            if self.head is None:
                if newline < 0 and not final and (len(self.buffer.strip()) < 3 or self._maybe_structural()):
                    return  # cannot tell a heading or bullet yet
                if newline >= 0 and _STRUCTURAL.match(self.buffer[:newline]) or (final and _STRUCTURAL.match(self.buffer)):
                    yield from self._whole_line(newline)
                    continue
                self.head = _head(self.buffer)
                self.buffer = self.buffer[len(self.head) :]
                newline = self.buffer.find("\n")
            m = _COMPLETE.search(self.buffer)
            end = m.end() if m and (newline < 0 or m.end() <= newline) else (newline if newline >= 0 else -1)
            if end < 0 and not final:
                return
            sentence, self.buffer = (self.buffer, "") if end < 0 else (self.buffer[:end], self.buffer[end:])
            yield from self._sentence(sentence)
            if self.buffer.startswith("\n") or (final and not self.buffer):
                yield from self._end_line()

    def _maybe_structural(self) -> bool:
        start = self.buffer.lstrip()
        return start.startswith(("#", "**")) or (start in ("-", "*", "・"))

    def _whole_line(self, newline: int) -> Iterator[str]:
        line, self.buffer = (self.buffer, "") if newline < 0 else (self.buffer[:newline], self.buffer[newline + 1 :])
        checked = line if not line.strip() or line.strip() in self.check.keep else self.check.structural(line)
        if checked is not None:
            yield from self._emit(checked + "\n")

    def _sentence(self, sentence: str) -> Iterator[str]:
        if not sentence.strip():
            return
        if sentence.strip() in self.check.keep:
            yield from self._emit((self.head or "") + sentence.strip())
            self.shown_in_line = True
            return
        kept = self.check.sentence(sentence.strip())
        if kept:
            prefix = (self.head or "") if not self.shown_in_line else ""
            yield from self._emit(prefix + kept)
            self.shown_in_line = True

    def _end_line(self) -> Iterator[str]:
        if self.buffer.startswith("\n"):
            self.buffer = self.buffer[1:]
            if self.shown_in_line:
                yield from self._emit("\n")
        self.head = None
        self.shown_in_line = False
