"""Citation verification after generation: every sentence must be supported by the passage it cites.

Support is measured on Sudachi content terms (share of the sentence's terms found in the passage). A sentence
citing the wrong passage is re-pointed to the passage that supports it; an unsupported sentence is dropped;
markers pointing nowhere are removed. The caller falls back to the extractive answer when too little remains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.engines.base import Passage
from assistant.textutil import MARKER, overlap

_LINE_SENTENCES = re.compile(r"[^。！？!?\n]+(?:[。！？!?]+|$)")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_STRUCTURAL = re.compile(r"^\s*(#+|\*\*.*\*\*:?$|[-・*]?\s*$)")


@dataclass
class Verification:
    text: str
    grounded_ratio: float  # verified share of content sentences
    sentences: int
    dropped: list[str]
    repointed: int


def verify_answer(
    answer: str, passages: list[Passage], threshold: float = 0.5, keep: frozenset[str] = frozenset()
) -> Verification:
    """``keep``: exact lines written by us (e.g. the extractive lead) that make no claim to verify."""
    by_n = {p.n: p for p in passages}
    out_lines: list[str] = []
    total = verified = repointed = 0
    dropped: list[str] = []
    for line in answer.splitlines():
        if not line.strip() or _STRUCTURAL.match(line) or line.strip() in keep:
            out_lines.append(line)
            continue
        prefix = re.match(r"^\s*(?:[-・*]|\d+\.)\s+", line)
        head = prefix.group(0) if prefix else ""
        kept: list[str] = []
        for m in _LINE_SENTENCES.finditer(line[len(head) :]):
            sentence = m.group(0).strip()
            if not sentence:
                continue
            bare = MARKER.sub("", sentence).strip()
            if len(bare) < 6:  # connective fragments and lone markers carry no claim
                cited_ok = [n for n in map(int, MARKER.findall(sentence)) if n in by_n]
                kept.append(bare + "".join(f"[{n}]" for n in cited_ok) if bare else "")
                continue
            total += 1
            cited = [n for n in map(int, MARKER.findall(sentence)) if n in by_n]
            good = [n for n in cited if supports(bare, by_n[n].text, threshold)]
            if not good:
                best = max(passages, key=lambda p: overlap(bare, p.text), default=None)
                if best is not None and supports(bare, best.text, threshold):
                    good = [best.n]
                    repointed += 1
            if good:
                verified += 1
                kept.append(_with_markers(bare, good))
            else:
                dropped.append(bare)
        text = "".join(k for k in kept if k)
        if text:
            out_lines.append(head + text)
    result = "\n".join(out_lines).strip()
    result = re.sub(r"\n{3,}", "\n\n", result)
    return Verification(result, verified / total if total else 0.0, total, dropped, repointed)


def supports(sentence: str, passage: str, threshold: float) -> bool:
    """Enough shared content terms, and every number of the sentence (fees, years, rates) appears in the passage."""
    if overlap(sentence, passage) < threshold:
        return False
    return all(number in passage for number in _NUMBER.findall(sentence))


def _with_markers(sentence: str, ns: list[int]) -> str:
    tail = ""
    m = re.search(r"[。．.！？!?]+$", sentence)
    if m:
        sentence, tail = sentence[: m.start()], m.group(0)
    return sentence + "".join(f"[{n}]" for n in dict.fromkeys(ns)) + tail
