"""Consultation sheet: content, masking without consent, JSON and Markdown output."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from assistant.handoff import ConsultationSheet, build_sheet
from tests.assistant.handoff.conftest import Reader

QUESTION = (
    "大阪の食品メーカーです。取引先から警告書が届きました。来週までに回答が必要です。電話は090-1234-5678です"
)
HISTORY = [
    {"role": "user", "content": "従業員20名の会社です。メールはtaro@example.co.jpです"},
    {"role": "assistant", "content": "ご相談ありがとうございます。"},
]
ANSWER = "警告書を受け取ったら、まず慌てて返事をせず、内容と期限を確認しましょう。"
CITATIONS = [
    {"title": "警告書が届いたときの対応", "url": "https://www.jpo.go.jp/"},
    {"doc_id": "dispute-adr-jipac", "url": None},
]


@pytest.fixture()
def sheet(reader: Reader) -> ConsultationSheet:
    policy = reader
    decision = policy.decide(QUESTION, history=HISTORY, support=0.8)
    return build_sheet(QUESTION, HISTORY, ANSWER, CITATIONS, decision, facts=None, consent=False)


def test_sheet_fields(sheet: ConsultationSheet) -> None:
    assert sheet.reason == "dispute"
    assert sheet.urgency == "high"  # dispute + deadline
    assert sheet.facts.prefecture == "大阪府"
    assert sheet.facts.industry == ["食品", "製造業"]
    assert sheet.facts.deadline == "来週まで"
    assert sheet.facts.company_size == "従業員20名"
    assert [c.title for c in sheet.citations] == ["警告書が届いたときの対応", "dispute-adr-jipac"]
    assert {"jpaa", "himawari", "inpit-chizai-sogo"} <= {w.id for w in sheet.windows}
    assert sheet.created_at.utcoffset() == timedelta(hours=9)


def test_pii_masked_without_consent(sheet: ConsultationSheet) -> None:
    assert sheet.pii_masked is True
    assert sheet.pii_found == ["phone", "email"]
    assert "090-****-****" in sheet.question
    assert "1234-5678" not in sheet.question
    assert sheet.earlier_messages == ["従業員20名の会社です。メールはt***@example.co.jpです"]
    dumped = sheet.to_json() + sheet.to_markdown()
    assert "090-1234-5678" not in dumped and "taro@example.co.jp" not in dumped


def test_pii_kept_with_consent(reader: Reader) -> None:
    policy = reader
    decision = policy.decide(QUESTION, history=HISTORY)
    sheet = build_sheet(QUESTION, HISTORY, ANSWER, CITATIONS, decision, facts=None, consent=True)
    assert sheet.pii_masked is False
    assert sheet.question == QUESTION
    assert "taro@example.co.jp" in sheet.earlier_messages[0]
    assert "ご本人の同意を得て" in sheet.to_markdown()


def test_to_json_round_trip(sheet: ConsultationSheet) -> None:
    text = sheet.to_json()
    assert "相談" in text or "警告書" in text  # Japanese is not \u-escaped
    data = json.loads(text)
    assert data["urgency"] == "high"
    assert data["facts"]["prefecture"] == "大阪府"
    assert data["windows"][0]["id"] in {"jpaa", "himawari", "inpit-chizai-sogo"}
    assert datetime.fromisoformat(data["created_at"]).utcoffset() == timedelta(hours=9)
    assert ConsultationSheet.model_validate(data) == sheet


def test_to_markdown_sections_in_order(sheet: ConsultationSheet) -> None:
    md = sheet.to_markdown()
    headings = [
        "## 相談内容",
        "## 事実関係",
        "## これまでの回答",
        "## 担当者が必要な理由",
        "## 緊急度",
        "## 推奨窓口",
    ]
    positions = [md.index(h) for h in headings]
    assert positions == sorted(positions)
    assert md.startswith("# 相談シート")
    assert "- 所在地（都道府県）: 大阪府" in md
    assert "- 業種: 食品、製造業" in md
    assert "- 期限: 来週まで" in md
    assert "[警告書が届いたときの対応](https://www.jpo.go.jp/)" in md
    assert "高（至急の対応が必要です）" in md
    assert "判断の根拠: 「状況モデル: dispute" in md  # the model's reading, with its probability
    assert "来週" in md.split("判断の根拠:")[1].split("\n")[0]  # and the dated deadline rule
    assert "**日本弁理士会の知財相談**" in md
    assert "伏せ字" in md and "電話番号" in md


def test_caller_facts_override_and_extend(reader: Reader) -> None:
    decision = reader.decide("うちが結ぼうとしているこの契約書の条項に問題がないか見てほしい")
    sheet = build_sheet(
        "この契約書を見てほしい",
        [],
        "",
        [],
        decision,
        facts={"company_size": "従業員5名", "prefecture": "福岡県", "会社名": "テスト工業"},
        consent=False,
    )
    assert sheet.facts.company_size == "従業員5名"
    assert sheet.facts.prefecture == "福岡県"
    assert sheet.facts.other == {"会社名": "テスト工業"}
    md = sheet.to_markdown()
    assert "（まだ回答していません）" in md
    assert "- 会社名: テスト工業" in md
    assert "中（早めの対応が望まれます）" in md


def test_confidential_notes_on_sheet(reader: Reader) -> None:
    policy = reader
    q = "社外秘の配合比（A:B=3:7）を元社員に持ち出されました"
    sheet = build_sheet(q, [], "", [], policy.decide(q), facts=None, consent=False)
    assert any("社外秘" in n for n in sheet.confidential_notes)
    assert "注意（技術情報・営業秘密の可能性）" in sheet.to_markdown()


def test_sheet_without_decision_and_long_answer() -> None:
    sheet = build_sheet("人に相談したい", answer_text="あ" * 3000, consent=False)
    assert sheet.reason is None and sheet.windows == []
    assert sheet.answer.endswith("（以下省略）")
    assert len(sheet.answer) < 1600
    assert "（該当する窓口はありません）" in sheet.to_markdown()
