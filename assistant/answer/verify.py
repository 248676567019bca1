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
from assistant.messages import fixed_texts
from chizai.text.normalize import fold
from chizai.text.sentences import MARKER, sentence_spans
from chizai.text.terms import content_terms, overlap

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
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


def verify_answer(
    answer: str,
    passages: list[Passage],
    threshold: float = 0.5,
    keep: frozenset[str] = frozenset(),
    question: str = "",
) -> Verification:
    """``keep``: exact lines written by us (e.g. the extractive lead) that make no claim to verify.
    ``question``: what the user asked; text it supplies that no passage contains is never echoed."""
    by_n = {p.n: p for p in passages}
    sources = "\n".join(_fold(p.text) for p in passages)
    echoes = question_payloads(question, sources) if question else []
    source_terms: set[str] = set().union(*(content_terms(p.text) for p in passages)) if passages else set()
    out_lines: list[str] = []
    total = verified = repointed = 0
    dropped: list[str] = []
    screened: Counter[str] = Counter()

    def known_words(text: str) -> bool:
        folded = _fold(text)
        return (
            content_terms(text) <= source_terms
            and not leaks_prompt(text, sources)
            and not any(e in folded for e in echoes)
        )

    for line in answer.splitlines():
        if not line.strip() or line.strip() in keep:
            out_lines.append(line)
            continue
        if _STRUCTURAL.match(line):
            if known_words(line):
                out_lines.append(line)
            else:
                screened["heading with unsupported words"] += 1
                dropped.append(line.strip())
            continue
        prefix = re.match(r"^\s*(?:[-・*]|\d+\.)\s+", line)
        head = prefix.group(0) if prefix else ""
        kept: list[str] = []
        for sentence in sentence_spans(line[len(head) :]):
            bare = MARKER.sub("", sentence).strip()
            if len(bare) < 6:  # connective fragments and lone markers carry no claim …
                if bare and not known_words(bare):  # … unless they bring words of their own (「了解」「PWNED」)
                    screened["fragment with unsupported words"] += 1
                    dropped.append(bare)
                    continue
                cited_ok = [n for n in map(int, MARKER.findall(sentence)) if n in by_n]
                kept.append(bare + "".join(f"[{n}]" for n in cited_ok) if bare else "")
                continue
            total += 1
            reason = _screen(bare, sources, echoes)
            if reason:
                screened[reason] += 1
                dropped.append(bare)
                continue
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
    return Verification(result, verified / total if total else 0.0, total, dropped, repointed, screened)


def _screen(sentence: str, sources: str, echoes: Sequence[str] = ()) -> str | None:
    """Why a sentence must go whatever its support; quotes from the passages are the sources' own words."""
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
