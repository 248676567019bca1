"""No unverified sentence is ever on screen while an LLM answer streams.

A slow OpenAI-compatible server writes, token by token, a sentence that contradicts its passage (「営業秘密は特許庁に
登録しなければ守られません」: no registration exists) and then one the passage supports. The browser
records every text the chat shows (a MutationObserver on the page); the contradicted sentence must never appear,
not even for a moment, and every sentence that appeared must be in the final verified answer.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.assistant.ui.ui_index import BROKEN, make_corpus, ui_env
from tests.conftest import REPO
from tests.e2e.browser import ask, open_app
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, _env
from tests.streamlit_server import free_port, streamlit_server

pytestmark = pytest.mark.e2e
FLOW = "gated-stream"
CONTRADICTED = "営業秘密は特許庁に登録しなければ守られません"
OBSERVE = """() => {
  window.__seen = [];
  const record = () => document.querySelectorAll('[data-testid="stChatMessage"]').forEach(msg => {
    if (msg.querySelector('[data-testid="stChatMessageAvatarAssistant"]')) {
      msg.querySelectorAll('[data-testid="stChatMessageContent"]').forEach(el => window.__seen.push(el.innerText));
    }
  });
  new MutationObserver(record).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


class _SlowModel(BaseHTTPRequestHandler):
    """Streams a contradicted sentence, then the first sentence of passage [1], a few characters at a time."""

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        passage = body["messages"][-1]["content"].split('"""')[1].strip()
        supported = passage.replace("\n", "").split("。")[0].lstrip("-・# ") + "[1]。"
        text = f"{CONTRADICTED}[1]。{supported}"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for i in range(0, len(text), 3):
            chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                     "choices": [{"index": 0, "delta": {"content": text[i : i + 3]}, "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
            self.wfile.flush()
            time.sleep(0.05)
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def llm_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found")
    model = ThreadingHTTPServer(("127.0.0.1", 0), _SlowModel)
    threading.Thread(target=model.serve_forever, daemon=True).start()
    root = tmp_path_factory.mktemp("gated")
    make_corpus(root)
    env = {**_env(root), **ui_env(root), "CHIZAI_ENGINE": "openai", "CHIZAI_LLM_MODEL": "slow",
           "CHIZAI_LLM_BASE_URL": f"http://127.0.0.1:{model.server_address[1]}/v1"}
    done = subprocess.run([sys.executable, "-m", "ingest"], cwd=REPO, env=env, timeout=900, capture_output=True, text=True)
    assert done.returncode == 0 or BROKEN in done.stderr, done.stderr[-2000:]
    port = free_port()
    try:
        with streamlit_server(env, root / "streamlit.log", port, timeout=90):
            yield f"http://127.0.0.1:{port}"
    finally:
        model.shutdown()


def _sentences(text: str) -> list[str]:
    bare = re.sub(r"\[\d+\]", "", text)
    return [s.strip() for s in re.split(r"[。\n]", bare) if len(s.strip()) >= 8]


def test_only_verified_sentences_are_ever_shown(llm_app: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="ja-JP")
        try:
            open_app(page, llm_app)
            page.evaluate(OBSERVE)
            answer = ask(page, "営業秘密として守られるための条件は？")
            final = answer.get_by_test_id("stChatMessageContent").inner_text()
            seen = page.evaluate("window.__seen")
            page.screenshot(path=str(REPO / "test-artifacts" / f"{FLOW}-final.png"))
        finally:
            browser.close()
    assert seen, "the observer saw nothing: the test would pass vacuously"
    assert not [s for s in seen if CONTRADICTED in s], [s for s in seen if CONTRADICTED in s][:2]
    final_sentences = set(_sentences(final))
    for text in seen:
        for sentence in _sentences(text):
            if sentence.startswith(("営業秘密", "製造")):  # the answer's own sentences, not the page chrome
                assert sentence in final_sentences or any(sentence in f for f in final_sentences), sentence
