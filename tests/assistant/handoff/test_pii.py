"""Personal data detection/masking and the confidential-content warning."""

from __future__ import annotations

import pytest

from assistant.handoff import find_pii, looks_confidential, mask_pii
from assistant.handoff.pii import my_number_check_digit_ok, pii_kinds


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("電話は090-1234-5678です", "090-1234-5678"),
        ("携帯 080 1234 5678 まで", "080 1234 5678"),
        ("09012345678に折り返してください", "09012345678"),
        ("ＴＥＬ：０３－１２３４－５６７８", "０３－１２３４－５６７８"),
        ("会社は06-6123-4567です", "06-6123-4567"),
        ("0120-123-456（フリーダイヤル）", "0120-123-456"),
        ("ナビダイヤル0570-000-123", "0570-000-123"),
        ("050-1234-5678(IP電話)", "050-1234-5678"),
        ("+81-90-1234-5678 (from abroad)", "+81-90-1234-5678"),
        ("代表 03(1234)5678", "03(1234)5678"),
        ("(06) 1234-5678", "(06) 1234-5678"),
        ("０９０ー１２３４ー５６７８です", "０９０ー１２３４ー５６７８"),
        ("0766-12-3456（富山）", "0766-12-3456"),
    ],
)
def test_phone_numbers_found(text: str, found: str) -> None:
    findings = find_pii(text)
    assert [(f.kind, f.text) for f in findings] == [("phone", found)]
    start, end = findings[0].span
    assert text[start:end] == found


@pytest.mark.parametrize(
    "text",
    [
        "特許第1234567号について",
        "特願2024-123456の審査",
        "2026-11-25に出願しました",
        "売上は1,234,567円です",
        "注文番号 123456789012",  # 12 digits, check digit invalid, not labelled
        "090-1234-567",  # too short for a mobile number
        "0000-1234-5678",
        "営業秘密の3要件は？",
    ],
)
def test_no_false_positives(text: str) -> None:
    assert find_pii(text) == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("メールはtaro.yamada@example.co.jpまで", "taro.yamada@example.co.jp"),
        ("連絡先: info+ip@sample-company.jp", "info+ip@sample-company.jp"),
        ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ に送って", "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ"),
    ],
)
def test_email_found(text: str, found: str) -> None:
    assert [(f.kind, f.text) for f in find_pii(text)] == [("email", found)]


def test_my_number_check_digit() -> None:
    assert my_number_check_digit_ok("123456789018") is True
    assert my_number_check_digit_ok("123456789012") is False
    assert my_number_check_digit_ok("12345678901") is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("番号は123456789018です", ["my_number"]),  # valid check digit
        ("1234 5678 9018", ["my_number"]),
        ("１２３４－５６７８－９０１８", ["my_number"]),  # full-width
        ("マイナンバーは123456789012です", ["my_number"]),  # labelled, even with a typo
        ("伝票番号123456789012", []),  # neither
    ],
)
def test_my_number(text: str, expected: list[str]) -> None:
    assert [f.kind for f in find_pii(text)] == expected


def test_postal_code_and_address() -> None:
    text = "住所は〒530-0001 大阪府大阪市北区梅田1-2-3です"
    kinds = [(f.kind, f.text) for f in find_pii(text)]
    assert kinds == [("postal_code", "〒530-0001"), ("address", "大阪府大阪市北区梅田1-2-3")]
    assert mask_pii(text) == "住所は〒***-**** 大阪府大阪市北区［番地以下］です"
    assert mask_pii(text, style="placeholder") == "住所は［郵便番号］ ［住所］です"


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("東京都千代田区霞が関3丁目4番3号に来てください", "東京都千代田区霞が関3丁目4番3号"),
        ("札幌市中央区北一条西2丁目", "札幌市中央区北一条西2丁目"),
        ("横浜市中区山下町１２番地", "横浜市中区山下町１２番地"),
    ],
)
def test_address_variants(text: str, address: str) -> None:
    assert [(f.kind, f.text) for f in find_pii(text)] == [("address", address)]


def test_bare_postal_code_needs_prefecture_after_it() -> None:
    assert pii_kinds("123-4567 東京都港区芝公園4-2-8") == ["postal_code", "address"]
    assert pii_kinds("部品番号123-4567を発注") == []


@pytest.mark.parametrize(
    ("text", "partial", "placeholder"),
    [
        ("電話は090-1234-5678です", "電話は090-****-****です", "電話は［電話番号］です"),
        ("０３－１２３４－５６７８", "０３－****－****", "［電話番号］"),
        ("09012345678", "090********", "［電話番号］"),
        ("+81-90-1234-5678", "+81-90-****-****", "［電話番号］"),
        ("taro@example.com", "t***@example.com", "［メールアドレス］"),
        ("マイナンバー 1234-5678-9018", "マイナンバー ［マイナンバー］", "マイナンバー ［マイナンバー］"),
        ("個人情報はありません", "個人情報はありません", "個人情報はありません"),
    ],
)
def test_mask_styles(text: str, partial: str, placeholder: str) -> None:
    assert mask_pii(text) == partial
    assert mask_pii(text, style="placeholder") == placeholder


def test_mask_several_in_one_text() -> None:
    text = "山田です。090-1234-5678かyamada@example.jpへ。〒100-0013 東京都千代田区霞が関3-4-3"
    masked = mask_pii(text, style="placeholder")
    assert masked == "山田です。［電話番号］か［メールアドレス］へ。［郵便番号］ ［住所］"
    assert "5678" not in mask_pii(text) and "yamada@" not in mask_pii(text)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("社外秘：新製品の資料です", "社外秘"),
        ("極秘の配合比はA:B=3:7です", "配合"),
        ("焼成温度は850℃で2時間保持します", "温度"),
        ("残留塩素を50ppm以下にします", "ppm"),
        ("図面番号 DW-2024-017 を添付します", "図面"),
        ("def calc(x):\n    return x * 2", "ソースコード"),
        ("以下のソースコードを見てください", "ソースコード"),
    ],
)
def test_looks_confidential(text: str, needle: str) -> None:
    reasons = looks_confidential(text)
    assert reasons, text
    assert any(needle in r for r in reasons), reasons


@pytest.mark.parametrize(
    "text",
    ["営業秘密の3要件は？", "特許の出願費用はいくら？", "商標登録の流れを教えて", "What is a trade secret?"],
)
def test_not_confidential(text: str) -> None:
    assert looks_confidential(text) == []


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # Kanji numerals all the way down: the 番・号 must go too, not only the 丁目.
        ("東京都千代田区霞が関三丁目四番三号です", "東京都千代田区［番地以下］です"),
        ("大阪市北区梅田三番地の二", "大阪市北区［番地以下］"),
        # Sapporo-style 条 addresses.
        ("北海道札幌市中央区北1条西2丁目", "北海道札幌市中央区［番地以下］"),
        ("札幌市中央区北一条西2丁目", "札幌市中央区［番地以下］"),
        # A building and room after the street number point at one household.
        ("東京都港区芝公園4-2-8 サンプルマンション301号室に住んでいます", "東京都港区［番地以下］に住んでいます"),
        ("福岡県福岡市博多区博多駅前2-1-1 博多ビル5F", "福岡県福岡市博多区［番地以下］"),
        ("〒１００－００１３　東京都千代田区霞が関３丁目４番３号", "〒***－****　東京都千代田区［番地以下］"),
    ],
)
def test_more_postal_address_styles_are_masked(text: str, masked: str) -> None:
    assert mask_pii(text) == masked


@pytest.mark.parametrize(
    "text",
    ["東京都港区で一番安い弁理士は？", "当社の一番の強みは技術です", "京都市の三条通の店舗", "東京都港区の3社と契約"],
)
def test_ordinary_words_near_place_names_are_not_addresses(text: str) -> None:
    assert find_pii(text) == []
