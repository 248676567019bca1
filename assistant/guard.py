"""Input guard: prompt-injection attempts and out-of-scope questions, decided before anything is generated.

The same rules screen passages (indirect injection planted in a document, :func:`is_instruction`) and model
sentences (case-specific legal verdicts, :func:`is_verdict`). Attackers obfuscate, so text is matched in three
forms: NFKC with invisible characters removed; "squashed" (no spaces or separators, leetspeak read as letters,
also reversed); and the decoded content of any base64 blob it carries.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

GUARD_FILE = Path(__file__).parent / "prompts" / "guard.yaml"

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_SQUASH_DROP = re.compile(r"[\s\W_]+")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")


@dataclass(frozen=True)
class GuardRules:
    injection: tuple[re.Pattern[str], ...]
    ip_vocabulary: re.Pattern[str]
    off_topic: re.Pattern[str]
    injection_squashed: tuple[re.Pattern[str], ...] = ()
    document_instruction: tuple[re.Pattern[str], ...] = ()
    verdict: tuple[re.Pattern[str], ...] = ()


@lru_cache(maxsize=4)
def load_guard(path: Path = GUARD_FILE) -> GuardRules:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))

    def compiled(key: str) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p, re.I) for p in data.get(key) or [])

    return GuardRules(
        injection=compiled("injection"),
        ip_vocabulary=re.compile("|".join(f"(?:{p})" for p in data["ip_vocabulary"]), re.I),
        off_topic=re.compile("|".join(f"(?:{p})" for p in data["off_topic"]), re.I),
        injection_squashed=compiled("injection_squashed"),
        document_instruction=compiled("document_instruction"),
        verdict=compiled("verdict"),
    )


def _norm(text: str) -> str:
    """NFKC (full-width letters, half-width kana) without zero-width and other invisible format characters."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def squash(text: str) -> str:
    """Lower-case, leetspeak digits read as letters, spaces/separators/punctuation removed: ``i-g n0re`` → ``ignore``."""
    return _SQUASH_DROP.sub("", _norm(text).lower().translate(_LEET))


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


def is_injection(text: str, rules: GuardRules | None = None, _depth: int = 0) -> bool:
    rules = rules or load_guard()
    norm = _norm(text)
    if any(p.search(norm) for p in rules.injection):
        return True
    squashed = squash(norm)
    if any(p.search(squashed) or p.search(squashed[::-1]) for p in rules.injection_squashed):
        return True
    return _depth == 0 and any(is_injection(d, rules, _depth=1) for d in _decoded_blobs(norm))


def is_instruction(text: str, rules: GuardRules | None = None) -> bool:
    """A piece of a document that addresses the assistant: a question-level injection or a planted directive."""
    rules = rules or load_guard()
    return is_injection(text, rules) or any(p.search(_norm(text)) for p in rules.document_instruction)


def is_verdict(sentence: str, rules: GuardRules | None = None) -> bool:
    """A case-specific legal conclusion (「御社の場合は侵害ではありません」「勝てます」 …), which only a person may give."""
    rules = rules or load_guard()
    norm = _norm(sentence)
    return any(p.search(norm) for p in rules.verdict)


def is_off_topic(text: str, rules: GuardRules | None = None, strict: bool = False) -> bool:
    """Off-topic when it names an off-topic subject or carries no IP vocabulary at all.

    ``strict`` only accepts the first reason: an explicitly off-topic subject is refused even when retrieval
    happens to match generic words of it.
    """
    rules = rules or load_guard()
    norm = _norm(text)
    if rules.off_topic.search(norm) and not re.search(r"特許|商標|著作|営業秘密|知財|patent|trademark|copyright", norm, re.I):
        return True
    return not strict and rules.ip_vocabulary.search(norm) is None
