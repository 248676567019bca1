"""The verifier: what overlap cannot see (polarity, numbers with units, institutions, antonyms, misconceptions), and
its rates on the contradiction set (written blind to it) held against the committed baseline."""

from __future__ import annotations

import json

import pytest

from assistant.answer.verifier import LexicalVerifier
from evals import verifier as contradiction_set
from tests.conftest import REPO

PASSAGE = (
    "営業秘密は、特許のように登録しなくても、不正競争防止法の「営業秘密」に当たれば法律で守られます。"
    "特許権の存続期間は、特許出願の日から20年で終わります。相談は特許庁ではなく INPIT の窓口で受け付けています。"
    "「営業秘密は登録すれば守られる」→ 営業秘密に登録制度はありません。管理の程度は原則として会社の実情に合わせます。"
)


@pytest.mark.parametrize(
    ("sentence", "label"),
    [
        ("営業秘密は登録しなくても法律で守られます。", "supported"),
        ("特許権は出願日から20年で存続期間が終わります。", "supported"),
        ("営業秘密は登録しないと法律で守られません。", "contradicted"),  # polarity
        ("特許権の存続期間は、特許出願の日から25年で終わります。", "contradicted"),  # number
        ("特許権の存続期間は、特許出願の日から20か月で終わります。", "contradicted"),  # unit
        ("相談は文化庁の窓口で受け付けています。", "contradicted"),  # institution
        ("営業秘密は登録すれば守られる制度です。", "contradicted"),  # the misconception the passage rejects
        ("管理の程度は必ず厳格にしなければなりません。", "contradicted"),  # absolute where the passage hedges
        ("営業秘密の漏えいには10年以下の拘禁刑が科されます。", "not_stated"),
    ],
)
def test_lexical_checks(sentence: str, label: str) -> None:
    assert LexicalVerifier().check(sentence, PASSAGE).label == label


def test_rates_on_the_contradiction_set_hold() -> None:
    """Test split only ever scored (dev was examined); fails when a change drops more supported sentences or
    catches fewer contradictions than the committed baseline (± 0.02)."""
    base = json.loads((REPO / "evals" / "baselines" / "verifier.json").read_text())["test"]
    now = contradiction_set.run()["test"]
    assert now["contradicted_dropped"] >= base["contradicted_dropped"] - 0.02
    assert now["not_stated_dropped"] >= base["not_stated_dropped"] - 0.02
    assert now["supported_dropped"] <= base["supported_dropped"] + 0.02
