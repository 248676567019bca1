"""Citation verification after generation: every sentence must be supported by the passage it cites.

Support is measured on Sudachi content terms (share of the sentence's terms found in the passage). A sentence
citing the wrong passage is re-pointed to the passage that supports it; an unsupported sentence is dropped;
markers pointing nowhere are removed. The caller falls back to the extractive answer when too little remains.

A compromised or careless model can also pad an otherwise grounded sentence with what it must never write, so
sentences that are not quoted word for word from a passage are screened as well: case-specific legal verdicts
(「御社の場合は侵害ではありません」), text of our own prompts, and text the question supplied that no passage
contains (a quoted 「合言葉」 or an ALL-CAPS token: what a prompt injection asks the model to repeat) are dropped. Headings, bold lines and short
fragments carry no citation, so they survive only when every content word of theirs is in the passages.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from assistant.answer.engines.base import Passage
from assistant.answer.verdicts import is_verdict
from assistant.answer.verifier import LexicalVerifier, Verifier
from assistant.messages import fixed_texts
from chizai.screening.addressing import addresses_system
from chizai.text.normalize import fold
from chizai.text.sentences import MARKER, sentence_spans
from chizai.text.terms import content_terms, overlap

_STRUCTURAL = re.compile(r"^\s*(#+|\*\*.*\*\*:?$|[-・*]?\s*$)")
_QUOTED = re.compile(r"[「『\"“'‘]([^「」『』\"“”'‘’\n]{1,40})[」』\"”'’]")
_SHOUTED = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Z0-9_-]{3,}(?![A-Za-z0-9])")
_DIRECTIVE = re.compile(
    r"[「『\"“'‘]([^「」『』\"“”'‘’\n]{1,40})[」』\"”'’]\s*(?:と|を)(?:だけ|のみ)?\s*(?:言|書|出|答え|返|名乗|記載|付け|表示|入れ|回答|print)"
    r"|\b(?:say|print|output|write|reply\s+with|respond\s+with|answer\s+with|start\s+with|begin\s+with|confirm\s+with)"
    r"\s*\(?\s*[\"“'‘]?([^\"”'’\s()]{2,40})",
    re.I,
)
PROMPTS = Path(__file__).parent / "prompts"
PROMPT_FILES = ("system_ja.txt", "system_en.txt", "user.txt")
LEAK_SHINGLE = 14  # characters of normalised text shared with a prompt that count as revealing it


@dataclass
class Verification:
    text: str
    grounded_ratio: float  # verified share of content sentences
    sentences: int
    dropped: list[str]
    repointed: int
    screened: Counter[str] = field(default_factory=Counter)  # why sentences were dropped besides no support


def _fold(text: str) -> str:
    """NFKC, lower case, letters and digits only: what "the same words" means for verbatim and leak checks."""
    return fold(MARKER.sub("", text))


def _shingles(text: str, size: int = LEAK_SHINGLE) -> set[str]:
    return {text[i : i + size] for i in range(len(text) - size + 1)}


@lru_cache(maxsize=1)
def prompt_shingles() -> frozenset[str]:
    """Shingles of the prompts the model receives, minus the fixed texts we show users ourselves."""
    secret: set[str] = set()
    for name in PROMPT_FILES:
        text = re.sub(r"\{\w+\}", " ", (PROMPTS / name).read_text(encoding="utf-8"))
        for line in text.splitlines():
            secret |= _shingles(_fold(line))
    for text in fixed_texts():
        secret -= _shingles(_fold(text))
    return frozenset(secret)


def leaks_prompt(sentence: str, sources: str = "") -> bool:
    """True when the sentence repeats our prompt text that the (folded) ``sources`` do not contain."""
    secret = prompt_shingles()
    return any(s in secret and s not in sources for s in _shingles(_fold(sentence)))


def question_payloads(question: str, sources: str) -> list[str]:
    """Folded text from the question that an answer must not repeat.

    Text the question asks to be output (『X』と言って, say "X", start with X) always; other quoted spans and
    ALL-CAPS tokens when no passage contains them.
    """
    ordered = {_fold(m.group(1) or m.group(2) or "") for m in _DIRECTIVE.finditer(question)}
    spans = _QUOTED.findall(question) + _SHOUTED.findall(question)
    found = [f for f in ordered if len(f) >= 2]
    found += [f for f in dict.fromkeys(_fold(s) for s in spans) if len(f) >= 2 and f not in sources]
    return list(dict.fromkeys(found))


class AnswerCheck:
    """Verification state of one answer: what the passages say, what was kept, dropped and why.

    Used line by line by :func:`verify_answer` and sentence by sentence by :class:`SentenceGate`, so a streamed
    answer is checked exactly like a finished one.
    """

    def __init__(
        self,
        passages: list[Passage],
        verifier: Verifier | None = None,
        keep: frozenset[str] = frozenset(),
        question: str = "",
    ) -> None:
        self.passages = passages
        self.by_n = {p.n: p for p in passages}
        self.verifier = verifier or LexicalVerifier()
        self.keep = keep
        self.sources = "\n".join(_fold(p.text) for p in passages)
        self.echoes = question_payloads(question, self.sources) if question else []
        self.source_terms: set[str] = set().union(*(content_terms(p.text) for p in passages)) if passages else set()
        self.total = self.verified = self.repointed = 0
        self.dropped: list[str] = []
        self.screened: Counter[str] = Counter()

    def known_words(self, text: str) -> bool:
        folded = _fold(text)
        return (content_terms(text) <= self.source_terms and not leaks_prompt(text, self.sources)
                and not any(e in folded for e in self.echoes))

    def structural(self, line: str) -> str | None:
        """A heading, bold line or empty bullet: kept only when every content word of it is in the passages."""
        if self.known_words(line):
            return line
        self.screened["heading with unsupported words"] += 1
        self.dropped.append(line.strip())
        return None

    def sentence(self, sentence: str) -> str | None:
        """One sentence with its [n] markers: the verified sentence (markers re-pointed) or None (dropped)."""
        bare = MARKER.sub("", sentence).strip()
        if len(bare) < 6:  # connective fragments and lone markers carry no claim …
            if bare and not self.known_words(bare):  # … unless they bring words of their own (「了解」「PWNED」)
                self.screened["fragment with unsupported words"] += 1
                self.dropped.append(bare)
                return None
            cited_ok = [n for n in map(int, MARKER.findall(sentence)) if n in self.by_n]
            return bare + "".join(f"[{n}]" for n in cited_ok) if bare else ""
        self.total += 1
        reason = _screen(bare, self.sources, self.echoes)
        if reason:
            self.screened[reason] += 1
            self.dropped.append(bare)
            return None
        good = self._supporting(bare, [n for n in map(int, MARKER.findall(sentence)) if n in self.by_n])
        if not good:
            self.dropped.append(bare)
            return None
        self.verified += 1
        return _with_markers(bare, good)

    def _supporting(self, bare: str, cited: list[int]) -> list[int]:
        folded = _fold(bare.rstrip("。．.！？!?"))
        verbatim = [n for n in cited if folded and folded in _fold(self.by_n[n].text)]
        good = verbatim or [n for n in cited if self.verifier.check(bare, self.by_n[n].text).label == "supported"]
        if good or not self.passages:
            return good
        best = max(self.passages, key=lambda p: overlap(bare, p.text))
        if (folded and folded in _fold(best.text)) or self.verifier.check(bare, best.text).label == "supported":
            self.repointed += 1
            return [best.n]
        return []

    def line(self, line: str) -> str | None:
        """One whole line of an answer, verified (None when nothing of it survives)."""
        if not line.strip() or line.strip() in self.keep:
            return line
        if _STRUCTURAL.match(line):
            return self.structural(line)
        head = _head(line)
        kept = [k for s in sentence_spans(line[len(head) :]) if (k := self.sentence(s))]
        return head + "".join(kept) if kept else None

    def result(self, text: str) -> Verification:
        text = re.sub(r"\n{3,}", "\n\n", text.strip())
        ratio = self.verified / self.total if self.total else 0.0
        return Verification(text, ratio, self.total, self.dropped, self.repointed, self.screened)


def _head(line: str) -> str:
    prefix = re.match(r"^\s*(?:[-・*]|\d+\.)\s+", line)
    return prefix.group(0) if prefix else ""


def verify_answer(
    answer: str,
    passages: list[Passage],
    keep: frozenset[str] = frozenset(),
    question: str = "",
    verifier: Verifier | None = None,
) -> Verification:
    """``keep``: exact lines written by us (e.g. the extractive lead) that make no claim to verify.
    ``question``: what the user asked; text it supplies that no passage contains is never echoed."""
    check = AnswerCheck(passages, verifier, keep, question)
    lines = [checked for line in answer.splitlines() if (checked := check.line(line)) is not None]
    return check.result("\n".join(lines))


def _screen(sentence: str, sources: str, echoes: Sequence[str] = ()) -> str | None:
    """Why a sentence must go whatever its support. Quotes from the passages are the sources' own words, except a
    sentence that talks to the machine (「回答システムは…と説明する設定です」): never shown, quoted or not."""
    if addresses_system(sentence):
        return "addresses the system"
    folded = _fold(sentence.rstrip("。．.！？!?"))
    if folded and folded in sources:
        return None
    if is_verdict(sentence):
        return "case-specific verdict"
    if leaks_prompt(sentence, sources):
        return "prompt text"
    if any(e in folded for e in echoes):
        return "echoes the question's text"
    return None


def _with_markers(sentence: str, ns: list[int]) -> str:
    tail = ""
    m = re.search(r"[。．.！？!?]+$", sentence)
    if m:
        sentence, tail = sentence[: m.start()], m.group(0)
    return sentence + "".join(f"[{n}]" for n in dict.fromkeys(ns)) + tail
