"""The local model reads only the best passages, cut to the sentences the question needs."""

from __future__ import annotations

from assistant.answer.engines.base import Passage
from assistant.answer.engines.chat import build_messages
from assistant.answer.engines.trim import trim_passages
from assistant.retrieval.hybrid import Hit
from chizai.index.catalog_base import StoredChunk

SECRET = (
    "営業秘密の管理は会社の重要な課題です。"
    "営業秘密として保護されるには次の三つの要件を満たす必要があります。"
    "秘密管理性、有用性、非公知性の三つです。"
    "なお、展示会の出展料は別途かかります。"
    "会場の駐車場は先着順です。"
)
OTHER = "商標は商品やサービスの目印です。登録すると独占的に使えます。"


def _passages(n: int = 5) -> list[Passage]:
    texts = [SECRET, *[OTHER] * (n - 1)]
    chunks = [StoredChunk(f"c{i}", f"d{i}", 0, t, None, None, "概要", "題名", "a.md", {}) for i, t in enumerate(texts)]
    return [Passage(n=i + 1, hit=Hit(chunk=c, score=1.0 - i / 10)) for i, c in enumerate(chunks)]


def test_a_passage_keeps_the_sentences_that_answer_and_the_one_after():
    (first, text), *_ = trim_passages("営業秘密の要件は何ですか？", _passages(), budget=900)
    assert first.n == 1
    assert "三つの要件を満たす" in text and "秘密管理性、有用性、非公知性" in text  # the list after the announcement
    assert "駐車場" not in text


def test_only_the_best_passages_within_the_budget():
    trimmed = trim_passages("営業秘密の要件は？", _passages(), budget=120)
    assert [p.n for p, _ in trimmed] == [1, 2, 3]
    assert all(len(t) <= 120 // 3 + 1 for _, t in trimmed)
    assert trim_passages("質問", [], budget=100) == []


def test_the_local_prompt_is_smaller_and_numbers_stay_those_of_the_passages():
    full = build_messages("営業秘密の要件は？", _passages(), "ja")[1].content
    small = build_messages("営業秘密の要件は？", _passages(), "ja", budget=300)[1].content
    assert len(small) < len(full) and "駐車場" not in small
    assert "[1]" in small and "[3]" in small and "[4]" not in small and "[4]" in full
