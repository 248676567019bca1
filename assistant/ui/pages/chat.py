"""チャット: questions in, streamed grounded answers out, with citations, a handoff card and feedback."""

from __future__ import annotations

import logging
import math

import streamlit as st

from assistant.answer.pipeline import Assistant
from assistant.answer.result import AnswerResult
from assistant.handoff.facts import PREFECTURE_NAMES
from assistant.ui import components, navigation, resources, state
from assistant.ui.safe_text import safe_markdown, safe_stream
from chizai.logsafe import log_exception

log = logging.getLogger(__name__)

EXAMPLES = (
    "商標登録をしないと、どんなリスクがありますか？",
    "他社から特許侵害の警告書が届きました。どうすればいいですか？",
    "取引先とNDA（秘密保持契約）を結ぶときの注意点は？",
    "中小企業が特許の費用を減らせる制度はありますか？",
)
NOT_ADVICE_JA = (
    "知財フロントは公的機関などの資料をもとに一般的な情報をお伝えするもので、**法的助言ではありません**。"
    "営業秘密（未公開の技術・製法・顧客情報など）や個人情報は入力しないでください。"
)
PREFECTURE_KEY = "chat_prefecture"
REMOTE_CONSENT_KEY = "chat_remote_consent"
ERROR_JA = (
    "申し訳ありません。回答の作成中に問題が起きました。"
    "時間をおいてもう一度お試しいただくか、相談窓口をご利用ください。"
)

RATE_LIMIT_JA = "短い時間にご質問が続いたため、少しお待ちください（1分あたり{limit}件まで）。あと約{seconds}秒で送れます。"
RATE_LIMIT_EN = "Too many questions in a short time (limit: {limit} per minute). You can send again in about {seconds} s."
RATE_KEPT_JA = "ご質問は消えていません。下のボタンで、このまま送り直せます。 / Your question is kept: resend it with the button below."


def go_to_handoff(message_id: str) -> None:
    st.session_state[state.HANDOFF_SOURCE] = message_id
    navigation.go(navigation.HANDOFF)


def ask_example(question: str) -> None:
    st.session_state[state.PENDING_QUESTION] = question


def resend_held() -> None:
    """Send the question the rate limit held back (it is held again if the limit still applies)."""
    held = st.session_state.pop(state.RATE_HELD, None)
    if held:
        st.session_state[state.PENDING_QUESTION] = held


def drop_held() -> None:
    st.session_state.pop(state.RATE_HELD, None)


def held_question(limit: int) -> None:
    """The question refused by the rate limit, with how long to wait and buttons to resend or drop it."""
    held = st.session_state.get(state.RATE_HELD)
    if not held:
        return
    seconds = math.ceil(state.rate_limit_wait(limit))
    with st.container(border=True, key="rate_limited"):
        if seconds > 0:
            st.warning(
                RATE_LIMIT_JA.format(limit=limit, seconds=seconds)
                + "  \n"
                + RATE_LIMIT_EN.format(limit=limit, seconds=seconds),
                icon=":material/hourglass_top:",
            )
        st.caption(RATE_KEPT_JA)
        st.markdown(safe_markdown(held))
        left, right = st.columns(2)
        with left:
            st.button(
                "この質問を送り直す / Resend",
                key="resend_held",
                icon=":material/send:",
                on_click=resend_held,
                type="primary",
                width="stretch",
            )
        with right:
            st.button("取り消す / Discard", key="drop_held", on_click=drop_held, width="stretch")


def sidebar(assistant: Assistant | None) -> None:
    with st.sidebar:
        st.button(
            "新しい相談",
            key="new_consultation",
            icon=":material/add_comment:",
            on_click=state.reset_consultation,
            width="stretch",
        )
        state.init_value(PREFECTURE_KEY, "")
        st.selectbox(
            "所在地（任意）",
            ["", *PREFECTURE_NAMES],
            key=PREFECTURE_KEY,
            format_func=lambda p: p or "選択しない",
            help="お近くの相談窓口を案内するために使います。",
            persist_state="session",
        )
        if assistant is not None and "openai" in assistant.available_engines():
            state.init_value(REMOTE_CONSENT_KEY, False)
            st.checkbox(
                "個人情報らしき内容を含む質問も外部のAIに送ってよい",
                key=REMOTE_CONSENT_KEY,
                help="チェックしない場合、そのような質問には資料の抜粋だけでお答えします。",
                persist_state="session",
            )


def examples() -> None:
    st.markdown("**はじめての方へ — たとえば、こんなことを聞けます**")
    cols = st.columns(2)
    for i, question in enumerate(EXAMPLES):
        with cols[i % 2]:
            st.button(question, key=f"example_{i}", on_click=ask_example, args=(question,), width="stretch")


def doc_categories(assistant: Assistant, result: AnswerResult) -> list[str]:
    """Categories of the top retrieved documents (what the handoff policy was given when answering)."""
    try:
        by_doc = {
            d["doc_id"]: d["metadata"].get("category", "") for d in assistant.retriever.catalog.documents()
        }
    except Exception:  # noqa: BLE001 - only a routing hint
        return []
    return [by_doc.get(r["doc_id"], "") for r in result.retrieved[:3]]


def answer(assistant: Assistant, question: str) -> None:
    """Draw the question, stream the answer, then replace it with the verified final text and its details."""
    prior = list(state.messages())
    state.add_message(state.user_message(question))
    with st.chat_message("user"):
        st.markdown(safe_markdown(question))
    with st.chat_message("assistant"):
        notice_slot = st.container()
        body = st.empty()
        try:
            turn = assistant.prepare(
                question,
                state.history_for_assistant(prior),
                prefecture=st.session_state.get(PREFECTURE_KEY) or None,
                consent_remote=bool(st.session_state.get(REMOTE_CONSENT_KEY)),
            )
            with body.container():
                st.write_stream(safe_stream(turn.stream()))
            result = turn.result
            assert result is not None
        except Exception:  # noqa: BLE001 - show a polite error, keep the session usable
            log_exception(log, "answering failed")  # the exception message may quote the question
            body.error(ERROR_JA)
            state.add_message(state.error_message(ERROR_JA))
            return
        msg = state.assistant_message(result, doc_categories(assistant, result))
        state.add_message(msg)
        with notice_slot:
            components.notices(msg)
        body.markdown(safe_markdown(result.answer))
        components.answer_details(msg, go_to_handoff)


def render() -> None:
    st.title("知財フロント")
    st.caption("中小企業のための知的財産（特許・商標・営業秘密・著作権・知財取引）の相談窓口")
    st.info(NOT_ADVICE_JA, icon=":material/info:")
    assistant, problem = resources.assistant()
    sidebar(assistant)
    if assistant is None:
        st.error(problem or resources.INDEX_MISSING_JA)
        return
    typed = st.chat_input(
        "知財について質問してください（例: 商標の登録にかかる期間は？）",
        key="chat_input",
        max_chars=resources.settings().max_question_chars,
    )
    pending = st.session_state.pop(state.PENDING_QUESTION, None)
    question = (typed or pending or "").strip()
    limit = resources.settings().rate_limit_per_minute
    if question and state.rate_limit_wait(limit) > 0:
        st.session_state[state.RATE_HELD] = question  # kept, not answered: shown below with a resend button
        question = ""
    elif question and question == st.session_state.get(state.RATE_HELD):
        st.session_state.pop(state.RATE_HELD)
    for msg in state.messages():
        components.message(msg, go_to_handoff)
    if st.session_state.get(state.HANDED_OFF):
        st.info(
            f"このご相談は受付番号 {st.session_state[state.HANDED_OFF]} で担当者に引き継ぎました。"
            "別のご相談は、サイドバーの「新しい相談」から始めてください。",
            icon=":material/support_agent:",
        )
    if not state.messages() and not question and not st.session_state.get(state.RATE_HELD):
        examples()
    if question:
        state.record_question(limit)
        answer(assistant, question)
    held_question(limit)


if __name__ == "__main__":
    render()
