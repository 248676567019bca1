"""The app in a real browser: ``streamlit run app.py`` + Playwright driving Debian's Chromium.

One flow, as a user and an advisor would do it: ask a Japanese question, read the streamed answer and its citations,
open a quoted passage, hand the case off (ticket), log in as an advisor, find the ticket and change its status,
look at the corpus page.
Screenshots land in ``test-artifacts/`` (gitignored), also when a step fails.

The index and the advisor are made with the command lines an operator uses (``python -m ingest``,
``python -m assistant.tickets create-advisor``), in a temporary data dir.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.assistant.ui.ui_index import ADVISOR, ADVISOR_PASSWORD, BROKEN, make_corpus, ui_env
from tests.conftest import REPO
from tests.streamlit_server import free_port, streamlit_server

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
]
QUESTION = "他社から特許侵害の警告書が届きました。どうすればいいですか？"
TICKET_NO = re.compile(r"C-\d{4}-[0-9A-Z]{8}")
TIMEOUT_MS = 60_000


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHIZAI_")}
    return {**env, **ui_env(root)}


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} not found: install Debian's chromium (make system-packages) to run browser tests"
        )
    root = tmp_path_factory.mktemp("browser")
    make_corpus(root)
    env = _env(root)
    ingest = subprocess.run(
        [sys.executable, "-m", "ingest"], cwd=REPO, env=env, timeout=900, capture_output=True, text=True
    )
    # Exit code 1 = some file failed: expected, the corpus holds one broken file on purpose.
    assert ingest.returncode == 0 or (ingest.returncode == 1 and BROKEN in ingest.stderr), ingest.stderr[
        -3000:
    ]
    subprocess.run(
        [sys.executable, "-m", "assistant.tickets", "create-advisor", ADVISOR, "--display-name", "山田 太郎"],
        cwd=REPO,
        env={**env, "CHIZAI_ADVISOR_PASSWORD": ADVISOR_PASSWORD},
        check=True,
        timeout=120,
        capture_output=True,
    )
    port = free_port()
    with streamlit_server(_env(root), root / "streamlit.log", port, timeout=90):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def page(app_url: str):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    expect.set_options(timeout=TIMEOUT_MS)  # the first answer loads the embedding model
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
        context.set_default_timeout(TIMEOUT_MS)
        pg = context.new_page()
        try:
            yield pg
        finally:
            context.close()
            browser.close()


def settle(page) -> None:
    """Wait until the script run triggered by the last action has finished."""
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stApp")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=TIMEOUT_MS
    )


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def nav(page, label: str) -> None:
    page.get_by_test_id("stSidebarNavLink").filter(has_text=label).click()


def test_question_citations_handoff_and_advisor_status_change(page, app_url):
    from playwright.sync_api import expect

    try:
        page.goto(app_url)
        expect(page.get_by_role("heading", name="知財フロント")).to_be_visible()
        settle(page)

        # 1. Ask in Japanese; the answer streams into an assistant message, then citations appear under it.
        box = page.get_by_test_id("stChatInputTextArea")
        box.fill(QUESTION)
        expect(page.get_by_test_id("stChatInputSubmitButton")).to_be_enabled()
        box.press("Enter")
        answer = page.get_by_test_id("stChatMessage").filter(
            has=page.get_by_test_id("stChatMessageAvatarAssistant")
        )
        expect(answer.get_by_test_id("stChatMessageContent")).to_contain_text("警告書")
        expect(answer).to_contain_text("出典")
        expect(answer).to_contain_text("[1]")
        expect(answer).to_contain_text("法的助言ではありません")
        settle(page)
        official = answer.get_by_role("link", name="公式ページ").first
        assert (official.get_attribute("href") or "").startswith("https://")

        # 2. Open the first quoted passage.
        expander = answer.get_by_test_id("stExpander").filter(has_text="[1] の引用箇所を表示")
        expander.locator("summary").click()
        expect(expander.get_by_test_id("stExpanderDetails")).to_contain_text("警告書")
        expect(answer).to_contain_text("担当者への相談をおすすめします")
        expander.scroll_into_view_if_needed()
        page.wait_for_timeout(500)  # let the expander's opening animation finish for the screenshot
        shot(page, "01-chat-answer")

        # 3. Hand off: the sheet is prefilled from the conversation; submitting gives a ticket number.
        page.get_by_role("button", name="相談窓口につなぐ").click()
        expect(page.get_by_role("heading", name="相談窓口につなぐ")).to_be_visible()
        expect(page.get_by_role("textbox", name="相談内容（ご質問）")).to_have_value(QUESTION)
        settle(page)
        page.get_by_role("button", name="この内容で相談を送る").click()
        success = page.get_by_test_id("stAlert").filter(has_text="受付番号")
        expect(success).to_be_visible()
        settle(page)
        match = TICKET_NO.search(success.inner_text())
        assert match, success.inner_text()
        number = match.group(0)
        success.scroll_into_view_if_needed()
        shot(page, "02-handoff-submitted")

        # 4. Log in as an advisor and find the ticket in the queue.
        nav(page, "担当者ログイン")
        page.get_by_role("textbox", name="ユーザー名").fill(ADVISOR)
        page.get_by_role("textbox", name="パスワード").fill(ADVISOR_PASSWORD)
        page.get_by_role("button", name="ログイン").click()
        expect(page.get_by_role("heading", name="受付一覧")).to_be_visible()
        settle(page)
        expect(page.get_by_role("combobox", name="案件を開く")).to_have_value(re.compile(re.escape(number)))
        shot(page, "03-queue")

        # 5. Open it, set 対応中, save: the badge and the audit trail follow.
        page.get_by_role("button", name="詳細を開く").click()
        expect(page.get_by_role("heading", name=f"案件 {number}")).to_be_visible()
        settle(page)
        page.get_by_test_id("stSelectbox").filter(has_text="状態").click()
        page.get_by_role("option", name="対応中").click()
        settle(page)
        page.get_by_role("button", name="保存").click()
        expect(page.get_by_test_id("stAlert").filter(has_text="保存しました。")).to_be_visible()
        expect(page.get_by_text("状態: 対応中")).to_be_visible()
        settle(page)
        shot(page, "04-ticket-detail")

        # 6. The advisor's corpus page lists the index and the file that could not be read.
        nav(page, "コーパス")
        expect(page.get_by_role("heading", name="コーパス")).to_be_visible()
        expect(page.get_by_test_id("stMetric").filter(has_text="前回失敗したファイル")).to_contain_text("1")
        settle(page)
        shot(page, "05-corpus")
    except BaseException:
        shot(page, "failure")
        raise
