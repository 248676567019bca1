"""The handoff form in a real browser, at 1366×768 and 390×844: the draft starts from the warning letter (not the
follow-up), wrong contact details are named under their fields and block sending without losing anything, Tab
follows the layout, the preview is the sheet as read, and the receipt is at the top of the view after sending.

Fixtures and screenshots: ``tests/e2e/conftest.py`` (``test-artifacts/handoff-*``).
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.browser import ask, box, open_app, settle

pytestmark = pytest.mark.e2e
FLOW = "handoff"
LETTER = "他社から特許侵害の警告書が届きました。どうすればいいですか？"
FOLLOW_UP = "それって弁護士に頼むといくらかかりますか"
TICKET_NO = re.compile(r"C-\d{4}-[0-9A-Z]{8}")
CONTACT_ORDER = ["お名前", "会社名・屋号", "電話番号", "メールアドレス", "連絡のつきやすい時間帯"]


def focused_label(page) -> str:  # type: ignore[no-untyped-def]
    return page.evaluate("() => document.activeElement && document.activeElement.getAttribute('aria-label')")


def test_handoff_draft_checks_preview_and_receipt(screen, app):
    from playwright.sync_api import expect

    page = screen.page
    open_app(page, app.url)
    ask(page, LETTER)
    ask(page, FOLLOW_UP)

    # 1. From the action row: the draft is about the warning letter, the follow-up is context.
    page.locator(".st-key-chat_handoff button").click()
    settle(page)
    expect(page.get_by_role("heading", name="相談窓口につなぐ")).to_be_visible()
    expect(page.get_by_role("textbox", name="相談内容（ご質問）")).to_have_value(LETTER)
    expect(page.get_by_text("緊急度: 高")).to_be_visible()
    screen.shot("draft")

    # 2. Contact details: wrong formats are named under their fields at once.
    page.get_by_test_id("stCheckbox").filter(has_text="提供することに同意します").locator("label").click()
    settle(page)
    page.get_by_role("textbox", name="電話番号").fill("abc-でんわ")
    page.get_by_role("textbox", name="メールアドレス").fill("yamada@")
    page.get_by_role("textbox", name="メールアドレス").press("Tab")
    settle(page)
    expect(page.get_by_text("電話番号の形式が正しくありません").first).to_be_visible()
    expect(page.get_by_text("メールアドレスの形式が正しくありません").first).to_be_visible()
    page.get_by_text("電話番号の形式が正しくありません").first.scroll_into_view_if_needed()
    screen.shot("invalid-contact")

    # 3. Tab follows the layout: name, company, phone, e-mail, time.
    page.get_by_role("textbox", name=CONTACT_ORDER[0]).focus()
    order = [focused_label(page)]
    for _ in CONTACT_ORDER[1:]:
        page.keyboard.press("Tab")
        order.append(focused_label(page))
    assert order == CONTACT_ORDER
    settle(page)

    # 4. Sending is refused, with what to fix; nothing typed is lost.
    page.get_by_role("button", name="この内容で相談を送る").click()
    settle(page)
    refusal = page.get_by_test_id("stAlert").filter(has_text="まだ送信していません")
    expect(refusal).to_contain_text("お名前を入力してください")
    expect(page.get_by_role("textbox", name="電話番号")).to_have_value("abc-でんわ")
    refusal.scroll_into_view_if_needed()
    screen.shot("not-sent")

    # 5. Fixed, the preview shows the sheet as the advisor reads it, contact details included.
    page.get_by_role("textbox", name="お名前").fill("知財 花子")
    page.get_by_role("textbox", name="電話番号").fill("090-1234-5678")
    page.get_by_role("textbox", name="メールアドレス").fill("hanako@example.co.jp")
    page.get_by_role("textbox", name="メールアドレス").press("Tab")
    settle(page)
    preview = page.get_by_test_id("stExpander").filter(has_text="送信される相談シート")
    preview.locator("summary").click()
    details = preview.get_by_test_id("stExpanderDetails")
    expect(details).to_contain_text("相談内容")
    expect(details).to_contain_text("連絡先")
    expect(details).to_contain_text("知財 花子")
    assert "```" not in details.inner_text()  # read as a sheet, not as Markdown source
    details.get_by_text("連絡先", exact=True).scroll_into_view_if_needed()
    screen.shot("preview")

    # 6. Sent: the receipt, at the top of the view, says who replies, how and when.
    page.get_by_role("button", name="この内容で相談を送る").click()
    settle(page)
    receipt = page.locator(".st-key-receipt")
    expect(receipt).to_contain_text("受付番号")
    page.wait_for_timeout(600)
    assert 0 <= box(receipt)["y"] <= 160, "the receipt is not at the top of the view"
    assert TICKET_NO.search(receipt.inner_text())
    expect(receipt).to_contain_text("担当する窓口")
    expect(receipt).to_contain_text("お電話（090-1234-5678）")
    expect(receipt).to_contain_text("ご連絡までの目安")
    expect(page.get_by_role("button", name="この内容で相談を送る")).to_have_count(0)  # no greyed-out form
    screen.shot("receipt")
