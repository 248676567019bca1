"""Model and document text shown in the UI can make no link, HTML or formula; UI-built links are checked."""

from __future__ import annotations

import pytest

from assistant.ui.safe_text import escape_label, link, safe_markdown, safe_stream, safe_url

NASTY = (
    "**重要** [ここをクリック](https://evil.example/x) ![img](https://evil.example/i.png)\n"
    "[1]: https://evil.example/ref\n<script>alert(1)</script> <https://evil.example> "
    "www.evil.example と https://evil.example と info@evil.example、料金は $5 から $10。[2]"
)


def test_safe_markdown_defuses_links_html_and_math_but_keeps_emphasis():
    out = safe_markdown(NASTY)
    assert "](" not in out and "]:" not in out
    assert "https://" not in out and "www." not in out
    assert (
        "<" not in out.replace("\\<", "")
        and "$" not in out.replace("\\$", "")
        and "@" not in out.replace("\\@", "")
    )
    assert out.startswith("**重要**") and out.endswith("[2]")


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13])
def test_safe_stream_equals_safe_markdown_whatever_the_piece_size(size):
    pieces = [NASTY[i : i + size] for i in range(0, len(NASTY), size)]
    assert "".join(safe_stream(pieces)) == safe_markdown(NASTY)


def test_links_only_to_checked_http_urls():
    assert safe_url("https://www.jpo.go.jp/") == "https://www.jpo.go.jp/"
    for bad in (
        "javascript:alert(1)",
        "data:text/html,x",
        "//evil",
        "https://x/a b",
        "https://x/)",
        None,
        "",
    ):
        assert safe_url(bad) is None
    assert link("特許庁", "https://www.jpo.go.jp/") == "[特許庁](https://www.jpo.go.jp/)"
    assert link("a](javascript:x)", "javascript:x") == escape_label("a](javascript:x)")
    assert "\\[" in escape_label("[x]") and "\n" not in escape_label("a\nb")
