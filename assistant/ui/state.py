"""Per-user state in ``st.session_state``: kept small, bounded, and redrawn from scratch on every
rerun.

Keys used across pages are named here once. Messages are plain dicts (JSON-able) so nothing heavy or
unpicklable lands in the session; widget keys derive from a message's random id, so they stay stable
when history is redrawn.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import asdict
from typing import Any

import streamlit as st

from assistant.answer.result import AnswerResult
from assistant.ui.citations import complete_sentences

MESSAGES = "messages"
SESSION_TOKEN = "session_token"
HANDED_OFF = "handed_off"  # public number of the ticket this consultation was handed over with
PENDING_QUESTION = "pending_question"
CHAT_PREFECTURE = "chat_prefecture"
ADVISOR = "advisor"
ADVISOR_NOTICE = "advisor_notice"
ADVISOR_VIEWED = "advisor_viewed_tickets"  # tickets whose opening is already in the audit trail (this login)
QUEUE_QUERY = "advisor_queue_query"  # the queue's filters, for the way back from a ticket
HANDOFF_PREFIX = "handoff_"
RATE_TIMES = "rate_times"  # monotonic times of this session's questions in the last minute (at most the limit)
RATE_HELD = "rate_held_question"  # a question the rate limit refused: kept on screen until resent or dropped

MAX_MESSAGES = 40  # 20 question/answer pairs on screen; the assistant itself only sees settings.max_history
MAX_ADVISOR_SESSION_S = 8 * 3600  # absolute limit of one login, whatever the activity
RATE_WINDOW_S = 60.0


def session_token() -> str:
    """A random token for this browser session: the user's tickets are found by its hash, nothing else."""
    if SESSION_TOKEN not in st.session_state:
        st.session_state[SESSION_TOKEN] = secrets.token_urlsafe(32)
    return st.session_state[SESSION_TOKEN]


def new_id() -> str:
    return uuid.uuid4().hex[:12]


def messages() -> list[dict[str, Any]]:
    return st.session_state.setdefault(MESSAGES, [])


def add_message(message: dict[str, Any]) -> None:
    msgs = messages()
    msgs.append(message)
    if len(msgs) > MAX_MESSAGES:
        del msgs[: len(msgs) - MAX_MESSAGES]


def user_message(question: str) -> dict[str, Any]:
    return {"id": new_id(), "role": "user", "content": question}


def assistant_message(
    result: AnswerResult, doc_categories: list[str], message_id: str | None = None
) -> dict[str, Any]:
    """An answer as the chat keeps it; quotes cut inside a sentence are shown whole (``complete_sentences``)."""
    citations = [asdict(c) for c in result.citations]
    return {
        "id": message_id or new_id(),
        "role": "assistant",
        "content": complete_sentences(result.answer, citations),
        "question": result.question,
        "language": result.language,
        "citations": citations,
        "handoff": result.handoff,
        "notices": list(result.notices),
        "refused": result.refused,
        "engine": result.engine,
        "support": result.support,
        "categories": doc_categories,
        "feedback": None,
    }


def error_message(text: str, language: str = "ja") -> dict[str, Any]:
    return {
        "id": new_id(),
        "role": "assistant",
        "content": text,
        "language": language,
        "error": True,
        "citations": [],
        "handoff": {},
        "notices": [],
        "feedback": None,
    }


def find_message(message_id: str | None) -> dict[str, Any] | None:
    return next((m for m in messages() if m["id"] == message_id), None)


def last_answer() -> dict[str, Any] | None:
    return next((m for m in reversed(messages()) if m["role"] == "assistant" and not m.get("error")), None)


def last_language() -> str:
    """The language of the conversation so far: that of the latest answer, Japanese before the first one."""
    answer = last_answer()
    return (answer or {}).get("language") or "ja"


def history_for_assistant(msgs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the assistant sees: role and text, plus a marker once the case was handed to a person."""
    history: list[dict[str, Any]] = [
        {"role": m["role"], "content": m["content"]} for m in msgs if not m.get("error")
    ]
    if st.session_state.get(HANDED_OFF):
        history.append({"role": "system", "content": "", "handoff_status": "sent"})
    return history


def rate_limit_wait(limit: int, now: float | None = None) -> float:
    """Seconds until this session may ask again (0 = now): caps the CPU one browser tab can take.

    Only the last minute is kept, so the log never holds more than ``limit`` times however long the session runs.
    """
    if limit <= 0:
        return 0.0
    now = time.monotonic() if now is None else now
    recent = [t for t in st.session_state.get(RATE_TIMES, []) if now - t < RATE_WINDOW_S][-limit:]
    st.session_state[RATE_TIMES] = recent
    if len(recent) < limit:
        return 0.0
    return max(RATE_WINDOW_S - (now - recent[0]), 0.01)


def record_question(limit: int, now: float | None = None) -> None:
    """Count a question against the rate limit (called only for questions that are answered)."""
    if limit <= 0:
        return
    now = time.monotonic() if now is None else now
    st.session_state[RATE_TIMES] = [*st.session_state.get(RATE_TIMES, []), now][-limit:]


def init_value(key: str, value: Any, *, force: bool = False) -> None:
    """Give a keyed widget its starting value through session state (never also through ``value=``)."""
    if force or key not in st.session_state:
        st.session_state[key] = value


def reset_consultation() -> None:
    """「新しい相談」: forget the conversation and the handoff draft; keep the token (the user's tickets) and the
    rate-limit log (a new consultation must not reset the limit)."""
    drop = (HANDOFF_PREFIX, "fb_", "fbc_")
    for key in list(st.session_state.keys()):
        if key in (MESSAGES, HANDED_OFF, PENDING_QUESTION, RATE_HELD) or str(key).startswith(drop):
            del st.session_state[key]


# --- advisors ---------------------------------------------------------------------------------------------


def login(username: str, display_name: str, windows: list[str]) -> None:
    now = time.time()
    st.session_state[ADVISOR] = {
        "username": username,
        "display_name": display_name or username,
        "windows": list(windows),
        "login_at": now,
        "last_seen": now,
    }


def logout(notice: str | None = None) -> None:
    for key in (ADVISOR, ADVISOR_VIEWED, QUEUE_QUERY):
        st.session_state.pop(key, None)
    if notice:
        st.session_state[ADVISOR_NOTICE] = notice


def current_advisor(idle_minutes: int, now: float | None = None) -> dict[str, Any] | None:
    """The logged-in advisor, or None; a login idle too long (or older than 8 h) expires here."""
    advisor = st.session_state.get(ADVISOR)
    if not advisor:
        return None
    now = time.time() if now is None else now
    if now - advisor["last_seen"] > idle_minutes * 60 or now - advisor["login_at"] > MAX_ADVISOR_SESSION_S:
        logout("セッションの有効期限が切れました。もう一度ログインしてください。")
        return None
    advisor["last_seen"] = now
    return advisor
