"""Helpers shared by the loaders."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ingest.model import LoadError

_SLUG = re.compile(r"[^a-z0-9]+")


def doc_id_for(source: str) -> str:
    """Deterministic id for a file without its own id: readable stem plus a hash of its source path."""
    stem = _SLUG.sub("-", Path(source).stem.lower()).strip("-")[:40] or "doc"
    return f"{stem}-{hashlib.sha1(source.encode()).hexdigest()[:8]}"


def decode_bytes(data: bytes) -> str:
    """Decode text that may be UTF-8 (with or without BOM), Shift_JIS/CP932 or EUC-JP."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise LoadError(f"UTF-16 として読めません / broken UTF-16 text: {exc.reason} at byte {exc.start}") from exc
    if b"\x00" in data[:4096]:
        raise LoadError("バイナリファイルのようです / looks like a binary file (NUL bytes)")
    for encoding in ("utf-8-sig", "cp932", "euc_jp"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LoadError("文字コードを判定できません / cannot detect the text encoding (tried UTF-8, CP932, EUC-JP)")


def read_text_file(path: Path) -> str:
    return decode_bytes(path.read_bytes())
