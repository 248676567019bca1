"""担当者ログイン: advisors sign in with the accounts of ``python -m assistant.tickets create-advisor``.

Checking, lockout and the audit line of every attempt are :class:`assistant.tickets.AdvisorAuth`'s
job; this page shows one generic message for every failure so it does not reveal which usernames
exist.
"""

from __future__ import annotations

import streamlit as st

from assistant.ui import navigation, resources, state

JUST_LOGGED_IN = "advisor_just_logged_in"


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
    st.session_state[JUST_LOGGED_IN] = True
    st.rerun()  # the next run registers the advisor pages, then goes to the queue


def signed_in(advisor: dict) -> None:
    if st.session_state.pop(JUST_LOGGED_IN, False):
        navigation.go(navigation.QUEUE)
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
    st.caption(
        "相談窓口の担当者（相談員）専用です。アカウントは管理者が "
        "`python -m assistant.tickets create-advisor` で作成します。"
    )
    login_form()


if __name__ == "__main__":
    render()
