"""Which index an evaluation runs against, and building one into a cache directory when needed.

- ``run`` on core/adversarial uses the index under ``CHIZAI_DATA_DIR`` (``--data-dir`` overrides); when none
  exists there it builds one of the shipped corpus into the cache.
- The gate always uses the cache index of the shipped corpus, so an index full of a user's own files can never
  move the gate. Ingest is incremental (content hashes) and pruned, so the cache follows corpus edits.
- realdocs builds its own index from the files in ``shared/realdocs`` that the gold set references.

Cache: ``$CHIZAI_EVAL_CACHE`` or ``~/.cache/chizai-frontline/evals``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from chizai.settings import REPO_ROOT, Settings
from evals.gold import GoldItem

Progress = Callable[[int, int, str], None]


def cache_root() -> Path:
    root = os.environ.get("CHIZAI_EVAL_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "chizai-frontline" / "evals"


def realdocs_dir() -> Path:
    return Path(os.environ.get("REALDOCS_DIR", REPO_ROOT.parent / "shared" / "realdocs"))


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)[:40]


def build_index(settings: Settings, paths: list[Path] | None, progress: Progress | None = None) -> dict:
    """Ingest ``paths`` (default: the shipped corpus) into ``settings.data_dir``; unchanged files skip."""
    from ingest.pipeline import Ingestor

    ingestor = Ingestor(settings)
    try:
        report = ingestor.run(paths, prune=True, progress=progress)
    finally:
        ingestor.close()
    failed = [(o.source, o.reason) for o in report.outcomes if o.status == "failed"]
    if failed:
        raise RuntimeError(f"ingest failed for {failed}")
    return {
        "ingested": report.count("ingested"),
        "unchanged": report.count("unchanged"),
        "chunks_added": report.chunks,
        "seconds": round(report.seconds, 1),
        "pages_not_indexed": len(report.problems),
    }


def moved(base: Settings, data_dir: Path, **extra: object) -> Settings:
    """``base`` with another data dir; the local LLM stays where ``make llm`` put it (under the real data dir)."""
    from assistant.answer.engines.chat import default_local_model_path

    return base.model_copy(
        update={"data_dir": data_dir, "llm_model_path": default_local_model_path(base), **extra}
    )


def corpus_cache_settings(base: Settings) -> Settings:
    return moved(base, cache_root() / f"corpus-{_slug(base.embedder)}")


def corpus_settings(
    base: Settings, data_dir: Path | None, *, force_cache: bool, progress: Progress | None = None
) -> tuple[Settings, str]:
    """Settings pointing at the index to evaluate and a one-line note of where it came from."""
    from ingest.pipeline import index_exists

    if data_dir is not None:
        settings = moved(base, data_dir)
        if not index_exists(settings):
            raise FileNotFoundError(
                f"no index in {data_dir}: run `CHIZAI_DATA_DIR={data_dir} python -m ingest` first"
            )
        return settings, f"index in {data_dir}"
    if not force_cache and index_exists(base):
        return base, f"index in CHIZAI_DATA_DIR ({base.data_dir})"
    settings = corpus_cache_settings(base)
    info = build_index(settings, None, progress)
    return settings, f"shipped corpus indexed in cache {settings.data_dir} ({info})"


def realdocs_files(items: Iterable[GoldItem], root: Path | None = None) -> list[Path]:
    """The real documents the gold set references (so 特許法 and the pdf.js samples are not indexed)."""
    root = root or realdocs_dir()
    names = sorted({i.source for i in items if i.source})
    files = []
    for name in names:
        found = [p for p in (root / name, root / "statutes" / name) if p.is_file()]
        if not found:
            found = sorted(root.rglob(name))
        if not found:
            raise FileNotFoundError(f"realdocs file {name} not found under {root}")
        files.append(found[0])
    return files


def realdocs_settings(
    base: Settings, items: list[GoldItem], progress: Progress | None = None
) -> tuple[Settings, str]:
    files = realdocs_files(items)
    key = hashlib.sha1("|".join(sorted(p.name for p in files)).encode()).hexdigest()[:10]
    settings = moved(base, cache_root() / f"realdocs-{_slug(base.embedder)}-{key}", collection="realdocs")
    info = build_index(settings, files, progress)
    return settings, f"{len(files)} real documents indexed in cache {settings.data_dir} ({info})"
