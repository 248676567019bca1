"""Two ``streamlit run`` instances with different local data dirs, one PostgreSQL (catalog, keyword index, tickets)
and one ``chroma run`` server: the deployment of README's "Several app instances".

Both must answer a question with the same citations, both must see what an ingest worker adds or replaces while
they serve, and a PostgreSQL restart while questions are in flight must cost no answer. The users are the load
driver's protocol clients (Streamlit's websocket, what a browser sends).
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import CORPUS_DOCS, REPO
from tests.load.run_load import Run, Session, chat_input, classify_answer, clean_env
from tests.servers import ChromaServer, PgServer
from tests.streamlit_server import free_port, streamlit_server

pytestmark = pytest.mark.e2e
DOCS = ("trade-secret-three-requirements.md", "madrid-protocol-international-trademark.md", "j-platpat.md",
        "dispute-warning-letter-received.md")
ADDED = "chiiki-dantai-shohyo.md"
CITATION = re.compile(r"^\*\*\[(\d+)\]\*\* (.+)$", re.MULTILINE)


@dataclass
class Deployment:
    ports: tuple[int, int]
    docs: Path
    worker_env: dict[str, str]


def _ingest(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ingest", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def deployment(pg: PgServer, chroma: ChromaServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("two-instances")
    shared = {
        "index_url": pg.create_database(f"idx_{uuid.uuid4().hex[:8]}"),
        "database_url": pg.create_database(f"tix_{uuid.uuid4().hex[:8]}"),
        "chroma_url": f"http://127.0.0.1:{chroma.port}",
        "collection": f"two{uuid.uuid4().hex[:8]}",
        "engine": "extractive",
        "rate_limit_per_minute": "0",
    }
    docs = root / "docs"
    docs.mkdir()
    for name in DOCS:
        (docs / name).write_bytes((CORPUS_DOCS / name).read_bytes())
    worker = clean_env(**shared, data_dir=str(root / "worker"))
    assert _ingest(worker, "--migrate").returncode == 0
    done = _ingest(worker, str(docs))
    assert done.returncode == 0, done.stderr[-3000:]
    subprocess.run([sys.executable, "-m", "assistant.tickets", "migrate"], cwd=REPO, env=worker, check=True,
                   capture_output=True, timeout=120)
    with ExitStack() as stack:
        ports = (free_port(), free_port())
        for name, port in zip("ab", ports, strict=True):
            env = clean_env(**shared, data_dir=str(root / f"instance-{name}"))
            stack.enter_context(streamlit_server(env, root / f"{name}.log", port, timeout=120))
        yield Deployment(ports, docs, worker)
        for name in "ab":
            assert "Traceback" not in (root / f"{name}.log").read_text(errors="replace"), name


async def _ask(port: int, question: str) -> Run:
    async with Session(port, timeout=120) as session:
        page = await session.rerun()
        return await session.rerun([chat_input(page.widgets["chat_input"], question)])


def ask(port: int, question: str) -> Run:
    return asyncio.run(_ask(port, question))


def cited(run: Run) -> list[str]:
    """The citation lines the user sees ([n] title (publisher ・ where))."""
    return [m.group(0) for m in CITATION.finditer(run.text)]


def test_both_instances_answer_with_the_same_citations(deployment: Deployment) -> None:
    runs = [ask(port, "営業秘密として守られる3つの要件は？") for port in deployment.ports]
    assert [classify_answer(r) for r in runs] == ["answered", "answered"]
    assert cited(runs[0]) and cited(runs[0]) == cited(runs[1])


def test_an_ingest_worker_adds_and_replaces_while_both_serve(deployment: Deployment) -> None:
    marker = "ゼブラ模様の金型についての追記"
    replaced = deployment.docs / "j-platpat.md"
    replaced.write_text(replaced.read_text(encoding="utf-8") + f"\n## 追記\n{marker}です。J-PlatPat で検索できます。\n",
                        encoding="utf-8")
    (deployment.docs / ADDED).write_bytes((CORPUS_DOCS / ADDED).read_bytes())
    outcomes: list[str] = []
    stop = threading.Event()

    def serve() -> None:  # users keep asking both instances while the worker swaps documents in
        n = 0
        while not stop.is_set():
            outcomes.append(classify_answer(ask(deployment.ports[n % 2], "マドプロで海外に商標を出したい")))
            n += 1

    users = threading.Thread(target=serve)
    users.start()
    done = _ingest(deployment.worker_env, str(deployment.docs))
    stop.set()
    users.join()
    assert done.returncode == 0, done.stderr[-3000:]
    assert outcomes and set(outcomes) == {"answered"}, outcomes
    for question, expected in (("地域の名前を付けた特産品のブランドを守る商標", "地域団体商標"),
                               (f"{marker}について", marker)):
        runs = [ask(port, question) for port in deployment.ports]
        assert all(expected in r.text for r in runs), (question, [cited(r) for r in runs])
        assert cited(runs[0]) == cited(runs[1])


def test_postgres_restart_while_questions_are_in_flight(deployment: Deployment, pg: PgServer) -> None:
    outcomes: list[tuple[float, float, str]] = []
    restarted = threading.Event()

    def user(port: int) -> None:  # asks without pause until the server is back, then once more
        while True:
            last = restarted.is_set()
            t0 = time.monotonic()
            outcome = classify_answer(ask(port, "先行技術を無料で調べるデータベース"))
            outcomes.append((t0, time.monotonic(), outcome))
            if last:
                return

    users = [threading.Thread(target=user, args=(port,)) for port in deployment.ports]
    for u in users:
        u.start()
    time.sleep(1.0)
    stopped = time.monotonic()
    pg.stop("immediate")
    time.sleep(1.0)
    pg.start()
    started = time.monotonic()
    restarted.set()
    for u in users:
        u.join()
    assert {o for _, _, o in outcomes} == {"answered"}, outcomes
    assert any(t0 < started and t1 > stopped for t0, t1, _ in outcomes), "no question overlapped the restart"
