"""Answer in the language of the question: Japanese unless the question is clearly English."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

_JA = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


def detect_language(text: str) -> str:
    ja = len(_JA.findall(text))
    latin = len(_LATIN.findall(text))
    return "en" if latin > 0 and ja * 4 < latin and ja < 6 else "ja"


GLOSSARY = Path(__file__).parent / "prompts" / "glossary.yaml"


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
