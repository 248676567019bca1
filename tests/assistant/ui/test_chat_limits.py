"""Bounded resources in the chat, through AppTest on the small real index: the per-session rate limit (nothing
the user typed is lost), the question-length cap that also holds for clients other than the browser, and the
long-lived heap kept out of Streamlit's per-rerun full garbage collection."""

from __future__ import annotations

import gc
import time

import pytest
from streamlit.testing.v1 import AppTest

from assistant.ui import state
from chizai.settings import get_settings
from tests.assistant.ui.driver import answers, ask, new_app, ok

LIMIT = 2


def limit_warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if "1分あたり" in w.value]


@pytest.fixture
def limited(ui_data, monkeypatch):
    """The app with a limit of LIMIT questions per minute (settings are read from CHIZAI_* per process)."""
    monkeypatch.setenv("CHIZAI_RATE_LIMIT_PER_MINUTE", str(LIMIT))
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_rate_limit_holds_the_question_and_resends_it_later(limited):
    at = ok(new_app().run())
    ask(at, "商標登録をしないと、どんなリスクがありますか？")
    ask(at, "それの費用は？")
    assert len(answers(at)) == LIMIT and not limit_warnings(at)

    third = "特許の出願から登録までの流れを教えてください。"
    ask(at, third)
    assert len(answers(at)) == LIMIT  # not answered ...
    [warning] = limit_warnings(at)
    assert f"1分あたり{LIMIT}件まで" in warning and "per minute" in warning and "秒" in warning
    assert any(md.value == third for md in at.markdown)  # ... but still on screen
    assert at.session_state[state.RATE_HELD] == third
    assert [m["content"] for m in at.session_state["messages"] if m["role"] == "user"][-1] != third

    ok(at.button(key="resend_held").click().run())  # too early: held again, still not answered
    assert len(answers(at)) == LIMIT and limit_warnings(at)
    assert at.session_state[state.RATE_HELD] == third

    # A minute later the same button sends it.
    at.session_state[state.RATE_TIMES] = [time.monotonic() - 61] * LIMIT
    ok(at.button(key="resend_held").click().run())
    assert len(answers(at)) == LIMIT + 1 and not limit_warnings(at)
    assert at.session_state["messages"][-2]["content"] == third
    assert "(#src-" in answers(at)[-1].markdown[0].value  # answered, with its citation chips
    assert state.RATE_HELD not in at.session_state
    assert not [b for b in at.button if b.key == "resend_held"]


def test_new_consultation_neither_resets_the_limit_nor_keeps_the_held_question(limited):
    at = ok(new_app().run())
    for q in ("特許とは何ですか？", "商標とは何ですか？", "意匠とは何ですか？"):
        ask(at, q)
    assert limit_warnings(at)
    ok(at.button(key="new_consultation").click().run())
    assert state.RATE_HELD not in at.session_state and not at.chat_message
    ask(at, "実用新案とは何ですか？")
    assert not answers(at) and limit_warnings(at)  # still limited after 「新しい相談」
    ok(at.button(key="drop_held").click().run())
    assert state.RATE_HELD not in at.session_state and not limit_warnings(at)


def test_rate_limit_log_stays_bounded(limited):
    at = ok(new_app().run())
    at.session_state[state.RATE_TIMES] = [time.monotonic() - 600 + i for i in range(500)]  # old entries
    ask(at, "特許とは何ですか？")
    assert len(answers(at)) == 1
    assert len(at.session_state[state.RATE_TIMES]) <= LIMIT


def test_zero_disables_the_limit(ui_data, monkeypatch):
    monkeypatch.setenv("CHIZAI_RATE_LIMIT_PER_MINUTE", "0")
    get_settings.cache_clear()
    try:
        at = ok(new_app().run())
        for i in range(4):
            ask(at, f"特許の費用はいくらですか？（{i}）")
        assert len(answers(at)) == 4 and not limit_warnings(at)
        assert state.RATE_TIMES not in at.session_state  # no log kept at all
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_an_overlong_question_is_cut_to_the_setting_even_without_a_browser(ui_data):
    """The browser stops typing at max_chars; a raw client is cut on the server, so session state stays small."""
    at = ok(new_app().run())
    limit = get_settings().max_question_chars
    ask(at, "特許の費用について教えてください。" + "あ" * (limit * 3))
    stored = [m["content"] for m in at.session_state["messages"] if m["role"] == "user"]
    assert len(stored) == 1 and len(stored[0]) <= limit
    assert len(answers(at)) == 1


def test_loading_the_assistant_freezes_the_startup_heap(ui_data):
    """Streamlit runs gc.collect(2) after every rerun; the loaded app must not be rescanned each time."""
    at = ok(new_app().run())
    assert at.chat_input  # the assistant was built (the index opened)
    assert gc.get_freeze_count() > 50_000  # modules, model and index clients: out of the per-rerun collection
