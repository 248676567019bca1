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
