"""File readers for the isolation tests: one never returns for files named ``hang*`` (the per-file deadline must
end it), one marks when the worker begins on a file.

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


def load_and_mark(path: Path, source: str, max_bytes: int) -> LoadedDocument:
    """Leaves ``<file>.started`` holding the worker's niceness when it begins on a file (read-ahead, priority)."""
    import os

    path.with_name(path.name + ".started").write_text(str(os.getpriority(os.PRIO_PROCESS, 0)), encoding="utf-8")
    return load_or_hang(path, source, max_bytes)
