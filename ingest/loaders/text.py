"""Plain text in UTF-8, Shift_JIS/CP932 or EUC-JP."""

from __future__ import annotations

from pathlib import Path

from chizai.index.model import Section
from ingest.loaders.common import doc_id_for, read_text_file
from ingest.model import LoadedDocument
from ingest.normalize import normalize_text


def load_text(path: Path, source: str) -> LoadedDocument:
    text = normalize_text(read_text_file(path))
    first_line = next((ln.strip() for ln in text.splitlines() if ln.strip()), path.stem)
    return LoadedDocument(
        doc_id=doc_id_for(source),
        source=source,
        title=first_line[:80],
        sections=[Section(text=text)],
        metadata={"doc_type": "text"},
        pages_total=1,
    )
