"""Many writers on one SQLite file: 8 threads × 25 plus 4 processes × 25 at once → exactly 300 tickets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from assistant.tickets import TicketStore
from assistant.tickets.db import dispose_all, get_engine
from assistant.tickets.models import AuditEvent, Ticket
from tests.assistant.tickets.stress import run_concurrent


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'concurrent.sqlite3'}"
    TicketStore(url)  # migrate once; this process now holds pooled connections (checks fork safety)
    yield url
    dispose_all()


@pytest.mark.parametrize("start_method", ["spawn", "fork"])
def test_threads_and_processes_on_one_sqlite_file(url: str, start_method: str) -> None:
    report = run_concurrent(url, threads=8, processes=4, per_worker=25, start_method=start_method)
    assert report.errors == []
    assert len(report.acknowledged) == 300
    assert report.expected_ok  # unique keys and unique public numbers
    with get_engine(url).connect() as conn:
        keys = list(conn.scalars(select(Ticket.idempotency_key)))
        numbers = list(conn.scalars(select(Ticket.public_no)))
        created = conn.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "created"))
        integrity = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
    assert len(keys) == 300 and len(set(keys)) == 300 and len(set(numbers)) == 300
    assert {k for k, _ in report.acknowledged} == set(keys)
    assert created == 300
    assert integrity == "ok"
    print(f"\nsqlite ({start_method}): 300 tickets from 8 threads + 4 processes in {report.seconds:.2f}s")


def test_same_key_from_many_threads_stores_one_ticket(url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    store = TicketStore(url, migrate=False)

    def submit(_: int) -> int:
        return store.create_ticket(
            {"q": "二重送信"},
            "# 相談シート",
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
    assert store.list_tickets().total == 1
