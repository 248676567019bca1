"""0003: the one overwritable notes field of each ticket becomes the first note of its thread, nothing else moves."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from sqlalchemy import inspect, select

from assistant.tickets import TicketStore
from assistant.tickets.db import alembic_config, dispose_all, get_engine, head_revision, init_db
from assistant.tickets.models import AuditEvent, TicketNote

OLD_TICKET = (
    "INSERT INTO tickets (id, public_no, idempotency_key, created_at, updated_at, status, urgency, windows,"
    " question, sheet_json, sheet_markdown, consent, notes) VALUES"
    " (?, ?, ?, '2025-01-01 00:00:00', ?, 'in_progress', 'low', '[]', 'q', '{}', '', 0, ?)"
)


def test_notes_move_into_the_thread_with_their_author(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    url = f"sqlite:///{path}"
    command.upgrade(alembic_config(url), "0002_audit_ticket_public_no")
    conn = sqlite3.connect(path)
    conn.execute(OLD_TICKET, (1, "C-2025-AAAAAAAA", "k1", "2025-01-03 00:00:00", "折り返し済み"))
    conn.execute(OLD_TICKET, (2, "C-2025-BBBBBBBB", "k2", "2025-01-02 00:00:00", ""))
    conn.execute(OLD_TICKET, (3, "C-2025-CCCCCCCC", "k3", "2025-01-02 00:00:00", "誰が書いたか不明"))
    for actor, at in (("sato", "2025-01-02 00:00:00"), ("yamada", "2025-01-03 00:00:00")):
        conn.execute(
            "INSERT INTO audit_events (ticket_id, ticket_public_no, actor, action, detail, at)"
            " VALUES (1, 'C-2025-AAAAAAAA', ?, 'notes_changed', '{}', ?)",
            (actor, at),
        )
    conn.commit()
    conn.close()

    assert init_db(url) == head_revision() == "0003_ticket_notes"
    engine = get_engine(url)
    assert "notes" not in {c["name"] for c in inspect(engine).get_columns("tickets")}
    with engine.connect() as c:
        notes = c.execute(select(TicketNote.ticket_id, TicketNote.author, TicketNote.body).order_by(TicketNote.id))
        assert notes.all() == [(1, "yamada", "折り返し済み"), (3, "移行前のメモ", "誰が書いたか不明")]
        assert len(c.execute(select(AuditEvent.id).where(AuditEvent.ticket_id == 1)).all()) == 2  # trail untouched
    store = TicketStore(url)
    assert store.get_ticket(1).status == "in_progress"  # type: ignore[union-attr]
    assert store.notes([1])[1][0].created_at.isoformat() == "2025-01-03T00:00:00+00:00"

    command.downgrade(alembic_config(url), "0002_audit_ticket_public_no")
    dispose_all()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT id, notes FROM tickets ORDER BY id").fetchall() == [
        (1, "折り返し済み"),
        (2, ""),
        (3, "誰が書いたか不明"),
    ]
    conn.close()
    dispose_all()
