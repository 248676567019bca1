"""Retention: `purge` deletes closed tickets and old feedback, keeps open tickets and the whole audit trail."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from assistant.tickets import TicketStore
from assistant.tickets.__main__ import main
from assistant.tickets.db import dispose_all, get_engine, head_revision, init_db
from assistant.tickets.models import AuditEvent, Feedback, Ticket, TicketNote
from assistant.tickets.retry import RetryPolicy
from chizai.settings import get_settings
from tests.assistant.tickets.clock import StillClock

FAST = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.01)
START = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'retention.sqlite3'}"
    dispose_all()


@pytest.fixture
def clock() -> StillClock:
    return StillClock(START)


@pytest.fixture
def store(url: str, clock: StillClock) -> TicketStore:
    return TicketStore(url, retry=FAST, clock=clock)


def submit(store: TicketStore, question: str, **kw: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {
        "question": question,
        "urgency": "low",
        "category": None,
        "prefecture": None,
        "windows": ["jpaa"],
        "contact": {"電話": "090-1234-5678"},
        "consent": True,
        "session_token": "sme-1",
    }
    args.update(kw)
    sheet = {"question": question, "conversation": [{"role": "user", "content": question}]}
    return store.create_ticket(sheet, f"> {question}", **args)  # type: ignore[arg-type]


def rows(store: TicketStore, model: type) -> list:  # type: ignore[type-arg]
    with store.db.session() as s:
        return list(s.scalars(select(model).order_by(model.id)))


def test_purge_deletes_only_closed_tickets_past_retention_and_keeps_the_trail(store: TicketStore, clock: StillClock) -> None:
    done_old = submit(store, "完了した古い相談")
    forwarded_old = submit(store, "転送した古い相談")
    open_old = submit(store, "対応中の古い相談")
    new_old = submit(store, "新規のまま古い相談")
    store.add_feedback(session_token="sme-1", question="古い評価", answer="A", score=1)
    clock.now = START + timedelta(days=1)
    store.update_ticket(done_old.id, "yamada", status="完了")
    store.add_note(done_old.id, "yamada", "折り返し済み 090-1234-5678")
    store.update_ticket(forwarded_old.id, "yamada", status="転送")
    store.update_ticket(open_old.id, "yamada", status="対応中")
    # Created long ago but closed recently: its 90 days start at closing.
    closed_late = submit(store, "最近完了した相談")
    clock.now = START + timedelta(days=80)
    store.update_ticket(closed_late.id, "sato", status="done")
    recent_feedback = store.add_feedback(session_token="sme-1", question="新しい評価", answer="A", score=5)

    clock.now = START + timedelta(days=92)
    dry = store.purge(90, dry_run=True)
    assert dry.dry_run and sorted(dry.public_nos) == sorted([done_old.public_no, forwarded_old.public_no])
    assert dry.feedback == 1 and dry.cutoff == clock.now - timedelta(days=90)
    assert len(rows(store, Ticket)) == 5 and len(rows(store, Feedback)) == 2  # a dry run deletes nothing
    trail_before = {e.id: (e.actor, e.action, e.at) for e in rows(store, AuditEvent)}

    report = store.purge(90, actor="cron")
    assert sorted(report.public_nos) == sorted(dry.public_nos) and report.feedback == 1
    assert {t.public_no for t in rows(store, Ticket)} == {open_old.public_no, new_old.public_no, closed_late.public_no}
    assert [f.id for f in rows(store, Feedback)] == [recent_feedback.id]
    assert rows(store, TicketNote) == []  # the purged ticket's notes went with it

    events = rows(store, AuditEvent)
    kept = {e.id: (e.actor, e.action, e.at) for e in events if e.id in trail_before}
    assert kept == trail_before  # no audit row deleted or rewritten (other than losing the ticket id)
    trail = store.audit_trail_by_public_no(done_old.public_no)
    assert [(e.actor, e.action) for e in trail] == [
        ("assistant", "created"),
        ("yamada", "status_changed"),
        ("yamada", "note_added"),
        ("cron", "purged"),
    ]
    assert all(e.ticket_id is None for e in trail)
    assert "090" not in repr([e.detail for e in events])  # the trail never held the notes' personal data
    [summary] = [e for e in events if e.action == "retention_purge"]
    assert summary.actor == "cron" and summary.at == clock.now
    assert summary.detail["tickets"] == 2 and summary.detail["feedback"] == 1 and summary.detail["retention_days"] == 90
    assert store.get_ticket_by_public_no(done_old.public_no) is None
    assert store.purge(90).public_nos == []  # nothing left to do

    # SQLite may hand a purged id to the next ticket: it must not inherit the purged ticket's trail.
    fresh = submit(store, "新しい相談", session_token="sme-2")
    assert [e.action for e in store.audit_trail(fresh.id)] == ["created"]


def test_purged_text_does_not_linger_in_the_sqlite_file(url: str, store: TicketStore, clock: StillClock) -> None:
    """Debian's SQLite zeroes deleted content by default; other builds rely on the store's secure_delete pragma."""
    marker = "消えるべき相談ゼブラ模様" * 20
    ticket = submit(store, marker)
    for i in range(30):  # enough rows that the purged ones free whole pages
        submit(store, f"残る相談 {i}", session_token=f"sme-{i}")
    store.update_ticket(ticket.id, "yamada", status="done")
    clock.now = START + timedelta(days=10)
    assert store.purge(5).public_nos == [ticket.public_no]
    with get_engine(url).connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    raw = Path(url.removeprefix("sqlite:///")).read_bytes()
    assert "残る相談 29".encode() in raw  # the file is readable as such …
    assert "ゼブラ模様".encode() not in raw  # … but the purged consultation is gone from it


def test_purge_refuses_zero_days(store: TicketStore) -> None:
    for days in (0, -3):
        with pytest.raises(ValueError, match="keep forever"):
            store.purge(days)


@pytest.fixture
def clean_settings() -> Iterator[None]:
    yield
    get_settings.cache_clear()  # the test changed CHIZAI_RETENTION_DAYS: later tests must not see it cached


def test_cli_purge_uses_days_setting_and_dry_run(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], clean_settings: None
) -> None:
    old = datetime.now(UTC) - timedelta(days=400)
    past = TicketStore(url, retry=FAST, clock=lambda: old)
    gone = submit(past, "一年以上前に完了")
    past.update_ticket(gone.id, "yamada", status="done")
    past.add_feedback(session_token=None, question="Q", answer="A", score=1)

    monkeypatch.delenv("CHIZAI_RETENTION_DAYS", raising=False)
    monkeypatch.setattr("chizai.settings.get_settings", _fresh_settings)
    assert main(["--url", url, "purge"]) == 0
    assert "何も削除しません" in capsys.readouterr().out
    monkeypatch.setenv("CHIZAI_RETENTION_DAYS", "0")
    assert main(["--url", url, "purge"]) == 0
    assert "何も削除しません" in capsys.readouterr().out

    assert main(["--url", url, "purge", "--days", "365", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "ドライラン" in out and "1 件" in out and gone.public_no in out
    assert TicketStore(url).get_ticket(gone.id) is not None

    monkeypatch.setenv("CHIZAI_RETENTION_DAYS", "365")
    assert main(["--url", url, "purge"]) == 0
    assert "削除しました: 完了・転送の相談票 1 件、評価 1 件" in capsys.readouterr().out
    assert TicketStore(url).get_ticket(gone.id) is None
    with pytest.raises(SystemExit):
        main(["--url", url, "purge", "--days", "0"])  # 0 on the command line is a typo, not "everything"


def _fresh_settings():  # type: ignore[no-untyped-def]
    get_settings.cache_clear()
    return get_settings()


def test_migration_backfills_public_numbers_of_existing_events(tmp_path: Path) -> None:
    """A database made by 0001 gets ticket_public_no filled in for its events when upgraded."""
    from alembic import command

    from assistant.tickets.db import alembic_config

    path = tmp_path / "old.sqlite3"
    url = f"sqlite:///{path}"
    command.upgrade(alembic_config(url), "0001_initial")
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO tickets (id, public_no, idempotency_key, created_at, updated_at, status, urgency, windows,"
        " question, sheet_json, sheet_markdown, consent, notes) VALUES"
        " (7, 'C-2025-ABCDEFGH', 'k', '2025-01-01', '2025-01-01', 'done', 'low', '[]', 'q', '{}', '', 0, '')"
    )
    conn.execute("INSERT INTO audit_events (ticket_id, actor, action, detail, at) VALUES (7, 'a', 'created', '{}', '2025-01-01')")
    conn.execute("INSERT INTO audit_events (ticket_id, actor, action, detail, at) VALUES (NULL, 'a', 'login', '{}', '2025-01-01')")
    conn.commit()
    conn.close()
    assert init_db(url) == head_revision()
    with get_engine(url).connect() as c:
        assert sorted(c.execute(select(AuditEvent.action, AuditEvent.ticket_public_no)).all()) == [
            ("created", "C-2025-ABCDEFGH"),
            ("login", None),
        ]
    dispose_all()
