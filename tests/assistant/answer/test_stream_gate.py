"""Sentence-gated streaming: whatever the chunking of the model's stream, only verified sentences are shown, and what
is shown is what the finished answer's verification keeps."""

from __future__ import annotations

import random

import pytest

from assistant.answer.engines.base import Passage
from assistant.answer.stream_gate import SentenceGate
from assistant.answer.verify import AnswerCheck, verify_answer
from assistant.retrieval.hybrid import Hit
from chizai.index.catalog import StoredChunk


def _passage(n: int, text: str) -> Passage:
    return Passage(n, Hit(StoredChunk(f"c{n}", f"d{n}", 0, text, None, None, "概要", "題", "s.md", {}), 1.0))


PASSAGES = [
    _passage(1, "営業秘密は、特許のように登録しなくても、不正競争防止法の「営業秘密」に当たれば法律で守られます。営業秘密に登録制度はありません。"),
    _passage(2, "相談は INPIT の知財総合支援窓口で無料で受け付けています。"),
]
ANSWER = (
    "## 営業秘密\n営業秘密は特許のように登録すれば法律で守られます[1]。営業秘密は登録しなくても法律で守られます[1]。\n"
    "- 相談は INPIT の知財総合支援窓口で無料です[2]。\n- 御社の顧客名簿は営業秘密として守られます。\n\n以上、よろしくお願いします。"
)
DROPPED = ("登録すれば法律で守られます", "顧客名簿", "よろしく")


@pytest.mark.parametrize("seed", range(8))
def test_random_chunking_shows_only_verified_sentences(seed: int) -> None:
    rng = random.Random(seed)
    pieces, i = [], 0
    while i < len(ANSWER):
        step = rng.randint(1, 7)
        pieces.append(ANSWER[i : i + step])
        i += step
    gate = SentenceGate(AnswerCheck(PASSAGES))
    shown = []
    for piece in gate.feed(pieces):
        shown.append(piece)
        assert not any(d in "".join(shown) for d in DROPPED)  # never, not even for a moment
    assert "".join(shown).strip() == verify_answer(ANSWER, PASSAGES).text
    assert "登録しなくても法律で守られます[1]" in "".join(shown)


def test_a_marker_after_the_full_stop_stays_with_its_sentence() -> None:
    gate = SentenceGate(AnswerCheck(PASSAGES))
    out = "".join(gate.feed(["営業秘密に登録制度はありません。", "[1]", "次の文です"]))
    assert out.startswith("営業秘密に登録制度はありません[1]。")
