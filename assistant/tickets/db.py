"""Engines, sessions and migrations for the ticket database (SQLite by default, PostgreSQL for shared use).

Why it looks like this:

* One engine per URL per process: engines own connection pools, and Streamlit reruns scripts constantly. The
  cache is keyed by process id too, so a forked worker never reuses its parent's sockets or file handles.
* SQLite is tuned for several processes writing one file: WAL (readers never block the writer), a busy
  timeout (writers wait instead of failing), foreign keys on, ``synchronous=FULL`` (an acknowledged ticket
  survives a power cut), and writes start with ``BEGIN IMMEDIATE`` so a transaction takes the write lock up
  front instead of failing half-way when it upgrades from reading to writing.
* Engines hide SQL parameters in errors and logs unless ``CHIZAI_DEBUG_LOG_TEXT`` is on (see
  :mod:`chizai.logsafe`): a "database is locked" message must not carry a consultation into the logs.
* Migrations are Alembic revisions shipped inside the package and run programmatically, so production needs no
  ``alembic.ini``; concurrent starters are serialised (SQLite write lock, PostgreSQL advisory lock).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from chizai.logsafe import text_allowed

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
# Any constant shared by all processes; identifies "the 知財フロント migration lock" among advisory locks.
PG_MIGRATION_LOCK_ID = 7_231_004_417


def _json_dumps(value: Any) -> str:
    # Keep Japanese readable in the database (and in psql / sqlite3 shells) instead of \u escapes.
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Database:
    """An engine plus the session factories built on it.

    ``writer`` is the same pool; on SQLite its transactions begin with ``BEGIN IMMEDIATE``.
    """

    url: str
    engine: Engine
    writer: Engine
    _read: sessionmaker[Session]
    _write: sessionmaker[Session]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any exception."""
        factory = self._write if write else self._read
        with factory() as session, session.begin():
            yield session


_CACHE: dict[tuple[int, str], Database] = {}
_CACHE_LOCK = threading.Lock()


def get_database(url: str) -> Database:
    """The process-wide :class:`Database` for ``url`` (created on first use)."""
    key = (os.getpid(), url)
    db = _CACHE.get(key)
    if db is not None:
        return db
    with _CACHE_LOCK:
        db = _CACHE.get(key)
        if db is None:
            db = _CACHE[key] = _build(url)
    return db


def get_engine(url: str) -> Engine:
    return get_database(url).engine


def dispose_all() -> None:
    """Close every pooled connection of this process (tests, shutdown)."""
    with _CACHE_LOCK:
        for (pid, _), db in list(_CACHE.items()):
            if pid == os.getpid():
                db.engine.dispose()
        _CACHE.clear()


def _after_fork_in_child() -> None:
    # The child must not use the parent's pooled connections; drop them without closing the parent's sockets.
    for db in list(_CACHE.values()):
        db.engine.dispose(close=False)
    _CACHE.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _build(url: str) -> Database:
    u = make_url(url)
    kwargs: dict[str, Any] = {
        "json_serializer": _json_dumps,
        "future": True,
        # Error messages and SQL logs would otherwise quote the parameters: questions, sheets, contact details.
        "hide_parameters": not text_allowed(),
    }
    if u.get_backend_name() == "sqlite":
        database = u.database or ""
        in_memory = database in ("", ":memory:") or "mode=memory" in str(u.query)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        if in_memory:
            kwargs["poolclass"] = StaticPool  # one shared connection, or every session sees an empty DB
        else:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(u, **kwargs)
        _tune_sqlite(engine, wal=not in_memory)
        writer = engine.execution_options(chizai_begin="IMMEDIATE")
    else:
        # pre_ping: after a server restart, stale pooled connections are replaced instead of failing requests.
        engine = create_engine(u, pool_pre_ping=True, pool_size=5, max_overflow=10, **kwargs)
        writer = engine
    return Database(
        url=url,
        engine=engine,
        writer=writer,
        _read=sessionmaker(engine, expire_on_commit=False),
        _write=sessionmaker(writer, expire_on_commit=False),
    )


def _tune_sqlite(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so BEGIN is ours (and DDL is transactional).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            if wal:
                cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = FULL")
            cur.execute("PRAGMA foreign_keys = ON")
            # Deleted rows (retention purge) are overwritten, not left readable in free pages of the file.
            cur.execute("PRAGMA secure_delete = ON")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("chizai_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


# --- migrations -----------------------------------------------------------------------------------------


def alembic_config(url: str | None = None) -> Any:
    """An Alembic ``Config`` pointing at the shipped migrations, without any ini file."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        cfg.attributes["chizai_url"] = url
    return cfg


def init_db(url: str) -> str:
    """Upgrade the database at ``url`` to the newest revision (creating it if needed); returns that revision.

    Safe to call from every process at start-up: concurrent callers wait for each other and the later ones
    find nothing left to do.
    """
    from alembic import command

    db = get_database(url)
    cfg = alembic_config(url)
    with db.writer.connect() as conn, conn.begin():
        if db.dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_MIGRATION_LOCK_ID})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return current_revision(url) or ""


_MIGRATED: set[tuple[int, str]] = set()


def ensure_db(url: str) -> None:
    """:func:`init_db` once per URL per process, so building a store on every Streamlit rerun stays cheap."""
    key = (os.getpid(), url)
    if key not in _MIGRATED:
        init_db(url)
        _MIGRATED.add(key)


def current_revision(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with get_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head
