"""Character bigrams: NFKC, lower case, no white space, never across punctuation."""

from chizai.text.bigrams import bigrams


def test_bigrams_of_mixed_text() -> None:
    assert bigrams("ＪＰ ｐａｔ") == ["jp", "pp", "pa", "at"]  # full width folded, space removed
    assert bigrams("2分の1。マドプロ") == ["2分", "分の", "の1", "マド", "ドプ", "プロ"]
    assert bigrams("a") == [] and bigrams("") == []
