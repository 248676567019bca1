"""Links in answers point only to URLs from the corpus metadata; the stream never lets half a URL through."""

from __future__ import annotations

import pytest

from assistant.answer.links import allowed_set, filter_link_stream, filter_links
from assistant.messages import URL_REMOVED

ALLOWED = allowed_set(["https://www.jpo.go.jp/", "https://www.inpit.go.jp/katsuyo/", None, "javascript:alert(1)"])
TEXT = (
    "申請はhttps://evil.example/x?a=1から。公式は https://www.jpo.go.jp/ です。[特許庁](https://www.jpo.go.jp) と "
    "[罠](https://evil.example/p \"title\") ![x](https://evil.example/i.png?d=secret) <https://evil.example/a> "
    "www.evil.example/b 秘密管理性[1](アクセス制限など)、[INPIT](https://www.inpit.go.jp/katsuyo)。[js](javascript:alert(1))\n"
    "[r]: https://evil.example/ref\n終わり。"
)


def test_only_metadata_urls_survive():
    out, removed = filter_links(TEXT, ALLOWED)
    assert "evil" not in out and "javascript" not in out
    assert "https://www.jpo.go.jp/" in out and "[特許庁](https://www.jpo.go.jp)" in out
    assert "[INPIT](https://www.inpit.go.jp/katsuyo)" in out  # trailing slash and case do not matter
    assert "罠" in out and "[罠]" not in out  # a link keeps its label, loses its target
    assert "秘密管理性[1](アクセス制限など)" in out  # a citation followed by a note is not a link
    assert out.count(URL_REMOVED["ja"]) == 3  # bare URL, autolink, www.
    assert len(removed) == 7
    assert filter_links("see https://evil.example/x.", ALLOWED, "en")[0] == f"see {URL_REMOVED['en']}."


def test_urls_end_at_japanese_text():
    out, _ = filter_links("詳しくはhttps://www.jpo.go.jp/をご覧ください", ALLOWED)
    assert out == "詳しくはhttps://www.jpo.go.jp/をご覧ください"


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 1000])
def test_stream_never_shows_an_outside_url_whatever_the_piece_size(size):
    pieces = [TEXT[i : i + size] for i in range(0, len(TEXT), size)]
    streamed = list(filter_link_stream(pieces, ALLOWED))
    joined = "".join(streamed)
    assert "evil" not in joined and "https://www.jpo.go.jp/" in joined
    assert all("evil" not in piece for piece in streamed)


def test_stream_keeps_streaming_plain_text():
    pieces = ["営業秘密の", "3要件は", "秘密管理性です", "[1]。"]
    out = list(filter_link_stream(pieces, ALLOWED))
    assert len(out) >= 3 and "".join(out) == "".join(pieces)
