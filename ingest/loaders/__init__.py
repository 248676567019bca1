"""File loaders: one module per format, chosen by file suffix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ingest.loaders.html import load_html
from ingest.loaders.markdown import load_markdown
from ingest.loaders.pdf import load_pdf
from ingest.loaders.statute import load_statute_xml
from ingest.loaders.text import load_text
from ingest.model import LoadedDocument, LoadError

Loader = Callable[[Path, str], LoadedDocument]

LOADERS: dict[str, Loader] = {
    ".pdf": load_pdf,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".txt": load_text,
    ".xml": load_statute_xml,
}

SUPPORTED_SUFFIXES = tuple(LOADERS)


def load_file(path: Path, source: str, max_bytes: int) -> LoadedDocument:
    """Load one file or raise LoadError with a one-line reason."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoadError(f"未対応の形式です / unsupported file type: {path.suffix or '(none)'}")
    size = path.stat().st_size
    if size == 0:
        raise LoadError("空のファイルです / empty file")
    if size > max_bytes:
        raise LoadError(
            f"ファイルが大きすぎます / file too large: {size / 1e6:.1f} MB > {max_bytes / 1e6:.0f} MB (CHIZAI_MAX_FILE_MB)"
        )
    return loader(path, source)
