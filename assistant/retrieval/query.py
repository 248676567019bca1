"""Query-side care before searching: English questions get the Japanese terms of the glossary."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from chizai.text.language import detect_language

GLOSSARY = Path(__file__).with_name("glossary.yaml")


@lru_cache(maxsize=1)
def _glossary() -> list[tuple[re.Pattern[str], str]]:
    data = yaml.safe_load(GLOSSARY.read_text(encoding="utf-8"))
    return [(re.compile(rf"\b(?:{k})\b", re.I), str(v)) for k, v in data.items()]


def expand_query(text: str) -> str:
    """Add Japanese terms to an English question so the Japanese corpus can be searched by keyword too."""
    if detect_language(text) != "en":
        return text
    extra = [ja for pattern, ja in _glossary() if pattern.search(text)]
    return f"{text} {' '.join(extra)}" if extra else text


COLLOQUIAL = Path(__file__).with_name("colloquial.yaml")


@lru_cache(maxsize=1)
def _colloquial() -> tuple[tuple[str, str], ...]:
    data = yaml.safe_load(COLLOQUIAL.read_text(encoding="utf-8")) or {}
    return tuple((str(k).lower(), str(v)) for k, v in data.items())


def keyword_query(text: str, official: bool = True) -> str:
    """What the keyword legs search for: the question plus the official words of its everyday ones
    (「パクられた」 → 模倣 侵害, 「NDA」 → 秘密保持契約); the dense leg keeps the user's own words."""
    if not official:
        return text
    lowered = text.lower()
    extra = [words for word, words in _colloquial() if word in lowered]
    return f"{text} {' '.join(extra)}" if extra else text
