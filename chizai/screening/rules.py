"""The rule lists of ``instructions.yaml``, compiled, and the obfuscated forms they are matched in.

Attackers obfuscate, so text is matched in three forms: NFKC with invisible characters removed; "squashed" (no
spaces or separators, leetspeak read as letters, also reversed); and the decoded content of any base64 blob it
carries. For questions the rules are the gate (:func:`chizai.screening.instructions.is_injection`); for document
lines they are features of the trained detector (:mod:`chizai.screening.detector`), which generalises further.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from chizai.text.normalize import nfkc

RULES_FILE = Path(__file__).with_name("instructions.yaml")

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_SQUASH_DROP = re.compile(r"[\s\W_]+")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")

Patterns = tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class InstructionRules:
    injection: Patterns
    injection_squashed: Patterns = ()
    document_instruction: Patterns = ()
    addressee: Patterns = ()  # who a planted line talks to or about: AI, アシスタント, 回答システム …
    directive: Patterns = ()  # a sentence that ends as an order or a required behaviour
    answer_form: Patterns = ()  # how answers must be phrased: 「…と回答する」, "respond with"


@lru_cache(maxsize=4)
def load_rules(path: Path = RULES_FILE) -> InstructionRules:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))

    def compiled(key: str) -> Patterns:
        return tuple(re.compile(p, re.I) for p in data.get(key) or [])

    return InstructionRules(**{key: compiled(key) for key in InstructionRules.__dataclass_fields__})


def squash(text: str) -> str:
    """Lower-case, leetspeak digits read as letters, spaces/separators/punctuation removed: ``i-g n0re`` → ``ignore``."""
    return _SQUASH_DROP.sub("", nfkc(text).lower().translate(_LEET))


def _decoded_blobs(text: str) -> list[str]:
    """Readable text hidden in base64 blobs (standard or URL-safe alphabet, padding optional)."""
    out = []
    for blob in _BASE64.findall(text):
        raw = blob.rstrip("=")
        raw += "=" * (-len(raw) % 4)
        try:
            data = base64.b64decode(raw.replace("-", "+").replace("_", "/"), validate=True)
            decoded = data.decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            continue
        if decoded and sum(ch.isprintable() or ch.isspace() for ch in decoded) >= 0.9 * len(decoded):
            out.append(decoded)
    return out


def matches_question_rules(text: str, rules: InstructionRules | None = None, _depth: int = 0) -> bool:
    """Text that tries to change, reveal or bypass the assistant's instructions, in any of the three forms."""
    rules = rules or load_rules()
    norm = nfkc(text)
    if any(p.search(norm) for p in rules.injection):
        return True
    squashed = squash(norm)
    if any(p.search(squashed) or p.search(squashed[::-1]) for p in rules.injection_squashed):
        return True
    return _depth == 0 and any(matches_question_rules(d, rules, _depth=1) for d in _decoded_blobs(norm))
