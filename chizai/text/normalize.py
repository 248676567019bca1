"""The one normaliser for matching: NFKC without invisible characters, and its folded form for comparisons.

Page repair at ingest (line joins, headers, garbage detection) is a different job and lives in ``ingest/normalize``.
"""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[\W_]+")


def nfkc(text: str) -> str:
    """NFKC (full-width letters, half-width kana, Kangxi radicals) without zero-width and other format characters."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def fold(text: str) -> str:
    """Lower-cased letters and digits only: what "the same words" means for verbatim and leak checks."""
    return _NOT_WORD.sub("", nfkc(text).lower())


def keyword_pattern(keyword: str) -> re.Pattern[str]:
    """ASCII keywords match whole words ('IT' must not fire inside 'with'); acronyms stay case-sensitive."""
    if keyword.isascii():
        body = re.escape(keyword)
        flags = 0 if sum(c.isupper() for c in keyword) >= 2 else re.IGNORECASE
        return re.compile(rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])", flags)
    return re.compile(re.escape(keyword))
