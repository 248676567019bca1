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


INSTRUCTION_REASON = "planted instruction removed"  # how a line dropped by the injection screen is reported


@dataclass
class Problem:
    """A page that was not indexed, or a line the injection screen removed, and why; reported, never silent."""

    source: str
    reason: str
    page: int | None = None

    @property
    def removed_line(self) -> bool:
        """A line removed as a planted instruction (the rest of its page was indexed), not a page left out."""
        return self.reason.startswith(INSTRUCTION_REASON)


@dataclass
class Chunk:
    chunk_id: str
    doc_id: str
    text: str
    index: int
    section: Section
    metadata: dict[str, Any]
