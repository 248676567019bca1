"""Sentence-aware chunking for Japanese: cut at 。！？ and line ends, size in characters, overlap by whole sentences.

Chunks never cross a Section (page, heading section, statute paragraph), so every chunk cites one place.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator

from chizai.index.model import Chunk, Section
from chizai.text.sentences import split_sentences
from ingest.model import LoadedDocument
from ingest.stages import timed

_PDF_HEADING = re.compile(r"^(?:\d+(?:\.\d+)*\.?|第.{1,4}[章節]|[IVX]+\.|[(（]\d+[)）])\s*\S.{0,38}$")


def _hard_split(sentence: str, size: int) -> Iterator[str]:
    """Pieces of at most ``size`` characters, cut after a comma or space when one is near the end.

    Works on offsets, not on ever shorter copies: a multi-megabyte line without punctuation stays linear.
    """
    start, end = 0, len(sentence)
    while end - start > size:
        cut = max(sentence.rfind(sep, start, start + size) for sep in ("、", "，", ",", " ", "・"))
        cut = cut + 1 if cut - start > size // 3 else start + size
        yield sentence[start:cut]
        start = cut
    if start < end:
        yield sentence[start:]


def _units(section: Section, size: int) -> Iterator[tuple[str, str | None]]:
    """Yield (sentence, heading) pairs; PDF-style numbered heading lines update the heading."""
    heading = None
    for sentence in split_sentences(section.text):
        if section.page is not None and _PDF_HEADING.match(sentence.strip()) and not sentence.strip().endswith("。"):
            heading = sentence.strip()
        yield from ((part, heading) for part in _hard_split(sentence, size))


def chunk_section(section: Section, size: int, overlap: int) -> Iterator[tuple[str, str | None]]:
    """Yield (chunk text, heading found inside the section) for one section."""
    current: list[str] = []
    length = 0
    chunk_heading: str | None = None
    for sentence, heading in _units(section, size):
        if current and length + len(sentence) > size:
            yield _join(current), chunk_heading
            # carry whole trailing sentences as overlap
            carried: list[str] = []
            carried_len = 0
            for prev in reversed(current):
                if carried_len + len(prev) > overlap:
                    break
                carried.insert(0, prev)
                carried_len += len(prev)
            current, length = carried, carried_len
        if not current:
            chunk_heading = heading
        current.append(sentence)
        length += len(sentence)
    if current:
        yield _join(current), chunk_heading


def _join(sentences: list[str]) -> str:
    out = ""
    for s in sentences:
        if out and out[-1].isascii() and out[-1].isalnum() and s[0].isascii() and s[0].isalnum():
            out += " "
        out += s
    return out.strip()


@timed("chunk")
def chunk_document(doc: LoadedDocument, size: int, overlap: int) -> list[Chunk]:
    """Deterministic chunk ids: the same content always yields the same ids, a change yields new ones.

    "Content" includes the title, source and metadata: they go into the embedded text and the Chroma metadata, and
    ingest relies on a reused id meaning an identical vector entry. Otherwise re-ingesting a recategorised file
    would overwrite the vectors the catalog still serves before the catalog switches versions.
    """
    chunks: list[Chunk] = []
    context = json.dumps([doc.title, doc.source, doc.metadata], ensure_ascii=False, sort_keys=True, default=str)
    for section in doc.sections:
        for text, inner_heading in chunk_section(section, size, overlap):
            label = section.section or inner_heading
            key = f"{doc.doc_id}\x00{section.page}\x00{label}\x00{text}\x00{context}"
            digest = hashlib.sha1(key.encode()).hexdigest()[:16]
            index = len(chunks)
            meta = dict(doc.metadata)
            chunks.append(
                Chunk(
                    chunk_id=f"{doc.doc_id}#{index:04d}-{digest}",
                    doc_id=doc.doc_id,
                    text=text,
                    index=index,
                    section=Section(text="", page=section.page, page_label=section.page_label, section=label),
                    metadata=meta,
                )
            )
    return chunks
