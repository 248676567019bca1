"""The PostgreSQL catalog's tables, and its migrations (Alembic, shipped in ``chizai/index/migrations``).

The catalog usually shares its database with the ticket desk, so every table is prefixed ``catalog_`` and Alembic
keeps the catalog's revision in its own version table: the two migration chains never see each other. Writers
(ingest) upgrade the schema on open, serialised by an advisory lock; readers (the app) only check it and tell the
operator to run ingest when it is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "catalog_alembic_version"
MIGRATION_LOCK_ID = 7_231_004_418  # the ticket desk's is …417

metadata = sa.MetaData()

sa.Table(
    "catalog_meta", metadata,
    sa.Column("key", sa.Text(), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
)
sa.Table(
    "catalog_documents", metadata,
    sa.Column("doc_id", sa.Text(), primary_key=True),
    sa.Column("source", sa.Text(), nullable=False),
    sa.Column("path", sa.Text(), nullable=False, index=True),
    sa.Column("content_hash", sa.Text(), nullable=False),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("metadata", postgresql.JSONB(), nullable=False),
    sa.Column("chunk_count", sa.Integer(), nullable=False),
    sa.Column("pages_total", sa.Integer(), nullable=False),
    sa.Column("updated_at", sa.Float(), nullable=False),
)
sa.Table(
    "catalog_chunks", metadata,
    sa.Column("rid", sa.BigInteger(), sa.Identity(), primary_key=True),
    sa.Column("chunk_id", sa.Text(), nullable=False, unique=True),
    sa.Column("doc_id", sa.Text(), nullable=False, index=True),
    sa.Column("idx", sa.Integer(), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("page", sa.Integer()),
    sa.Column("page_label", sa.Text()),
    sa.Column("section", sa.Text()),
)
for _name in ("catalog_chunk_terms", "catalog_chunk_bigrams"):
    # One row per (term, chunk): term frequency and the chunk's length in tokens, so BM25 reads nothing else;
    # the primary key carries both (INCLUDE) and a query is an index-only scan over its terms.
    sa.Table(
        _name, metadata,
        sa.Column("term", sa.Text(), nullable=False),
        sa.Column("rid", sa.BigInteger(), sa.ForeignKey("catalog_chunks.rid", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("tf", sa.Integer(), nullable=False),
        sa.Column("dl", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term", "rid", postgresql_include=["tf", "dl"]),
    )
sa.Table(
    "catalog_keyword_stats", metadata,
    sa.Column("tbl", sa.Text(), primary_key=True),
    sa.Column("chunks", sa.BigInteger(), nullable=False),
    sa.Column("tokens", sa.BigInteger(), nullable=False),
)
sa.Table(
    "catalog_problems", metadata,
    sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
    sa.Column("source", sa.Text(), nullable=False, index=True),
    sa.Column("page", sa.Integer()),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("seen_at", sa.Float(), nullable=False),
)
sa.Table(
    "catalog_runs", metadata,
    sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
    sa.Column("started_at", sa.Float()),
    sa.Column("finished_at", sa.Float()),
    sa.Column("summary", postgresql.JSONB(), nullable=False),
)


def ours(name: str | None) -> bool:
    """Tables of the catalog (for Alembic comparisons in a database the ticket desk shares)."""
    return bool(name) and (name or "").startswith("catalog_")


def alembic_config(connection: Any = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: sa.Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()


def migrate(engine: sa.Engine) -> str:
    """Upgrade the catalog schema to the newest revision; concurrent callers wait for each other."""
    from alembic import command

    with engine.connect() as conn, conn.begin():
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_ID})
        command.upgrade(alembic_config(conn), "head")
    return head_revision()
