"""Pieces of the chat shared by the pages: one message, its sources, the handoff card, answer feedback.

Everything a model or a document wrote goes through :func:`safe_markdown`; links are built here from citation and
window metadata only (:func:`link`), and ``[n]`` chips only for numbers that have a citation. Widget keys derive from
the message id, so a message redrawn on a later rerun keeps its widgets; each message sits in a container keyed
``msg-<id>`` so the view can be moved to it. Labels follow the message's language (:mod:`assistant.ui.labels`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import streamlit as st

from assistant.handoff import mask_pii
from assistant.ui import resources, state
from assistant.ui.citations import anchor, by_document, chip_links, where_in_document, whole_sentences
from assistant.ui.labels import reason, t, urgency
from assistant.ui.safe_text import escape_label, link, safe_markdown, safe_url
from chizai.logsafe import log_exception

log = logging.getLogger(__name__)

MAX_WINDOWS_ON_CARD = 3
URGENCY_COLOR = {"high": "red", "medium": "orange", "low": "blue"}


def quote_block(text: str) -> str:
    lines = safe_markdown(text).strip().splitlines()
    return "\n".join(f"> {line}" if line.strip() else ">" for line in lines)


def answer_markdown(msg: dict[str, Any]) -> str:
    """The answer as Markdown: escaped, with ``[n]`` chips that open passage ``n``."""
    numbers = [int(c["n"]) for c in msg.get("citations") or []]
    return chip_links(safe_markdown(msg.get("content") or ""), msg["id"], numbers)


def sources(msg: dict[str, Any], lang: str | None = None) -> None:
    """One expander per cited document; inside, each cited passage with where it is and the official page."""
    docs = by_document(msg.get("citations") or [])
    if not docs:
        return
    lang = lang or msg.get("language")
    st.markdown(f"**{t('sources', lang)}**")
    for doc in docs:
        count = t("passage", lang) if len(doc.passages) == 1 else t("passages", lang, n=len(doc.passages))
        chips = " ".join(f"[{n}]" for n in doc.numbers)
        publisher = f" — {escape_label(doc.publisher)}" if doc.publisher else ""
        with st.expander(f"{chips} {escape_label(doc.title)}{publisher}（{count}）"):
            if safe_url(doc.url):
                st.markdown(f":material/open_in_new: {link(t('official_page', lang), doc.url)}")
            for passage in doc.passages:
                with st.container(key=anchor(msg["id"], passage["n"])):
                    st.markdown(f"**[{passage['n']}]** {escape_label(where_in_document(passage))}")
                    st.markdown(quote_block(whole_sentences(passage.get("quote") or "")))


def notices(msg: dict[str, Any]) -> None:
    for notice in msg.get("notices") or []:
        st.warning(safe_markdown(notice), icon=":material/warning:")


def window_lines(windows: list[dict[str, Any]], limit: int = MAX_WINDOWS_ON_CARD, lang: str | None = None) -> list[str]:
    lines = []
    for w in windows[:limit]:
        org = f"（{escape_label(w.get('organisation'))}）" if w.get("organisation") else ""
        line = f"- **{link(w.get('name') or w.get('id') or '', w.get('url'))}**{org}"
        if w.get("why"):
            line += f"  \n  {escape_label(w['why'])}"
        list_url = w.get("list_url")
        if safe_url(list_url) and list_url != w.get("url"):
            line += f"  \n  {link(t('local_offices', lang), list_url)}"
        lines.append(line)
    return lines


def handoff_card(msg: dict[str, Any], on_handoff: Callable[[], None]) -> None:
    handoff = msg.get("handoff") or {}
    if not handoff.get("recommended"):
        return
    lang = msg.get("language")
    with st.container(border=True):
        st.markdown(f"#### :material/support_agent: {t('handoff_title', lang)}")
        level = handoff.get("urgency")
        if level:
            st.badge(t("urgency", lang, level=urgency(level, lang)), color=URGENCY_COLOR.get(level, "gray"))
        if reason(handoff, lang):
            st.markdown(safe_markdown(reason(handoff, lang)))
        windows = handoff.get("windows") or []
        if windows:
            st.markdown(f"**{t('windows_title', lang)}**\n\n" + "\n".join(window_lines(windows, lang=lang)))
        handed_off = st.session_state.get(state.HANDED_OFF)
        if handed_off:
            st.info(t("handed_off", lang, no=handed_off), icon=":material/check_circle:")
        elif st.button(
            t("connect", lang), key=f"tohandoff_{msg['id']}", type="primary", icon=":material/arrow_forward:"
        ):
            on_handoff()


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
            question=mask_pii(msg.get("question") or ""),  # no consent asked for feedback: keep no personal data
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
    lang = msg.get("language")
    left, right = st.columns([4, 1], vertical_alignment="center")
    with left:
        st.text_input(
            t("feedback_placeholder", lang),
            key=f"fbc_{msg['id']}",
            disabled=done,
            max_chars=500,
            placeholder=t("feedback_placeholder", lang),
            label_visibility="collapsed",
        )
    with right:
        st.feedback("thumbs", key=f"fb_{msg['id']}", on_change=_store_feedback, args=(msg["id"],), disabled=done)
    if done:
        st.caption(t("feedback_saved", lang))
    elif msg.get("feedback_error"):
        st.caption(t("feedback_failed", lang))
    else:
        st.caption(t("feedback_hint", lang))


def answer_details(msg: dict[str, Any], on_handoff: Callable[[], None]) -> None:
    """Everything under an answer: its sources, the handoff card, feedback."""
    if msg.get("error"):
        return
    sources(msg)
    handoff_card(msg, on_handoff)
    feedback(msg)


def message(msg: dict[str, Any], on_handoff: Callable[[], None]) -> None:
    with st.container(key=f"msg-{msg['id']}"), st.chat_message(msg["role"]):
        if msg["role"] == "user":
            st.markdown(safe_markdown(msg["content"]))
            return
        notices(msg)
        if msg.get("error"):
            st.error(msg["content"])
            return
        st.markdown(answer_markdown(msg))
        answer_details(msg, on_handoff)
