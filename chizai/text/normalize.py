"""The one normaliser for matching: NFKC without invisible characters, and its folded form for comparisons.

Page repair at ingest (line joins, headers, garbage detection) is a different job and lives in ``ingest/normalize``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_NOT_WORD = re.compile(r"[\W_]+")
# Where Unicode puts format (Cf) characters: the BMP, plane 1 and the tag block (a test checks all code points).
_FORMAT_RANGES = (range(0x20000), range(0xE0000, 0xE1000))


@lru_cache(maxsize=1)
def format_characters() -> re.Pattern[str]:
    """One character class of every format character (zero-width space, joiners, BOM, bidi marks, tags …)."""
    chars = [chr(c) for r in _FORMAT_RANGES for c in r if unicodedata.category(chr(c)) == "Cf"]
    return re.compile("[" + "".join(re.escape(c) for c in chars) + "]")


def nfkc(text: str) -> str:
    """NFKC (full-width letters, half-width kana, Kangxi radicals) without zero-width and other format characters.

    One regex pass instead of a category lookup per character: this runs thousands of times per answer."""
    return format_characters().sub("", unicodedata.normalize("NFKC", text))


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
