"""Facts an advisor needs from what users wrote: prefecture (47, with and without suffix), industry, size, deadline."""

from __future__ import annotations

import pytest

from assistant.handoff.facts import PREFECTURES, detect_prefecture, detect_prefectures, extract_facts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("大阪で食品を作っています", "大阪府"),
        ("北海道の農家です", "北海道"),
        ("東京都内のIT企業", "東京都"),
        ("京都の和菓子屋", "京都府"),
        ("神奈川県横浜市", "神奈川県"),
        ("名古屋の金型メーカー", "愛知県"),
        ("We are a manufacturer in Osaka", "大阪府"),
        ("Our office is in Saga Prefecture", "佐賀県"),
        ("大分県で酒造をしています", "大分県"),
        ("大分良くなりました", None),  # だいぶ
        ("石川さんから聞きました", None),  # surname
        ("A saga of two brands", None),
        ("営業秘密の3要件は？", None),
    ],
)
def test_detect_prefecture(text: str, expected: str | None) -> None:
    assert detect_prefecture(text) == expected


def test_all_47_prefectures_with_and_without_suffix() -> None:
    assert len(PREFECTURES) == 47
    for full, short, _ in PREFECTURES:
        assert detect_prefecture(f"{full}の会社です") == full
        if short not in ("大分", "三重"):
            assert detect_prefecture(f"{short}の会社です") == full


def test_tokyo_is_not_kyoto() -> None:
    assert detect_prefectures("東京都と京都府に工場があります") == ["東京都", "京都府"]


def test_extract_facts() -> None:
    f = extract_facts("大阪の食品メーカーで従業員30名です。来週までに回答しないといけません")
    assert f.prefecture == "大阪府"
    assert f.industry == ["食品", "製造業"]
    assert f.company_size == "従業員30名"
    assert f.deadline == "来週まで"


def test_extract_facts_english_and_empty() -> None:
    f = extract_facts("We are a software startup in Fukuoka with 12 employees, deadline is Friday")
    assert (f.prefecture, f.industry, f.company_size) == ("福岡県", ["IT/ソフトウェア"], "12 employees")
    assert f.deadline == "deadline is Friday"
    assert extract_facts("特許とは？").is_empty()
