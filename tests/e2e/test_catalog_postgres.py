"""The PostgreSQL catalog against a real server: schema under Alembic, the same keyword ranking as SQLite FTS5,
statistics that follow swaps and deletes, and per-document claims between threads and processes."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest

from chizai.index.catalog import SqliteCatalog
from chizai.index.catalog_base import IndexMissingError
from chizai.index.pg_catalog import PostgresCatalog
from chizai.text.bigrams import bigrams
from chizai.text.tokenizer import get_tokenizer
from ingest.chunker import chunk_document
from ingest.loaders import load_file
from ingest.pipeline import _keyword_text
from tests.chizai.index.claims import check_claims
from tests.conftest import CORPUS_DOCS
from tests.servers import PgServer

pytestmark = pytest.mark.e2e
QUESTIONS = (
    "営業秘密の3要件を教えて", "マドプロで海外に商標を出したい", "J-PlatPat で先行技術を調べる", "特許の費用を減らす制度",
    "警告書が届いたらどうする", "地域団体商標", "PCT 国際出願の期限は？", "職務発明の対価",
)


@pytest.fixture
def pg_url(pg: PgServer) -> str:
    return pg.create_database(f"c_{uuid.uuid4().hex[:10]}")


def _fill(catalogs: list, docs: int = 12) -> list[str]:
    """The same documents, chunked and tokenised as ingest does, into every catalog; returns their ids."""
    tokenizer, ids = get_tokenizer(), []
    for path in sorted(CORPUS_DOCS.glob("*.md"))[:docs]:
        doc = load_file(path, path.name, 1 << 22)
        chunks = chunk_document(doc, 400, 80)
        terms = [tokenizer.tokens(_keyword_text(doc, c)) for c in chunks]
        for catalog in catalogs:
            catalog.replace_document(doc_id=doc.doc_id, source=doc.source, path=str(path), content_hash="h1",
                                     title=doc.title, metadata=doc.metadata, pages_total=1, chunks=chunks, terms=terms)
        ids.append(doc.doc_id)
    return ids


def _legs(question: str) -> dict[str, list[str]]:
    return {"chunk_terms": get_tokenizer().tokens(question), "chunk_bigrams": bigrams(question)}


def _assert_same_ranking(sqlite: SqliteCatalog, pg: PostgresCatalog, doc_ids: set[str] | None = None) -> None:
    for question in QUESTIONS:
        for table, words in _legs(question).items():
            # (SQLite filters the best 5 × limit; over this small corpus a large limit makes that exact)
            want = sqlite.keyword_search(words, 1000 if doc_ids else 20, doc_ids, table=table)[:20]
            got = pg.keyword_search(words, 20, doc_ids, table=table)
            assert [c for c, _ in got[:5]] == [c for c, _ in want[:5]], (question, table)
            for (_, a), (_, b) in zip(got, want, strict=False):
                assert a == pytest.approx(b, rel=1e-6), (question, table)


def test_schema_is_migrated_once_and_matches_the_tables(pg_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from chizai.index import pg_schema

    with pytest.raises(IndexMissingError, match="python -m ingest"):
        PostgresCatalog(pg_url, readonly=True)
    writers = [threading.Thread(target=lambda: PostgresCatalog(pg_url).close()) for _ in range(3)]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    catalog = PostgresCatalog(pg_url, readonly=True)
    assert pg_schema.current_revision(catalog.engine) == pg_schema.head_revision()
    with catalog.engine.connect() as conn:
        opts = {"version_table": pg_schema.VERSION_TABLE, "include_name": lambda n, t, _: t != "table" or pg_schema.ours(n)}
        assert compare_metadata(MigrationContext.configure(conn, opts=opts), pg_schema.metadata) == []
    catalog.close()


def test_bm25_ranks_and_scores_like_sqlite_fts5(pg_url: str, tmp_path: Path) -> None:
    sqlite, pg = SqliteCatalog(tmp_path / "m.sqlite3"), PostgresCatalog(pg_url)
    ids = _fill([sqlite, pg])
    _assert_same_ranking(sqlite, pg)
    _assert_same_ranking(sqlite, pg, set(ids[:4]))
    assert pg.counts() == sqlite.counts() and pg.chunk_ids() == sqlite.chunk_ids()
    # Statistics follow replacements and deletions: a new version of one document, another one gone.
    first = sorted(CORPUS_DOCS.glob("*.md"))[0]
    doc = load_file(first, first.name, 1 << 22)
    chunks = chunk_document(doc, 200, 40)
    terms = [get_tokenizer().tokens(_keyword_text(doc, c)) for c in chunks]
    for catalog in (sqlite, pg):
        catalog.replace_document(doc_id=doc.doc_id, source=doc.source, path=str(first), content_hash="h2",
                                 title=doc.title, metadata=doc.metadata, pages_total=1, chunks=chunks, terms=terms)
        catalog.delete_document(ids[1])
        catalog.update_metadata(ids[2], {"duplicate_of": ids[3], "category": "dispute"})
    _assert_same_ranking(sqlite, pg)
    assert pg.documents()[1]["metadata"]["duplicate_of"] == ids[3]
    stored = pg.document_chunks(doc.doc_id)
    assert [c.chunk_id for c in stored] == [c.chunk_id for c in chunks] == [c.chunk_id for c in sqlite.document_chunks(doc.doc_id)]
    assert pg.documents() == [{**d, "updated_at": p["updated_at"]} for d, p in zip(sqlite.documents(), pg.documents(), strict=True)]
    with pytest.raises(ValueError, match="unknown keyword index"):
        pg.keyword_search(["x"], 5, table="chunks")
    sqlite.close()
    pg.close()


def test_claims_serialise_threads_and_die_with_their_process(pg_url: str) -> None:
    catalog = PostgresCatalog(pg_url)
    check_claims(catalog, f"from chizai.index.pg_catalog import PostgresCatalog\nc = PostgresCatalog({pg_url!r})")
    catalog.close()
