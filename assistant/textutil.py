"""Sentence splitting and token overlap used by the extractive engine and the citation verifier."""

from __future__ import annotations

import re

from ingest.tokenizer import get_tokenizer

_SENT = re.compile(r"[^。！？!?\n]+[。！？!?]*")
_ENUM = re.compile(r"^(?:\d{1,2}[\.\)）]|[①-⑳])\s*")
MARKER = re.compile(r"\[(\d{1,2})\]")


def sentences(text: str) -> list[str]:
    out = []
    for m in _SENT.finditer(text):
        s = _ENUM.sub("", m.group(0).strip().lstrip("・-*• ").strip()).replace("**", "").strip()
        if len(s) >= 2:
            out.append(s)
    return out


def content_terms(text: str) -> set[str]:
    return {t for t in get_tokenizer().tokens(MARKER.sub("", text)) if len(t) > 1 or not t.isascii()}


def overlap(sentence: str, passage: str) -> float:
    """Share of the sentence's content terms that the passage contains (1.0 = fully covered)."""
    s_terms = content_terms(sentence)
    if not s_terms:
        return 0.0
    return len(s_terms & content_terms(passage)) / len(s_terms)
