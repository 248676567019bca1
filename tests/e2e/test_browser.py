"""The chat in a real browser, at 1366×768 and 390×844: the first screen, an answer read from its start, a citation
chip that opens its passage, whole-sentence quotes, the phone layout, English labels for an English question, and
no link made of text nobody checked.

Fixtures and screenshots: ``tests/e2e/conftest.py`` (one server for the browser suites, ``test-artifacts/chat-*``).
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.browser import ask, box, in_view, open_app, settle

pytestmark = pytest.mark.e2e
FLOW = "chat"
LETTER = "他社から特許侵害の警告書が届きました。どうすればいいですか？"
ENGLISH = "We received a patent infringement warning letter. What should we do?"


def starts_inside_brackets(text: str) -> bool:
    """「…回答せよ」という警告書が…: the text closes a bracket before opening one (a quote cut mid-sentence)."""
    depth = 0
    for ch in text:
        if ch in "「『（(":
            depth += 1
        elif ch in "」』）)":
            if depth == 0:
                return True
            depth -= 1
    return False


def test_chat_first_screen_answer_chips_and_phone_layout(screen, app):
    from playwright.sync_api import expect

    page = screen.page
    open_app(page, app.url)

    # 1. The first screen: what it does, what it does not, that a person can take over; examples that fit.
    expect(page.get_by_role("heading", name="知財フロント")).to_be_visible()
    for heading in ("できること", "しないこと", "人に相談したいとき"):
        expect(page.locator("strong", has_text=heading).first).to_be_visible()
    expect(page.get_by_text("担当者に引き継ぎます", exact=False)).to_be_visible()
    examples = page.locator("[class*='st-key-example_'] button")
    assert examples.count() == 4
    cut = examples.evaluate_all("bs => bs.filter(b => b.scrollWidth > b.clientWidth + 1).map(b => b.innerText)")
    assert cut == [], f"example buttons cut off: {cut}"
    assert "create-advisor" not in page.content()
    handoff = page.get_by_role("button", name="相談窓口につなぐ")
    assert in_view(page, handoff)  # reachable without the sidebar, on a phone too
    bottom = box(page.get_by_test_id("stBottom"))
    if screen.phone:
        assert bottom["height"] <= 140, f"the input area takes {bottom['height']} px of 844"
    screen.shot("first-screen")

    # 2. An answer: the view shows its start, [n] chips, one source entry per document, no internal paths.
    answer = ask(page, LETTER)
    page.wait_for_timeout(600)  # the scroll runs once the answer is drawn
    top = box(answer)["y"]
    assert 0 <= top <= 140, f"the new answer starts at y={top}, not at the top of the view"
    screen.shot("answer-start")
    chips = answer.get_by_role("link", name="[1]")
    assert chips.count() >= 1
    sources = answer.get_by_test_id("stExpander")
    titles = sources.locator("summary").all_inner_texts()
    assert len(titles) == len(set(titles)) >= 1  # one entry per document, its passages inside:
    numbers = [n for title in titles for n in re.findall(r"\[(\d+)\]", title)]
    assert len(numbers) == len(set(numbers)) == sum(int(n) for n in re.findall(r"引用 (\d+) か所", " ".join(titles)))
    assert "docs/" not in answer.inner_text() and ".md" not in answer.inner_text()
    bullets = answer.locator("li").all_inner_texts()
    cut = [b for b in bullets if starts_inside_brackets(b)]
    assert not cut, f"quotes that start mid-sentence: {cut}"

    # 3. A chip opens its passage: page/section and the official page, inside the document's entry.
    chips.first.click()
    passage = answer.locator("[class*='st-key-src-']").first
    expect(passage).to_be_visible()
    page.wait_for_timeout(700)  # smooth scroll
    assert in_view(page, passage)
    expect(sources.first.get_by_role("link", name="公式ページを開く")).to_be_visible()
    screen.shot("chip-opens-passage")

    # 4. The actions stay reachable without the sidebar.
    for name in ("相談窓口につなぐ", "新しい相談"):
        assert in_view(page, page.get_by_role("button", name=name).last)
    assert in_view(page, page.locator(".st-key-chat_location"))

    # 5. A new consultation in English: the labels around the answer are English.
    page.get_by_role("button", name="新しい相談").click()
    settle(page)
    answer = ask(page, ENGLISH)
    expect(answer.get_by_text("Sources", exact=True)).to_be_visible()
    expect(answer.get_by_text("We recommend talking to a person")).to_be_visible()
    expect(page.get_by_role("button", name="Connect me with a person").first).to_be_visible()
    assert "出典" not in answer.inner_text()
    if screen.phone:
        assert box(page.get_by_test_id("stBottom"))["height"] <= 140  # the English action row fits one line too
    screen.shot("english-answer")

    # 6. Text nobody checked (typed, answered, quoted) never becomes a link, however Streamlit linkifies.
    ask(page, "Is https://evil.example/login or info@evil.example or www.evil.example an official page?")
    question = page.get_by_test_id("stChatMessage").filter(has=page.get_by_test_id("stChatMessageAvatarUser")).last
    expect(question).to_contain_text("evil.example/login")
    assert question.locator("a").count() == 0
