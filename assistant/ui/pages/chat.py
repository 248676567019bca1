"""チャット: questions in, streamed grounded answers out, with sources, a handoff card and feedback.

The first screen says what the assistant does, what it does not, and that a person can take over. The actions a
user needs mid-conversation (hand over to a person, start again, set the location) sit in a row above the input,
so they are reachable on a phone without opening the sidebar. After an answer has streamed, the view moves to its
start: long answers are read from the top.
"""

from __future__ import annotations

import logging
import math

import streamlit as st

from assistant.answer.pipeline import Assistant
from assistant.answer.result import AnswerResult
from assistant.handoff.facts import PREFECTURE_NAMES
from assistant.ui import components, layout, navigation, resources, state
from assistant.ui.labels import t
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
DOES_JA = (
    "特許・商標・営業秘密・著作権・取引先との知財のやり取りについて、公的機関などの資料をもとに"
    "**出典付きで**ご案内します。",
    "どこに相談すればよいか迷ったら、合う公的な相談窓口（多くは無料）をご紹介します。",
)
DOES_NOT_JA = (
    "個別の事案について「侵害になる・ならない」などの判断はしません。",
    "回答は一般的な情報で、弁理士・弁護士の助言の代わりにはなりません。",
)
PERSON_JA = (
    "警告書・期限・紛争など、人の判断が必要なときは**相談シート**を作って相談窓口の担当者に引き継ぎます。",
    "画面下の「相談窓口につなぐ」から、いつでも担当者への相談を依頼できます。",
)
UNAVAILABLE_JA = "ただいま回答の準備中です。しばらくしてからもう一度お試しください。急ぎの方は「相談窓口につなぐ」をご利用ください。"
ERROR_JA = t("answer_error", "ja")  # what users see when answering fails; the load driver looks for it
PREFECTURE_KEY = state.CHAT_PREFECTURE
REMOTE_CONSENT_KEY = "chat_remote_consent"

RATE_LIMIT_JA = "短い時間にご質問が続いたため、少しお待ちください（1分あたり{limit}件まで）。あと約{seconds}秒で送れます。"
RATE_LIMIT_EN = "Too many questions in a short time (limit: {limit} per minute). You can send again in about {seconds} s."
RATE_KEPT_JA = "ご質問は消えていません。下のボタンで、このまま送り直せます。 / Your question is kept: resend it with the button below."


def go_to_handoff() -> None:
    """To the handoff form; which message it starts from is the form's choice (``handoff_source.find_source``)."""
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


def location(assistant: Assistant | None, lang: str) -> None:
    """The 所在地 popover of the action row (and the remote-model consent when a remote model is configured)."""
    state.init_value(PREFECTURE_KEY, "")
    chosen = st.session_state.get(PREFECTURE_KEY) or ""
    with st.popover(chosen or t("location", lang), icon=":material/location_on:", type="tertiary", key="chat_location"):
        st.selectbox(
            t("location", lang),
            ["", *PREFECTURE_NAMES],
            key=PREFECTURE_KEY,
            format_func=lambda p: p or t("location_none", lang),
            help=t("location_help", lang),
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


def action_row(assistant: Assistant | None, lang: str) -> None:
    """相談窓口につなぐ ・ 新しい相談 ・ 所在地, in the bottom bar above the input."""
    with st.container(horizontal=True, gap="small", key="chat_actions"):
        st.button(
            t("talk_to_person", lang),
            key="chat_handoff",
            icon=":material/support_agent:",
            on_click=go_to_handoff,
            type="tertiary",
            disabled=bool(st.session_state.get(state.HANDED_OFF)),
        )
        if state.messages():
            st.button(
                t("new_consultation", lang),
                key="new_consultation",
                icon=":material/add_comment:",
                on_click=state.reset_consultation,
                type="tertiary",
            )
        location(assistant, lang)


def first_screen() -> None:
    """What the assistant does, what it does not, that a person can take over; then examples to start from."""
    st.info(NOT_ADVICE_JA, icon=":material/info:")
    columns = st.columns(3)
    for column, (title, icon, lines) in zip(
        columns,
        (
            ("できること", ":material/check_circle:", DOES_JA),
            ("しないこと", ":material/block:", DOES_NOT_JA),
            ("人に相談したいとき", ":material/support_agent:", PERSON_JA),
        ),
        strict=True,
    ):
        with column, st.container(border=True, height="stretch"):
            st.markdown(f"**{icon} {title}**\n\n" + "\n".join(f"- {line}" for line in lines))
    st.markdown("**はじめての方へ — たとえば、こんなことを聞けます**（英語でも質問できます / You can ask in English too）")
    cols = st.columns(2)
    for i, question in enumerate(EXAMPLES):
        with cols[i % 2]:
            st.button(
                question, key=f"example_{i}", on_click=ask_example, args=(question,), width="stretch", wrap=True
            )


def doc_categories(assistant: Assistant, result: AnswerResult) -> list[str]:
    """Categories of the top retrieved documents (what the handoff policy was given when answering)."""
    try:
        by_doc = resources.doc_categories(assistant)
    except Exception:  # noqa: BLE001 - only a routing hint
        return []
    return [by_doc.get(r["doc_id"], "") for r in result.retrieved[:3]]


def answer(assistant: Assistant, question: str) -> None:
    """Draw the question, stream the answer, then replace it with the final text and its details."""
    prior = list(state.messages())
    asked = state.user_message(question)
    state.add_message(asked)
    with st.container(key=f"msg-{asked['id']}"), st.chat_message("user"):
        st.markdown(safe_markdown(question))
    answer_id = state.new_id()
    with st.container(key=f"msg-{answer_id}"), st.chat_message("assistant"):
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
            lang = state.last_language()
            body.error(t("answer_error", lang))
            state.add_message(state.error_message(t("answer_error", lang), lang))
            return
        msg = state.assistant_message(result, doc_categories(assistant, result), message_id=answer_id)
        state.add_message(msg)
        with notice_slot:
            components.notices(msg)
        body.markdown(components.answer_markdown(msg))
        components.answer_details(msg, go_to_handoff)
    layout.scroll_to(f"msg-{answer_id}")


def incoming(typed: str | None, limit: int) -> str:
    """The question to answer in this run: typed, an example or a resend; held back (not lost) when rate-limited."""
    pending = st.session_state.pop(state.PENDING_QUESTION, None)
    question = (typed or pending or "").strip()
    if question and state.rate_limit_wait(limit) > 0:
        st.session_state[state.RATE_HELD] = question  # kept, not answered: shown below with a resend button
        return ""
    if question and question == st.session_state.get(state.RATE_HELD):
        st.session_state.pop(state.RATE_HELD)
    return question


def render() -> None:
    st.title("知財フロント")
    st.caption("中小企業のための知的財産（特許・商標・営業秘密・著作権・知財取引）の相談窓口")
    assistant, problem = resources.assistant()
    with st.bottom:
        actions = st.container()  # filled last: what it offers depends on this run's answer
        typed = None
        if assistant is not None:
            typed = st.chat_input(
                t("input_placeholder", state.last_language()),
                key="chat_input",
                max_chars=resources.settings().max_question_chars,
            )
    if assistant is None:
        advisor = navigation.current_advisor()
        st.error(problem if advisor else UNAVAILABLE_JA)  # operators read how to fix it; the public does not
    else:
        conversation(assistant, typed)
    with actions:
        action_row(assistant, state.last_language())


def conversation(assistant: Assistant, typed: str | None) -> None:
    limit = resources.settings().rate_limit_per_minute
    question = incoming(typed, limit)
    if not state.messages() and not question and not st.session_state.get(state.RATE_HELD):
        first_screen()
    for msg in state.messages():
        components.message(msg, go_to_handoff)
    handed_off = st.session_state.get(state.HANDED_OFF)
    if handed_off:
        st.info(t("handed_off_banner", state.last_language(), no=handed_off), icon=":material/support_agent:")
    if question:
        state.record_question(limit)
        answer(assistant, question)
    held_question(limit)


if __name__ == "__main__":
    render()
