"""Servers shared by the end-to-end tests: one throw-away PostgreSQL cluster per test session (each test makes its
own database in it), and a ``chroma run`` server per module that asks for one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers import CHROMA, ChromaServer, PgServer, free_port, pg_unavailable, running_pg


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    reason = pg_unavailable()
    if reason:
        pytest.skip(reason)
    from assistant.tickets.db import dispose_all

    with running_pg() as server:
        yield server
        dispose_all()


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    if not CHROMA.exists():
        pytest.skip("chroma CLI not installed")
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server"), free_port())
    server.start()
    yield server
    server.stop()
