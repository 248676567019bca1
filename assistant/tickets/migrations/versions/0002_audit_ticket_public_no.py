"""Audit events carry the ticket's public number, so a ticket's trail survives its deletion by retention.

Revision ID: 0002_audit_ticket_public_no
Revises: 0001_initial
Create Date: 2026-05-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_audit_ticket_public_no"
down_revision: str | Sequence[str] | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("ticket_public_no", sa.String(32), nullable=True))
    op.create_index("ix_audit_events_ticket_public_no", "audit_events", ["ticket_public_no"])
    op.execute(
        "UPDATE audit_events SET ticket_public_no = "
        "(SELECT public_no FROM tickets WHERE tickets.id = audit_events.ticket_id) "
        "WHERE ticket_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_index("ix_audit_events_ticket_public_no")
        batch.drop_column("ticket_public_no")
