"""担当者ログイン: advisors sign in with the accounts of ``python -m assistant.tickets create-advisor``.

Checking, lockout and the audit line of every attempt are :class:`assistant.tickets.AdvisorAuth`'s
job; this page shows one generic message for every failure so it does not reveal which usernames
exist. Anyone can open this page, so it names no command or other operational detail. A login returns to
the advisor page that sent the user here (``?next=``, see :mod:`assistant.ui.navigation`), else the queue.
"""

from __future__ import annotations

import streamlit as st

from assistant.ui import navigation, resources, state


def login_form() -> None:
    with st.form("login_form", clear_on_submit=True):
        username = st.text_input("ユーザー名", key="login_username", autocomplete="username", max_chars=64)
        password = st.text_input(
            "パスワード",
            key="login_password",
            type="password",
            max_chars=256,
            autocomplete="current-password",
        )
        submitted = st.form_submit_button("ログイン", type="primary", icon=":material/login:")
    if not submitted:
        return
    result = resources.auth().verify_login(username or "", password or "")
    if not result.ok or result.advisor is None:
        st.error(result.message_ja)
        return
    advisor = result.advisor
    state.login(advisor.username, advisor.display_name, list(advisor.windows or []))
    navigation.return_after_login()


def signed_in(advisor: dict) -> None:
    scope = "、".join(resources.window_name(w) for w in advisor["windows"]) or "すべての窓口"
    st.success(f"{advisor['display_name']}（{advisor['username']}）としてログインしています。担当: {scope}")
    st.page_link(navigation.page(navigation.QUEUE), label="受付一覧を開く", icon=":material/inbox:")
    minutes = resources.settings().advisor_session_minutes
    st.caption(f"{minutes}分間操作がないと、自動的にログアウトします。")


def render() -> None:
    st.title("担当者ログイン")
    notice = st.session_state.pop(state.ADVISOR_NOTICE, None)
    if notice:
        st.info(notice)
    advisor = navigation.current_advisor()
    if advisor:
        signed_in(advisor)
        return
    if st.query_params.get(navigation.NEXT) in navigation.ADVISOR_PAGES:
        st.info("このページを開くには、担当者としてログインしてください。ログイン後に元のページへ戻ります。")
    st.caption("相談窓口の担当者（相談員）専用のページです。アカウントがない場合は、管理者にお問い合わせください。")
    login_form()


if __name__ == "__main__":
    render()
