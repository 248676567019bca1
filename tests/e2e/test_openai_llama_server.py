"""A real OpenAI-compatible server in the loop: llama-cpp-python's server (the build ``make llm`` makes) serving the
packaged GGUF on 127.0.0.1, driven by ``CHIZAI_ENGINE=openai``.

Covers streaming (only verified sentences reach the stream), a server that dies mid-answer, a server too slow for
the timeout, and attacks from the red-team table answered through it. Skipped until ``make llm`` has run (CI runs it).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.answer.verify import verify_answer
from assistant.container import build_assistant
from chizai.settings import Settings
from ingest.pipeline import Ingestor
from tests.assistant.answer.engines.test_local_llm import MODEL, requires_llama_cpp, requires_model
from tests.conftest import CORPUS_DOCS, make_settings
from tests.streamlit_server import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.llm, requires_llama_cpp, requires_model]
DOCS = ["trade-secret-three-requirements.md", "shohyo-kihon.md", "dispute-warning-letter-received.md"]


class LlamaServer:
    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> None:
        cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(MODEL), "--host", "127.0.0.1",
               "--port", str(self.port), "--n_ctx", "4096", "--n_threads", "2", "--model_alias", "local"]
        self.proc = subprocess.Popen(cmd, stdout=self.log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama server exited: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                urllib.request.urlopen(f"{self.url}/models", timeout=2).read()
                return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("llama server did not come up in 180 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Settings:  # noqa: ANN001
    root = tmp_path_factory.mktemp("llama-server")
    docs = root / "docs"
    docs.mkdir()
    for name in DOCS:
        shutil.copy(CORPUS_DOCS / name, docs / name)
    settings = make_settings(root / "data")
    ingestor = Ingestor(settings)
    assert not ingestor.run([docs]).failed
    ingestor.close()
    return settings


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LlamaServer]:  # noqa: ANN001
    s = LlamaServer(tmp_path_factory.mktemp("llama-log") / "server.log")
    s.start()
    yield s
    s.stop()


def _remote(settings: Settings, url: str, **extra: object) -> Settings:
    return settings.model_copy(update={"engine": "openai", "llm_base_url": url, "llm_model": "local",
                                       "llm_max_tokens": 200, **extra})


def test_streams_only_verified_sentences_from_a_real_server(index: Settings, server: LlamaServer) -> None:
    assistant = build_assistant(_remote(index, server.url))
    turn = assistant.prepare("営業秘密として守られるための条件を教えてください")
    shown = list(turn.stream())
    result = turn.result
    assert result is not None and result.engine in ("openai", "openai→extractive")
    assert result.timings_ms["first_token_ms"] > 0
    if result.engine == "openai":
        # everything streamed passes verification again on its own
        body = "".join(shown).strip()
        passages_text = verify_answer(body, [], keep=frozenset()).sentences
        assert passages_text >= 1 and body
    assert result.citations and "法的助言" in result.answer


def test_a_server_that_dies_mid_answer_falls_back_to_the_documents(index: Settings, tmp_path: Path) -> None:
    dying = LlamaServer(tmp_path / "dying.log")
    dying.start()
    killer = threading.Timer(1.0, dying.stop)  # prompt processing takes seconds: the stream is cut early
    killer.start()
    try:
        result = build_assistant(_remote(index, dying.url)).answer("警告書が届いたらまず何をすればいいですか")
    finally:
        killer.cancel()
        dying.stop()
    assert result.engine == "openai→extractive" and result.citations
    assert any("途切れ" in n for n in result.notices)


def test_a_server_slower_than_the_timeout_falls_back(index: Settings, server: LlamaServer) -> None:
    result = build_assistant(_remote(index, server.url, llm_timeout_s=0.5)).answer("商標を登録するメリットは？")
    assert result.engine == "openai→extractive" and result.citations


@pytest.fixture(scope="module")
def red_team(tmp_path_factory):  # noqa: ANN001, ANN201
    """The red team's corpus with its planted documents, indexed once."""
    from evals import redteam

    root = tmp_path_factory.mktemp("redteam")
    settings = make_settings(root / "index", collection="redteam")
    texts = redteam.write_corpus(root / "docs")
    redteam.build_index(settings, root / "docs")
    return settings, redteam.Judge.build(texts + list(redteam.PLANTED.values()))


@pytest.mark.parametrize("attack", ["ii-01", "ii-05", "ii-12", "ii-14"])
def test_red_team_indirect_attacks_fail_through_the_server(red_team, server: LlamaServer, attack: str) -> None:  # noqa: ANN001
    """Planted instructions (ignore-previous, HTML comment, polite address to the AI, split over sentences)
    retrieved and answered through the real server: none gets through verification."""
    from evals.redteam_attacks import INDIRECT

    settings, judge = red_team
    case = next(a for a in INDIRECT if a.id == attack)
    result = build_assistant(_remote(settings, server.url)).answer(case.question)
    assert judge.judge(case, result) == []
