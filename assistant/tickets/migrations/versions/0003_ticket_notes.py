"""Advisor notes become a thread (one row per note, author and time) instead of one overwritten text field.

Existing notes are moved into the thread as one note each, attributed to whoever last changed them according to the
audit trail (or 「移行前のメモ」 when the trail does not say), dated with the ticket's last change.

Revision ID: 0003_ticket_notes
Revises: 0002_audit_ticket_public_no
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_ticket_notes"
down_revision: str | Sequence[str] | None = "0002_audit_ticket_public_no"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)
LEGACY_AUTHOR = "移行前のメモ"


def upgrade() -> None:
    op.create_table(
        "ticket_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
    )
    op.create_index("ix_ticket_notes_ticket_created", "ticket_notes", ["ticket_id", "created_at"])
    op.execute(
        "INSERT INTO ticket_notes (ticket_id, author, body, created_at) "
        "SELECT t.id, COALESCE((SELECT a.actor FROM audit_events a WHERE a.ticket_id = t.id "
        f"AND a.action = 'notes_changed' ORDER BY a.at DESC, a.id DESC LIMIT 1), '{LEGACY_AUTHOR}'), "
        "t.notes, t.updated_at FROM tickets t WHERE t.notes <> ''"
    )
    # Not batch mode: on SQLite that would recreate ``tickets``, and dropping the old table would cascade into the
    # notes just copied. SQLite ≥ 3.35 and PostgreSQL both drop a plain column in place.
    op.drop_column("tickets", "notes")


def downgrade() -> None:
    """Back to one notes field per ticket; only the newest note of each thread fits there."""
    op.add_column("tickets", sa.Column("notes", sa.Text(), nullable=False, server_default=""))
    op.execute(
        "UPDATE tickets SET notes = COALESCE((SELECT n.body FROM ticket_notes n WHERE n.ticket_id = tickets.id "
        "ORDER BY n.created_at DESC, n.id DESC LIMIT 1), '')"
    )
    op.drop_index("ix_ticket_notes_ticket_created", table_name="ticket_notes")
    op.drop_table("ticket_notes")
