"""Loaders on the real government documents in ../shared/realdocs (read in place, never copied)."""

import pytest

from ingest.loaders import load_file
from tests.conftest import REALDOCS, needs_realdocs

MB = 1 << 20


@pytest.fixture(autouse=True)
def _realdocs():
    needs_realdocs()


def _load(name: str):
    return load_file(REALDOCS / name, name, 64 * MB)


def test_encrypted_pdf_opens_and_kangxi_radicals_are_normalised():
    doc = _load("cao_ai_ronten_honbun.pdf")
    text = "\n".join(s.text for s in doc.sections)
    assert len(doc.sections) == 17
    assert "⽣" not in text
    assert "生成AI" in text.replace(" ", "")


def test_image_only_pages_are_reported_not_indexed():
    doc = _load("r3fy-FC-all.pdf")
    assert [p.page for p in doc.problems] == [1, 2, 3, 4, 5]
    assert all("empty" in p.reason for p in doc.problems)
    assert [s.page for s in doc.sections] == list(range(6, 13))


@pytest.mark.parametrize("name", ["noembed-eucjp.pdf", "noembed-identity.pdf", "noembed-jis7.pdf", "vertical.pdf"])
def test_garbage_cid_text_is_caught_by_the_quality_gate(name):
    doc = _load(f"pdfjs/{name}")
    assert doc.sections == []
    assert any(p.reason.startswith("garbage") for p in doc.problems)


def test_shift_jis_cmap_pdf_extracts_fine():
    doc = _load("pdfjs/noembed-sjis.pdf")
    assert "あいうえお" in doc.sections[0].text


def test_word_pdf_bullets_page_numbers_and_line_joins():
    doc = _load("06_info-services_soft.pdf")
    text = "\n".join(s.text for s in doc.sections)
    assert "\uf0d8" not in text and "\uf06c" not in text
    page54 = next(s for s in doc.sections if s.page == 54)
    assert "営業秘密" in page54.text and "秘密管理性" in page54.text
    assert not page54.text.startswith("53")  # printed page number removed
    assert doc.sections[0].page_label is None  # this PDF defines no page labels


def test_statute_xml_is_split_per_paragraph_with_citation_labels():
    doc = _load("statutes/405AC0000000047_20250616_504AC0000000068.xml")
    assert doc.title == "不正競争防止法"
    labels = [s.section for s in doc.sections]
    assert "不正競争防止法 第2条第6項" in labels
    definition = doc.sections[labels.index("不正競争防止法 第2条第6項")]
    assert "秘密として管理されている" in definition.text
    assert len(set(labels)) == len(labels)
