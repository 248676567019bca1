"""The ticket store against a real PostgreSQL server: migrations, concurrency, and a restart mid-run.

The server is the suite's throw-away cluster (``pg`` in tests/e2e/conftest.py, see tests/servers.py).
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import func, select

from assistant.tickets import AdvisorAuth, TicketFilters, TicketStore
from assistant.tickets.db import get_engine, head_revision, init_db
from assistant.tickets.models import Base, Ticket
from tests.assistant.tickets.stress import run_concurrent, sample_sheet
from tests.servers import PgServer

pytestmark = pytest.mark.e2e


@pytest.fixture
def pg_url(pg: PgServer) -> str:
    url = pg.create_database(f"t_{uuid.uuid4().hex[:10]}")
    init_db(url)
    return url


def _count(url: str) -> int:
    with get_engine(url).connect() as conn:
        return int(conn.scalar(select(func.count(Ticket.id))) or 0)


def test_migrations_match_models_and_are_repeatable(pg_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    assert init_db(pg_url) == head_revision()  # second run: nothing to do
    with get_engine(pg_url).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_concurrent_migrations_do_not_collide(pg: PgServer) -> None:
    url = pg.create_database(f"t_{uuid.uuid4().hex[:10]}")
    errors: list[BaseException] = []

    def migrate() -> None:
        try:
            init_db(url)
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=migrate) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_store_roundtrip_on_postgres(pg_url: str) -> None:
    store = TicketStore(pg_url)
    sheet, md = sample_sheet("pg", 0)
    t = store.create_ticket(
        sheet,
        md,
        question="社名を変えたい 商標",
        urgency="high",
        category="trademark",
        prefecture="大阪府",
        windows=["jpo-ip-hotline", "chamber-local"],
        contact={"電話": "06-0000-0000"},
        consent=True,
        session_token="tok-a",
        idempotency_key="k-1",
    )
    assert t.created_at.tzinfo is not None
    assert store.list_tickets(TicketFilters(window="chamber-local")).total == 1
    assert store.list_tickets(TicketFilters(window=["nope", "jpo-ip-hotline"])).total == 1
    assert store.list_tickets(TicketFilters(window="chamber")).total == 0  # exact id, not substring
    assert store.list_tickets(TicketFilters(text="商標 社名")).total == 1
    assert store.list_tickets(TicketFilters(text="100%")).total == 0
    AdvisorAuth(store, rounds=4).create_advisor("yamada", "correct horse battery")  # assignees are accounts
    store.update_ticket(t.id, "yamada", status="対応中", assignee="yamada")
    store.add_note(t.id, "yamada", "折り返し済み")
    assert [e.action for e in store.audit_trail(t.id)] == ["created", "status_changed", "assignee_changed", "note_added"]
    assert store.list_tickets(TicketFilters(text="折り返し")).total == 1  # notes are searched on PostgreSQL too
    assert store.get_ticket(t.id).contact == {"電話": "06-0000-0000"}
    assert [x.id for x in store.tickets_for_session("tok-a")] == [t.id]
    assert store.tickets_for_session("tok-b") == []


def test_concurrent_submissions_threads_and_processes(pg_url: str) -> None:
    report = run_concurrent(pg_url, threads=8, processes=4, per_worker=25)
    assert report.errors == []
    assert len(report.acknowledged) == 300
    assert report.expected_ok
    with get_engine(pg_url).connect() as conn:
        keys = list(conn.scalars(select(Ticket.idempotency_key)))
    assert len(keys) == 300 and len(set(keys)) == 300
    assert {k for k, _ in report.acknowledged} == set(keys)
    print(f"\npostgres: 300 tickets from 8 threads + 4 processes in {report.seconds:.2f}s")


def test_same_key_from_many_threads_stores_one_ticket(pg_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    store = TicketStore(pg_url, migrate=False)
    sheet, md = sample_sheet("dup", 0)

    def submit(_: int) -> int:
        return store.create_ticket(
            sheet,
            md,
            question="二重送信",
            urgency="low",
            category=None,
            prefecture=None,
            windows=[],
            contact=None,
            consent=False,
            session_token="same-user",
            idempotency_key="double-click",
        ).id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(submit, range(32)))
    assert len(ids) == 1
    assert _count(pg_url) == 1


def test_restart_mid_run_keeps_every_acknowledged_ticket_once(pg: PgServer, pg_url: str) -> None:
    """Writers keep submitting while the server is stopped (immediate = crash-like) and started again.

    A writer behaves like the chat client: it keeps the idempotency key of a submission until it gets an
    acknowledgement, so a commit whose answer was lost is found again, never stored twice.
    """
    store = TicketStore(pg_url, migrate=False)
    writers, per_writer = 4, 40
    acked: dict[str, str] = {}
    failures: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + 120

    def writer(n: int) -> None:
        for i in range(per_writer):
            key = f"w{n}-{i}-{uuid.uuid4().hex[:8]}"
            sheet, md = sample_sheet(f"w{n}", i)
            while True:
                try:
                    t = store.create_ticket(
                        sheet,
                        md,
                        question=str(sheet["question"]),
                        urgency="medium",
                        category=None,
                        prefecture=None,
                        windows=["chamber-local"],
                        contact=None,
                        consent=False,
                        session_token=f"s{n}",
                        idempotency_key=key,
                    )
                    break
                except Exception as error:  # server down longer than the store's own retries
                    with lock:
                        failures.append(type(error).__name__)
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            with lock:
                acked[key] = t.public_no
            time.sleep(0.01)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    while len(acked) < 30 and any(t.is_alive() for t in threads):
        time.sleep(0.01)
    before = len(acked)
    pg.stop("immediate")
    time.sleep(1.5)
    pg.start()
    for t in threads:
        t.join(timeout=180)
    assert not any(t.is_alive() for t in threads)
    assert before < writers * per_writer, "the restart happened after the writers had finished"
    assert len(acked) == writers * per_writer

    with get_engine(pg_url).connect() as conn:
        rows = conn.execute(select(Ticket.idempotency_key, Ticket.public_no)).all()
    stored = {k: no for k, no in rows}
    assert len(rows) == len(stored) == writers * per_writer  # no duplicates
    assert stored == acked  # every acknowledged ticket, with the number the client was given
    print(f"\nrestart: {before} acknowledged before the stop, client-level retries: {failures}")


def test_retention_purge_on_postgres_keeps_the_audit_trail(pg_url: str) -> None:
    """On PostgreSQL the ON DELETE SET NULL foreign key is real: purged tickets leave their events behind."""
    from datetime import UTC, datetime, timedelta

    from assistant.tickets.models import AuditEvent, Feedback

    long_ago = datetime.now(UTC) - timedelta(days=400)
    old_store = TicketStore(pg_url, migrate=False, clock=lambda: long_ago)
    sheet, md = sample_sheet("retention", 0)
    common = dict(urgency="low", category=None, prefecture=None, windows=["jpaa"], contact=None, consent=False)
    closed = old_store.create_ticket(sheet, md, question="完了", session_token="s", idempotency_key="r-1", **common)
    still_open = old_store.create_ticket(sheet, md, question="対応中", session_token="s", idempotency_key="r-2", **common)
    old_store.update_ticket(closed.id, "yamada", status="転送")
    old_store.update_ticket(still_open.id, "yamada", status="対応中")
    old_store.add_feedback(session_token="s", question="Q", answer="A", score=1)

    report = TicketStore(pg_url, migrate=False).purge(365, actor="cron")
    assert report.public_nos == [closed.public_no] and report.feedback == 1
    with get_engine(pg_url).connect() as conn:
        assert list(conn.scalars(select(Ticket.public_no))) == [still_open.public_no]
        assert conn.scalar(select(func.count(Feedback.id))) == 0
        trail = conn.execute(
            select(AuditEvent.ticket_id, AuditEvent.action)
            .where(AuditEvent.ticket_public_no == closed.public_no)
            .order_by(AuditEvent.id)
        ).all()
    assert trail == [(None, "created"), (None, "status_changed"), (None, "purged")]
