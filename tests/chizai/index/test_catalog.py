"""The served catalog must not keep one SQLite connection per finished thread.

Streamlit runs every script rerun in a new thread; before the fix each answer left an open connection behind
(three file descriptors and a page cache each), so a long-running app ran out of descriptors. Found by
``make load`` (open fds grew by three per answer).
"""

from __future__ import annotations

import os
import threading

from chizai.index.catalog import SqliteCatalog
from tests.chizai.index.claims import check_claims


def _fds() -> int:
    return len(os.listdir(f"/proc/{os.getpid()}/fd")) if os.path.isdir(f"/proc/{os.getpid()}/fd") else -1


def test_connections_of_finished_threads_are_closed(tmp_path):
    path = tmp_path / "manifest.sqlite3"
    SqliteCatalog(path).close()  # creates the schema
    catalog = SqliteCatalog(path, readonly=True)
    results: list[int] = []

    def one_rerun() -> None:
        results.append(catalog.counts()["documents"])

    first = threading.Thread(target=one_rerun)
    first.start()
    first.join()
    fds_after_one = _fds()
    for _ in range(60):
        t = threading.Thread(target=one_rerun)
        t.start()
        t.join()
    assert results == [0] * 61
    assert catalog.open_connections <= 2  # the last thread's, at most one more
    if fds_after_one >= 0:
        assert _fds() <= fds_after_one + 3
    catalog.close()
    assert catalog.open_connections == 0


def test_live_threads_keep_their_connection(tmp_path):
    path = tmp_path / "manifest.sqlite3"
    SqliteCatalog(path).close()
    catalog = SqliteCatalog(path, readonly=True)
    ready, done = threading.Event(), threading.Event()
    seen: list[object] = []

    def long_run() -> None:
        seen.append(catalog._conn)
        ready.set()
        done.wait(10)
        seen.append(catalog._conn)
        seen.append(catalog.counts()["documents"])  # still usable after other threads came and went

    worker = threading.Thread(target=long_run)
    worker.start()
    ready.wait(10)
    for _ in range(5):
        t = threading.Thread(target=lambda: catalog.counts())
        t.start()
        t.join()
    done.set()
    worker.join()
    assert seen[0] is seen[1] and seen[2] == 0
    catalog.close()


def test_an_index_without_the_bigram_leg_gets_it_from_its_chunks(tmp_path) -> None:
    """Schema 1 indexes (before the bigram leg) are upgraded on open, without re-embedding anything."""
    from chizai.index.catalog import SqliteCatalog
    from chizai.index.model import Chunk, Section

    path = tmp_path / "manifest.sqlite3"
    catalog = SqliteCatalog(path)
    chunk = Chunk("c1", "doc", "マドプロで国際登録を出願する", 0, Section("マドプロで国際登録を出願する"), {})
    catalog.replace_document(doc_id="doc", source="d.md", path="d.md", content_hash="h", title="国際出願",
                             metadata={"keywords": ["マドリッド"]}, pages_total=1, chunks=[chunk], terms=[["マドプロ"]])
    with catalog.transaction() as conn:
        conn.execute("DROP TABLE chunk_bigrams")
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema', '1')")
    catalog.close()
    upgraded = SqliteCatalog(path, readonly=True)
    assert upgraded.keyword_search(["マド", "ドプ", "プロ"], 5, table="chunk_bigrams")[0][0] == "c1"
    assert upgraded.get_meta("schema") == "2"


def test_claims_serialise_threads_and_processes_and_die_with_their_process(tmp_path) -> None:
    """Two ingest workers on one SQLite index take turns per document; a killed worker's claim is released."""
    path = tmp_path / "manifest.sqlite3"
    catalog = SqliteCatalog(path)
    check_claims(catalog, f"from pathlib import Path\nfrom chizai.index.catalog import SqliteCatalog\nc = SqliteCatalog(Path({str(path)!r}))")
    catalog.close()


def test_fetched_chunks_do_not_share_a_metadata_object(tmp_path) -> None:
    """Metadata is parsed once per document version (a cache), yet every chunk gets a dict of its own."""
    from chizai.index.model import Chunk, Section

    catalog = SqliteCatalog(tmp_path / "manifest.sqlite3")
    chunks = [Chunk(f"c{i}", "doc", f"本文{i}", i, Section(f"本文{i}"), {}) for i in range(2)]
    catalog.replace_document(doc_id="doc", source="d.md", path="d.md", content_hash="h", title="題名",
                             metadata={"category": "patent"}, pages_total=1, chunks=chunks, terms=[["本文"], ["本文"]])
    first = catalog.fetch_chunks(["c0", "c1"])
    first["c0"].metadata["category"] = "changed"
    assert first["c1"].metadata["category"] == "patent"
    assert catalog.fetch_chunks(["c0"])["c0"].metadata == {"category": "patent"}
    catalog.close()
