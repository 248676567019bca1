"""What a loader hands to the chunker: a whole document with its citable sections and the problems met."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chizai.index.model import Problem, Section


@dataclass
class LoadedDocument:
    doc_id: str
    source: str  # corpus-relative path or file name
    title: str
    sections: list[Section]
    metadata: dict[str, Any] = field(default_factory=dict)  # publisher, url, category, keywords, windows, as_of …
    problems: list[Problem] = field(default_factory=list)
    pages_total: int = 0


class LoadError(Exception):
    """A whole file cannot be loaded; the message is one line naming the reason in Japanese and English."""
