"""Which pages exist, who sees them, and the sidebar account box; ``app.py`` calls only this module.

Pages are files under ``assistant/ui/pages`` (modules with a ``render()``), registered with fixed ``url_path``s so
links and ``st.switch_page`` stay stable. Every page is registered for everyone, so an advisor URL (``/queue``,
``/ticket?no=…``, a bookmark, a link in a mail) never ends in Streamlit's "Page not found": the advisor pages are
hidden from visitors' navigation, and opening one without a login goes to 担当者ログイン with the page it came from
in ``?next=`` (plus that page's own query parameters), where a successful login returns. Each advisor page also
checks the login itself (:func:`require_advisor`).
The end of an advisor session (logout, or expiry noticed on the next run) goes to the audit trail like the login
did, so the trail shows who was signed in when.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from assistant.ui import layout, resources, state
from chizai.logsafe import log_exception

log = logging.getLogger(__name__)
PAGES_DIR = Path(__file__).resolve().parent / "pages"
NEXT = "next"
TICKET_NO = "no"


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
ADVISOR_PAGES = {spec.url_path: spec for spec in (QUEUE, DETAIL, CORPUS, EVALS)}


def page(spec: PageSpec, *, visible: bool = True) -> Any:
    return st.Page(
        PAGES_DIR / spec.file,
        title=spec.title,
        icon=spec.icon,
        url_path=spec.url_path,
        default=spec is CHAT,
        visibility="visible" if visible else "hidden",
    )


def go(spec: PageSpec, query_params: dict[str, Any] | None = None) -> None:
    st.switch_page(page(spec), query_params=query_params)


def open_ticket(public_no: str) -> None:
    """The detail page of ``public_no``; the number is in the URL, so the page can be bookmarked and shared."""
    go(DETAIL, {TICKET_NO: public_no})


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
    """Per-run bookkeeping before any page draws: the app's CSS and script, and expiring an idle advisor login."""
    layout.apply()
    return current_advisor()


def pages(advisor: dict[str, Any] | None) -> dict[str, list[Any]]:
    """The navigation: everyone gets the consultation pages; the desk is listed for advisors only."""
    desk = [page(spec, visible=bool(advisor)) for spec in ADVISOR_PAGES.values()]
    return {"ご相談": [page(CHAT), page(HANDOFF)], "担当者": [*desk, page(LOGIN)]}


def run(advisor: dict[str, Any] | None) -> None:
    """Run the page the URL asks for; an advisor page without a login becomes the login page, which returns there."""
    current = st.navigation(pages(advisor))
    if advisor is None and current.url_path in ADVISOR_PAGES:
        go(LOGIN, {NEXT: current.url_path, **query_params()})
    current.run()


def query_params() -> dict[str, list[str]]:
    """The URL's query parameters, repeated keys kept (``?status=new&status=in_progress``), ``next`` left out."""
    return {key: st.query_params.get_all(key) for key in st.query_params if key != NEXT}


def return_after_login() -> None:
    """After a login: back to the advisor page in ``?next=`` (only those, so no open redirect), else the queue."""
    spec = ADVISOR_PAGES.get(st.query_params.get(NEXT) or "", QUEUE)
    go(spec, query_params())


def sidebar(advisor: dict[str, Any] | None) -> None:
    with st.sidebar:
        st.caption("知財フロント — 中小企業の知財相談の入口")
        if advisor:
            st.caption(f"ログイン中: {advisor['display_name']}（{advisor['username']}）")
            st.button("ログアウト", key="logout", on_click=logout)


def require_advisor() -> dict[str, Any]:
    """Stop the page unless an advisor is logged in (defence in depth behind :func:`run`)."""
    advisor = current_advisor()
    if not advisor:
        st.warning("このページは相談員専用です。「担当者ログイン」からログインしてください。")
        st.stop()
    assert advisor is not None
    return advisor
