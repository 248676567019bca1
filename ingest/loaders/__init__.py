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


UNEXPECTED = "予期しないエラー / unexpected error"


def one_line(text: str, limit: int = 300) -> str:
    first = next((line.strip() for line in str(text).splitlines() if line.strip()), "")
    return first[:limit]


def unexpected_error(exc: BaseException) -> str:
    """The reason given for an exception no loader anticipated (the fuzz tests look for these)."""
    return one_line(f"{UNEXPECTED}: {type(exc).__name__}: {exc}")


def load_file(path: Path, source: str, max_bytes: int) -> LoadedDocument:
    """Load one file or raise LoadError with a one-line reason; no other exception escapes."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoadError(f"未対応の形式です / unsupported file type: {path.suffix or '(none)'}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LoadError(one_line(f"ファイルを読めません / cannot read the file: {exc}")) from exc
    if size == 0:
        raise LoadError("空のファイルです / empty file")
    if size > max_bytes:
        raise LoadError(
            f"ファイルが大きすぎます / file too large: {size / 1e6:.1f} MB > {max_bytes / 1e6:.0f} MB (CHIZAI_MAX_FILE_MB)"
        )
    try:
        return loader(path, source)
    except LoadError as exc:
        if "\n" in str(exc):
            raise LoadError(one_line(str(exc))) from exc
        raise
    except RecursionError as exc:
        raise LoadError("入れ子が深すぎて読めません / nested too deeply to read") from exc
    except MemoryError as exc:
        raise LoadError("メモリが足りず読めません / out of memory while reading") from exc
    except OSError as exc:
        raise LoadError(one_line(f"読み込みエラー / read error: {type(exc).__name__}: {exc}")) from exc
    except Exception as exc:  # noqa: BLE001 - a broken file must never stop the whole run
        raise LoadError(unexpected_error(exc)) from exc
