"""The ticket store against a real PostgreSQL server: migrations, concurrency, and a restart mid-run.

The server is a throw-away cluster made with initdb/pg_ctl in a temp dir on a free 127.0.0.1 port (Debian's
``postgresql`` package provides the binaries under /usr/lib/postgresql/*/bin). initdb refuses to run as root,
so as root the cluster belongs to, and runs as, the ``postgres`` OS user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from assistant.tickets import AdvisorAuth, TicketFilters, TicketStore
from assistant.tickets.db import dispose_all, get_engine, head_revision, init_db
from assistant.tickets.models import Base, Ticket
from tests.assistant.tickets.stress import run_concurrent, sample_sheet

pytestmark = pytest.mark.e2e


def _pg_bindir() -> Path | None:
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if found:
        newest = max(found, key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
        return Path(newest).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """A PostgreSQL cluster in a temp dir, started and stopped with pg_ctl."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_postgres = os.geteuid() == 0
        # As root, under /tmp itself: the postgres user must be able to reach the directory (TMPDIR may not).
        parent = "/tmp" if self.as_postgres and os.path.isdir("/tmp") else None
        self.base = Path(tempfile.mkdtemp(prefix="chizai-pg-", dir=parent))
        if self.as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.base, pw.pw_uid, pw.pw_gid)
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self.port = _free_port()

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=timeout)

    def init(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-instructions",
        )

    def start(self) -> None:
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.base} -c max_connections=200"
        try:
            self._run(
                "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", opts, "-w", "-t", "60", "start"
            )
        except subprocess.CalledProcessError as error:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {error.stderr}\n{log}") from error

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def cleanup(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="module")
def pg() -> Iterator[PgServer]:
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip(
            "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb); "
            "install Debian's 'postgresql' package to run this test"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root but there is no 'postgres' OS user to run initdb as")
        if not shutil.which("runuser"):
            pytest.skip("running as root but 'runuser' is missing, so initdb cannot drop root")
    server = PgServer(bindir)
    try:
        server.init()
        server.start()
        yield server
    finally:
        dispose_all()
        server.cleanup()


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
