"""Which pages exist, who sees them, and the sidebar account box; ``app.py`` calls only this module.

Pages are files under ``assistant/ui/pages`` (modules with a ``render()``), registered with fixed
``url_path``s so links and ``st.switch_page`` stay stable. Advisor pages are only registered for a
logged-in advisor, and each of them checks the login again itself (:func:`require_advisor`).
The end of an advisor session (logout, or expiry noticed on the next run) goes to the audit trail like the
login did, so the trail shows who was signed in when.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from assistant.ui import resources, state
from chizai.logsafe import log_exception

log = logging.getLogger(__name__)
PAGES_DIR = Path(__file__).resolve().parent / "pages"


@dataclass(frozen=True)
class PageSpec:
    file: str
    title: str
    icon: str
    url_path: str


CHAT = PageSpec("chat.py", "チャット", ":material/chat:", "chat")
HANDOFF = PageSpec("handoff.py", "相談窓口につなぐ", ":material/support_agent:", "handoff")
LOGIN = PageSpec("login.py", "担当者ログイン", ":material/login:", "login")
QUEUE = PageSpec("queue.py", "受付一覧", ":material/inbox:", "queue")
DETAIL = PageSpec("detail.py", "案件詳細", ":material/assignment:", "ticket")
CORPUS = PageSpec("corpus.py", "コーパス", ":material/library_books:", "corpus")
EVALS = PageSpec("evals.py", "評価", ":material/analytics:", "evals")


def page(spec: PageSpec) -> Any:
    return st.Page(
        PAGES_DIR / spec.file, title=spec.title, icon=spec.icon, url_path=spec.url_path, default=spec is CHAT
    )


def go(spec: PageSpec) -> None:
    st.switch_page(page(spec))


def current_advisor() -> dict[str, Any] | None:
    before = st.session_state.get(state.ADVISOR)
    advisor = state.current_advisor(resources.settings().advisor_session_minutes)
    if before and advisor is None:
        _audit(before["username"], "session_expired")
    return advisor


def logout() -> None:
    """The sidebar's ログアウト button."""
    advisor = st.session_state.get(state.ADVISOR)
    if advisor:
        _audit(advisor["username"], "logout")
    state.logout("ログアウトしました。")


def _audit(username: str, action: str) -> None:
    try:
        resources.store().record_event(username, action, {})
    except Exception:  # noqa: BLE001 - ending a session must work even when the database does not
        log_exception(log, f"could not record {action}")


def start_run() -> dict[str, Any] | None:
    """Per-run bookkeeping before any page draws (today: expire an idle advisor login)."""
    return current_advisor()


def pages(advisor: dict[str, Any] | None) -> dict[str, list[Any]]:
    """The navigation: everyone gets the consultation pages; advisors also the desk."""
    nav: dict[str, list[Any]] = {"ご相談": [page(CHAT), page(HANDOFF)]}
    if advisor:
        nav["担当者"] = [page(QUEUE), page(DETAIL), page(CORPUS), page(EVALS), page(LOGIN)]
    else:
        nav["担当者"] = [page(LOGIN)]
    return nav


def sidebar(advisor: dict[str, Any] | None) -> None:
    with st.sidebar:
        st.caption("知財フロント — 中小企業の知財相談の入口")
        if advisor:
            st.caption(f"ログイン中: {advisor['display_name']}（{advisor['username']}）")
            st.button("ログアウト", key="logout", on_click=logout)


def require_advisor() -> dict[str, Any]:
    """Stop the page unless an advisor is logged in (defence in depth behind the navigation)."""
    advisor = current_advisor()
    if not advisor:
        st.warning("このページは相談員専用です。「担当者ログイン」からログインしてください。")
        st.stop()
    assert advisor is not None
    return advisor
