"""Another connection holds the SQLite write lock while consultations are being submitted.

A short lock (under the busy timeout) must only delay writers; a long one must make ``create_ticket`` fail with
:class:`TicketStoreUnavailable` — a clear message, no SQL or personal data in it, nothing half-stored — and a client
that resends with the same idempotency key must end up with every ticket stored exactly once.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from assistant.tickets import TicketStore
from assistant.tickets import db as tickets_db
from assistant.tickets.db import dispose_all, get_engine
from assistant.tickets.models import AuditEvent, Feedback, Ticket
from assistant.tickets.store import TicketStoreUnavailable
from chizai.retry import RetryPolicy

PHONE = "090-8765-4321"


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'locked.sqlite3'}"
    yield url
    dispose_all()


class Locker(threading.Thread):
    """Holds ``BEGIN EXCLUSIVE`` (with an uncommitted write) on its own connection, ``times`` times.

    It waits for ``start_signal``, which the writers set once some tickets are in: the lock lands mid-run.
    """

    def __init__(self, path: str, hold: float, times: int, gap: float) -> None:
        super().__init__(daemon=True)
        self.path, self.hold, self.times, self.gap = path, hold, times, gap
        self.start_signal = threading.Event()
        self.held: list[tuple[float, float]] = []

    def run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.start_signal.wait(timeout=60)
        for n in range(self.times):
            if n:
                time.sleep(self.gap)
            conn.execute("BEGIN EXCLUSIVE")
            began = time.monotonic()
            conn.execute(  # a write in flight that is then abandoned: must never become visible
                "INSERT INTO feedback (question, answer, score, comment, created_at) "
                "VALUES ('locker', '', 0, '', '2026-01-01 00:00:00')"
            )
            time.sleep(self.hold)
            conn.execute("ROLLBACK")
            self.held.append((began, time.monotonic()))
        conn.close()


def submit_like_a_client(
    store: TicketStore, writer: int, count: int, acked: dict[str, str], errors: list[BaseException], lock: threading.Lock
) -> list[float]:
    """Submit ``count`` tickets; on failure wait and resend with the same key, as the handoff page does."""
    took: list[float] = []
    for i in range(count):
        key = f"w{writer}-{i}-{uuid.uuid4().hex[:8]}"
        question = f"[w{writer}#{i}] 取引先に図面を流用されました。連絡先 {PHONE}"
        while True:
            t0 = time.monotonic()
            try:
                ticket = store.create_ticket(
                    {"question": question},
                    f"> {question}",
                    question=question,
                    urgency="medium",
                    category=None,
                    prefecture=None,
                    windows=["jpaa"],
                    contact={"電話": PHONE},
                    consent=True,
                    session_token=f"sme-{writer}",
                    idempotency_key=key,
                )
            except TicketStoreUnavailable as error:
                with lock:
                    errors.append(error)
                time.sleep(0.05)
                continue
            took.append(time.monotonic() - t0)
            break
        with lock:
            acked[key] = ticket.public_no
        time.sleep(0.02)  # a person does not submit back to back: the run spans the lock windows
    return took


def run_writers(url: str, store: TicketStore, locker: Locker, writers: int, per_writer: int):  # type: ignore[no-untyped-def]
    acked: dict[str, str] = {}
    errors: list[BaseException] = []
    took: list[float] = []
    lock = threading.Lock()

    def writer(n: int) -> None:
        result = submit_like_a_client(store, n, per_writer, acked, errors, lock)
        with lock:
            took.extend(result)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    locker.start()
    for t in threads:
        t.start()
    while len(acked) < writers * 2 and any(t.is_alive() for t in threads):
        time.sleep(0.005)
    locker.start_signal.set()
    before = len(acked)
    for t in threads:
        t.join(timeout=120)
    locker.join(timeout=30)
    assert not any(t.is_alive() for t in threads) and not locker.is_alive()
    with get_engine(url).connect() as conn:
        stored = dict(conn.execute(select(Ticket.idempotency_key, Ticket.public_no)).all())
        created = conn.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "created"))
        feedback = conn.scalar(select(func.count(Feedback.id)))
        integrity = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
    assert stored == acked  # every acknowledged ticket, once, with the number the client was shown
    assert created == len(stored)  # no audit line without its ticket or the other way round
    assert feedback == 0 and integrity == "ok"  # the locker's abandoned write never surfaced
    assert before < writers * per_writer and len(locker.held) == locker.times
    return acked, errors, took


def test_short_lock_only_delays_writers(url: str) -> None:
    """Locks of 0.6 s, under the 10 s busy timeout: nobody sees an error, the waits show the lock was hit."""
    store = TicketStore(url)
    locker = Locker(url.removeprefix("sqlite:///"), hold=0.6, times=2, gap=0.15)
    acked, errors, took = run_writers(url, store, locker, writers=4, per_writer=10)
    assert len(acked) == 40 and errors == []
    assert max(took) >= 0.3, "no submission overlapped the lock"


def test_long_lock_fails_clearly_and_resending_stores_each_ticket_once(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Locks of 1.2 s against a 0.1 s busy timeout and 3 quick retries: submissions fail, then succeed on resend."""
    monkeypatch.setattr(tickets_db, "SQLITE_BUSY_TIMEOUT_MS", 100)
    store = TicketStore(url, retry=RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05))
    locker = Locker(url.removeprefix("sqlite:///"), hold=1.2, times=2, gap=0.2)
    acked, errors, _ = run_writers(url, store, locker, writers=4, per_writer=8)
    assert len(acked) == 32
    assert errors, "the lock never outlasted the retries"
    for error in errors:
        text = str(error)
        assert "混み合っている" in text and "nothing was saved" in text
        assert PHONE not in text and "INSERT" not in text and "[w" not in text
        cause = str(error.__cause__)
        assert "database is locked" in cause and PHONE not in cause  # SQL parameters hidden even in the cause
