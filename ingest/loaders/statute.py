"""e-Gov 法令 XML: one citable unit per article paragraph, labelled like 「不正競争防止法 第2条第6項」."""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from chizai.index.model import Section
from ingest.loaders.common import doc_id_for
from ingest.model import LoadedDocument, LoadError
from ingest.normalize import normalize_text

_WS = re.compile(r"\s+")


def _text(node: etree._Element | None) -> str:
    if node is None:
        return ""
    return _WS.sub("", "".join(node.itertext()))  # statute text has no meaningful spaces, only pretty-print


def article_label(num: str) -> str:
    """Article Num attributes look like "2" or "2_2" (第二条の二)."""
    head, *branches = num.split("_")
    return f"第{head}条" + "".join(f"の{b}" for b in branches)


def _paragraph_text(paragraph: etree._Element) -> str:
    parts = [_text(paragraph.find("ParagraphSentence"))]
    for item in paragraph.iter("Item", "Subitem1", "Subitem2", "Subitem3"):
        title_tag = {"Item": "ItemTitle"}.get(item.tag, item.tag + "Title")
        sentence_tag = {"Item": "ItemSentence"}.get(item.tag, item.tag + "Sentence")
        title = _text(item.find(title_tag))
        sentence = _text(item.find(sentence_tag))
        if sentence:
            parts.append(f"{title}　{sentence}" if title else sentence)
    return "\n".join(p for p in parts if p)


def load_statute_xml(path: Path, source: str) -> LoadedDocument:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as exc:
        raise LoadError(f"XML を解析できません / invalid XML: {exc}".splitlines()[0]) from exc
    if root.tag != "Law" or root.find(".//LawTitle") is None:
        raise LoadError("e-Gov 法令XML ではありません / not an e-Gov statute XML (no <Law>/<LawTitle>)")
    law_title = _text(root.find(".//LawTitle"))
    main = root.find(".//MainProvision")
    sections: list[Section] = []
    for article in (main if main is not None else root).iter("Article"):
        label = f"{law_title} {article_label(article.get('Num', '?'))}"
        caption = _text(article.find("ArticleCaption"))
        paragraphs = article.findall("Paragraph")
        for paragraph in paragraphs:
            num = paragraph.get("Num", "1")
            para_label = label + (f"第{num}項" if len(paragraphs) > 1 else "")
            body = _paragraph_text(paragraph)
            if body:
                heading = f"{para_label}{caption}"
                sections.append(Section(text=normalize_text(f"{heading}\n{body}"), section=para_label))
    if not sections:
        raise LoadError("条文が見つかりません / no articles found in the statute XML")
    return LoadedDocument(
        doc_id=doc_id_for(source),
        source=source,
        title=law_title,
        sections=sections,
        metadata={"doc_type": "statute", "publisher": "e-Gov 法令検索", "law_id": root.get("LawId", "")},
        pages_total=len(sections),
    )
