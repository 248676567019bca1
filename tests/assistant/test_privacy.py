"""Personal data and secrets: kept from a remote model without consent, and out of the logs unless debugging.

Logs at DEBUG level carry no question text, ticket contents or contact details unless CHIZAI_DEBUG_LOG_TEXT is on:
one consultation goes the whole way — a question with personal data answered by a remote (OpenAI-compatible) model
with the user's consent, a consultation sheet stored as a ticket with contact details, a database error and an
application error quoting the question, each logged as the app logs them — with every logger at DEBUG captured.
A hash embedder keeps the index build to a second; the loggers that matter here are not the embedder's.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistant.answer.pipeline import Assistant
from assistant.container import build_assistant
from assistant.handoff import build_sheet
from assistant.retrieval.hybrid import HybridRetriever
from assistant.tickets import TicketStore
from assistant.tickets.db import dispose_all
from chizai.logsafe import log_exception
from chizai.settings import Settings, get_settings
from ingest.pipeline import Ingestor
from tests.conftest import CORPUS_DOCS, make_settings
from tests.ingest.ingest_victim import HashEmbeddings

PHONE = "090-8765-4321"
EMAIL = "yamada.taro@example.co.jp"
ADDRESS = "東京都千代田区霞が関3丁目4番3号"
QUESTION = f"著作権の契約で気をつけることは？ ミツバチ印の新製品です。電話 {PHONE}、メール {EMAIL}、住所 {ADDRESS}"
SECRETS = ("ミツバチ印", PHONE, "8765", EMAIL, "yamada.taro", "霞が関")


class _Echo(BaseHTTPRequestHandler):
    """An OpenAI-compatible chat endpoint that streams back the first sentence of passage [1]."""

    bodies: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).bodies.append(body)
        passage = body["messages"][-1]["content"].split('"""')[1].strip()
        sentence = passage.replace("\n", "").split("。")[0].lstrip("-・ ") + "[1]。"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                 "choices": [{"index": 0, "delta": {"content": sentence}, "finish_reason": None}]}
        self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\ndata: [DONE]\n\n".encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def remote_llm() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Echo.bodies = []
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Five shipped documents indexed with the hash embedder; answers regardless of support."""
    root = tmp_path_factory.mktemp("privacy")
    docs = root / "docs"
    docs.mkdir()
    for path in sorted(CORPUS_DOCS.glob("*.md"))[:5]:
        (docs / path.name).write_bytes(path.read_bytes())
    # min_support 0: answer whatever the support, these tests are about what leaves the assistant on the way.
    settings = make_settings(root / "data", min_support=0.0)
    Ingestor(settings, embedder=HashEmbeddings()).run([docs])
    return settings


def remote_assistant(index: Settings, url: str, **update: object) -> Assistant:
    settings = index.model_copy(update={"engine": "openai", "llm_base_url": url, "llm_model": "test-model", **update})
    return build_assistant(settings, retriever=HybridRetriever(settings, embedder=HashEmbeddings()))


@pytest.mark.parametrize(
    "private",
    [
        f"電話は{PHONE}です。",
        f"メールは{EMAIL}です。",
        "マイナンバーは123456789018です。",
        "会社は〒100-0013です。",
        f"住所は{ADDRESS}です。",
        "本社は東京都千代田区霞が関三丁目四番三号です。",
        "工場は北海道札幌市中央区北1条西2丁目です。",
        "焼成温度は850℃で2時間保持します。",
        "社外秘の図面番号 DW-2024-017 の件です。",
    ],
    ids=["phone", "email", "my_number", "postal_code", "address", "address_kanji", "address_jo", "recipe", "drawing"],
)
def test_personal_or_confidential_text_needs_consent_before_a_remote_model(
    index: Settings, remote_llm: str, private: str
) -> None:
    question = "営業秘密の管理について教えてください。" + private
    assistant = remote_assistant(index, remote_llm)
    held_back = assistant.answer(question)
    assert _Echo.bodies == [] and held_back.engine == "extractive", held_back.engine
    assert any("外部のAIには送信せず" in n for n in held_back.notices)
    sent = assistant.answer(question, consent_remote=True)
    assert sent.engine.startswith("openai") and len(_Echo.bodies) == 1
    assert private in _Echo.bodies[0]["messages"][-1]["content"]


@pytest.fixture
def debug_switch(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[bool]:
    """CHIZAI_DEBUG_LOG_TEXT on or off for the whole process (database engines read it when built)."""
    on = bool(request.param)
    monkeypatch.setenv("CHIZAI_DEBUG_LOG_TEXT", "true" if on else "false")
    get_settings.cache_clear()
    dispose_all()
    yield on
    dispose_all()
    get_settings.cache_clear()


@pytest.mark.parametrize("debug_switch", [False, True], indirect=True, ids=["default", "debug_log_text"])
def test_logs_hold_no_question_or_personal_data_unless_debugging(
    debug_switch: bool, index: Settings, tmp_path: Path, remote_llm: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = index.model_copy(
        update={
            "engine": "openai",
            "llm_base_url": remote_llm,
            "llm_model": "test-model",
            "database_url": f"sqlite:///{tmp_path / 'app.sqlite3'}",
            "debug_log_text": debug_switch,
        }
    )
    embedder = HashEmbeddings()
    caplog.set_level(logging.DEBUG)  # the root logger and everything under it: openai, httpx, sqlalchemy, …

    assistant = build_assistant(settings, retriever=HybridRetriever(settings, embedder=embedder))
    result = assistant.answer(QUESTION, consent_remote=True)
    assert _Echo.bodies and PHONE in json.dumps(_Echo.bodies, ensure_ascii=False), "the remote path was not taken"
    assert result.notices  # the user was warned about the personal data

    sheet = build_sheet(QUESTION, [], result.answer, result.citations, consent=True)
    store = TicketStore.from_settings(settings)
    ticket = store.create_ticket(
        sheet,
        sheet.to_markdown(),
        question=sheet.question,
        urgency="low",
        category=None,
        prefecture="東京都",
        windows=["jpaa"],
        contact={"電話": PHONE, "メール": EMAIL},
        consent=True,
        session_token="sme-session",
        idempotency_key="privacy-1",
    )
    assert PHONE in store.get_ticket(ticket.id).question  # stored with consent, as it should be
    page_log = logging.getLogger("assistant.ui.pages.handoff")
    try:  # a database error: SQLAlchemy quotes the statement's parameters in its message
        store.record_event("yamada", "note", {"text": QUESTION}, ticket_id=10**9)
    except Exception:  # noqa: BLE001 - logged the way the pages log failures
        log_exception(page_log, "could not store note")
    try:  # any error whose message quotes the input
        raise ValueError(f"cannot parse {QUESTION!r}")
    except ValueError:
        log_exception(page_log, "answering failed")

    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert "could not store note" in logged and "IntegrityError" in logged and "ValueError" in logged
    assert ticket.public_no in logged  # ids and codes are logged, so operators can still follow a case
    if debug_switch:
        assert all(s in logged for s in SECRETS), [s for s in SECRETS if s not in logged]
    else:
        assert [s for s in SECRETS if s in logged] == []
        assert "chars hidden" in logged and "message hidden" in logged
