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


def whole_sentences(text: str) -> str:
    """``text`` without a leading or trailing piece of a sentence cut inside brackets (chunk edges)."""
    start = _leading_fragment_end(text)
    body = text[start:]
    return body[: _trailing_fragment_start(body)].strip() or text.strip()


def _leading_fragment_end(text: str) -> int:
    """0, or just past the end of a first sentence that closes a bracket it never opened."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in OPENERS:
            depth += 1
        elif ch in CLOSERS:
            if depth == 0:
                return _sentence_end(text, i + 1)
            depth -= 1
        elif depth == 0 and (ch in ENDERS or ch == "\n"):
            return 0
    return 0


def _trailing_fragment_start(text: str) -> int:
    """len(text), or the end of the last whole sentence before a bracket that is never closed."""
    depth, last_end, open_at = 0, 0, None
    for i, ch in enumerate(text):
        if ch in OPENERS:
            open_at = i if depth == 0 else open_at
            depth += 1
        elif ch in CLOSERS and depth:
            depth -= 1
        elif depth == 0 and (ch in ENDERS or ch == "\n"):
            last_end = i + 1
    return last_end if depth and open_at is not None and last_end else len(text)


def _sentence_end(text: str, i: int, depth: int = 0) -> int:
    """The offset just past the sentence end (and closing brackets) from ``i`` inside ``depth`` brackets."""
    while i < len(text):
        ch = text[i]
        if ch in OPENERS:
            depth += 1
        elif ch in CLOSERS and depth:
            depth -= 1
        elif depth == 0 and ch == "\n":
            return i
        elif depth == 0 and ch in ENDERS:
            i += 1
            while i < len(text) and (text[i] in ENDERS or text[i] in CLOSERS):
                i += 1
            return i
        i += 1
    return len(text)


def _depths(text: str, end: int) -> tuple[int, int]:
    """(where the sentence containing ``text[end - 1]`` starts, the bracket depth at ``end``), scanning from 0."""
    depth, start = 0, 0
    for j, ch in enumerate(text[:end]):
        if ch in OPENERS:
            depth += 1
        elif ch in CLOSERS and depth:
            depth -= 1
        elif depth == 0 and (ch in ENDERS or ch == "\n") and j < end - 1:
            start = j + 1
    return start, depth


def sentence_around(text: str, start: int, end: int) -> str:
    """The whole sentence of ``text`` that contains ``text[start:end]`` (brackets count, 。 inside them does not)."""
    s0, _ = _depths(text, start + 1)
    _, depth = _depths(text, end)
    while s0 < start and text[s0] in CLOSERS + " \u3000":
        s0 += 1
    return _LIST_MARK.sub("", text[s0 : _sentence_end(text, end, depth)].strip())


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
