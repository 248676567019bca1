"""SIGKILL the ingest process at seeded random points of a first ingest and of a re-ingest over changed files.

After every kill, each document must be served whole in its old version, whole in its new version, or not at
all — in the manifest, the catalog chunks, the BM25 (FTS5) rows and the Chroma vectors alike — and a plain
re-run must finish the job and collect the vectors the killed runs left behind.

The victim is the real ``python -m ingest`` code path (see ``ingest_victim.py``) with a hash embedder, so the
whole scenario (8 processes) stays well under a minute. ``CHIZAI_FAULT_SEED`` picks other kill points.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chizai.index.catalog import SqliteCatalog
from chizai.screening.detector import model_version
from chizai.settings import Settings
from chizai.text.tokenizer import get_tokenizer
from ingest.chunker import chunk_document
from ingest.loaders import load_file
from ingest.pipeline import _chroma_metadata, _dense_text, _fingerprint, _keyword_text, discover
from ingest.screen import drop_planted_lines
from tests.conftest import CORPUS_DOCS, REPO, make_settings
from tests.ingest.ingest_victim import EMBEDDER_NAME, KILL_POINTS, HashEmbeddings

SEED = int(os.environ.get("CHIZAI_FAULT_SEED", "20260520"))
DOCS = 9
EMBED_DELAY = 0.15  # seconds per document: room for the parent's own, asynchronous kill


@dataclass(frozen=True)
class Version:
    """What the index must hold for one version of one document."""

    fingerprint: str
    chunks: dict[str, tuple[str, str, tuple[float, ...], dict]]  # chunk id → (text, BM25 terms, vector, metadata)


def expected_versions(src: Path, settings: Settings) -> dict[str, Version]:
    """Run the pipeline's pure steps (load, screen, chunk, tokenise, embed) over the files as they are now."""
    embedder, tokenizer, screen = HashEmbeddings(), get_tokenizer(), model_version()
    out: dict[str, Version] = {}
    for file, source, _ in discover([src]):
        data = file.read_bytes()
        doc = load_file(file, source, int(settings.max_file_mb * 1024 * 1024))
        drop_planted_lines(doc)
        chunks = chunk_document(doc, settings.chunk_size, settings.chunk_overlap)
        vectors = embedder.embed_documents([_dense_text(doc, c) for c in chunks])
        out[doc.doc_id] = Version(
            _fingerprint(data, settings, EMBEDDER_NAME, screen),
            {
                c.chunk_id: (
                    c.text,
                    " ".join(tokenizer.tokens(_keyword_text(doc, c))),
                    tuple(v),
                    _chroma_metadata(doc, c),
                )
                for c, v in zip(chunks, vectors, strict=True)
            },
        )
    return out


def chroma_rows(settings: Settings) -> dict[str, tuple[np.ndarray, dict]]:
    """Every vector and its metadata, read by a fresh client (the killed process wrote behind our back)."""
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient
    from chromadb.config import Settings as ChromaSettings

    SharedSystemClient.clear_system_cache()
    client = chromadb.PersistentClient(path=str(settings.chroma_dir), settings=ChromaSettings(anonymized_telemetry=False))
    try:
        collection = client.get_collection(settings.collection)
    except Exception:  # noqa: BLE001 - killed before the collection existed
        return {}
    got = collection.get(include=["embeddings", "metadatas"])
    rows = {i: (np.asarray(e, dtype=np.float32), m) for i, e, m in zip(got["ids"], got["embeddings"], got["metadatas"], strict=True)}
    SharedSystemClient.clear_system_cache()
    return rows


def served_versions(settings: Settings, versions: dict[str, dict[str, Version]]) -> dict[str, str | None]:
    """Which version of each document the index serves; fails on anything partial or mixed.

    ``versions`` maps doc id → {"old"/"new": Version}. Orphan vectors (in Chroma, not in the catalog) are
    allowed: they are never served and the next run deletes them.
    """
    vectors = chroma_rows(settings)
    catalog = SqliteCatalog(settings.manifest_path, readonly=True)
    conn = catalog._conn
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        manifest = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT doc_id, content_hash, chunk_count FROM documents")}
        rows: dict[str, dict[str, tuple[str, str | None]]] = {}
        for doc_id, chunk_id, text, terms in conn.execute(
            "SELECT c.doc_id, c.chunk_id, c.text, t.terms FROM chunks c LEFT JOIN chunk_terms t ON t.rowid = c.rid"
        ):
            rows.setdefault(doc_id, {})[chunk_id] = (text, terms)
        stray_terms = conn.execute(
            "SELECT COUNT(*) FROM chunk_terms WHERE rowid NOT IN (SELECT rid FROM chunks)"
        ).fetchone()[0]
    finally:
        catalog.close()
    assert stray_terms == 0, "BM25 rows without a chunk"
    assert set(rows) <= set(manifest), f"chunks of documents missing from the manifest: {set(rows) - set(manifest)}"
    served: dict[str, str | None] = {}
    for doc_id, candidates in versions.items():
        if doc_id not in manifest:
            assert doc_id not in rows, f"{doc_id}: chunks without a manifest row"
            served[doc_id] = None
            continue
        content_hash, chunk_count = manifest[doc_id]
        matching = [name for name, v in candidates.items() if v.fingerprint == content_hash]
        assert matching, f"{doc_id}: manifest hash {content_hash} is neither the old nor the new version"
        name = matching[0]
        want = candidates[name]
        got = rows.get(doc_id, {})
        assert set(got) == set(want.chunks) and chunk_count == len(want.chunks), f"{doc_id}: chunk set of another version"
        for chunk_id, (text, terms, vector, meta) in want.chunks.items():
            assert got[chunk_id] == (text, terms), f"{doc_id}/{chunk_id}: text or BM25 terms of another version"
            assert chunk_id in vectors, f"{doc_id}/{chunk_id}: served chunk has no vector"
            stored, stored_meta = vectors[chunk_id]
            assert np.allclose(stored, np.asarray(vector, dtype=np.float32), atol=1e-5), f"{chunk_id}: vector of another version"
            assert stored_meta == meta, f"{chunk_id}: Chroma metadata of another version"
        served[doc_id] = name
    assert set(manifest) <= set(versions), f"unexpected documents {set(manifest) - set(versions)}"
    return served


class Victim:
    """Runs the ingest CLI in a child process, optionally killing it.

    ``write_batch`` is ``CHIZAI_INGEST_WRITE_BATCH``: 1 writes each document on its own, so kill counts are
    document counts; larger values put several documents in one write. ``env`` adds e.g. the PostgreSQL catalog
    and the Chroma server to write to.
    """

    def __init__(self, src: Path, data: Path, tmp: Path, write_batch: int = 1, env: dict[str, str] | None = None) -> None:
        self.src, self.data, self.tmp = src, data, tmp
        self.write_batch = write_batch
        self.extra_env = env or {}
        self.log: list[str] = []

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "CHIZAI_DATA_DIR": str(self.data),
            "CHIZAI_INGEST_WRITE_BATCH": str(self.write_batch),
            "CHIZAI_EMBED_DELAY": str(EMBED_DELAY),
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(REPO),
            **self.extra_env,
            **extra,
        }

    def start(self, *args: str, **extra: str) -> subprocess.Popen[bytes]:
        """A run in the background (its own process group; output appended to worker.log)."""
        with (self.tmp / "worker.log").open("ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "tests.ingest.ingest_victim", str(self.src), *args],
                env=self.env(**extra), cwd=self.tmp, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )

    def run(self, *args: str, kill_at: str | None = None) -> subprocess.CompletedProcess[str]:
        extra = {"CHIZAI_KILL_AT": kill_at} if kill_at else {}
        out = self.tmp / f"victim-{time.monotonic_ns()}.log"
        with out.open("w") as fh:  # a file, not a pipe: a lingering child must not make us wait for EOF
            proc = subprocess.Popen(
                [sys.executable, "-m", "tests.ingest.ingest_victim", str(self.src), *args],
                env=self.env(**extra),
                cwd=self.tmp,
                stdout=fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            rc = proc.wait(timeout=120)
        self.no_survivors(proc.pid)
        self.log.append(f"{kill_at or 'complete'} → rc {rc}")
        return subprocess.CompletedProcess(proc.args, rc, "", out.read_text(errors="replace"))

    def kill_after(self, documents: int, *args: str) -> int:
        """Start a run and SIGKILL it from outside once ``documents`` documents were embedded, plus a random pause."""
        progress = self.tmp / f"progress-{time.monotonic_ns()}"
        proc = self.start(*args, CHIZAI_PROGRESS_FILE=str(progress))
        deadline = time.monotonic() + 90
        while proc.poll() is None and time.monotonic() < deadline:
            if progress.exists() and len(progress.read_text().splitlines()) >= documents:
                break
            time.sleep(0.005)
        time.sleep(random.Random(SEED + documents).uniform(0, EMBED_DELAY * 0.8))  # not long enough to finish
        proc.send_signal(signal.SIGKILL)
        rc = proc.wait(timeout=30)
        self.no_survivors(proc.pid)
        self.log.append(f"external after {documents} documents → rc {rc}")
        return rc

    @staticmethod
    def no_survivors(group: int) -> None:
        """Nothing the ingest process started (e.g. its file-reader worker) may outlive it."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        os.killpg(group, signal.SIGKILL)
        raise AssertionError("a child process of the ingest outlived it by 10 s (killed now)")


def _change(src: Path) -> tuple[list[str], str]:
    """Make a re-ingest with an old version: append to some, shrink one, retitle one, recategorise one, remove one."""
    files = sorted(src.glob("*.md"))
    for path in files[1:4]:
        path.write_text(path.read_text(encoding="utf-8") + "\n## 追記\nゼブラ模様の金型についての追記です。\n", encoding="utf-8")
    shrink = files[4]
    text = shrink.read_text(encoding="utf-8")
    shrink.write_text(text[: len(text) // 2] + "\n", encoding="utf-8")  # fewer chunks: stale vectors to delete
    retitle = files[5]
    lines = retitle.read_text(encoding="utf-8").splitlines(keepends=True)
    retitle.write_text("".join("title: 改題された資料\n" if ln.startswith("title:") else ln for ln in lines), encoding="utf-8")
    files[6].unlink()  # pruned by the re-ingest
    recategorise = files[7]  # same text, so the same chunk ids: only the metadata Chroma filters on changes
    lines = recategorise.read_text(encoding="utf-8").splitlines(keepends=True)
    recategorise.write_text("".join("category: dispute\n" if ln.startswith("category:") else ln for ln in lines), encoding="utf-8")
    return [p.stem for p in (*files[1:6], files[7])], files[6].stem


def test_sigkill_at_random_points_never_serves_a_partial_document(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    src = tmp_path / "docs"
    src.mkdir()
    for path in sorted(CORPUS_DOCS.glob("*.md"))[:DOCS]:
        (src / path.name).write_bytes(path.read_bytes())
    data = tmp_path / "data"
    settings = make_settings(data)
    victim = Victim(src, data, tmp_path)
    versions = {doc_id: {"old": v} for doc_id, v in expected_versions(src, settings).items()}
    started = time.monotonic()

    # First ingest (no old version yet): one kill inside the pipeline, one from outside at a random moment.
    run = victim.run(kill_at=f"{rng.choice(KILL_POINTS[:4])}:{rng.randint(2, DOCS - 2)}")
    assert run.returncode == -signal.SIGKILL, (victim.log, run.stderr[-2000:])
    served = served_versions(settings, versions)
    assert 0 < sum(v is not None for v in served.values()) < DOCS, (victim.log, served)
    remaining = sum(v is None for v in served.values())
    assert victim.kill_after(rng.randint(1, remaining - 1)) == -signal.SIGKILL, victim.log
    served_versions(settings, versions)
    complete = victim.run()
    assert complete.returncode == 0, complete.stderr[-2000:]
    assert set(served_versions(settings, versions).values()) == {"old"}

    # Re-ingest over changed files: both versions exist, every kill must leave each document in one of them.
    changed, removed = _change(src)
    for doc_id, v in expected_versions(src, settings).items():
        versions[doc_id]["new"] = v
    untouched = {d for d in versions if d not in changed and d != removed}
    assert all(versions[d]["new"] == versions[d]["old"] for d in untouched)
    mixed = False

    def check() -> list[str]:
        """Assert consistency; return the changed documents still served in their old version."""
        nonlocal mixed
        served = served_versions(settings, versions)
        assert all(served[d] == "old" for d in untouched), served
        mixed |= {served[d] for d in changed} == {"old", "new"}
        return [d for d in changed if served[d] == "old"]

    assert victim.kill_after(rng.randint(1, 2), "--prune") == -signal.SIGKILL, victim.log
    pending = check()
    first, second = rng.sample(["embed", "after_upsert", "mid_swap", "after_swap"], 2)
    for point, nth in ((first, rng.randint(1, max(1, len(pending) - 1))), (second, None), ("after_prune", 1)):
        run = victim.run("--prune", kill_at=f"{point}:{nth or rng.randint(1, len(pending))}")
        assert run.returncode == -signal.SIGKILL, (victim.log, run.stderr[-2000:])
        pending = check()
    assert mixed, f"no kill left old and new versions side by side: {victim.log}"
    assert served_versions(settings, versions)[removed] is None  # pruned from the catalog, vectors still there

    final = victim.run("--prune")
    assert final.returncode == 0, final.stderr[-2000:]
    served = served_versions(settings, versions)
    assert all(served[d] == "new" for d in changed) and all(served[d] == "old" for d in untouched)
    catalog = SqliteCatalog(settings.manifest_path, readonly=True)
    assert set(chroma_rows(settings)) == catalog.chunk_ids(), "vectors left behind by the killed runs"
    catalog.close()
    print(f"\nseed {SEED}: {'; '.join(victim.log)} ({time.monotonic() - started:.1f}s)")


def test_sigkill_inside_a_batched_write_never_serves_a_partial_document(tmp_path: Path) -> None:
    """Several documents per write: killed after their shared upsert, inside a swap and after one, every document
    is whole in its one version or absent, and a plain re-run completes and collects the orphan vectors."""
    src = tmp_path / "docs"
    src.mkdir()
    for path in sorted(CORPUS_DOCS.glob("*.md"))[:DOCS]:
        (src / path.name).write_bytes(path.read_bytes())
    settings = make_settings(tmp_path / "data")
    victim = Victim(src, settings.data_dir, tmp_path, write_batch=12)
    versions = {doc_id: {"old": v} for doc_id, v in expected_versions(src, settings).items()}
    for point in ("after_upsert:2", "mid_swap:2", "after_swap:1"):
        run = victim.run(kill_at=point)
        assert run.returncode == -signal.SIGKILL, (victim.log, run.stderr[-2000:])
        served = served_versions(settings, versions)
    assert 0 < sum(v is not None for v in served.values()) < DOCS, (victim.log, served)
    assert victim.run().returncode == 0
    assert set(served_versions(settings, versions).values()) == {"old"}
    catalog = SqliteCatalog(settings.manifest_path, readonly=True)
    assert set(chroma_rows(settings)) == catalog.chunk_ids(), "vectors left behind by the killed runs"
    catalog.close()
