"""The advisor desk in a real browser, at 1366×768 and 390×844: an advisor link opened without a login goes to
担当者ログイン and back with its filters; the queue fits the screen with the question first; a click on a row opens
the ticket with the contact details on top; tabs start on the sheet for every ticket; the assignee comes from the
advisor accounts; notes form a thread; the CSV has the names people read and the consented contact details.

Fixtures and screenshots: ``tests/e2e/conftest.py`` (``test-artifacts/desk-*``).
"""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

from assistant.handoff import build_sheet
from tests.e2e.browser import box, choose, download, in_view, log_in, settle

pytestmark = pytest.mark.e2e
FLOW = "desk"
ROW_PX = 35  # Streamlit's data grid: header and rows are 35 px high


def seed(app, marker: str) -> tuple:  # type: ignore[no-untyped-def]
    """Two tickets carrying ``marker``: an urgent one with consented contact details, a plain one without."""
    store = app.store()
    made = []
    for question, urgency, contact in (
        (f"警告書が届きました {marker}", "high", {"お名前": "知財 花子", "電話番号": "090-1234-5678"}),
        (f"商標の出願を相談したい {marker}", "low", None),
    ):
        sheet = build_sheet(question, [], "（回答）", [])
        payload = {**sheet.model_dump(mode="json"), "conversation": [{"role": "user", "content": question}]}
        made.append(
            store.create_ticket(
                payload, sheet.to_markdown(), question=question, urgency=urgency, category="dispute",
                prefecture="大阪府", windows=["jpaa", "inpit-chizai-sogo"], contact=contact,
                consent=contact is not None, session_token=f"sme-{marker}",
            )
        )
    return tuple(made)


def click_row(page, index: int) -> None:  # type: ignore[no-untyped-def]
    page.get_by_test_id("stDataFrame").scroll_into_view_if_needed()
    grid = box(page.get_by_test_id("stDataFrame"))
    page.mouse.click(grid["x"] + 60, grid["y"] + ROW_PX * (index + 1) + ROW_PX / 2)
    settle(page)


def test_desk_login_detour_queue_ticket_notes_and_csv(screen, app):
    from playwright.sync_api import expect

    page = screen.page
    marker = uuid.uuid4().hex[:8]
    urgent, plain = seed(app, marker)

    # 1. A bookmarked queue view, logged out: the login page, then back to the same view.
    page.goto(f"{app.url}/queue?q={marker}&pref={quote('大阪府')}")
    settle(page)
    expect(page.get_by_role("heading", name="担当者ログイン")).to_be_visible()
    assert "next=queue" in page.url and "Page not found" not in page.content()
    screen.shot("login-detour")
    log_in(page)
    expect(page.get_by_role("heading", name="受付一覧")).to_be_visible()
    assert f"q={marker}" in page.url and "pref=" in page.url

    # 2. The queue: the question first, no sideways scrolling at 1366 px, two rows for this marker.
    grid = page.get_by_test_id("stDataFrame")
    expect(grid).to_be_visible()
    widths = grid.locator(".dvn-scroller").evaluate("s => [s.scrollWidth, s.clientWidth]")
    if not screen.phone:
        assert widths[0] <= widths[1], f"the queue is {widths[0]} px wide in {widths[1]} px"
    assert box(grid)["height"] < ROW_PX * 4 + 10  # header + 2 rows
    assert in_view(page, grid)  # the queue itself, not only filters, on the first screen
    expect(page.get_by_text("絞り込み: 都道府県 大阪府")).to_be_visible()
    screen.shot("queue")

    # 3. A click in a row opens that ticket (most urgent first): contact details on top.
    click_row(page, 0)
    expect(page.get_by_role("heading", name=f"案件 {urgent.public_no}")).to_be_visible()
    assert f"no={urgent.public_no}" in page.url
    contact = page.locator(".st-key-detail_contact")
    expect(contact).to_contain_text("090-1234-5678")
    assert box(contact)["y"] < box(page.get_by_role("tab", name="相談シート"))["y"]
    if not screen.phone:
        assert in_view(page, contact)
    screen.shot("ticket-contact-first")

    # 4. The 会話 tab of one ticket does not stay selected for the next.
    page.get_by_role("tab", name="会話").click()
    expect(page.get_by_role("tab", name="会話")).to_have_attribute("aria-selected", "true")
    page.get_by_role("link", name="受付一覧に戻る").first.click()
    settle(page)
    assert f"q={marker}" in page.url  # the filters came back too
    click_row(page, 1)
    expect(page.get_by_role("heading", name=f"案件 {plain.public_no}")).to_be_visible()
    expect(page.get_by_role("tab", name="相談シート")).to_have_attribute("aria-selected", "true")
    expect(page.locator(".st-key-detail_contact")).to_contain_text("連絡先なし")

    # 5. Assignee from the advisor accounts; notes as a thread with author and time.
    choose(page, "担当者", "佐藤 花子（sato）")
    page.get_by_role("button", name="保存").click()
    settle(page)
    expect(page.get_by_test_id("stAlert").filter(has_text="保存しました。")).to_be_visible()
    for note in ("折り返し電話済み", "来週火曜に面談予定"):
        page.get_by_role("textbox", name="メモを追加").fill(note)
        page.get_by_role("button", name="メモを追加").click()
        settle(page)
    expect(page.get_by_text("山田 太郎（yamada） ・ ")).to_have_count(2)
    expect(page.get_by_text("折り返し電話済み")).to_be_visible()
    page.get_by_text("来週火曜に面談予定").scroll_into_view_if_needed()
    screen.shot("notes-thread")

    # 6. The CSV: names for 分野 and 窓口, the notes, and the consented contact details.
    page.get_by_role("link", name="受付一覧に戻る").first.click()
    text = Path(download(page, "CSV をダウンロード（Excel 対応）").path()).read_text(encoding="utf-8-sig")
    rows = {r["受付番号"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows[urgent.public_no]["窓口"] == "日本弁理士会の知財相談、INPIT 知財総合支援窓口"
    assert rows[urgent.public_no]["分野"] != "dispute" and rows[urgent.public_no]["電話番号"] == "090-1234-5678"
    assert rows[plain.public_no]["担当者"] == "佐藤 花子" and "来週火曜に面談予定" in rows[plain.public_no]["メモ"]
    assert rows[plain.public_no]["電話番号"] == ""
    screen.shot("queue-after-csv")

    # 7. A ticket link opened in a new session: login, then that ticket.
    page.goto(f"{app.url}/ticket?no={urgent.public_no}")
    settle(page)
    log_in(page)
    expect(page.get_by_role("heading", name=f"案件 {urgent.public_no}")).to_be_visible()
    screen.shot("ticket-after-login")
