"""Citations as readers expect them: ``[n]`` chips in the text that open the passage, one source entry per
document with its passages inside, and quotes made of whole sentences.

Why the pieces look like this:

* A chip is a Markdown link to ``#src-<message>-<n>``, the key of the container that holds passage ``n``. The
  script in :mod:`assistant.ui.layout` follows it: it opens the document's expander and scrolls to the passage,
  which shows where it is (page, section) and links the official page. Only numbers that have a citation become
  chips.
* The retrieval metadata decides everything a source entry shows (title, publisher, URL, page); internal file paths
  (``Citation.source``) are never shown.
* The shared sentence splitter cuts at 。 even inside 「…」, so an extractive answer may quote half a sentence
  (「販売を中止し、…回答せよ」という警告書が…」). :func:`complete_sentences` widens such a quote to the whole sentence
  of the cited passage, bracket-aware, so the answer shows what the source says; text that is not a verbatim quote
  (an LLM's own words) is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from chizai.text.sentences import MARKER

OPENERS = "「『（(【〔［"
CLOSERS = "」』）)】〕］"
ENDERS = "。！？!?"
_BULLET = re.compile(r"^(\s*[-*・]\s+)(.+)$")
_LIST_MARK = re.compile(r"^(?:[-*・•]\s*|\d{1,2}[.)）]\s*|[①-⑳]\s*)")


@dataclass
class SourceDoc:
    """One cited document and the passages of it that the answer cites, in citation order."""

    doc_id: str
    title: str
    publisher: str
    url: str | None
    passages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def numbers(self) -> list[int]:
        return [int(p["n"]) for p in self.passages]


def by_document(citations: Iterable[dict[str, Any]]) -> list[SourceDoc]:
    """Citations grouped per document (by ``doc_id``, else title), documents in the order they are first cited."""
    docs: dict[str, SourceDoc] = {}
    for c in sorted(citations, key=lambda c: int(c.get("n") or 0)):
        key = c.get("doc_id") or c.get("title") or str(c.get("n"))
        if key not in docs:
            docs[key] = SourceDoc(key, c.get("title") or "", c.get("publisher") or "", c.get("url"))
        docs[key].passages.append(c)
        docs[key].url = docs[key].url or c.get("url")
    return list(docs.values())


def where_in_document(citation: dict[str, Any]) -> str:
    """「p.3」「『ポイント』」 or both: where the quoted passage is, from retrieval metadata."""
    parts: list[str] = []
    if citation.get("page_label"):
        parts.append(f"p.{citation['page_label']}")
    elif citation.get("page"):
        parts.append(f"p.{citation['page']}")
    section = citation.get("section") or ""
    title = citation.get("title") or ""
    if title and section.startswith(title):  # sections are stored as 「title > heading」
        section = section[len(title) :].lstrip(" >")
    if section:
        parts.append(f"「{section}」")
    return " ".join(parts)


def anchor(message_id: str, n: int | str) -> str:
    """The container key a chip points to; message ids are hex (``state.new_id``) or ``t<ticket id>``."""
    return f"src-{message_id}-{n}"


def chip_links(markdown: str, message_id: str, numbers: Iterable[int]) -> str:
    """``[n]`` markers of cited passages as links to their passage; other brackets stay text."""
    known = {int(n) for n in numbers}

    def chip(m: re.Match[str]) -> str:
        n = int(m.group(1))
        return f"[\\[{n}\\]](#{anchor(message_id, n)})" if n in known else m.group(0)

    return MARKER.sub(chip, markdown)


def _spans(text: str) -> list[tuple[int, int, bool, bool]]:
    """Sentences as (start, end, starts inside brackets, ends inside brackets).

    。！？ inside brackets do not end a sentence (「…侵害している。販売を中止し…」という警告書…。 is one); a line end
    always does, so one stray 「 cannot swallow the rest of a passage.
    """
    spans: list[tuple[int, int, bool, bool]] = []
    start, depth, inside, i = 0, 0, False, 0
    while i < len(text):
        ch = text[i]
        if ch in OPENERS:
            depth += 1
        elif ch in CLOSERS:
            inside = inside or depth == 0
            depth = max(depth - 1, 0)
        elif ch == "\n" or (depth == 0 and ch in ENDERS):
            end = i + 1
            while ch != "\n" and end < len(text) and text[end] in ENDERS + CLOSERS:
                end += 1
            spans.append((start, end, inside, depth > 0))
            start, depth, inside, i = end, 0, False, end
            continue
        i += 1
    if start < len(text):
        spans.append((start, len(text), inside, depth > 0))
    return spans


def whole_sentences(text: str) -> str:
    """``text`` without a leading or trailing piece of a sentence cut inside brackets (chunk edges)."""
    spans = _spans(text)
    if spans and spans[0][2]:
        spans = spans[1:]
    if spans and spans[-1][3]:
        spans = spans[:-1]
    return text[spans[0][0] : spans[-1][1]].strip() if spans else text.strip()


def sentence_around(text: str, start: int, end: int) -> str:
    """The whole sentence(s) of ``text`` that contain ``text[start:end]``, without a list mark."""
    covering = [(s, e) for s, e, _, _ in _spans(text) if s < end and e > start]
    whole = text[covering[0][0] : covering[-1][1]].strip().lstrip(CLOSERS).strip()
    return _LIST_MARK.sub("", whole)


def complete_sentences(answer: str, citations: Iterable[dict[str, Any]]) -> str:
    """Widen bullet quotes that are pieces of a cited sentence to the whole sentence, once each.

    A bullet that already quotes a whole sentence is left exactly as it is; two pieces of one sentence become one
    bullet (the first), since both would now read the same.
    """
    quotes = {int(c["n"]): c.get("quote") or "" for c in citations}
    out: list[str] = []
    seen: set[str] = set()
    for line in answer.split("\n"):
        m = _BULLET.match(line)
        numbers = [int(n) for n in MARKER.findall(line)]
        whole = _whole_quote(m.group(2), [quotes.get(n, "") for n in numbers]) if m and numbers else None
        if whole is None or m is None:
            out.append(line)
            continue
        widened = _core(m.group(2)) != whole.rstrip(ENDERS)
        if widened and whole in seen:
            continue
        seen.add(whole)
        if not widened:
            out.append(line)
            continue
        marks = "".join(f"[{n}]" for n in dict.fromkeys(numbers))
        body = f"{whole[:-1]}{marks}{whole[-1]}" if whole[-1] in ENDERS else f"{whole}{marks}"
        out.append(m.group(1) + body)
    return "\n".join(out)


def _core(bullet: str) -> str:
    return MARKER.sub("", bullet).strip().rstrip(ENDERS).strip()


def _whole_quote(bullet: str, quotes: list[str]) -> str | None:
    """The whole cited sentence this bullet quotes a piece of, or None when it quotes none verbatim."""
    core = _core(bullet)
    if len(core) < 4:
        return None
    for quote in quotes:
        at = quote.find(core)
        if at >= 0:
            return sentence_around(quote, at, at + len(core))
    return None
