"""Passages trimmed to what the question needs, for the local model.

On 2 CPU cores the local 1.5B model reads ~90 prompt tokens a second before it writes anything, and Japanese
costs ~0.67 tokens a character: six whole passages (~1,500 tokens) kept people waiting 30–60 s for a first word.
The model only needs the sentences that answer, so it gets the best few passages, each cut to the sentences that
share content terms with the question or with what retrieval matched (plus the sentence after each: a list often
follows the sentence that announces it), within a character budget. The verifier still checks every sentence
against the whole passage, so trimming can only make an answer shorter, never less grounded.
"""

from __future__ import annotations

from assistant.answer.engines.base import Passage
from chizai.text.sentences import split_sentences
from chizai.text.terms import content_terms


def _relevant(sentences: list[str], terms: set[str]) -> list[int]:
    """Indices of the sentences that mention a term, each with the sentence after it."""
    keep: set[int] = set()
    for i, sentence in enumerate(sentences):
        if content_terms(sentence) & terms:
            keep.update((i, i + 1))
    return sorted(i for i in keep if i < len(sentences))


def trim_passage(passage: Passage, terms: set[str], limit: int) -> str:
    """The passage's relevant sentences in their order, at most ``limit`` characters (its start when none)."""
    sentences = split_sentences(passage.text)
    picked = _relevant(sentences, terms | set(passage.hit.matched_terms))
    text = "".join(sentences[i] for i in picked) if picked else passage.text
    return text if len(text) <= limit else text[:limit] + "…"


def trim_passages(question: str, passages: list[Passage], budget: int, max_passages: int = 3) -> list[tuple[Passage, str]]:
    """The best ``max_passages`` passages (retrieval order) with their trimmed texts, ``budget`` characters in all."""
    shown = passages[:max_passages]
    if not shown:
        return []
    terms = content_terms(question)
    return [(p, trim_passage(p, terms, budget // len(shown))) for p in shown]
