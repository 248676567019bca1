import io
from pathlib import Path

import pytest
from pypdf import PdfWriter

from ingest.loaders import load_file
from ingest.model import LoadError

MB = 1 << 20


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_markdown_front_matter_and_heading_path(tmp_path):
    path = _write(
        tmp_path,
        "a.md",
        "---\nid: sample-doc\ntitle: 見本\npublisher: 特許庁\nurl: https://www.jpo.go.jp/\nkeywords: [マドプロ]\n---\n"
        "## 概要\n本文です。\n### 詳細\n詳しい本文です。\n",
    )
    doc = load_file(path, "a.md", MB)
    assert doc.doc_id == "sample-doc" and doc.title == "見本"
    assert doc.metadata["publisher"] == "特許庁" and doc.metadata["keywords"] == ["マドプロ"]
    assert [s.section for s in doc.sections] == ["見本 > 概要", "見本 > 概要 > 詳細"]


def test_markdown_with_broken_front_matter_is_a_clear_error(tmp_path):
    path = _write(tmp_path, "b.md", "---\ntitle: [unclosed\n---\n本文")
    with pytest.raises(LoadError, match="YAML"):
        load_file(path, "b.md", MB)


def test_html_keeps_main_text_and_drops_menus(tmp_path):
    html = """<html><head><title>営業秘密 | 経済産業省</title></head><body>
    <header><nav><ul><li>トップ</li><li>サイトマップ</li></ul></nav></header>
    <div id="breadcrumb">ホーム &gt; 政策</div>
    <main><h1>営業秘密の保護</h1><p>営業秘密は秘密管理性・有用性・非公知性の三要件を満たす情報です。</p>
    <h2>相談窓口</h2><ul><li>INPIT 営業秘密・知財戦略相談窓口</li></ul></main>
    <footer>Copyright 経済産業省 お問い合わせ</footer><script>var x = 1;</script></body></html>"""
    doc = load_file(_write(tmp_path, "p.html", html), "p.html", MB)
    text = "\n".join(s.text for s in doc.sections)
    assert doc.title == "営業秘密の保護"
    assert "三要件" in text and "INPIT" in text
    for noise in ("サイトマップ", "ホーム", "Copyright", "var x"):
        assert noise not in text
    assert doc.sections[-1].section == "営業秘密の保護 > 相談窓口"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "shift_jis", "cp932", "euc_jp"])
def test_text_encodings_are_detected(tmp_path, encoding):
    text = "知的財産取引に関するガイドライン①について説明します。" if encoding == "cp932" else "知的財産取引に関するガイドラインです。"
    doc = load_file(_write(tmp_path, "t.txt", text.encode(encoding)), "t.txt", MB)
    assert doc.sections[0].text == text.replace("①", "1")  # NFKC folds circled digits


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("bin.txt", b"\x00\x01\x02binary" * 50, "binary"),
        ("x.docx", b"PK\x03\x04", "unsupported file type"),
        ("bad.pdf", b"%PDF-1.7\nthis is not really a pdf", "cannot read PDF"),
        ("trunc.pdf", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog", "PDF"),
        ("bad.xml", b"<Law><LawBody>", "invalid XML"),
        ("other.xml", b"<root><a>1</a></root>", "not an e-Gov statute"),
    ],
)
def test_bad_input_gives_a_one_line_reason(tmp_path, name, data, reason):
    with pytest.raises(LoadError) as info:
        load_file(_write(tmp_path, name, data), name, MB)
    message = str(info.value)
    assert reason in message and "\n" not in message


def test_huge_file_is_refused(tmp_path):
    path = _write(tmp_path, "big.txt", "あ" * 400_000)
    with pytest.raises(LoadError, match="too large"):
        load_file(path, "big.txt", 1 * MB)


def _pdf_bytes(password: str | None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if password is not None:
        writer.encrypt(user_password=password, owner_password="owner", algorithm="AES-256")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_pdf_with_unknown_password_is_refused(tmp_path):
    path = _write(tmp_path, "secret.pdf", _pdf_bytes("s3cret"))
    with pytest.raises(LoadError, match="password"):
        load_file(path, "secret.pdf", MB)


def test_pdf_with_empty_password_opens_and_blank_page_is_reported(tmp_path):
    doc = load_file(_write(tmp_path, "open.pdf", _pdf_bytes("")), "open.pdf", MB)
    assert doc.sections == []
    assert [(p.page, p.reason) for p in doc.problems] == [(1, "empty page (image only?)")]


# --- what readers never see is not indexed; hostile inputs get a clear one-line reason -----------------------------
def test_html_drops_hidden_text_comments_and_templates(tmp_path):
    html = """<html><body><main><h1>和紙の製法</h1>
    <p>和紙の製法は営業秘密として守れます。</p>
    <p style="display: none">隠し1</p><p style="visibility:hidden">隠し2</p><div hidden>隠し3</div>
    <p style="font-size:0">隠し4</p><p style="position:absolute; left:-9999px">隠し5</p>
    <p><span style="color:#ffffff">隠し6</span><font color="white">隠し7</font></p>
    <p class="sr-only">隠し8</p><template><p>隠し9</p></template><!-- 隠し10 -->
    <p style="background:#003"><span style="color:white">白地でない白文字は見える</span></p>
    <p aria-hidden="true">装飾だが見える</p></main></body></html>"""
    doc = load_file(_write(tmp_path, "p.html", html), "p.html", MB)
    text = "\n".join(s.text for s in doc.sections)
    assert "営業秘密として守れます" in text and "白地でない白文字は見える" in text and "装飾だが見える" in text
    assert "隠し" not in text


def test_markdown_keeps_what_a_reader_sees_only(tmp_path):
    md = (
        "---\ntitle: 見本\n---\n## 概要\n本文です。<!-- AIへ: 隠れた指示 -->\n"
        '<div style="display:none">隠し文</div>\n'
        "詳しくは[公式ページ](https://evil.example/p)と![図](https://evil.example/i.png)と[参考][r]。\n\n"
        "[r]: https://evil.example/ref\n<https://evil.example/a>\n"
    )
    doc = load_file(_write(tmp_path, "m.md", md), "m.md", MB)
    text = "\n".join(s.text for s in doc.sections)
    assert "本文です。" in text and "詳しくは公式ページと" in text and "参考" in text
    assert "evil" not in text and "隠" not in text and "<" not in text


@pytest.mark.parametrize(
    ("front", "reason"),
    [
        ("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
         "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d]",
         "too large"),
        ("title: " + "[" * 3000 + "]" * 3000, "nested too deeply"),
    ],
)
def test_front_matter_bombs_are_refused_quickly(tmp_path, front, reason):
    import time

    started = time.monotonic()
    with pytest.raises(LoadError, match=reason):
        load_file(_write(tmp_path, "bomb.md", f"---\n{front}\n---\n本文"), "bomb.md", MB)
    assert time.monotonic() - started < 2


def test_deeply_nested_html_is_refused_with_a_reason(tmp_path):
    html = "<div>" * 5000 + "本文" + "</div>" * 5000
    with pytest.raises(LoadError, match="nested too deeply"):
        load_file(_write(tmp_path, "deep.html", html), "deep.html", MB)


def test_broken_utf16_is_a_clear_error(tmp_path):
    with pytest.raises(LoadError, match="UTF-16"):
        load_file(_write(tmp_path, "u.txt", "\ufeff知財".encode("utf-16-le") + b"\x30"), "u.txt", MB)


def test_a_file_that_hangs_its_loader_fails_with_a_timeout_and_the_next_file_loads(tmp_path):
    import time

    from ingest.isolation import IsolatedLoader, LoadTimeout
    from tests.ingest.hanging_loader import load_or_hang

    good = _write(tmp_path, "good.txt", "知的財産の説明です。")
    with IsolatedLoader(1.0, load_or_hang) as isolated:
        started = time.monotonic()
        with pytest.raises(LoadTimeout, match="timed out"):
            isolated.load(_write(tmp_path, "hang.txt", "x"), "hang.txt", MB)
        assert time.monotonic() - started < 10
        assert isolated.load(good, "good.txt", MB).sections[0].text == "知的財産の説明です。"
