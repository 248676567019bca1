"""Pieces of the chat shared by the pages: one message, its citations, the handoff card, answer
feedback.

Everything a model or a document wrote goes through :func:`safe_markdown`; links are built here from
citation and window metadata only (:func:`link`). Widget keys derive from the message id, so a
message redrawn on a later rerun keeps its widgets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import streamlit as st

from assistant.handoff import mask_pii
from assistant.handoff.decision import URGENCY_JA
from assistant.ui import resources, state
from assistant.ui.safe_text import escape_label, link, safe_markdown, safe_url
from chizai.logsafe import log_exception

log = logging.getLogger(__name__)

MAX_WINDOWS_ON_CARD = 3
URGENCY_COLOR = {"high": "red", "medium": "orange", "low": "blue"}


def where_in_document(citation: dict[str, Any]) -> str:
    """「p.3」「『ポイント』」 or both: where the quoted passage is, from retrieval metadata."""
    parts: list[str] = []
    if citation.get("page_label"):
        parts.append(f"p.{citation['page_label']}")
    elif citation.get("page"):
        parts.append(f"p.{citation['page']}")
    section = citation.get("section") or ""
    title = citation.get("title") or ""
    if title and section.startswith(title):  # sections are stored as 「title > heading」
        section = section[len(title) :].lstrip(" >")
    if section:
        parts.append(f"「{section}」")
    return " ".join(parts)


def quote_block(text: str) -> str:
    lines = safe_markdown(text).strip().splitlines()
    return "\n".join(f"> {line}" if line.strip() else ">" for line in lines)


def citations(msg: dict[str, Any]) -> None:
    items = msg.get("citations") or []
    if not items:
        return
    st.markdown("**出典**")
    for c in items:
        meta = " ・ ".join(escape_label(x) for x in (c.get("publisher") or "", where_in_document(c)) if x)
        official = f" — {link('公式ページ', c.get('url'))}" if safe_url(c.get("url")) else ""
        st.markdown(
            f"**[{c['n']}]** {escape_label(c.get('title'))}" + (f"（{meta}）" if meta else "") + official
        )
        with st.expander(f"[{c['n']}] の引用箇所を表示"):
            st.markdown(quote_block(c.get("quote") or ""))
            st.caption(f"資料ファイル: {escape_label(c.get('source'))}")


def notices(msg: dict[str, Any]) -> None:
    for notice in msg.get("notices") or []:
        st.warning(safe_markdown(notice), icon=":material/warning:")


def window_lines(windows: list[dict[str, Any]], limit: int = MAX_WINDOWS_ON_CARD) -> list[str]:
    lines = []
    for w in windows[:limit]:
        org = f"（{escape_label(w.get('organisation'))}）" if w.get("organisation") else ""
        line = f"- **{link(w.get('name') or w.get('id') or '', w.get('url'))}**{org}"
        if w.get("why"):
            line += f"  \n  {escape_label(w['why'])}"
        list_url = w.get("list_url")
        if safe_url(list_url) and list_url != w.get("url"):
            line += f"  \n  {link('お近くの窓口の一覧（公式）', list_url)}"
        lines.append(line)
    return lines


def handoff_card(msg: dict[str, Any], on_handoff: Callable[[str], None]) -> None:
    handoff = msg.get("handoff") or {}
    if not handoff.get("recommended"):
        return
    with st.container(border=True):
        st.markdown("#### :material/support_agent: 担当者への相談をおすすめします")
        urgency = handoff.get("urgency")
        if urgency:
            st.badge(f"緊急度: {URGENCY_JA.get(urgency, urgency)}", color=URGENCY_COLOR.get(urgency, "gray"))
        if handoff.get("reason_ja"):
            st.markdown(safe_markdown(handoff["reason_ja"]))
        windows = handoff.get("windows") or []
        if windows:
            st.markdown("**おすすめの相談窓口**\n\n" + "\n".join(window_lines(windows)))
        handed_off = st.session_state.get(state.HANDED_OFF)
        if handed_off:
            st.info(f"受付番号 {handed_off} で担当者に引き継ぎました。", icon=":material/check_circle:")
        elif st.button(
            "相談窓口につなぐ", key=f"tohandoff_{msg['id']}", type="primary", icon=":material/arrow_forward:"
        ):
            on_handoff(msg["id"])


def _store_feedback(message_id: str) -> None:
    msg = state.find_message(message_id)
    value = st.session_state.get(f"fb_{message_id}")
    if msg is None or value is None or msg.get("feedback") is not None:
        return
    score = 1 if value == 1 else -1
    comment = str(st.session_state.get(f"fbc_{message_id}") or "").strip()[:1000]
    try:
        resources.store().add_feedback(
            session_token=state.session_token(),
            question=mask_pii(
                msg.get("question") or ""
            ),  # no consent asked for feedback: keep no personal data
            answer=msg.get("content") or "",
            score=score,
            comment=mask_pii(comment),
        )
    except Exception:  # noqa: BLE001 - a lost rating must not break the chat
        log_exception(log, "could not store feedback")
        msg["feedback_error"] = True
        return
    msg["feedback"] = score


def feedback(msg: dict[str, Any]) -> None:
    done = msg.get("feedback") is not None
    left, right = st.columns([4, 1], vertical_alignment="center")
    with left:
        st.text_input(
            "この回答へのコメント（任意）",
            key=f"fbc_{msg['id']}",
            disabled=done,
            max_chars=500,
            placeholder="この回答へのコメント（任意）: 役に立った点・足りなかった点",
            label_visibility="collapsed",
        )
    with right:
        st.feedback(
            "thumbs", key=f"fb_{msg['id']}", on_change=_store_feedback, args=(msg["id"],), disabled=done
        )
    if done:
        st.caption("評価を記録しました。ありがとうございます。")
    elif msg.get("feedback_error"):
        st.caption("評価を記録できませんでした。時間をおいてもう一度お試しください。")
    else:
        st.caption("評価ボタンを押すと、コメントと一緒に記録されます（個人情報は伏せて保存します）。")


def answer_details(msg: dict[str, Any], on_handoff: Callable[[str], None]) -> None:
    """Everything under an answer: citations, the handoff card, feedback."""
    if msg.get("error"):
        return
    citations(msg)
    handoff_card(msg, on_handoff)
    feedback(msg)


def message(msg: dict[str, Any], on_handoff: Callable[[str], None]) -> None:
    with st.chat_message(msg["role"]):
        if msg["role"] == "user":
            st.markdown(safe_markdown(msg["content"]))
            return
        notices(msg)
        if msg.get("error"):
            st.error(msg["content"])
            return
        st.markdown(safe_markdown(msg["content"]))
        answer_details(msg, on_handoff)
