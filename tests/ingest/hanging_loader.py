"""A file reader that never returns for files named ``hang*``: the per-file deadline must end it.

It lives in an importable module because the isolated reader is a spawned process: it receives the function by
reference and imports it, so a monkeypatch in the test process would not reach it.
"""

from __future__ import annotations

from pathlib import Path

from ingest.loaders import load_file
from ingest.model import LoadedDocument


def load_or_hang(path: Path, source: str, max_bytes: int) -> LoadedDocument:
    while path.name.startswith("hang"):
        pass
    return load_file(path, source, max_bytes)
