"""Fuzzing the loaders with Hypothesis: whatever the bytes, a file is either loaded or refused with one clear line.

Inputs: mutated real PDFs (made with pypdf: truncated, bytes flipped/inserted/deleted/duplicated, numbers and
keywords swapped, deep nesting), random and deeply nested HTML (hidden elements included), mutated and malicious
e-Gov XML (entity bombs, external entities), text in wrong encodings, NUL bytes, YAML front matter bombs, gigantic
lines, and random bytes under every supported extension.

Properties, per input: no exception but :class:`LoadError`; its reason is one line and is not the loader's
catch-all "unexpected error" (that would be an exception nobody anticipated); no input takes longer than
``LIMIT_S`` (inputs run through :class:`IsolatedLoader`, so a hang fails the test instead of hanging it); a
loaded document can be chunked. And the ingest pipeline keeps every good file beside broken and hanging ones.

``make test`` runs a bounded, derandomised number of examples (the file takes well under a minute);
``CHIZAI_FUZZ_EXAMPLES=2000`` runs that many per test with fresh randomness. Counts go to
``test-artifacts/fuzz-loaders.json``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from chizai.index.embedders import NamedEmbeddings
from ingest.chunker import chunk_document
from ingest.isolation import IsolatedLoader, LoadTimeout
from ingest.loaders import SUPPORTED_SUFFIXES, UNEXPECTED
from ingest.model import LoadedDocument, LoadError
from tests.ingest.hanging_loader import load_or_hang

REPO = Path(__file__).resolve().parents[2]
LIMIT_S = 20.0  # per input; real inputs of this size take milliseconds
MAX_BYTES = 64 << 20
OVERRIDE = int(os.environ.get("CHIZAI_FUZZ_EXAMPLES", "0") or 0)
FUZZED: Counter[str] = Counter()
OUTCOMES: Counter[str] = Counter()


def fuzz(default: int, cap: int | None = None) -> settings:
    """Bounded and reproducible in ``make test``; ``CHIZAI_FUZZ_EXAMPLES`` raises the count (up to ``cap`` for the
    expensive tests) and the randomness."""
    return settings(
        max_examples=min(OVERRIDE, cap or OVERRIDE) if OVERRIDE else default,
        deadline=None,  # time is enforced per input by the isolated loader
        database=None,
        derandomize=not OVERRIDE,
        suppress_health_check=list(HealthCheck),
    )


@pytest.fixture(scope="module")
def loader():
    with IsolatedLoader(LIMIT_S) as isolated:
        assert isolated.isolated, "a time limit > 0 reads files in a worker with a deadline"
        yield isolated


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module", autouse=True)
def summary():
    started = time.time()
    yield
    out = REPO / "test-artifacts" / "fuzz-loaders.json"
    out.parent.mkdir(exist_ok=True)
    data = {
        "inputs": sum(FUZZED.values()),
        "by_kind": dict(sorted(FUZZED.items())),
        "outcomes": dict(OUTCOMES),
        "seconds": round(time.time() - started, 1),
    }
    out.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nfuzzed {data['inputs']} inputs in {data['seconds']} s: {data['by_kind']} {data['outcomes']}")


def check(loader: IsolatedLoader, folder: Path, kind: str, name: str, data: bytes) -> LoadedDocument | None:
    """Load one input and assert the properties; returns the document when it loaded."""
    digest = hashlib.sha1(data).hexdigest()[:12]
    path = folder / f"{digest}-{name}"
    path.write_bytes(data)
    started = time.monotonic()
    try:
        doc = loader.load(path, path.name, MAX_BYTES)
    except LoadTimeout as exc:
        pytest.fail(f"{kind} input {path.name} ({len(data)} bytes) hung: {exc}")
    except LoadError as exc:
        reason = str(exc)
        assert reason.strip() and "\n" not in reason and len(reason) <= 400, reason
        assert not reason.startswith(UNEXPECTED), f"{kind}: unanticipated exception for {path.name}: {reason}"
        doc = None
    finally:
        FUZZED[kind] += 1
    if doc is not None:
        assert isinstance(doc, LoadedDocument) and isinstance(doc.title, str)
        assert all(isinstance(s.text, str) for s in doc.sections)
        json.dumps(doc.metadata, ensure_ascii=False, default=str)
        chunk_document(doc, 400, 80)
    assert time.monotonic() - started < LIMIT_S
    OUTCOMES["loaded" if doc is not None else "refused"] += 1
    path.unlink()
    return doc


# --- PDF --------------------------------------------------------------------------------------------------------
def _pdf(compress: bool, encrypt: bool) -> bytes:
    """A small real PDF: two pages of text in Helvetica, metadata, page labels; optionally compressed/encrypted."""
    writer = PdfWriter()
    font = writer._add_object(  # noqa: SLF001 - the public API has no font helper
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
    )
    for text in ("Patent license agreement, page one.", "Trade secret management, page two."):
        page = writer.add_blank_page(300, 200)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET".encode())
        page[NameObject("/Contents")] = writer._add_object(stream)  # noqa: SLF001
        if compress:
            page.compress_content_streams()
    writer.add_metadata({"/Title": "Fuzz base document"})
    writer.set_page_label(0, 1, "/r", prefix="p-")
    if encrypt:
        writer.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


BASE_PDFS = [_pdf(False, False), _pdf(True, False), _pdf(True, True)]
PDF_WORDS = [b"obj", b"endobj", b"stream", b"endstream", b"xref", b"trailer", b"startxref", b"/Length", b"/Root",
             b"/Pages", b"/Kids", b"/Count", b"/Parent", b"/Contents", b"/Filter", b"/FlateDecode", b"R", b"<<", b">>",
             b"[", b"]", b"/PageLabels", b"/Encrypt", b"null", b"/Type"]


@st.composite
def mutated(draw: st.DrawFn, base: bytes, words: list[bytes]) -> bytes:
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["truncate", "flip", "insert", "delete", "duplicate", "number", "word", "nest"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "truncate":
            del data[pos:]
        elif op == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=64))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 256))]
        elif op == "duplicate":
            chunk = bytes(data[pos : pos + draw(st.integers(1, 512))])
            at = draw(st.integers(0, len(data)))
            data[at:at] = chunk * draw(st.integers(1, 3))
        elif op == "number":
            numbers = list(re.finditer(rb"\d+", bytes(data)))
            if numbers:
                m = draw(st.sampled_from(numbers))
                new = str(draw(st.one_of(st.integers(0, 20), st.integers(0, 2**64)))).encode()
                data[m.start() : m.end()] = new
        elif op == "word":
            found = [m for w in words for m in re.finditer(re.escape(w), bytes(data))][:200]
            if found:
                m = draw(st.sampled_from(found))
                data[m.start() : m.end()] = draw(st.sampled_from(words))
        elif op == "nest":
            opener = draw(st.sampled_from([b"[", b"<<", b"<Law>", b"<div>"]))
            data[pos:pos] = opener * draw(st.integers(10, 5000))
    return bytes(data)


@fuzz(150)
@given(data=st.data())
def test_mutated_pdfs(loader, folder, data):
    base = data.draw(st.sampled_from(BASE_PDFS))
    check(loader, folder, "pdf-mutated", "m.pdf", data.draw(mutated(base, PDF_WORDS)))


def test_the_unmutated_pdfs_load(loader, folder):
    """The mutation base is a real PDF that loads (else every mutation would only test the error path)."""
    for i, base in enumerate(BASE_PDFS):
        doc = check(loader, folder, "pdf-base", f"base{i}.pdf", base)
        assert doc is not None and "Patent license" in doc.sections[0].text
        assert doc.sections[0].page_label == "p-i"


# --- HTML -------------------------------------------------------------------------------------------------------
TAGS = ["div", "p", "span", "main", "article", "h1", "h2", "li", "ul", "table", "tr", "td", "font", "template",
        "script", "style", "a", "b", "nav", "section"]
ATTRS = ["", ' style="display:none"', " hidden", ' style="color:#fff"', ' class="hidden sidebar"', ' role="navigation"',
         ' id="main"', ' style="font-size:0"', ' href="javascript:alert(1)"', ' style="left:-9999px;position:absolute"',
         ' class="breadcrumb"', " style=\"color:white;background:#000\"", ' color="white"', " style='\"'"]
JUNK = ["<", ">", "<!--", "-->", "<![CDATA[", "]]>", "&", "&#0;", "&#xD800;", "&nbsp", "</", "<p", "<?xml", "<!DOCTYPE"]
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
HTML_TREE = st.recursive(
    st.one_of(TEXT, st.sampled_from(JUNK)),
    lambda kids: st.builds(
        lambda tag, attr, inner, close: f"<{tag}{attr}>{''.join(inner)}" + (f"</{tag}>" if close else ""),
        st.sampled_from(TAGS), st.sampled_from(ATTRS), st.lists(kids, max_size=5), st.booleans(),
    ),
    max_leaves=60,
)
ENCODINGS = ["utf-8", "utf-8-sig", "cp932", "euc_jp", "utf-16", "utf-16-le", "latin-1", "iso-2022-jp"]


def _encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


@fuzz(120)
@given(tree=HTML_TREE, encoding=st.sampled_from(ENCODINGS), suffix=st.sampled_from([".html", ".htm"]))
def test_random_html(loader, folder, tree, encoding, suffix):
    check(loader, folder, "html-random", "r" + suffix, _encode(f"<html><body>{tree}</body></html>", encoding))


@fuzz(12, cap=60)
@given(depth=st.integers(1, 60_000), tag=st.sampled_from(["div", "span", "li", "table", "b", "main"]),
       closed=st.booleans(), attr=st.sampled_from(ATTRS))
def test_deeply_nested_html(loader, folder, depth, tag, closed, attr):
    html = f"<{tag}{attr}>" * depth + "特許の説明文です。" + (f"</{tag}>" * depth if closed else "")
    check(loader, folder, "html-deep", "deep.html", html.encode())


# --- e-Gov statute XML ------------------------------------------------------------------------------------------
STATUTE = """<?xml version="1.0" encoding="UTF-8"?>
<Law Era="Showa" Lang="ja" LawType="Act" Num="121" Year="34" LawId="334AC0000000121">
<LawNum>昭和三十四年法律第百二十一号</LawNum>
<LawBody><LawTitle>特許法</LawTitle><MainProvision>
<Article Num="2"><ArticleCaption>（定義）</ArticleCaption>
<Paragraph Num="1"><ParagraphNum/><ParagraphSentence><Sentence>この法律で「発明」とは、自然法則を利用した技術的思想の創作のうち高度のものをいう。</Sentence></ParagraphSentence></Paragraph>
<Paragraph Num="3"><ParagraphNum>３</ParagraphNum><ParagraphSentence><Sentence>この法律で発明について「実施」とは、次に掲げる行為をいう。</Sentence></ParagraphSentence>
<Item Num="1"><ItemTitle>一</ItemTitle><ItemSentence><Sentence>物の発明にあつては、その物の生産、使用をする行為</Sentence></ItemSentence>
<Subitem1 Num="1"><Subitem1Title>イ</Subitem1Title><Subitem1Sentence><Sentence>細目</Sentence></Subitem1Sentence></Subitem1></Item>
</Paragraph></Article>
<Article Num="2_2"><Paragraph Num="1"><ParagraphSentence><Sentence>枝番の条。</Sentence></ParagraphSentence></Paragraph></Article>
</MainProvision></LawBody></Law>
""".encode()
XML_WORDS = [b"<Law", b"</Law>", b"<LawTitle>", b"<Article", b"<Paragraph", b"</Paragraph>", b"Num=", b"<Sentence>",
             b"<?xml", b"encoding=", b"UTF-8", b"<Item", b"<!DOCTYPE", b"&amp;", b"<![CDATA["]
MALICIOUS_XML = [
    # billion laughs: entities must not expand
    b'<?xml version="1.0"?><!DOCTYPE Law [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
    b'<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">]>'
    b"<Law><LawBody><LawTitle>&f;</LawTitle><MainProvision><Article Num=\"1\"><Paragraph Num=\"1\"><ParagraphSentence>"
    b"<Sentence>&f;</Sentence></ParagraphSentence></Paragraph></Article></MainProvision></LawBody></Law>",
    # external entity: the file must never be read into the index
    b'<?xml version="1.0"?><!DOCTYPE Law [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<Law><LawBody><LawTitle>t</LawTitle><MainProvision><Article Num=\"1\"><Paragraph Num=\"1\"><ParagraphSentence>"
    b"<Sentence>&xxe;</Sentence></ParagraphSentence></Paragraph></Article></MainProvision></LawBody></Law>",
    b'<?xml version="1.0" encoding="Shift_JIS"?>' + STATUTE.split(b"?>", 1)[1],
    b'<?xml version="1.0" encoding="no-such-encoding"?>' + STATUTE.split(b"?>", 1)[1],
    STATUTE.replace(b'Num="2"', b'Num="' + b"1_" * 20000 + b'"'),
    b"<Law><LawBody><LawTitle>x</LawTitle>" + b"<Article Num=\"1\"><Paragraph>" * 3000 + b"</LawBody></Law>",
]


@fuzz(120)
@given(data=st.data())
def test_mutated_statute_xml(loader, folder, data):
    check(loader, folder, "xml-mutated", "law.xml", data.draw(mutated(STATUTE, XML_WORDS)))


def test_malicious_statute_xml(loader, folder):
    assert check(loader, folder, "xml-base", "law.xml", STATUTE) is not None
    for i, xml in enumerate(MALICIOUS_XML):
        doc = check(loader, folder, "xml-malicious", f"evil{i}.xml", xml)
        text = "" if doc is None else "\n".join(s.text for s in doc.sections) + doc.title
        assert "root:" not in text and len(text) < 100_000


# --- text, Markdown, encodings, NUL bytes, gigantic lines ---------------------------------------------------------
@fuzz(150)
@given(text=st.text(max_size=300), encoding=st.sampled_from(ENCODINGS), suffix=st.sampled_from([".txt", ".md", ".markdown"]),
       nul=st.one_of(st.none(), st.integers(0, 6000)))
def test_text_in_any_encoding_with_nul_bytes(loader, folder, text, encoding, suffix, nul):
    data = _encode("知的財産の説明です。" + text, encoding)
    if nul is not None:
        data = data[:nul] + b"\x00" + data[nul:]
    check(loader, folder, "text-encoding-nul", "t" + suffix, data)


FRONT = st.one_of(
    st.text(max_size=200),
    st.sampled_from([
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\n"
        "d: &d [*c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]",
        "title: " + "[" * 3000 + "]" * 3000,
        "id: !!python/object/apply:os.system ['echo pwned']",
        "id: {a: b}\ntitle: [1, 2]\nkeywords: 3",
        "? [complex, key]\n: value",
        "title: \x00",
        "- just\n- a list",
    ]),
)


@fuzz(80)
@given(front=FRONT, body=st.text(max_size=300))
def test_markdown_front_matter(loader, folder, front, body):
    check(loader, folder, "markdown-front-matter", "f.md", f"---\n{front}\n---\n## 見出し\n{body}\n".encode(errors="replace"))


@fuzz(6, cap=40)
@given(unit=st.sampled_from(["あ", "a", "# ", "、", " ", "[", "![", "<p hidden>", "<!--", "。\n", "x" * 7 + "\t", "#" * 7]),
       chars=st.sampled_from([200_000, 1_000_000] + ([4_000_000] if OVERRIDE else [])),
       suffix=st.sampled_from([".md", ".txt", ".html"]))
def test_gigantic_lines(loader, folder, unit, chars, suffix):
    check(loader, folder, "gigantic-line", "g" + suffix, ("特許" + unit * (chars // len(unit))).encode())


@fuzz(150)
@given(data=st.binary(max_size=3000), suffix=st.sampled_from(SUPPORTED_SUFFIXES))
def test_random_bytes_under_every_extension(loader, folder, data, suffix):
    check(loader, folder, "random-bytes", "r" + suffix, data)


@fuzz(40)
@given(prefix=st.sampled_from([b"%PDF-1.7\n", b"\xef\xbb\xbf<?xml version='1.0'?>", b"<html>", b"---\n", b"\xff\xfe", b"\xfe\xff"]),
       data=st.binary(max_size=3000), suffix=st.sampled_from(SUPPORTED_SUFFIXES))
def test_random_bytes_behind_a_plausible_header(loader, folder, prefix, data, suffix):
    check(loader, folder, "random-bytes-header", "h" + suffix, prefix + data)


# --- the pipeline ------------------------------------------------------------------------------------------------
class HashEmbeddings(NamedEmbeddings):
    """A deterministic 16-dimensional embedder: the pipeline test is about files, not about vectors."""

    name = "hash-test"
    dim = 16

    def _vec(self, text: str) -> list[float]:
        digest = hashlib.sha256(text.encode("utf-8", "replace")).digest()
        return [b / 255 + 0.01 for b in digest[:16]]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vec(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vec(text)


GOOD = "---\nid: good-doc\ntitle: 営業秘密の基本\n---\n## 概要\n営業秘密は秘密管理性・有用性・非公知性の三要件を満たす情報です。\n"


@fuzz(3, cap=20)
@given(bad=st.lists(st.tuples(st.binary(max_size=2000), st.sampled_from(SUPPORTED_SUFFIXES)), min_size=1, max_size=6),
       pdf=mutated(BASE_PDFS[1], PDF_WORDS))
def test_pipeline_keeps_good_files_beside_broken_and_hanging_ones(tmp_path_factory, bad, pdf):
    from chizai.settings import Settings
    from ingest.pipeline import Ingestor

    root = tmp_path_factory.mktemp("pipeline")
    docs = root / "docs"
    docs.mkdir()
    (docs / "good.md").write_text(GOOD, encoding="utf-8")
    (docs / "hang.txt").write_text("この文書の読み込みは終わりません。", encoding="utf-8")
    (docs / "mutated.pdf").write_bytes(pdf)
    for i, (data, suffix) in enumerate(bad):
        (docs / f"bad{i}{suffix}").write_bytes(data)
    settings = Settings(data_dir=root / "data", load_timeout_s=1.0)
    started = time.monotonic()
    ingestor = Ingestor(settings, embedder=HashEmbeddings(), reader=load_or_hang)
    try:
        report = ingestor.run([docs])
    finally:
        ingestor.close()
    FUZZED["pipeline-files"] += 3 + len(bad)
    by_name = {o.source.split("/")[-1]: o for o in report.outcomes}
    assert by_name["good.md"].status == "ingested"
    assert by_name["hang.txt"].status == "failed" and "timed out" in by_name["hang.txt"].reason
    for outcome in report.outcomes:
        assert outcome.status in ("ingested", "failed"), outcome
        if outcome.status == "failed":
            assert "\n" not in outcome.reason and not outcome.reason.startswith(UNEXPECTED), outcome
    assert time.monotonic() - started < 30
