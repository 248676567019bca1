"""What the index stores, as plain data: no library types, so loaders, chunker and index can be tested alone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Section:
    """One citable unit of a source: a PDF page, a Markdown/HTML section, or a statute paragraph."""

    text: str
    page: int | None = None  # 1-based PDF page index
    page_label: str | None = None  # printed page label, when the PDF defines labels
    section: str | None = None  # heading path or article label such as 不正競争防止法 第2条第6項


@dataclass
class Problem:
    """A page or file that was not indexed, and why; reported, never silently skipped."""

    source: str
    reason: str
    page: int | None = None


@dataclass
class Chunk:
    chunk_id: str
    doc_id: str
    text: str
    index: int
    section: Section
    metadata: dict[str, Any]
