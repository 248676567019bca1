"""Retrying transactions that failed for reasons that go away by themselves.

A submitted consultation must not be lost, and a question must not fail, because another process held the SQLite
write lock for a moment, or because PostgreSQL was restarted or aborted a transaction for serialisation. Only such
transient errors are retried (with exponential backoff and jitter); a constraint violation or a bug surfaces
immediately. Retrying is safe only for idempotent work: ticket creation carries an idempotency key, catalog reads
change nothing, and a catalog swap deletes and re-inserts a document's rows as a whole. Shared by the ticket desk
and the PostgreSQL catalog.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import exc as sa_exc

log = logging.getLogger(__name__)
T = TypeVar("T")

_SQLITE_TRANSIENT = ("database is locked", "database is busy", "database table is locked")
# SQLSTATE classes/codes that mean "try again": serialization failure, deadlock, lock not available,
# connection exceptions (08), operator intervention such as admin shutdown / cannot connect now (57P0x).
_PG_TRANSIENT_CODES = {"40001", "40P01", "55P03", "57P01", "57P02", "57P03"}


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry. The defaults ride out a PostgreSQL restart of a few seconds."""

    attempts: int = 10
    base_delay: float = 0.05
    max_delay: float = 2.0

    def delay(self, attempt: int) -> float:
        """Full-jitter backoff for the given 1-based attempt number."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


def is_transient(error: BaseException) -> bool:
    """True for errors worth retrying: lock contention, serialisation failures, lost connections."""
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa_exc.TimeoutError):  # pool exhausted for a moment
        return True
    orig = getattr(error, "orig", None) if isinstance(error, sa_exc.DBAPIError) else error
    if orig is None:
        return False
    if isinstance(orig, sqlite3.OperationalError):
        msg = str(orig).lower()
        return any(m in msg for m in _SQLITE_TRANSIENT)
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency, but keep SQLite-only installs working
        return False
    if isinstance(orig, psycopg.Error):
        code = getattr(orig, "sqlstate", None) or ""
        if code in _PG_TRANSIENT_CODES or code.startswith("08"):
            return True
        # Connection refused / closed while the server restarts: OperationalError without a SQLSTATE.
        return isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError) and not code
    return False


def run_with_retry(fn: Callable[[], T], policy: RetryPolicy, *, what: str = "transaction") -> T:
    """Call ``fn`` (which opens and finishes its own transaction) until it succeeds or fails for good."""
    attempt = 1
    while True:
        try:
            return fn()
        except Exception as error:
            if attempt >= policy.attempts or not is_transient(error):
                raise
            pause = policy.delay(attempt)
            log.info(
                "%s failed transiently (attempt %d/%d), retrying in %.2fs: %s",
                what,
                attempt,
                policy.attempts,
                pause,
                error.__class__.__name__,
            )
            time.sleep(pause)
            attempt += 1
