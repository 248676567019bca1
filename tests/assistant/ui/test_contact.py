"""Contact details on the handoff form: Japanese phone formats, e-mail, a name with them, clear messages."""

from __future__ import annotations

import pytest

from assistant.ui.contact import cleaned, message, phone_digits, problems, valid_email


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("03-1234-5678", "0312345678"),
        ("090-1234-5678", "09012345678"),
        ("０９０ー１２３４ー５６７８", "09012345678"),  # typed through a Japanese IME
        ("(06) 1234-5678", "0612345678"),
        ("+81 90-1234-5678", "09012345678"),
        ("0120-123-456", "0120123456"),
        ("0570-000-123", "0570000123"),
        ("0800-123-4567", "08001234567"),
        ("050-1234-5678", "05012345678"),
        ("abc-でんわ", None),
        ("090-1234-567", None),  # a digit short
        ("03-1234-56789", None),  # a fixed line has 10 digits
        ("1234-5678", None),  # no area code
        ("0000000000", None),
    ],
)
def test_japanese_phone_numbers(typed: str, digits: str | None) -> None:
    assert phone_digits(typed) == digits


def test_email_addresses() -> None:
    assert valid_email("yamada@example.co.jp") and valid_email("ｙａｍａｄａ＠ｅｘａｍｐｌｅ．ｊｐ")
    assert not any(valid_email(e) for e in ("yamada@", "yamada", "a@b", "a..b@example.jp", "a b@example.jp"))


def test_problems_name_what_to_fix() -> None:
    assert problems({}) == {}  # no contact at all is allowed: the receipt says to keep the number
    assert problems({"電話番号": "abc-でんわ", "メールアドレス": "yamada@"}) == {
        "電話番号": "phone_invalid",
        "メールアドレス": "email_invalid",
        "お名前": "name_missing",
    }
    assert problems({"お名前": "山田 太郎"}) == {"電話番号": "no_method"}  # a name alone reaches nobody
    assert problems({"お名前": "090-1234-5678", "電話番号": "090-1234-5678"}) == {"お名前": "name_invalid"}
    assert problems({"お名前": "山田 太郎", "電話番号": "03-1234-5678"}) == {}


def test_messages_in_the_users_language_and_clean_values() -> None:
    assert message("phone_invalid", "ja").startswith("電話番号の形式が正しくありません")
    english = message("phone_invalid", "en")
    assert english.startswith("This is not a Japanese phone number") and "電話番号の形式" in english
    assert cleaned({"お名前": " 知財 花子 ", "電話番号": "０９０ー１２３４ー５６７８", "メールアドレス": ""}) == {
        "お名前": "知財 花子",
        "電話番号": "090-1234-5678",
    }
