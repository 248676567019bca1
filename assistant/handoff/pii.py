"""Personal data and confidential-looking content in what users type.

Users paste phone numbers, addresses and even マイナンバー into a chat box; the consultation sheet leaves the
assistant for an outside advisor, so these are masked unless the user consented. Users also paste recipes and
drawings; the assistant cannot take those back once sent, so we warn (``looks_confidential``) instead of
storing them silently.

Matching runs on a copy of the text in which full-width digits, latin letters and dashes are replaced one
character for one character, so spans always refer to the original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from assistant.handoff.facts import PREFECTURE_NAMES

Kind = Literal["phone", "email", "my_number", "postal_code", "address"]
MaskStyle = Literal["partial", "placeholder"]

PLACEHOLDERS: dict[str, str] = {
    "phone": "［電話番号］",
    "email": "［メールアドレス］",
    "my_number": "［マイナンバー］",
    "postal_code": "［郵便番号］",
    "address": "［住所］",
}
KIND_JA: dict[str, str] = {
    "phone": "電話番号",
    "email": "メールアドレス",
    "my_number": "マイナンバー",
    "postal_code": "郵便番号",
    "address": "住所",
}


@dataclass(frozen=True)
class Finding:
    """One piece of personal data: ``span`` is (start, end) in the original text."""

    kind: str
    span: tuple[int, int]
    text: str


# --- length-preserving normalisation ------------------------------------------------------------------------
_DASHES = "－‐‑‒–—―−﹣"
_TRANS = {ord(c): "-" for c in _DASHES}
_TRANS.update({0xFF10 + i: str(i) for i in range(10)})  # ０-９
_TRANS.update({0xFF21 + i: chr(0x41 + i) for i in range(26)})  # Ａ-Ｚ
_TRANS.update({0xFF41 + i: chr(0x61 + i) for i in range(26)})  # ａ-ｚ
_TRANS.update(
    {
        ord("＠"): "@",
        ord("．"): ".",
        ord("＿"): "_",
        ord("＋"): "+",
        ord("（"): "(",
        ord("）"): ")",
        ord("\u3000"): " ",
        ord("："): ":",
        ord("％"): "%",
    }
)
_LONG_VOWEL_BETWEEN_DIGITS = re.compile(r"(?<=\d)[ーｰ](?=\d)")


def _normalise_same_length(text: str) -> str:
    """Full-width → ASCII one char at a time; 'ー' between digits is a dash (090ー1234ー5678)."""
    out = text.translate(_TRANS)
    out = _LONG_VOWEL_BETWEEN_DIGITS.sub("-", out)
    assert len(out) == len(text)
    return out


# --- patterns (applied to the normalised text) --------------------------------------------------------------
_PHONE_RE = re.compile(
    r"(?<![\d+])(?:"
    r"(?:\+81[-\s]?\(?0?\)?|0)\d{1,4}(?:[-\s.]|\)\s?)\d{1,4}[-\s.]\d{3,4}"  # 03-1234-5678, +81-90-1234-5678
    r"|\(0\d{1,4}\)\s?\d{1,4}[-\s.]?\d{3,4}"  # (03) 1234-5678
    r"|0\d{1,4}\(\d{1,4}\)\d{3,4}"  # 03(1234)5678
    r"|(?:\+81|0)\d{9,10}"  # 09012345678
    r")(?!\d)"
)
_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
_MY_NUMBER_RE = re.compile(r"(?<![\d-])\d{4}([-\s]?)\d{4}\1\d{4}(?![\d-])")
_MY_NUMBER_CONTEXT = re.compile(r"(マイナンバー|個人番号|my\s*number)", re.IGNORECASE)
_PREF_ALT = "|".join(map(re.escape, PREFECTURE_NAMES))
_POSTAL_RE = re.compile(
    rf"(?:〒\s?\d{{3}}-?\d{{4}}|郵便番号\s*[:]?\s*\d{{3}}-?\d{{4}}|(?<![\d-])\d{{3}}-\d{{4}}(?![\d-])(?=\s*(?:{_PREF_ALT})))"
)
_KANJI_NUM = "一二三四五六七八九十〇百千"
_NUM = rf"(?:\d+|[{_KANJI_NUM}]+)"
_BLOCK = (
    # 3丁目4番3号 / 三丁目四番三号 / 2丁目8-1 / 1丁目
    rf"(?:{_NUM}丁目(?:\s?{_NUM}(?:\s?番地?|-)?(?:\s?の?\s?{_NUM}\s?号?)?)?"
    r"|\d+\s?番地?(?:\s?の?\s?\d+\s?号?)?"  # 12番地 / 3番1号
    rf"|[{_KANJI_NUM}]+番地(?:の?[{_KANJI_NUM}]+号?)?|[{_KANJI_NUM}]+番[{_KANJI_NUM}]+号"  # not a bare 一番 (= "best")
    r"|\d+(?:-\d+){1,3}(?:\s?号)?)"  # 1-2-3
)
# A building and a room after the block (サンプルマンション301号室, 博多ビル5F) point at one household or office.
_ROOM = r"(?:\s?[一-龥々ヶケぁ-んァ-ヶーA-Za-z・]{1,20}\s?(?:第?\d{1,4}\s?(?:号室|号館|階|F)|\d{1,4}(?=\s|$|[、。,)）])))?"
_ADDRESS_RE = re.compile(
    # The area may carry Sapporo-style 条 numbers: 札幌市中央区北1条西2丁目.
    rf"(?:{_PREF_ALT})?[一-龥々ヶケ]{{1,8}}?(?:市|区|町|村|郡)(?:[一-龥々ヶケぁ-んァ-ヶー]|\d+条){{0,14}}?{_BLOCK}{_ROOM}"
)
_MUNICIPALITY_END = re.compile(r"^(?:.*?(?:市|郡))?.*?(?:市|区|町|村)")


def my_number_check_digit_ok(digits: str) -> bool:
    """マイナンバー (個人番号) check digit: weights 2..7, 2..6 from the right, mod 11 (総務省令の算式)."""
    if len(digits) != 12 or not digits.isdigit():
        return False
    body = [int(c) for c in digits[:11]]
    total = 0
    for n in range(1, 12):
        p = body[11 - n]
        q = n + 1 if n <= 6 else n - 5
        total += p * q
    remainder = total % 11
    check = 0 if remainder <= 1 else 11 - remainder
    return check == int(digits[11])


def _phone_digits_ok(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    if candidate.lstrip().startswith("+81"):
        digits = "0" + digits[2:].lstrip("0")
    if len(digits) == 11:
        return digits[:3] in {"090", "080", "070", "050", "020"} or digits[:4] == "0800"
    if len(digits) == 10:
        return digits[0] == "0" and digits[1] != "0" and digits[:3] not in {"090", "080", "070", "050"}
    return False


def find_pii(text: str) -> list[Finding]:
    """Phone numbers, e-mail addresses, マイナンバー, postal codes and street addresses, in text order.

    A 12-digit number counts as マイナンバー when its check digit is valid, or when the user labelled it
    as one     (a typo in a labelled number is still their number).
    """
    if not text:
        return []
    norm = _normalise_same_length(text)
    candidates: list[Finding] = []

    def add(kind: str, start: int, end: int) -> None:
        candidates.append(Finding(kind, (start, end), text[start:end]))

    for m in _EMAIL_RE.finditer(norm):
        add("email", m.start(), m.end())
    for m in _MY_NUMBER_RE.finditer(norm):
        digits = re.sub(r"\D", "", m.group(0))
        labelled = bool(_MY_NUMBER_CONTEXT.search(norm[max(0, m.start() - 20) : m.start()]))
        if my_number_check_digit_ok(digits) or labelled:
            add("my_number", m.start(), m.end())
    for m in _PHONE_RE.finditer(norm):
        if _phone_digits_ok(m.group(0)):
            add("phone", m.start(), m.end())
    for m in _POSTAL_RE.finditer(norm):
        add("postal_code", m.start(), m.end())
    for m in _ADDRESS_RE.finditer(norm):
        add("address", m.start(), m.end())

    # Earlier first; at the same start the longer one; drop anything overlapping an accepted finding.
    priority = {"email": 0, "my_number": 1, "phone": 2, "postal_code": 3, "address": 4}
    candidates.sort(key=lambda f: (f.span[0], -(f.span[1] - f.span[0]), priority[f.kind]))
    out: list[Finding] = []
    for f in candidates:
        if out and f.span[0] < out[-1].span[1]:
            continue
        out.append(f)
    return out


def _mask_digits_after_first_group(s: str) -> str:
    """090-1234-5678 → 090-****-****; keeps the area/carrier code, which says nothing about the person."""
    norm = _normalise_same_length(s)
    out: list[str] = []
    groups_to_keep = 2 if norm.lstrip().startswith("+") else 1  # +81-90-****-****
    groups_seen = 0
    in_digits = False
    for orig, c in zip(s, norm, strict=True):
        if c.isdigit():
            if not in_digits:
                groups_seen += 1
                in_digits = True
            out.append("*" if groups_seen > groups_to_keep else orig)
        else:
            in_digits = False
            out.append(orig)
    masking = groups_seen > groups_to_keep
    if not masking:  # unseparated 09012345678: keep the first three digits
        digits_seen = 0
        for i, c in enumerate(norm):
            if c.isdigit():
                digits_seen += 1
                if digits_seen > 3:
                    out[i] = "*"
    return "".join(out)


def _mask_one(finding: Finding, style: MaskStyle) -> str:
    if style == "placeholder" or finding.kind == "my_number":
        return PLACEHOLDERS[finding.kind]
    if finding.kind == "phone":
        return _mask_digits_after_first_group(finding.text)
    if finding.kind == "email":
        at = _normalise_same_length(finding.text).index("@")
        return f"{finding.text[:1]}***@{finding.text[at + 1 :]}"
    if finding.kind == "postal_code":
        return re.sub(r"[0-9０-９]", "*", finding.text)
    if finding.kind == "address":
        # Keep 都道府県+市区町村 (useful for routing, not identifying); hide the street and number.
        m = _MUNICIPALITY_END.match(finding.text)
        return (m.group(0) if m else "") + "［番地以下］"
    return PLACEHOLDERS.get(finding.kind, "［個人情報］")


def mask_pii(text: str, style: MaskStyle = "partial") -> str:
    """Text with personal data hidden.

    ``partial``: 090-****-****, t***@example.co.jp, 〒***-****, 大阪府大阪市北区［番地以下］,
    ［マイナンバー］.
    ``placeholder``: every finding replaced by ［電話番号］, ［メールアドレス］ … .
    """
    findings = find_pii(text)
    if not findings:
        return text
    parts: list[str] = []
    pos = 0
    for f in findings:
        parts.append(text[pos : f.span[0]])
        parts.append(_mask_one(f, style))
        pos = f.span[1]
    parts.append(text[pos:])
    return "".join(parts)


# --- confidential-looking technical content -----------------------------------------------------------------
_CONFIDENTIAL_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "「社外秘」「極秘」などの表示があります",
        re.compile(
            r"(社外秘|極秘|部外秘|関係者外秘|confidential|top secret|機密区分|取扱注意|秘密情報につき)",
            re.IGNORECASE,
        ),
    ),
    (
        "配合・配合比の具体的な記載があります",
        re.compile(
            r"(配合(比|率|量|割合)?[^。\n]{0,15}\d|\d+(\.\d+)?\s*(%|％|重量部|wt%|質量%)[^。\n]{0,10}(配合|添加|混合)|配合表|レシピの分量)"
        ),
    ),
    (
        "温度などの具体的な製造条件があります",
        re.compile(
            r"(\d+(\.\d+)?\s*(℃|°C|度C)|温度条件|焼成温度|加熱温度|反応温度|保持時間|昇温速度|圧力\s*\d+(\.\d+)?\s*(MPa|kPa|Pa|気圧))"
        ),
    ),
    (
        "濃度（ppm など）の具体的な数値があります",
        re.compile(r"\d+(\.\d+)?\s*(ppm|ppb|mg/l|mg/L|mol/L|g/L)", re.IGNORECASE),
    ),
    (
        "図面番号・設計資料の記載があります",
        re.compile(
            r"(図面番号|図番|図面No|drawing\s*(no|number)|部品番号|品番\s*[:：]?\s*[A-Z0-9-]{4,}|設計図|仕様書\s*(v|ver|rev)?\s*\d)",
            re.IGNORECASE,
        ),
    ),
    (
        "ソースコードらしき記述があります",
        re.compile(
            r"(ソースコード|source code"
            r"|^\s*(def|class|import|from|function|public|private|#include|using|package)\s+\w+"
            r"|\)\s*\{\s*$|;\s*$|=>\s*\{|console\.log\(|System\.out\.print|SELECT\s+.+\s+FROM\s+)",
            re.IGNORECASE | re.MULTILINE,
        ),
    ),
    (
        "製造方法・工程の具体的な記載があります",
        re.compile(r"(製造工程|工程表|製法の詳細|製造条件|加工条件|独自の(製法|配合|工程)|門外不出)"),
    ),
    (
        "顧客リストなど取引情報の記載があります",
        re.compile(r"(顧客リスト|顧客名簿|仕入先リスト|仕入れ値|原価表|取引単価)"),
    ),
)


def looks_confidential(text: str) -> list[str]:
    """Reasons (Japanese) why the text may contain a trade secret; empty when nothing looks sensitive.

    A heuristic on purpose: it asks the user to think before sending, it does not decide what is secret.
    """
    if not text:
        return []
    norm = _normalise_same_length(text)
    return [reason for reason, pattern in _CONFIDENTIAL_RULES if pattern.search(norm)]


def pii_kinds(text: str) -> list[str]:
    """Distinct kinds of personal data in the text (for a 'we masked X' note)."""
    kinds: list[str] = []
    for f in find_pii(text):
        if f.kind not in kinds:
            kinds.append(f.kind)
    return kinds
