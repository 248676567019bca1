"""Metric functions against hand-computed values (each assertion would fail on an off-by-one or a wrong formula)."""

from __future__ import annotations

import math

import pytest

from evals.metrics import answers as am
from evals.metrics.behaviour import behaviour_ok, refusal_correct, threshold_sweep
from evals.metrics.handoff import handoff_prf, window_routed
from evals.metrics.latency import percentile
from evals.metrics.retrieval import (
    article_matches,
    distinct,
    gains,
    hit_at_k,
    ndcg_at_k,
    page_key,
    ranking_scores,
    reciprocal_rank,
)
from evals.metrics.summary import by_category, mean, summarise_answers, summarise_retrieval


# --- retrieval ------------------------------------------------------------------------------------------------
def test_distinct_keeps_first_seen_order():
    assert distinct(["b", "a", "b", None, "c", "a"]) == ["b", "a", "c"]


def test_hit_at_k():
    ranked = ["x", "y", "gold", "z"]
    assert hit_at_k(ranked, ["gold"], 1) == 0.0
    assert hit_at_k(ranked, ["gold"], 2) == 0.0
    assert hit_at_k(ranked, ["gold"], 3) == 1.0
    assert hit_at_k([], ["gold"], 10) == 0.0


def test_reciprocal_rank_uses_first_relevant():
    assert reciprocal_rank(["x", "g2", "g1"], ["g1", "g2"]) == 0.5
    assert reciprocal_rank(["x", "y"], ["g"]) == 0.0
    assert reciprocal_rank(["g"], ["g"]) == 1.0


def test_ndcg_hand_computed():
    # relevant at ranks 2 and 4, two gold docs: DCG = 1/log2(3) + 1/log2(5); IDCG = 1 + 1/log2(3)
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(["x", "a", "y", "b"], ["a", "b"], 10) == pytest.approx(expected)
    assert expected == pytest.approx(0.6509, abs=1e-4)
    assert ndcg_at_k(["a", "b"], ["a", "b"], 10) == pytest.approx(1.0)
    # cut-off: the relevant doc at rank 3 does not count for nDCG@2
    assert ndcg_at_k(["x", "y", "a"], ["a"], 2) == 0.0


def test_gold_target_is_credited_once():
    # two paragraphs of 第2条 both match gold 「第2条」: only the first earns a gain, so nDCG stays ≤ 1
    ranked = ["不正競争防止法 第2条第6項", "不正競争防止法 第2条第7項"]
    assert gains(ranked, ["不正競争防止法 第2条"], article_matches) == [1, 0]
    assert ndcg_at_k(ranked, ["不正競争防止法 第2条"], 10, article_matches) == pytest.approx(1.0)


def test_ranking_scores_bundle():
    scores = ranking_scores(["x", "g"], ["g"])
    assert scores == {
        "hit@1": 0.0,
        "hit@5": 1.0,
        "hit@10": 1.0,
        "mrr": 0.5,
        "ndcg@10": pytest.approx(1 / math.log2(3)),
    }


@pytest.mark.parametrize(
    ("label", "gold", "expected"),
    [
        ("不正競争防止法 第2条第6項", "不正競争防止法 第2条第6項", True),
        ("不正競争防止法 第19条第1項", "不正競争防止法 第19条第1項第6号", True),  # paragraph answers its item
        ("不正競争防止法 第21条", "不正競争防止法 第21条第4項", True),  # one-paragraph article label
        ("不正競争防止法 第2条第7項", "不正競争防止法 第2条第6項", False),
        ("不正競争防止法 第2条", "不正競争防止法 第21条第1項", False),  # 第2条 is not a prefix of 第21条
        ("不正競争防止法 第19条の2", "不正競争防止法 第19条第1項", False),
        ("不正競争防止法 第2条第1項", "不正競争防止法 第2条第10項", False),
        ("", "不正競争防止法 第2条", False),
    ],
)
def test_article_matches(label, gold, expected):
    assert article_matches(label, gold) is expected


def test_page_key():
    assert page_key("a.pdf", 3) == "a.pdf#p3"
    assert page_key("a.pdf", None) is None


# --- answers ----------------------------------------------------------------------------------------------------
def test_citation_precision_recall():
    assert am.citation_precision_recall(["a", "b", "a"], ["a", "c"]) == (0.5, 0.5)
    assert am.citation_precision_recall([], ["a"]) == (None, 0.0)
    assert am.citation_precision_recall(["a"], []) == (0.0, None)
    assert am.citation_precision_recall(["a", "c"], ["a", "c", "d", "e"]) == (1.0, 0.5)


def test_key_point_nfkc_substring():
    answer = (
        "営業秘密として保護されるには、秘密管理性・有用性・非公知性の３要件が必要です。ＰＣＴ出願も参照。"
    )
    assert am.key_point_covered("秘密管理性", answer) is True
    assert am.key_point_covered("3要件", answer) is True  # full-width digit matched after NFKC
    assert am.key_point_covered("PCT 出願", answer) is True  # spaces ignored, full-width Latin folded
    assert am.key_point_covered("輸入差止申立て", answer) is False


def test_key_point_token_overlap_threshold():
    # 「発注書面にその旨記載」 is not a substring, but its content terms (発注, 書面, 旨, 記載 …) occur
    answer = "発注の際の書面には、権利を譲渡する旨を記載しておく必要があります。"
    assert am.key_point_covered("発注書面にその旨記載", answer) is True
    # only one content term of several in the answer: below 0.6
    assert am.key_point_covered("知的財産権の譲渡対価を含んだ下請代金の額", "代金を払う") is False


def test_english_key_points_need_an_english_answer():
    ja_answer = "- 秘密として管理されていること。[1]\n- 事業に有用な情報であること。[1]"
    assert am.key_point_covered("managed as secret", ja_answer) is None  # n/a, not a miss
    en_answer = (
        "Information must be managed as a secret, be useful for the business and not be publicly known. " * 2
    )
    assert am.key_point_covered("managed as secret", en_answer) is True
    assert am.key_point_covered("not publicly known", en_answer) is True
    assert am.key_point_covered("central attack within 5 years", en_answer) is False
    # 5-letter stems: "examines" answers "examine"
    assert (
        am.key_point_covered("designated countries examine", "Each designated country examines it. " * 3)
        is True
    )


def test_key_point_coverage_counts_applicable_only():
    coverage, missing, na = am.key_point_coverage(
        ["秘密管理性", "有用性", "J-PlatPat で検索", "file early"], "秘密管理性と有用性", english_answer=False
    )
    # "J-PlatPat で検索" is Japanese (has kana/kanji): applicable and missing; "file early" is English: n/a
    assert (coverage, missing, na) == (2 / 3, ["J-PlatPat で検索"], ["file early"])
    assert am.key_point_coverage([], "x") == (None, [], [])


def test_language_match():
    assert am.language_match("en", "en", "Here is what the knowledge base says:\n\n- 営業秘密… [1]") is True
    assert am.language_match("en", "ja", "ご質問に関係する内容を…") is False
    assert am.language_match("ja", "ja", "Sorry, I can't do that.") is False
    assert am.language_match("ja", "ja", "申し訳ありませんが、その依頼にはお応えできません。") is True


def test_pii_echoed():
    assert am.pii_echoed(["090-1234-5678"], "お電話番号 09012345678 に連絡します") is True
    assert am.pii_echoed(["０８０－９８７６－５４３２"], "080-9876-5432") is True
    assert am.pii_echoed(["taro@example.jp"], "担当者から連絡します") is False


# --- handoff ------------------------------------------------------------------------------------------------------
def test_handoff_prf_hand_computed():
    pairs = [(True, True), (True, True), (True, False), (False, True), (False, False), (False, False)]
    prf = handoff_prf(pairs)
    assert (prf["tp"], prf["fp"], prf["fn"], prf["tn"]) == (2, 1, 1, 2)
    assert prf["precision"] == pytest.approx(2 / 3)
    assert prf["recall"] == pytest.approx(2 / 3)
    assert prf["f1"] == pytest.approx(2 / 3)
    assert prf["accuracy"] == pytest.approx(4 / 6)


def test_handoff_prf_undefined_and_zero():
    assert handoff_prf([(False, False)])["precision"] is None
    zero = handoff_prf([(True, False), (False, True)])
    assert (zero["precision"], zero["recall"], zero["f1"]) == (0.0, 0.0, 0.0)


def test_window_routed_top3():
    assert window_routed(["jpaa", "himawari"], ["inpit-chizai-sogo", "x", "jpaa"]) is True
    assert window_routed(["jpaa"], ["a", "b", "c", "jpaa"]) is False  # 4th place is too late
    assert window_routed(["himawari", "jpaa"], ["jpaa"]) is False  # only the gold's FIRST window counts
    assert window_routed([], ["jpaa"]) is None


# --- behaviour ----------------------------------------------------------------------------------------------------
def test_refusal_needs_zero_citations():
    assert refusal_correct("injection", 0) is True
    assert refusal_correct("no-support", 1) is False
    assert refusal_correct(None, 0) is False


def test_behaviour_ok():
    assert behaviour_ok(None, refused=None, n_citations=2, handoff=False) is None
    assert behaviour_ok("refuse", refused="out-of-scope", n_citations=0, handoff=False) is True
    assert behaviour_ok("abstain", refused="no-support", n_citations=0, handoff=False) is True
    assert behaviour_ok("abstain", refused=None, n_citations=3, handoff=False) is False
    assert behaviour_ok("abstain", refused=None, n_citations=3, handoff=True) is True
    assert behaviour_ok("handoff", refused=None, n_citations=2, handoff=True) is True
    assert behaviour_ok("handoff", refused="injection", n_citations=0, handoff=True) is False
    assert behaviour_ok("answer-masked", refused=None, n_citations=1, handoff=True, pii_echoed=True) is False
    assert behaviour_ok("answer-masked", refused=None, n_citations=1, handoff=True, pii_echoed=False) is True
    with pytest.raises(ValueError):
        behaviour_ok("dance", refused=None, n_citations=0, handoff=False)


def test_threshold_sweep():
    rows = threshold_sweep([0.2, 0.5, 0.8, 1.0], [0.1, 0.3, 0.6], [0.25, 0.5])
    # t=0.25: answered 3/4, refused 1/3; t=0.5: answered 3/4 (0.5 ≥ 0.5), refused 2/3
    assert rows[0] == {
        "min_support": 0.25,
        "answered": 0.75,
        "refused": pytest.approx(1 / 3),
        "balanced": pytest.approx((0.75 + 1 / 3) / 2),
    }
    assert rows[1]["answered"] == 0.75
    assert rows[1]["refused"] == pytest.approx(2 / 3)


# --- latency -----------------------------------------------------------------------------------------------------
def test_percentile_linear_interpolation():
    values = [10, 20, 30, 40, 50]
    assert percentile(values, 50) == 30
    assert percentile(values, 95) == pytest.approx(48.0)  # 40 + 0.8 × 10
    assert percentile([5, 1], 50) == 3
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile(values, 101)


# --- aggregation -------------------------------------------------------------------------------------------------
def test_mean_ignores_none():
    assert mean([1.0, None, 0.0, True]) == pytest.approx(2 / 3)
    assert mean([None]) is None


def test_summaries_and_categories():
    retrieval = [
        {"id": "1", "category": "a", "system": "s", "scores": ranking_scores(["g"], ["g"]), "ms": 10},
        {"id": "2", "category": "b", "system": "s", "scores": ranking_scores(["x", "g"], ["g"]), "ms": 30},
    ]
    s = summarise_retrieval(retrieval)
    assert (s["n"], s["hit@1"], s["mrr"], s["p50_ms"]) == (2, 0.5, 0.75, 20)
    cats = by_category(retrieval, summarise_retrieval)
    assert cats["a"]["mrr"] == 1.0 and cats["b"]["mrr"] == 0.5

    answers = [
        {
            "id": "1",
            "category": "a",
            "refused": None,
            "expect": None,
            "handoff_gold": True,
            "handoff_pred": True,
            "kp_coverage": 1.0,
            "citation_precision": 1.0,
            "grounded_ratio": 0.8,
            "language_match": True,
            "ms": 100,
        },
        {
            "id": "2",
            "category": "a",
            "refused": "no-support",
            "expect": None,
            "handoff_gold": False,
            "handoff_pred": True,
            "kp_coverage": 0.0,
            "citation_precision": None,
            "grounded_ratio": 0.0,
            "language_match": True,
            "ms": 300,
        },
        {
            "id": "3",
            "category": "none",
            "refused": "injection",
            "expect": "refuse",
            "refusal_expected": True,
            "refusal_ok": True,
            "behaviour_ok": True,
            "kind": "injection",
            "handoff_gold": False,
            "handoff_pred": False,
            "language_match": False,
            "ms": 5,
        },
    ]
    a = summarise_answers(answers)
    assert a["over_refusal"] == 0.5  # one of the two answerable items was refused
    assert a["key_point_coverage"] == 0.5
    assert a["grounded_ratio"] == 0.8  # refused items do not count
    assert a["handoff_precision"] == 0.5 and a["handoff_recall"] == 1.0
    assert a["refusal_accuracy"] == 1.0
    assert a["behaviour_by_kind"] == {"injection": 1.0}
    assert a["language_match"] == pytest.approx(2 / 3)
    assert a["p50_ms"] == 100
