"""Advisor logins expire: after ``advisor_session_minutes`` idle, and after 8 hours whatever the activity."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from assistant.ui import state
from chizai.settings import Settings

T0 = 1_800_000_000.0


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> dict:
    """A plain dict as Streamlit's session state and a clock the test sets."""
    fake = SimpleNamespace(session_state={})
    clock = SimpleNamespace(now=T0)
    monkeypatch.setattr(state, "st", fake)
    monkeypatch.setattr(state, "time", SimpleNamespace(time=lambda: clock.now, monotonic=lambda: clock.now))
    state.login("yamada", "山田 太郎", ["jpaa"])
    return fake.session_state


def test_default_idle_limit_is_thirty_minutes() -> None:
    assert Settings().advisor_session_minutes == 30


def test_idle_login_expires(session: dict) -> None:
    idle = 30
    assert state.current_advisor(idle, now=T0 + idle * 60) is not None  # exactly the limit: still in
    assert session[state.ADVISOR]["last_seen"] == T0 + idle * 60  # activity moves the idle window
    assert state.current_advisor(idle, now=T0 + 2 * idle * 60 + 1) is None
    assert state.ADVISOR not in session
    assert "有効期限" in session[state.ADVISOR_NOTICE]


def test_active_login_still_ends_after_eight_hours(session: dict) -> None:
    now = T0
    while now + 25 * 60 <= T0 + state.MAX_ADVISOR_SESSION_S:
        now += 25 * 60  # busy: never idle for 30 minutes
        assert state.current_advisor(30, now=now) is not None
    assert state.current_advisor(30, now=T0 + state.MAX_ADVISOR_SESSION_S + 1) is None
    assert state.MAX_ADVISOR_SESSION_S == 8 * 3600


def test_logout_forgets_the_advisor_and_what_they_looked_at(session: dict) -> None:
    session[state.QUEUE_QUERY] = {"status": ["new"]}
    session[state.ADVISOR_VIEWED] = {42}
    state.logout("ログアウトしました。")
    assert state.current_advisor(30, now=T0 + 1) is None
    assert state.QUEUE_QUERY not in session and state.ADVISOR_VIEWED not in session
