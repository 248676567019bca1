"""The catalog on PostgreSQL: documents, chunks, both keyword indexes (postings for BM25), runs, problems.

Revision ID: 0001_catalog
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_catalog"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYWORD_TABLES = ("catalog_chunk_terms", "catalog_chunk_bigrams")


def upgrade() -> None:
    op.create_table(
        "catalog_meta", sa.Column("key", sa.Text(), primary_key=True), sa.Column("value", sa.Text(), nullable=False)
    )
    op.create_table(
        "catalog_documents",
        sa.Column("doc_id", sa.Text(), primary_key=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("metadata", postgresql.JSONB(), nullable=False),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("pages_total", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_catalog_documents_path", "catalog_documents", ["path"])
    op.create_table(
        "catalog_chunks",
        sa.Column("rid", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("chunk_id", sa.Text(), nullable=False, unique=True),
        sa.Column("doc_id", sa.Text(), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("page", sa.Integer()),
        sa.Column("page_label", sa.Text()),
        sa.Column("section", sa.Text()),
    )
    op.create_index("ix_catalog_chunks_doc_id", "catalog_chunks", ["doc_id"])
    for name in KEYWORD_TABLES:
        op.create_table(
            name,
            sa.Column("term", sa.Text(), nullable=False),
            sa.Column("rid", sa.BigInteger(), sa.ForeignKey("catalog_chunks.rid", ondelete="CASCADE"), nullable=False),
            sa.Column("tf", sa.Integer(), nullable=False),
            sa.Column("dl", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("term", "rid", postgresql_include=["tf", "dl"]),
        )
        op.create_index(f"ix_{name}_rid", name, ["rid"])
    op.create_table(
        "catalog_keyword_stats",
        sa.Column("tbl", sa.Text(), primary_key=True),
        sa.Column("chunks", sa.BigInteger(), nullable=False),
        sa.Column("tokens", sa.BigInteger(), nullable=False),
    )
    op.execute("INSERT INTO catalog_keyword_stats VALUES ('chunk_terms', 0, 0), ('chunk_bigrams', 0, 0)")
    op.create_table(
        "catalog_problems",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("page", sa.Integer()),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("seen_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_catalog_problems_source", "catalog_problems", ["source"])
    op.create_table(
        "catalog_runs",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("started_at", sa.Float()),
        sa.Column("finished_at", sa.Float()),
        sa.Column("summary", postgresql.JSONB(), nullable=False),
    )


def downgrade() -> None:
    for name in ("catalog_runs", "catalog_problems", "catalog_keyword_stats", *KEYWORD_TABLES, "catalog_chunks",
                 "catalog_documents", "catalog_meta"):
        op.drop_table(name)
