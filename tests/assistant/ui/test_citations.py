"""Sources per document, [n] chips, and quotes widened to whole sentences (the 「…」 the splitter cuts inside)."""

from __future__ import annotations

from assistant.ui.citations import (
    by_document,
    chip_links,
    complete_sentences,
    where_in_document,
    whole_sentences,
)

LETTER = (
    "ある日、他社や法律事務所から「貴社製品は当社の特許権(商標権)を侵害している。販売を中止し、〇日以内に回答せよ」"
    "という警告書が、内容証明郵便などで届くことがあります。特許侵害や商標侵害の警告を受けても、あわてて謝ったり、"
    "無視したりするのはどちらも危険です。"
)
STEPS = "権利侵害が確かめられたら、次のような手段があります。\n- 相手に警告書を送り、販売中止やライセンス契約を求める(内容証明郵便を使うのが一般的)\n- 当事者同士の交渉"


def cite(n: int, doc: str, quote: str = "", **kw: object) -> dict:
    return {"n": n, "doc_id": doc, "title": f"{doc} の題名", "publisher": "特許庁", "url": None, "quote": quote, **kw}


def test_one_source_entry_per_document_in_citation_order() -> None:
    docs = by_document([cite(3, "b"), cite(1, "a"), cite(2, "a", url="https://www.jpo.go.jp/")])
    assert [(d.doc_id, d.numbers, d.url) for d in docs] == [("a", [1, 2], "https://www.jpo.go.jp/"), ("b", [3], None)]


def test_where_in_document_reads_page_and_section_without_the_title() -> None:
    c = cite(1, "a", page=3, section="a の題名 > ポイント")
    assert where_in_document(c) == "p.3 「ポイント」"
    assert where_in_document({**c, "page_label": "iv"}) == "p.iv 「ポイント」"


def test_chips_only_for_cited_numbers() -> None:
    text = chip_links("本文です[1]。別の話[2]と[10]。", "ab12", [1, 10])
    assert text == "本文です[\\[1\\]](#src-ab12-1)。別の話[2]と[\\[10\\]](#src-ab12-10)。"


def test_pieces_of_a_quoted_sentence_become_the_whole_sentence_once() -> None:
    answer = (
        "ご質問に関係する内容を、知財フロントの資料からまとめました。\n\n"
        "- 販売を中止し、〇日以内に回答せよ」という警告書が、内容証明郵便などで届くことがあります[1]。\n"
        "- 特許侵害や商標侵害の警告を受けても、あわてて謝ったり、無視したりするのはどちらも危険です[1]。\n"
        "- ある日、他社や法律事務所から「貴社製品は当社の特許権(商標権)を侵害している[1]。\n"
        "- 相手に警告書を送り、販売中止やライセンス契約を求める(内容証明郵便を使うのが一般的)[2]。\n"
        "- 取引の前に専門家へ相談しましょう[2]。\n"
        "※ 免責"
    )
    out = complete_sentences(answer, [cite(1, "a", LETTER), cite(2, "b", STEPS)]).split("\n")
    whole = LETTER[: LETTER.index("あります。") + len("あります")]  # the first sentence, 。 inside 「」 and all
    assert out[2] == f"- {whole}[1]。"
    assert out[3] == answer.split("\n")[3]  # already whole: untouched
    assert out[4] == "- 相手に警告書を送り、販売中止やライセンス契約を求める(内容証明郵便を使うのが一般的)[2]。"
    assert out[5] == "- 取引の前に専門家へ相談しましょう[2]。"  # not a quote (an LLM's words): untouched
    assert len(out) == len(answer.split("\n")) - 1  # the second piece of the same sentence is gone
    assert out[-1] == "※ 免責"


def test_passages_lose_fragments_cut_inside_brackets_at_their_edges() -> None:
    assert whole_sentences(LETTER) == LETTER
    cut = "販売を中止し、〇日以内に回答せよ」という警告書が届きます。次の文です。それから「途中で"
    assert whole_sentences(cut) == "次の文です。"
    assert whole_sentences("「閉じない") == "「閉じない"  # nothing whole left: keep the text rather than nothing
