"""Case-specific legal verdicts (「御社の場合は侵害ではありません」「勝てます」 …), which only a person may give.

The patterns are ``verdicts.yaml`` beside this module; the verifier drops a sentence that matches unless it is
quoted word for word from a passage (the sources' own general statements).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from chizai.text.normalize import nfkc

VERDICTS_FILE = Path(__file__).with_name("verdicts.yaml")


@lru_cache(maxsize=4)
def load_verdicts(path: Path = VERDICTS_FILE) -> tuple[tuple[re.Pattern[str], ...], dict[str, re.Pattern[str]]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    patterns = tuple(re.compile(p, re.I) for p in data.get("verdict") or [])
    user_case = {k: re.compile(v, re.I) for k, v in (data.get("user_case") or {}).items()}
    return patterns, user_case


def is_verdict(sentence: str) -> bool:
    norm = nfkc(sentence)
    patterns, user_case = load_verdicts()
    if any(p.search(norm) for p in patterns):
        return True
    return bool(user_case) and all(
        bool(user_case[k].search(norm)) == want for k, want in (("subject", True), ("claim", True), ("hedge", False))
    )
