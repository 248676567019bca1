"""Steps the browser suites share: wait for Streamlit, log in, ask, read the layout (Streamlit 1.67 test ids)."""

from __future__ import annotations

from typing import Any

from tests.assistant.ui.ui_index import ADVISOR, ADVISOR_PASSWORD

TIMEOUT_MS = 60_000


def settle(page: Any) -> None:
    """Wait until the script run triggered by the last action has finished."""
    from playwright.sync_api import expect

    page.wait_for_timeout(150)  # let the click reach the server before asking whether it is done
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning", timeout=TIMEOUT_MS)


def download(page: Any, button: str) -> Any:
    """Click a download button once the page is idle; click once more if no file comes.

    In one CI run (of many) on the phone viewport a click right after a page change gave no download — most likely
    the deferred file belonged to a script run the click interrupted; it did not recur locally. A person clicks
    again; so does the test, and a button that never downloads still fails."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    target = page.get_by_role("button", name=button)
    expect(target).to_be_enabled(timeout=TIMEOUT_MS)
    settle(page)
    try:
        with page.expect_download(timeout=TIMEOUT_MS // 3) as first:
            target.click()
        return first.value
    except PlaywrightTimeout:
        settle(page)
        with page.expect_download(timeout=TIMEOUT_MS) as second:
            target.click()
        return second.value


def open_app(page: Any, url: str) -> None:
    page.goto(url)
    settle(page)


def ask(page: Any, question: str) -> Any:
    """Type and send a question; the newest assistant message once its answer is complete."""
    from playwright.sync_api import expect

    answers = page.get_by_test_id("stChatMessage").filter(has=page.get_by_test_id("stChatMessageAvatarAssistant"))
    before = answers.count()
    field = page.get_by_test_id("stChatInputTextArea")
    field.fill(question)
    expect(page.get_by_test_id("stChatInputSubmitButton")).to_be_enabled()
    field.press("Enter")
    expect(answers).to_have_count(before + 1)
    expect(answers.last.get_by_test_id("stFeedback")).to_be_visible()  # drawn after the answer is complete
    settle(page)
    return answers.last


def log_in(page: Any, username: str = ADVISOR, password: str = ADVISOR_PASSWORD) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name="担当者ログイン")).to_be_visible()
    page.get_by_role("textbox", name="ユーザー名").fill(username)
    page.get_by_role("textbox", name="パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    settle(page)


def box(locator: Any) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None, f"{locator} is not rendered"
    return found


def in_view(page: Any, locator: Any) -> bool:
    """True when the element is (at least partly) inside the viewport: reachable without scrolling."""
    b = box(locator)
    size = page.viewport_size
    return b["y"] < size["height"] and b["y"] + b["height"] > 0 and b["x"] < size["width"] and b["x"] + b["width"] > 0


def choose(page: Any, label: str, option: str) -> None:
    """Pick ``option`` in the select box labelled ``label``."""
    select = page.get_by_test_id("stSelectbox").filter(has_text=label)
    select.scroll_into_view_if_needed()  # a scroll while the list is open would close it again
    page.wait_for_timeout(300)
    select.get_by_role("combobox").click()
    page.get_by_role("option", name=option).click()
    settle(page)
