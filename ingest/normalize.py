"""Japanese text clean-up applied to every loaded page before chunking.

PDFs from government sites break lines inside words, print running headers, use Kangxi-radical look-alikes and
private-use bullet glyphs; keyword search and embeddings both fail silently on such text, so it is repaired here once.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

from ingest.stages import timed

# Characters that may end a line inside a sentence vs. characters that close one.
_JA = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u3006\u30fc"
_CJK_CHAR = re.compile(f"[{_JA}]")
_SENTENCE_END = "。．！？!?」』）)】"
_BULLET_START = re.compile(r"^\s*(?:[・●○◆◇■□▶►▪•\-*]|\(?[0-9０-９]{1,3}[\.\)）]|[①-⑳]|[ア-ン][\.．、]|第.{1,6}[章節条])")
_SPACE_BETWEEN_CJK = re.compile(f"(?<=[{_JA}、。「」（）])[ \t\u3000]+(?=[{_JA}、。「」（）])")
_MULTI_SPACE = re.compile(r"[ \t\u3000]{2,}")
_PAGE_NUMBER = re.compile(r"^\s*(?:[-－–—]\s*)?(?:\d{1,4}|[ivxlcdmIVXLCDM]{1,6})(?:\s*[-－–—])?\s*(?:/\s*\d{1,4})?\s*$")
_DOT_LEADER = re.compile(r"[·・…\.．]{4,}")


def _is_private_use(ch: str) -> bool:
    return unicodedata.category(ch) == "Co"


@timed("normalise")
def normalize_text(text: str) -> str:
    """NFKC, bullets, spaces and in-sentence line joins for one page or document."""
    text = unicodedata.normalize("NFKC", text)
    # Private-use glyphs (Wingdings bullets like U+F0D8) become plain bullets.
    text = "".join("・" if _is_private_use(ch) else ch for ch in text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _DOT_LEADER.sub(" … ", text)
    lines = [line.strip() for line in text.split("\n")]
    lines = [_SPACE_BETWEEN_CJK.sub("", line) for line in lines]
    return _join_lines(lines)


def _join_lines(lines: Sequence[str]) -> str:
    """Join hard line breaks inside Japanese sentences without inserting spaces; keep paragraph and list structure."""
    lengths = sorted(len(line) for line in lines if line)
    # A hard wrap happens at (nearly) full width; a shorter line without closing punctuation ends a heading or
    # paragraph. Typical width = 80th percentile of the page's line lengths.
    full_width = lengths[int(0.8 * (len(lengths) - 1))] * 0.75 if len(lengths) >= 4 else 0
    out: list[str] = []
    last_raw = ""
    for line in lines:
        if not line:
            if out and out[-1] != "":
                out.append("")
            last_raw = ""
            continue
        prev = out[-1] if out else ""
        wrapped = len(last_raw) >= full_width or last_raw.endswith(("、", "，", ","))
        last_raw = line
        if prev and wrapped and _continues(prev, line):
            sep = "" if (_CJK_CHAR.match(line[0]) or _CJK_CHAR.search(prev[-1])) else " "
            out[-1] = prev + sep + line
        else:
            out.append(line)
    text = "\n".join(out).strip()
    text = _MULTI_SPACE.sub(" ", text)
    return re.sub(r"\n{3,}", "\n\n", text)


def _continues(prev: str, line: str) -> bool:
    if prev.endswith(tuple(_SENTENCE_END)) or prev.startswith("#"):
        return False
    if _BULLET_START.match(line) or line.startswith("#") or line.startswith("|"):
        return False
    # Only join when the break sits inside Japanese text; English lines keep their own layout.
    return bool(_CJK_CHAR.search(prev[-1]) or _CJK_CHAR.match(line[0]) or prev[-1] in "、，,（(「『")


@timed("normalise")
def strip_page_furniture(pages: Sequence[str], min_pages: int = 4) -> list[str]:
    """Drop bare page numbers and lines repeated at the top or bottom of most pages (running headers/footers)."""
    edge_lines: Counter[str] = Counter()
    split = [[ln for ln in page.split("\n")] for page in pages]
    for lines in split:
        content = [ln.strip() for ln in lines if ln.strip()]
        for ln in set(content[:2] + content[-2:]):
            edge_lines[_digits_blind(ln)] += 1
    threshold = max(3, int(0.5 * len(pages))) if len(pages) >= min_pages else None
    cleaned = []
    for lines in split:
        kept = []
        for ln in lines:
            s = ln.strip()
            if s and _PAGE_NUMBER.match(s):
                continue
            if threshold and s and len(s) <= 60 and edge_lines[_digits_blind(s)] >= threshold:
                continue
            kept.append(ln)
        cleaned.append("\n".join(kept))
    return cleaned


def _digits_blind(line: str) -> str:
    return re.sub(r"\d+", "#", line.strip())


# ---------------------------------------------------------------- quality gate
_GOOD = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff9f"
    r"A-Za-z0-9\s\.,;:!?'\"()\[\]{}<>/\\\-+=*&%$#@~^_|`·・…―‐–—“”‘’※〇○●◆◇■□①-⑳→←↑↓]"
)


@timed("normalise")
def page_quality(text: str) -> str | None:
    """Return why a page must not be indexed (empty or garbage), or None when it is fine.

    Broken CID fonts without ToUnicode maps come out as Yi syllables, combining marks, control pictures or
    private-use code points: the share of characters a Japanese/English page normally has drops sharply.
    """
    stripped = re.sub(r"\s+", "", text)
    if not stripped:
        return "empty"
    good = sum(1 for ch in stripped if _GOOD.match(ch))
    ratio = good / len(stripped)
    if ratio < 0.85:
        return f"garbage-text ({ratio:.0%} readable)"
    letters = sum(1 for ch in stripped if ch.isalnum())
    if letters / len(stripped) < 0.3:
        return "garbage-text (mostly symbols)"
    if len(stripped) < 4:
        return "too-little-text"
    return None
