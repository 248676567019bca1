"""Compose stage: the verified body, next steps from the cited documents, the disclaimer, and the citations."""

from __future__ import annotations

from dataclasses import replace

from assistant.answer.engines.base import Passage
from assistant.answer.links import filter_links
from assistant.answer.result import Citation
from assistant.messages import DISCLAIMER, NEXT_STEPS, REMOVED
from chizai.index.catalog_base import Catalog
from chizai.screening.addressing import addresses_system
from chizai.screening.instructions import strip_instructions
from chizai.text.sentences import MARKER, sentences


def next_steps(catalog: Catalog, passages: list[Passage], body: str) -> list[str]:
    """Bullets from the cited documents' 次にやること sections, cited with the document's passage number.

    They are quoted without verification, so lines that address the assistant are screened out here too.
    """
    steps: list[str] = []
    seen_docs: set[str] = set()
    for passage in passages:
        if passage.hit.chunk.doc_id in seen_docs:
            continue
        seen_docs.add(passage.hit.chunk.doc_id)
        for text in catalog.section_texts(passage.hit.chunk.doc_id, "次に"):
            for line in sentences(strip_instructions(text)):
                if REMOVED in line or addresses_system(line):
                    continue
                if len(line) >= 8 and len(steps) < 3 and line not in body and all(line not in s for s in steps):
                    steps.append(f"- {_cited(line, passage.n)}")
        if len(steps) >= 3:
            break
    return steps


def _cited(sentence: str, n: int) -> str:
    """「…します。」 → 「…します[1]。」: the marker before the closing punctuation, as in the body."""
    body = sentence.rstrip("。.！？!?")
    return f"{body}[{n}]{sentence[len(body):]}"


def compose(
    body: str, passages: list[Passage], catalog: Catalog, allowed_urls: set[str], language: str
) -> tuple[str, list[Citation]]:
    """The final answer text and the citations of the passages it cites (numbers from the text, data from retrieval)."""
    cited = sorted({int(n) for n in MARKER.findall(body)})
    by_n = {p.n: p for p in passages}
    steps = next_steps(catalog, [by_n[n] for n in cited if n in by_n][:2], body)
    parts = [body]
    if steps:
        parts.append(f"**{NEXT_STEPS[language]}**\n" + "\n".join(steps))
        cited = sorted(set(cited) | {int(n) for n in MARKER.findall("\n".join(steps))})
    parts.append(DISCLAIMER[language])
    answer, _ = filter_links("\n\n".join(parts), allowed_urls, language)
    return renumber(answer, [Citation.of(by_n[n]) for n in cited if n in by_n])


def renumber(answer: str, citations: list[Citation]) -> tuple[str, list[Citation]]:
    """Citations numbered 1, 2, 3 … in the order a reader meets them (passage numbers are retrieval's order)."""
    order = list(dict.fromkeys(int(n) for n in MARKER.findall(answer)))
    new = {old: i + 1 for i, old in enumerate(order)}
    text = MARKER.sub(lambda m: f"[{new.get(int(m.group(1)), m.group(1))}]", answer)
    renumbered = sorted((replace(c, n=new[c.n]) for c in citations if c.n in new), key=lambda c: c.n)
    return text, renumbered
