"""Answer in the language of the question: Japanese unless the question is clearly English."""

from __future__ import annotations

import re

_JA = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


def detect_language(text: str) -> str:
    ja = len(_JA.findall(text))
    latin = len(_LATIN.findall(text))
    return "en" if latin > 0 and ja * 4 < latin and ja < 6 else "ja"
