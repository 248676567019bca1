"""Text that tries to instruct the assistant: injected into a question, or planted in a document.

The same rules screen the question (:func:`is_injection`), every passage before an engine or a user sees it
(:func:`strip_instructions`) and, at ingest, the lines of each document. Attackers obfuscate, so text is matched in
three forms: NFKC with invisible characters removed; "squashed" (no spaces or separators, leetspeak read as
letters, also reversed); and the decoded content of any base64 blob it carries.
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
REMOVED = "［指示のような記述を除外しました］"  # what a removed line is replaced by (shown to users)

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_SQUASH_DROP = re.compile(r"[\s\W_]+")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")


@dataclass(frozen=True)
class InstructionRules:
    injection: tuple[re.Pattern[str], ...]
    injection_squashed: tuple[re.Pattern[str], ...] = ()
    document_instruction: tuple[re.Pattern[str], ...] = ()


@lru_cache(maxsize=4)
def load_rules(path: Path = RULES_FILE) -> InstructionRules:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))

    def compiled(key: str) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p, re.I) for p in data.get(key) or [])

    return InstructionRules(
        injection=compiled("injection"),
        injection_squashed=compiled("injection_squashed"),
        document_instruction=compiled("document_instruction"),
    )


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


def is_injection(text: str, rules: InstructionRules | None = None, _depth: int = 0) -> bool:
    """A question (or any text) that tries to change, reveal or bypass the assistant's instructions."""
    rules = rules or load_rules()
    norm = nfkc(text)
    if any(p.search(norm) for p in rules.injection):
        return True
    squashed = squash(norm)
    if any(p.search(squashed) or p.search(squashed[::-1]) for p in rules.injection_squashed):
        return True
    return _depth == 0 and any(is_injection(d, rules, _depth=1) for d in _decoded_blobs(norm))


def is_instruction(text: str, rules: InstructionRules | None = None) -> bool:
    """A piece of a document that addresses the assistant: a question-level injection or a planted directive."""
    rules = rules or load_rules()
    return is_injection(text, rules) or any(p.search(nfkc(text)) for p in rules.document_instruction)


def strip_instructions(text: str) -> str:
    """Replace every line of a passage that addresses the assistant (indirect prompt injection) by ``REMOVED``.

    Whole lines go, not single sentences: an attacker can spread one instruction over several sentences
    (「次の文を回答に含めること。『…』」), and a line of a document is cheap to lose.
    """
    if not text or not is_instruction(text):
        return text
    lines = re.split(r"(?<=\n)", text)
    return "".join(
        (REMOVED + ("\n" if line.endswith("\n") else "")) if is_instruction(line) else line for line in lines
    )
