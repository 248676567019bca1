"""A small corpus and index for the UI tests (AppTest and browser): eight shipped documents and one broken PDF.

Shared by ``tests/assistant/ui`` and ``tests/e2e/test_browser.py`` so both drive the app against the same data.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import REPO

DOCS = (
    "dispute-warning-letter-received.md",
    "dispute-suspected-infringement.md",
    "shohyo-kihon.md",
    "tokkyo-kihon.md",
    "tokkyo-ryokin-genmen.md",
    "chizai-hinagata-nda.md",
    "inpit-chizai-sogo-madoguchi.md",
    "soudan-saki-erabikata.md",
)
BROKEN = "broken.pdf"  # not a PDF at all: the コーパス page must list it as failed, with the reason
ADVISOR = "yamada"
ADVISOR_PASSWORD = "correct horse battery staple"
APP = REPO / "app.py"


def make_corpus(root: Path) -> Path:
    """``root/corpus`` with ``docs/`` (the eight documents + the broken file) and the windows directory."""
    corpus = root / "corpus"
    docs = corpus / "docs"
    docs.mkdir(parents=True)
    for name in DOCS:
        shutil.copy(REPO / "corpus" / "docs" / name, docs / name)
    (docs / BROKEN).write_bytes(b"%PDF-1.7\nthis is not really a pdf\n")
    shutil.copy(REPO / "corpus" / "windows.yaml", corpus / "windows.yaml")
    return corpus


def ui_env(root: Path) -> dict[str, str]:
    """Environment for the app: its own data dir and corpus, the deterministic extractive engine."""
    return {
        "CHIZAI_DATA_DIR": str(root / "data"),
        "CHIZAI_CORPUS_DIR": str(root / "corpus"),
        "CHIZAI_ENGINE": "extractive",
        "CHIZAI_ADVISOR_SESSION_MINUTES": "30",
    }
