"""Initial ticket desk schema: tickets, audit_events, feedback, advisors.

Revision ID: 0001_initial
Revises:
Create Date: 2026-05-20
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_initial"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("public_no", sa.String(32), nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("urgency", sa.String(8), nullable=False),
        sa.Column("category", sa.String(64), nullable=True),
        sa.Column("prefecture", sa.String(16), nullable=True),
        sa.Column("windows", JSONType, nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("sheet_json", JSONType, nullable=False),
        sa.Column("sheet_markdown", sa.Text(), nullable=False),
        sa.Column("contact", JSONType, nullable=True),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("assignee", sa.String(64), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("session_token_hash", sa.String(64), nullable=True),
        sa.CheckConstraint("status IN ('new', 'in_progress', 'done', 'forwarded')", name="ck_tickets_status"),
        sa.CheckConstraint("urgency IN ('high', 'medium', 'low')", name="ck_tickets_urgency"),
        sa.UniqueConstraint("public_no"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index("ix_tickets_status_created", "tickets", ["status", "created_at"])
    op.create_index("ix_tickets_created_at", "tickets", ["created_at"])
    op.create_index("ix_tickets_session_token_hash", "tickets", ["session_token_hash"])
    op.create_index("ix_tickets_category", "tickets", ["category"])
    op.create_index("ix_tickets_prefecture", "tickets", ["prefecture"])
    op.create_index("ix_tickets_assignee", "tickets", ["assignee"])

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="SET NULL"), nullable=True),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("detail", JSONType, nullable=False),
        sa.Column("at", UTC, nullable=False),
    )
    op.create_index("ix_audit_events_ticket_at", "audit_events", ["ticket_id", "at"])
    op.create_index("ix_audit_events_action", "audit_events", ["action"])
    op.create_index("ix_audit_events_at", "audit_events", ["at"])

    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_token_hash", sa.String(64), nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
    )
    op.create_index("ix_feedback_session_token_hash", "feedback", ["session_token_hash"])
    op.create_index("ix_feedback_created_at", "feedback", ["created_at"])

    op.create_table(
        "advisors",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(128), nullable=False),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("windows", JSONType, nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.UniqueConstraint("username"),
    )


def downgrade() -> None:
    op.drop_table("advisors")
    op.drop_table("feedback")
    op.drop_index("ix_audit_events_at", table_name="audit_events")
    op.drop_index("ix_audit_events_action", table_name="audit_events")
    op.drop_index("ix_audit_events_ticket_at", table_name="audit_events")
    op.drop_table("audit_events")
    for name in (
        "ix_tickets_assignee",
        "ix_tickets_prefecture",
        "ix_tickets_category",
        "ix_tickets_session_token_hash",
        "ix_tickets_created_at",
        "ix_tickets_status_created",
    ):
        op.drop_index(name, table_name="tickets")
    op.drop_table("tickets")
