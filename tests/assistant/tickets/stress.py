"""Concurrent-submission check: many threads and processes submitting tickets to one database at once.

Why it lives in the package: the same check runs in the unit tests (one SQLite file) and the e2e tests (a
real PostgreSQL server), and process workers must be importable by name for ``multiprocessing``'s spawn
start method. Operators can also point it at a scratch database before go-live. It writes test tickets,
so never run it against a production database.
"""

from __future__ import annotations

import time
import traceback
import uuid
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context

from assistant.tickets.store import TicketStore
from chizai.retry import RetryPolicy

WINDOWS = ("inpit-chizai-portal", "jpo-ip-hotline", "chamber-local", "bengoshi-kai")
URGENCIES = ("high", "medium", "low")


def sample_sheet(worker: str, i: int) -> tuple[dict[str, object], str]:
    question = f"[{worker}#{i}] 元社員が顧客リストを持ち出したようです。どうすればよいですか。"
    sheet = {"question": question, "reason": "incident", "urgency": URGENCIES[i % 3], "consent": False}
    return sheet, f"# 相談シート（知財フロント）\n\n## 相談内容\n\n> {question}\n"


def submit_batch(
    url: str, worker: str, count: int, *, retry: RetryPolicy | None = None
) -> list[tuple[str, str]]:
    """Submit ``count`` tickets as one client would; returns (idempotency key, public number) per ticket."""
    store = TicketStore(url, migrate=False, retry=retry)
    acknowledged: list[tuple[str, str]] = []
    for i in range(count):
        key = f"{worker}-{i}-{uuid.uuid4().hex[:12]}"
        sheet, markdown = sample_sheet(worker, i)
        ticket = store.create_ticket(
            sheet,
            markdown,
            question=str(sheet["question"]),
            urgency=URGENCIES[i % 3],
            category="trade-secret",
            prefecture="東京都",
            windows=[WINDOWS[i % len(WINDOWS)]],
            contact=None,
            consent=False,
            session_token=f"stress-session-{worker}",
            idempotency_key=key,
        )
        acknowledged.append((key, ticket.public_no))
    return acknowledged


@dataclass
class StressReport:
    acknowledged: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def expected_ok(self) -> bool:
        keys = [k for k, _ in self.acknowledged]
        numbers = [n for _, n in self.acknowledged]
        return not self.errors and len(set(keys)) == len(keys) and len(set(numbers)) == len(numbers)


def run_concurrent(
    url: str,
    *,
    threads: int = 8,
    processes: int = 4,
    per_worker: int = 25,
    start_method: str = "spawn",
    retry: RetryPolicy | None = None,
) -> StressReport:
    """Run ``processes`` process workers and ``threads`` thread workers at the same time against ``url``.

    The database must already be migrated. Errors are collected (with tracebacks), not raised.
    """
    report = StressReport()
    start = time.perf_counter()
    futures: list[Future[list[tuple[str, str]]]] = []
    with (
        ProcessPoolExecutor(max_workers=max(1, processes), mp_context=get_context(start_method)) as procs,
        ThreadPoolExecutor(max_workers=max(1, threads)) as pool,
    ):
        futures += [
            procs.submit(submit_batch, url, f"p{n}", per_worker, retry=retry) for n in range(processes)
        ]
        futures += [pool.submit(submit_batch, url, f"t{n}", per_worker, retry=retry) for n in range(threads)]
        for fut in futures:
            try:
                report.acknowledged += fut.result()
            except Exception:
                report.errors.append(traceback.format_exc())
    report.seconds = time.perf_counter() - start
    return report
