"""Ingest workers on the PostgreSQL catalog and a ``chroma run`` server: SIGKILL mid-document, two workers on the
same folder at once, and a PostgreSQL restart mid-ingest. After each, every document is served whole in its old
version, whole in its new version, or not at all — manifest, chunks, both keyword indexes, their statistics and
the vectors alike — and nothing is stored twice.

The workers are the real ``python -m ingest`` (tests/ingest/ingest_victim.py: a hash embedder, kill points).
"""

from __future__ import annotations

import signal
import time
import uuid
from collections import Counter
from pathlib import Path

import numpy as np
import psycopg
import pytest

from chizai.index.pg_keyword import postings
from tests.conftest import CORPUS_DOCS
from tests.ingest.test_pipeline_faults import DOCS, Version, Victim, _change, expected_versions
from tests.servers import ChromaServer, PgServer

pytestmark = pytest.mark.e2e


class Setup:
    """One database and one Chroma collection of the shared servers, a folder of documents, the victim."""

    def __init__(self, pg: PgServer, chroma: ChromaServer, tmp: Path) -> None:
        self.url = pg.create_database(f"i_{uuid.uuid4().hex[:10]}")
        self.chroma_port = chroma.port
        self.collection = f"c{uuid.uuid4().hex[:10]}"
        self.src = tmp / "docs"
        self.src.mkdir()
        for path in sorted(CORPUS_DOCS.glob("*.md"))[:DOCS]:
            (self.src / path.name).write_bytes(path.read_bytes())
        self.victim = Victim(self.src, tmp / "data", tmp, env={
            "CHIZAI_INDEX_URL": self.url,
            "CHIZAI_CHROMA_URL": f"http://127.0.0.1:{chroma.port}",
            "CHIZAI_COLLECTION": self.collection,
        })
        from tests.conftest import make_settings

        self.settings = make_settings(tmp / "data")

    def vectors(self) -> dict[str, tuple[np.ndarray, dict]]:
        import chromadb

        client = chromadb.HttpClient(host="127.0.0.1", port=self.chroma_port)
        try:
            got = client.get_collection(self.collection).get(include=["embeddings", "metadatas"])
        except Exception:  # noqa: BLE001 - killed before the collection existed
            return {}
        return {i: (np.asarray(e, dtype=np.float32), m)
                for i, e, m in zip(got["ids"], got["embeddings"], got["metadatas"], strict=True)}

    def rows(self) -> tuple[dict, dict, dict]:
        """(documents, chunks by doc, keyword postings by chunk and index) as stored, checking the statistics."""
        with psycopg.connect(self.url.replace("+psycopg", "")) as conn:
            docs = {d: (h, n) for d, h, n in conn.execute("SELECT doc_id, content_hash, chunk_count FROM catalog_documents")}
            chunks: dict[str, dict[str, str]] = {}
            for doc_id, chunk_id, text in conn.execute("SELECT doc_id, chunk_id, text FROM catalog_chunks"):
                chunks.setdefault(doc_id, {})[chunk_id] = text
            keyword: dict[tuple[str, str], Counter] = {}
            for table in ("terms", "bigrams"):
                for chunk_id, term, tf in conn.execute(
                    f"SELECT c.chunk_id, p.term, p.tf FROM catalog_chunk_{table} p JOIN catalog_chunks c USING (rid)"
                ):
                    keyword.setdefault((chunk_id, table), Counter())[term] = tf
                stats = conn.execute("SELECT chunks, tokens FROM catalog_keyword_stats WHERE tbl = %s", (f"chunk_{table}",)).fetchone()
                total = conn.execute(f"SELECT (SELECT count(*) FROM catalog_chunks), coalesce(sum(dl), 0) FROM "
                                     f"(SELECT DISTINCT rid, dl FROM catalog_chunk_{table}) x").fetchone()
                assert tuple(stats) == tuple(total), f"{table}: statistics {stats} drifted from the rows {total}"
        return docs, chunks, keyword

    def served(self, versions: dict[str, dict[str, Version]]) -> dict[str, str | None]:
        """Which version of each document is served; fails on anything partial, mixed or doubled."""
        vectors = self.vectors()
        docs, chunks, keyword = self.rows()
        assert set(chunks) <= set(docs), f"chunks without a manifest row: {set(chunks) - set(docs)}"
        assert set(docs) <= set(versions), f"unexpected documents {set(docs) - set(versions)}"
        served: dict[str, str | None] = {}
        for doc_id, candidates in versions.items():
            if doc_id not in docs:
                served[doc_id] = None
                continue
            name = next((n for n, v in candidates.items() if v.fingerprint == docs[doc_id][0]), None)
            assert name, f"{doc_id}: manifest hash is neither the old nor the new version"
            want = candidates[name]
            assert set(chunks.get(doc_id, {})) == set(want.chunks) and docs[doc_id][1] == len(want.chunks), doc_id
            for chunk_id, (text, terms, vector, meta) in want.chunks.items():
                assert chunks[doc_id][chunk_id] == text, f"{chunk_id}: text of another version"
                assert keyword.get((chunk_id, "terms"), Counter()) == postings(terms.split())[0], f"{chunk_id}: terms"
                assert (chunk_id, "bigrams") in keyword, f"{chunk_id}: no bigram rows"
                stored = vectors.get(chunk_id)
                assert stored is not None, f"{chunk_id}: served chunk has no vector"
                assert np.allclose(stored[0], np.asarray(vector, dtype=np.float32), atol=1e-5) and stored[1] == meta
            served[doc_id] = name
        return served


@pytest.fixture
def setup(pg: PgServer, chroma: ChromaServer, tmp_path: Path) -> Setup:
    return Setup(pg, chroma, tmp_path)


def test_sigkill_mid_document_leaves_old_new_or_absent(setup: Setup) -> None:
    versions = {d: {"old": v} for d, v in expected_versions(setup.src, setup.settings).items()}
    victim = setup.victim
    assert victim.run(kill_at="mid_swap:3").returncode == -signal.SIGKILL, victim.log
    served = setup.served(versions)
    assert sum(v is not None for v in served.values()) == 2, served  # the third died inside its transaction
    assert victim.run().returncode == 0
    assert set(setup.served(versions).values()) == {"old"}

    changed, removed = _change(setup.src)
    for doc_id, v in expected_versions(setup.src, setup.settings).items():
        versions[doc_id]["new"] = v
    for point in ("mid_swap:2", "after_prune:1"):
        assert victim.run("--prune", kill_at=point).returncode == -signal.SIGKILL, victim.log
        served = setup.served(versions)
    assert served[removed] is None and {served[d] for d in changed} == {"new"}
    assert victim.run("--prune").returncode == 0
    assert set(setup.vectors()) == {c for d in setup.rows()[1].values() for c in d}, "vectors left behind"


def test_two_workers_on_one_folder_ingest_each_document_once(setup: Setup) -> None:
    versions = {d: {"old": v} for d, v in expected_versions(setup.src, setup.settings).items()}
    procs = [setup.victim.start() for _ in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    assert set(setup.served(versions).values()) == {"old"}
    with psycopg.connect(setup.url.replace("+psycopg", "")) as conn:
        runs = [s for (s,) in conn.execute("SELECT summary FROM catalog_runs")]
    assert len(runs) == 2 and sum(r["ingested"] for r in runs) == DOCS, runs  # the later one found them unchanged
    assert set(setup.vectors()) == {c for d in setup.rows()[1].values() for c in d}


def test_postgres_restart_mid_ingest_is_ridden_out(setup: Setup, pg: PgServer) -> None:
    versions = {d: {"old": v} for d, v in expected_versions(setup.src, setup.settings).items()}
    progress = setup.victim.tmp / "progress"
    proc = setup.victim.start(CHIZAI_PROGRESS_FILE=str(progress))
    deadline = time.monotonic() + 60
    while not (progress.exists() and len(progress.read_text().splitlines()) >= 3) and time.monotonic() < deadline:
        time.sleep(0.01)
    pg.stop("immediate")
    time.sleep(1.0)
    pg.start()
    assert proc.wait(timeout=120) == 0, (setup.victim.tmp / "worker.log").read_text()[-3000:]
    assert set(setup.served(versions).values()) == {"old"}
