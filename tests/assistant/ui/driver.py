"""Small AppTest helpers shared by the app test files: start the app, ask, read answers, fail on exceptions."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.assistant.ui.ui_index import APP


def new_app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=120)


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def ask(at: AppTest, question: str) -> AppTest:
    return ok(at.chat_input[0].set_value(question).run())


def answers(at: AppTest) -> list:
    return [m for m in at.chat_message if m.name == "assistant"]
