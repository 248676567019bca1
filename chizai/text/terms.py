"""Content terms of a text (Sudachi forms) and how much of one text another covers."""

from __future__ import annotations

from chizai.text.sentences import MARKER
from chizai.text.tokenizer import get_tokenizer


def content_terms(text: str) -> set[str]:
    return {t for t in get_tokenizer().tokens(MARKER.sub("", text)) if len(t) > 1 or not t.isascii()}


def overlap(sentence: str, passage: str) -> float:
    """Share of the sentence's content terms that the passage contains (1.0 = fully covered)."""
    s_terms = content_terms(sentence)
    if not s_terms:
        return 0.0
    return len(s_terms & content_terms(passage)) / len(s_terms)
