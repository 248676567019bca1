"""The app in a real browser for the browser suites (``test_browser*.py``): one ``streamlit run app.py`` for all of
them, Playwright driving Debian's Chromium at the two screens people use, 1366×768 and 390×844.

The index and the advisors are made with the command lines an operator uses (``python -m ingest``,
``python -m assistant.tickets create-advisor``), in a temporary data dir. Each step of a flow saves a screenshot
under ``test-artifacts/<flow>-<screen>-NN-<step>.png`` (gitignored), and a failing flow saves ``…-failure.png``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from assistant.tickets import TicketStore
from tests.assistant.ui.ui_index import ADVISOR, ADVISOR_PASSWORD, BROKEN, make_corpus, ui_env
from tests.conftest import REPO
from tests.e2e.browser import TIMEOUT_MS
from tests.streamlit_server import free_port, streamlit_server

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
SCREENS = {"1366x768": {"width": 1366, "height": 768}, "390x844": {"width": 390, "height": 844}}
SECOND_ADVISOR = ("sato", "佐藤 花子")


@dataclass
class App:
    url: str
    database_url: str

    def store(self) -> TicketStore:
        return TicketStore(self.database_url)


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHIZAI_")}
    return {**env, **ui_env(root)}


def _create_advisor(env: dict[str, str], username: str, display_name: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "assistant.tickets", "create-advisor", username, "--display-name", display_name],
        cwd=REPO,
        env={**env, "CHIZAI_ADVISOR_PASSWORD": ADVISOR_PASSWORD},
        check=True,
        timeout=120,
        capture_output=True,
    )


@pytest.fixture(scope="package")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (make system-packages) to run browser tests")
    root = tmp_path_factory.mktemp("browser")
    make_corpus(root)
    env = _env(root)
    ingest = subprocess.run(
        [sys.executable, "-m", "ingest"], cwd=REPO, env=env, timeout=900, capture_output=True, text=True
    )
    # Exit code 1 = some file failed: expected, the corpus holds one broken file on purpose.
    assert ingest.returncode == 0 or (ingest.returncode == 1 and BROKEN in ingest.stderr), ingest.stderr[-3000:]
    _create_advisor(env, ADVISOR, "山田 太郎")
    _create_advisor(env, *SECOND_ADVISOR)
    port = free_port()
    with streamlit_server(env, root / "streamlit.log", port, timeout=90):
        yield App(f"http://127.0.0.1:{port}", f"sqlite:///{(root / 'data' / 'app.sqlite3').resolve()}")


@dataclass
class Screen:
    """One browser page at one screen size, with the flow's screenshot counter."""

    page: object
    name: str
    flow: str
    shots: list[str] = field(default_factory=list)

    @property
    def phone(self) -> bool:
        return self.name == "390x844"

    def shot(self, step: str) -> None:
        """A screenshot of what the user sees now (the viewport, which is what a step is about)."""
        name = f"{self.flow}-{self.name}-{len(self.shots) + 1:02d}-{step}.png"
        self.page.screenshot(path=str(ARTIFACTS / name))
        self.shots.append(name)


@pytest.fixture(params=list(SCREENS))
def screen(request: pytest.FixtureRequest, app: App) -> Iterator[Screen]:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    expect.set_options(timeout=TIMEOUT_MS)  # the first answer loads the embedding model
    flow = request.node.module.FLOW
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=SCREENS[request.param], locale="ja-JP", accept_downloads=True)
        context.set_default_timeout(TIMEOUT_MS)
        current = Screen(context.new_page(), request.param, flow)
        try:
            yield current
        finally:
            if getattr(request.node, "rep_call_failed", False):
                current.page.screenshot(path=str(ARTIFACTS / f"{flow}-{request.param}-failure.png"))
            context.close()
            browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):  # type: ignore[no-untyped-def]
    """Let the ``screen`` fixture know the test failed, so it keeps a screenshot of the failure."""
    report = yield
    if report.when == "call":
        item.rep_call_failed = report.failed  # type: ignore[attr-defined]
    return report
