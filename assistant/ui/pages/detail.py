"""案件詳細 (advisors): one ticket, addressed by its number in the URL (``/ticket?no=C-2026-…``).

Top to bottom in the order an advisor works: who to call back (contact details, or why there are none), then the
sheet, conversation and sources on the left; status and assignee, the notes thread and the audit trail on the right.
Only fields the advisor actually changed are written, so saving never reverts a colleague's change made since the
page was drawn; notes are appended, never overwritten. The assignee is chosen from the advisor accounts. The tabs
are keyed per ticket, so every ticket opens on its sheet. Opening a ticket is itself recorded (once per session)
because the sheet may hold personal data.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from assistant.tickets import STATUS_LABELS, UNSET, URGENCY_LABELS, Ticket
from assistant.tickets.models import CONTACT_LABELS, jst
from assistant.ui import components, navigation, resources, state
from assistant.ui.safe_text import escape_label, link, safe_markdown

ACTIONS_JA = {
    "created": "受付",
    "viewed": "閲覧",
    "status_changed": "状態の変更",
    "assignee_changed": "担当者の変更",
    "note_added": "メモの追加",
    "notes_changed": "メモの変更（旧形式）",
    "csv_export": "CSV出力",
}
FACT_LABELS = {
    "industry": "業種",
    "prefecture": "所在地（都道府県）",
    "deadline": "期限",
    "company_size": "企業規模",
}


def lookup() -> None:
    with st.form("detail_lookup_form", border=False, enter_to_submit=True):
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        number = c1.text_input("受付番号で開く", key="detail_lookup", placeholder="C-2026-XXXXXXXX", max_chars=32)
        go = c2.form_submit_button("開く")
    if go and number.strip():
        ticket = resources.store().get_ticket_by_public_no(number)
        if ticket is None:
            st.error("その受付番号の案件は見つかりません。")
        else:
            navigation.open_ticket(ticket.public_no)


def allowed(advisor: dict[str, Any], ticket: Ticket) -> bool:
    scope = advisor["windows"]
    return not scope or any(w in scope for w in ticket.windows or [])


def record_view(advisor: dict[str, Any], ticket: Ticket) -> None:
    seen = st.session_state.setdefault(state.ADVISOR_VIEWED, set())
    if ticket.id not in seen:
        resources.store().record_event(advisor["username"], "viewed", {}, ticket_id=ticket.id)
        seen.add(ticket.id)


def header(ticket: Ticket) -> None:
    st.title(f"案件 {ticket.public_no}")
    color = {"high": "red", "medium": "orange"}.get(ticket.urgency, "blue")
    st.markdown(f":{color}-badge[緊急度: {ticket.urgency_label}] :gray-badge[状態: {ticket.status_label}]")
    windows = "、".join(resources.window_name(w) for w in ticket.windows or []) or "（なし）"
    st.caption(
        f"受付 {jst(ticket.created_at)} ・ 更新 {jst(ticket.updated_at)}"
        f" ・ 分野 {resources.category_label(ticket.category)}"
        f" ・ 都道府県 {ticket.prefecture or '（未記入）'} ・ 窓口 {escape_label(windows)}"
    )


def contact_box(ticket: Ticket) -> None:
    """Who to call back, first: the consented contact details, or why there are none."""
    contact = ticket.contact or {}
    with st.container(border=True, key="detail_contact"):
        if not ticket.consent:
            st.markdown(
                "**:material/contact_phone: 連絡先なし**（本人同意なし）— 連絡先は保存されず、相談内容の個人情報は伏せ字です。"
                "相談者から受付番号で問い合わせがあるまでお待ちください。"
            )
            return
        if not contact:
            st.markdown(
                "**:material/contact_phone: 連絡先の入力なし** — 相談者は受付番号で問い合わせます（個人情報の提供には同意あり）。"
            )
            return
        st.markdown("**:material/contact_phone: 連絡先**（本人同意あり）")
        labels = [label for label in CONTACT_LABELS if contact.get(label)]
        labels += [k for k in contact if k not in CONTACT_LABELS]
        columns = st.columns(max(1, min(len(labels), 3)))
        for i, label in enumerate(labels):
            columns[i % len(columns)].markdown(f"{escape_label(label)}  \n**{escape_label(str(contact[label]))}**")


def conversation(sheet: dict[str, Any]) -> None:
    turns = sheet.get("conversation")
    if not turns:
        turns = [{"role": "user", "content": m} for m in sheet.get("earlier_messages") or []]
        turns.append({"role": "user", "content": sheet.get("question") or ""})
        if sheet.get("answer"):
            turns.append({"role": "assistant", "content": sheet["answer"]})
        st.caption("会話履歴は添付されていません。相談シートの内容から再構成しています。")
    for turn in turns:
        with st.chat_message("user" if turn.get("role") == "user" else "assistant"):
            st.markdown(safe_markdown(turn.get("content") or ""))


def citations(ticket: Ticket) -> None:
    sheet = ticket.sheet_json or {}
    details = sheet.get("citation_details")
    if details:
        components.sources({"id": f"t{ticket.id}", "citations": details}, lang="ja")
        return
    items = sheet.get("citations") or []
    if not items:
        st.caption("出典はありません。")
    for c in items:
        st.markdown(f"- {link(c.get('title') or '（無題）', c.get('url'))}")


def sheet_view(ticket: Ticket) -> None:
    s = ticket.sheet_json or {}
    st.markdown("##### 相談内容")
    st.markdown(components.quote_block(s.get("question") or ticket.question))
    facts = s.get("facts") or {}
    rows = [
        {"項目": label, "内容": "、".join(v) if isinstance(v, list) else str(v)}
        for key, label in FACT_LABELS.items()
        if (v := facts.get(key))
    ]
    rows += [{"項目": str(k), "内容": str(v)} for k, v in (facts.get("other") or {}).items()]
    st.markdown("##### 事実関係")
    if rows:
        st.dataframe(rows, hide_index=True)
    else:
        st.caption("（記載なし）")
    st.markdown("##### 担当者が必要な理由")
    st.markdown(safe_markdown(s.get("reason_ja") or "（記載なし）"))
    if s.get("triggers"):
        st.caption("きっかけとなった表現: " + "、".join(f"「{escape_label(t)}」" for t in s["triggers"]))
    for note in s.get("confidential_notes") or []:
        st.warning(safe_markdown(note))
    st.markdown("##### 推奨窓口")
    st.markdown("\n".join(components.window_lines(s.get("windows") or [], limit=5)) or "（なし）")
    with st.expander("相談シート（Markdown 原文）"):
        st.code(ticket.sheet_markdown, language="markdown", wrap_lines=True)
        st.download_button(
            "相談シートをダウンロード",
            ticket.sheet_markdown.encode("utf-8"),
            file_name=f"{ticket.public_no}.md",
            mime="text/markdown",
            key=f"sheet_md_{ticket.id}",
            on_click="ignore",
        )


def workflow(ticket: Ticket, advisor: dict[str, Any]) -> None:
    """Status and assignee. Widgets start from the database; after a save they are re-initialised."""
    keys = {"status": f"detail_status_{ticket.id}", "assignee": f"detail_assignee_{ticket.id}"}
    base_key = f"detail_base_{ticket.id}"
    if base_key not in st.session_state:
        st.session_state[base_key] = {"status": ticket.status, "assignee": ticket.assignee or ""}
        for name, key in keys.items():
            st.session_state[key] = st.session_state[base_key][name]
    base = st.session_state[base_key]
    names = resources.advisor_names()
    options = ["", *names, *([base["assignee"]] if base["assignee"] and base["assignee"] not in names else [])]
    st.selectbox("状態", list(STATUS_LABELS), key=keys["status"], format_func=STATUS_LABELS.get)
    st.selectbox(
        "担当者",
        options,
        key=keys["assignee"],
        format_func=lambda u: resources.advisor_label(u, names) if u else "（未割り当て）",
    )
    if st.button("保存", key=f"detail_save_{ticket.id}", type="primary", icon=":material/save:"):
        changes = {name: st.session_state[key] for name, key in keys.items() if st.session_state[key] != base[name]}
        resources.store().update_ticket(
            ticket.id,
            advisor["username"],
            status=changes.get("status", UNSET),
            assignee=(changes["assignee"] or None) if "assignee" in changes else UNSET,
        )
        for key in [base_key, *keys.values()]:
            st.session_state.pop(key, None)
        st.session_state["detail_saved"] = "保存しました。" if changes else "変更はありません。"
        st.rerun()
    saved = st.session_state.pop("detail_saved", None)
    if saved:
        st.success(saved)


def add_note(ticket_id: int, author: str) -> None:
    """The 「メモを追加」 button: append the typed note and empty the box (a callback, before the box is drawn)."""
    key = f"detail_note_{ticket_id}"
    text = str(st.session_state.get(key) or "").strip()
    if not text:
        st.session_state["detail_note_error"] = "メモが空です。書いてから追加してください。"
        return
    resources.store().add_note(ticket_id, author, text)
    st.session_state[key] = ""


def notes(ticket: Ticket, advisor: dict[str, Any]) -> None:
    """The notes thread, oldest first, each with its author and time; a new note is appended below."""
    st.markdown("##### メモ（相談者には表示されません）")
    thread = resources.store().notes([ticket.id]).get(ticket.id, [])
    names = resources.advisor_names()
    if not thread:
        st.caption("まだメモはありません。")
    for note in thread:
        with st.container(border=True):
            st.caption(f"{escape_label(resources.advisor_label(note.author, names))} ・ {jst(note.created_at)}")
            st.markdown(safe_markdown(note.body))
    st.text_area(
        "メモを追加",
        key=f"detail_note_{ticket.id}",
        height=90,
        max_chars=4000,
        placeholder="例: 折り返し電話済み。来週火曜に面談予定。",
    )
    st.button(
        "メモを追加",
        key=f"detail_note_add_{ticket.id}",
        icon=":material/add_comment:",
        on_click=add_note,
        args=(ticket.id, advisor["username"]),
    )
    error = st.session_state.pop("detail_note_error", None)
    if error:
        st.error(error)


def detail_of(event: Any, names: dict[str, str]) -> str:
    d = event.detail or {}
    if event.action == "status_changed":
        return f"{d.get('from_label', d.get('from'))} → {d.get('to_label', d.get('to'))}"
    if event.action == "assignee_changed":
        before, after = (resources.advisor_label(d[k], names) if d.get(k) else "（なし）" for k in ("from", "to"))
        return f"{before} → {after}"
    if event.action == "note_added":
        return f"{d.get('chars', 0)}文字"
    if event.action == "notes_changed":
        return f"{d.get('chars_before', 0)}文字 → {d.get('chars_after', 0)}文字"
    if event.action == "created":
        return f"緊急度 {URGENCY_LABELS.get(d.get('urgency', ''), d.get('urgency', ''))}"
    return ""


def audit(ticket: Ticket) -> None:
    st.markdown("##### 対応履歴（監査ログ）")
    names = resources.advisor_names()
    rows = [
        {
            "日時": jst(e.at),
            "操作者": resources.advisor_label(e.actor, names),
            "操作": ACTIONS_JA.get(e.action, e.action),
            "内容": detail_of(e, names),
        }
        for e in resources.store().audit_trail(ticket.id)
    ]
    st.dataframe(rows, hide_index=True)


def back_to_queue() -> None:
    """The queue with the filters it had (kept by the queue page), not a reset list."""
    st.page_link(
        navigation.page(navigation.QUEUE),
        label="受付一覧に戻る",
        icon=":material/arrow_back:",
        query_params=st.session_state.get(state.QUEUE_QUERY) or {},
    )


def render() -> None:
    advisor = navigation.require_advisor()
    number = st.query_params.get(navigation.TICKET_NO) or ""
    ticket = resources.store().get_ticket_by_public_no(number) if number else None
    if ticket is None or not allowed(advisor, ticket):
        st.title("案件詳細")
        if ticket is None and number:
            st.error("その受付番号の案件は見つかりません。")
        elif ticket is None:
            st.info("受付一覧から案件を選ぶか、受付番号を入力してください。")
        else:
            st.error("この案件は、あなたの担当窓口に届いた案件ではありません。")
        back_to_queue()
        lookup()
        return
    record_view(advisor, ticket)
    back_to_queue()
    header(ticket)
    contact_box(ticket)
    left, right = st.columns([3, 2], gap="large")
    with left:
        sheet_tab, talk_tab, sources_tab = st.tabs(["相談シート", "会話", "出典"], key=f"detail_tabs_{ticket.id}")
        with sheet_tab:
            sheet_view(ticket)
        with talk_tab:
            conversation(ticket.sheet_json or {})
        with sources_tab:
            citations(ticket)
    with right:
        with st.container(border=True):
            workflow(ticket, advisor)
        notes(ticket, advisor)
        audit(ticket)
    st.divider()
    lookup()


if __name__ == "__main__":
    render()
