"""Citable units: the diversity cap counts an article of a statute (or a numbered section of a guideline) as its own
unit, not the whole file, while still keeping one file from flooding the results; and a question that asks what a
term means prefers the passage that defines it (「この法律において「営業秘密」とは、…をいう」)."""

from __future__ import annotations

import re

from assistant.retrieval.asks import asks
from chizai.text.normalize import nfkc

_ARTICLE = re.compile(r"第[0-9０-９一二三四五六七八九十百千]+条(?:の[0-9０-９一二三四五六七八九十]+)?")
_DEFINITION_ASK = re.compile(r"定義|とは|って何|ってなに|の意味|何条|なん条|要件|\bdefin|\bwhat (is|are)\b", re.I)
_QUOTED_TERM = re.compile(r"[「『]([^」』]{1,30})[」』]")


def unit_of(doc_id: str, section: str | None) -> str:
    """The citable unit a chunk belongs to: the article for statutes and article-numbered texts, else the file."""
    m = _ARTICLE.search(nfkc(section or "")) if section else None
    return f"{doc_id}#{m.group(0)}" if m else doc_id


def asks_definition(query: str) -> bool:
    return asks(query) in ("definition", "requirements") or bool(_DEFINITION_ASK.search(nfkc(query)))


def defines(text: str, query_terms: set[str]) -> bool:
    """The passage defines a term of the query: 「X」とは … をいう / X とは、… のことをいう / ～を「X」という."""
    norm = nfkc(text)
    for term in _QUOTED_TERM.findall(norm):
        if any(t in term or term in t for t in query_terms if len(t) >= 2):
            tail = norm[norm.find(term) : norm.find(term) + 400]
            if re.search(r"」(と|とは)[、,]?", tail) and re.search(r"(をいう|のことをいう|という)", tail):
                return True
    return any(re.search(re.escape(t) + r"\s*とは[、,]", norm) and re.search(r"(をいう|のことです|を指します)", norm)
               for t in query_terms if len(t) >= 2)
