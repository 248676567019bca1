"""Model and document text shown in the UI can make no link, HTML or formula; UI-built links are checked."""

from __future__ import annotations

import ast
import re

import pytest

from assistant.ui.safe_text import escape_label, link, safe_markdown, safe_stream, safe_url
from tests.conftest import REPO

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
    # Streamlit linkifies bare URLs and addresses after parsing, escapes or not: an invisible joiner breaks them.
    assert "https\u2060\\://" in out and "www\u2060\\." in out and "info\u2060\\@evil" in out


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
    assert escape_label("a@b.jp https://c.jp www.d.jp") == "a\u2060\\@b\\.jp https\u2060\\://c\\.jp www\u2060\\.d\\.jp"


# --- the whole UI: no raw HTML but the layout module's constants, and hostile answers render as plain text ----------
RAW_HTML_CALLS = {"html"}  # st.html, components.html, st.components.v1.html
LAYOUT = REPO / "assistant" / "ui" / "layout.py"  # the app's own CSS and script: constants and checked keys only


def test_no_ui_code_can_render_raw_html():
    """``unsafe_allow_html=True``, ``st.html`` and HTML components are the only ways Streamlit renders raw HTML."""
    files = [p for p in sorted((REPO / "assistant" / "ui").rglob("*.py")) if p != LAYOUT] + [REPO / "app.py"]
    offenders = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg == "unsafe_allow_html" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                        offenders.append(f"{path.name}:{node.lineno} unsafe_allow_html")
                if isinstance(node.func, ast.Attribute) and node.func.attr in RAW_HTML_CALLS:
                    offenders.append(f"{path.name}:{node.lineno} .{node.func.attr}()")
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("streamlit.components"):
                offenders.append(f"{path.name}:{node.lineno} imports {node.module}")
            if isinstance(node, ast.Import) and any(a.name.startswith("streamlit.components") for a in node.names):
                offenders.append(f"{path.name}:{node.lineno} imports streamlit.components")
    assert len(files) > 10 and not offenders, offenders


def _hostile_message() -> None:
    from assistant.ui import components

    msg = {
        "id": "m1",
        "role": "assistant",
        "content": "**要点** <script>alert(1)</script> <img src=x onerror=alert(1)> [公式](https://evil.example/p) "
        "![i](https://evil.example/i.png?d=secret) <https://evil.example/a> https://evil.example/b $x$",
        "citations": [
            {"n": 1, "title": "題名<b>](javascript:alert(1))", "url": "javascript:alert(1)", "source": "a<b>.md",
             "quote": "<iframe src=https://evil.example></iframe> [y](https://evil.example/q)", "publisher": "<i>x</i>"},
            {"n": 2, "title": "特許庁", "url": "https://www.jpo.go.jp/", "source": "b.md", "quote": "本文"},
        ],
        "handoff": {"recommended": False},
        "notices": ["<b>注意</b> https://evil.example/n"],
    }
    components.message(msg, lambda: None)


def test_hostile_answer_and_citations_render_as_text():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_hostile_message, default_timeout=60).run()
    assert not at.exception
    bodies = [m.value for m in at.markdown] + [w.value for w in at.warning]
    assert bodies and all(not m.proto.allow_html for m in at.markdown)
    text = "\n".join(bodies)
    assert not re.search(r"(?<!\\)<", text), "an unescaped < could open an HTML tag"
    assert re.findall(r"(?<!\\)\]\((\S+?)\)", text) == ["https://www.jpo.go.jp/"], "only the UI-built link"
    assert "https://evil" not in text and "javascript:" not in text.replace("javascript\\:", "")


def test_the_layout_module_sends_only_its_constants_and_keys_it_checked():
    """The one module allowed raw HTML puts no value into it but element keys of the app's own shape."""
    from assistant.ui import layout

    tree = ast.parse(LAYOUT.read_text(encoding="utf-8"))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "html"]
    shown = [ast.unparse(c.args[0]) for c in calls]
    assert shown == ["CSS", "CHIPS_SCRIPT", "_SCROLL_SCRIPT % key"]
    for bad in ('x"; alert(1); "', "msg-1 </script>", "", "a" * 65, "MSG-1"):
        with pytest.raises(ValueError):
            layout.scroll_to(bad)
    assert "<" not in layout.CSS.removeprefix("<style>").removesuffix("</style>")
