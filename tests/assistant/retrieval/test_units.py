"""Citable units for the diversity cap, and definition passages for definition questions."""

from assistant.retrieval.units import asks_definition, defines, unit_of


def test_a_statute_article_is_its_own_unit() -> None:
    assert unit_of("fukyoho", "不正競争防止法 第2条第6項") == "fukyoho#第2条"
    assert unit_of("fukyoho", "不正競争防止法 第2条第1項") == unit_of("fukyoho", "不正競争防止法 第2条第10項")
    assert unit_of("fukyoho", "不正競争防止法 第21条") != unit_of("fukyoho", "不正競争防止法 第2条")
    assert unit_of("guide", "概要") == "guide" and unit_of("guide", None) == "guide"


def test_definition_questions() -> None:
    assert asks_definition("営業秘密とは何ですか")
    assert asks_definition("不正競争防止法で営業秘密はどう定義されていますか")
    assert asks_definition("What is a trade secret under Japanese law?")
    assert not asks_definition("営業秘密の漏えいが起きたらまず何をすべき？")


def test_defining_passage_is_recognised() -> None:
    law = "この法律において「営業秘密」とは、秘密として管理されている生産方法、販売方法その他の事業活動に有用な技術上又は営業上の情報であって、公然と知られていないものをいう。"
    assert defines(law, {"営業秘密"})
    assert defines("先使用権とは、他人の出願前から実施していた者が使い続けられる権利のことです。", {"先使用権"})
    assert not defines("営業秘密を不正に取得する行為は不正競争に当たる。", {"営業秘密"})
