"""Checking the contact details of the handoff form before a ticket is made: a name, a Japanese phone number,
an e-mail address, each with a message that says what to fix.

Why these rules: an advisor has to be able to call or write back, so a phone or e-mail needs a name with it, and a
number that cannot be dialled (「abc-でんわ」) or an address that cannot receive mail (「yamada@」) is worse than none
because the user then waits for a call that cannot come. Contact details stay optional: without any, the receipt
tells the user to keep the 受付番号. Input typed through a Japanese IME (full-width digits, ー for hyphens, ＠) is
accepted and stored in its plain form.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from assistant.tickets.models import CONTACT_LABELS

COMPANY, NAME, PHONE, EMAIL, WHEN = CONTACT_LABELS
MAX_NAME = 50
_DASHES = re.compile(r"[‐‑‒–—―ー−－]")
_SEPARATORS = re.compile(r"[\s\-()（）.]")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$")
# 11 digits: mobile, IP phone, M2M (070/080/090/050/020/060) and 0800 free dial; 10 digits: fixed lines, 0120, 0570.
_ELEVEN = ("020", "050", "060", "070", "080", "090", "0800")

MESSAGES: dict[str, tuple[str, str]] = {
    "name_missing": (
        "お名前を入力してください（電話番号かメールアドレスを入力した場合は必須です）。",
        "Please enter your name (needed when you give a phone number or e-mail address).",
    ),
    "name_invalid": (
        f"お名前は{MAX_NAME}文字以内で、電話番号やメールアドレスを含めずに入力してください。",
        f"Please enter a name of up to {MAX_NAME} characters, without a phone number or e-mail address.",
    ),
    "phone_invalid": (
        "電話番号の形式が正しくありません。0から始まる10桁か11桁の番号を入力してください（例: `03-1234-5678`、`090-1234-5678`）。",
        "This is not a Japanese phone number. Enter 10 or 11 digits starting with 0 (e.g. `03-1234-5678`, `090-1234-5678`).",
    ),
    "email_invalid": (
        "メールアドレスの形式が正しくありません（例: `yamada@example.co.jp`）。",
        "This is not a valid e-mail address (e.g. `yamada@example.co.jp`).",
    ),
    "no_method": (
        "ご連絡先として、電話番号かメールアドレスのどちらかを入力してください（連絡が不要なら、お名前などの欄を空にしてください）。",
        "Please give a phone number or an e-mail address (or leave the contact fields empty if you need no reply).",
    ),
}


def plain(text: str | None) -> str:
    """NFKC (full-width digits and ＠ become ASCII) and trimmed."""
    return unicodedata.normalize("NFKC", text or "").strip()


def phone_digits(text: str) -> str | None:
    """The digits of a Japanese phone number (``+81`` becomes ``0``), or None when it cannot be one."""
    value = _SEPARATORS.sub("", _DASHES.sub("-", plain(text)))
    if value.startswith("+81"):
        value = "0" + value[3:].lstrip("0")
    if not value.isdigit() or not value.startswith("0") or value.startswith("00"):
        return None
    if len(value) == 11 and value.startswith(_ELEVEN):
        return value
    if len(value) == 10 and not value.startswith(_ELEVEN):
        return value
    return None


def valid_email(text: str) -> bool:
    value = plain(text)
    return bool(_EMAIL.fullmatch(value)) and ".." not in value


def problems(contact: Mapping[str, str]) -> dict[str, str]:
    """Field label → problem code (see :data:`MESSAGES`); empty when the contact details can be used or are none."""
    values = {label: plain(contact.get(label)) for label in CONTACT_LABELS}
    found: dict[str, str] = {}
    if values[PHONE] and phone_digits(values[PHONE]) is None:
        found[PHONE] = "phone_invalid"
    if values[EMAIL] and not valid_email(values[EMAIL]):
        found[EMAIL] = "email_invalid"
    name = values[NAME]
    if name and (len(name) > MAX_NAME or "@" in name or sum(ch.isdigit() for ch in name) >= 6):
        found[NAME] = "name_invalid"
    if (values[PHONE] or values[EMAIL]) and not name:
        found[NAME] = "name_missing"
    if (name or values[COMPANY] or values[WHEN]) and not (values[PHONE] or values[EMAIL]):
        found.setdefault(PHONE, "no_method")
    return found


def message(code: str, lang: str) -> str:
    """The problem in Japanese, and also in English for a user who wrote English (Markdown: examples in code)."""
    ja, en = MESSAGES[code]
    return f"{en} / {ja}" if lang == "en" else ja


def cleaned(contact: Mapping[str, str]) -> dict[str, str]:
    """The non-empty fields in plain form, as stored on the ticket (a phone number's dashes as ``-``)."""
    values = {label: plain(contact.get(label)) for label in CONTACT_LABELS}
    values[PHONE] = _DASHES.sub("-", values[PHONE])
    return {label: value for label, value in values.items() if value}
