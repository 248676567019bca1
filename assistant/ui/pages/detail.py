"""案件詳細 (advisors): one ticket's conversation, citations and sheet; status, assignee and notes;
audit trail.

Only fields the advisor actually changed are written, so saving the form never reverts a colleague's
change made since the page was drawn. Opening a ticket is itself recorded (once per session) because
the sheet may hold personal data.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from assistant.tickets import STATUS_LABELS, UNSET, URGENCY_LABELS, Ticket
from assistant.ui import components, navigation, resources, state
from assistant.ui.pages.queue import jst
from assistant.ui.safe_text import escape_label, link, safe_markdown

ACTIONS_JA = {
    "created": "受付",
    "viewed": "閲覧",
    "status_changed": "状態の変更",
    "assignee_changed": "担当者の変更",
    "notes_changed": "メモの変更",
    "csv_export": "CSV出力",
}
FACT_LABELS = {
    "industry": "業種",
    "prefecture": "所在地（都道府県）",
    "deadline": "期限",
    "company_size": "企業規模",
}
VIEWED = "advisor_viewed_tickets"


def lookup() -> None:
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    with c1:
        number = st.text_input(
            "受付番号で開く", key="detail_lookup", placeholder="C-2026-XXXXXXXX", max_chars=32
        )
    with c2:
        if st.button("開く", key="detail_lookup_go") and number.strip():
            ticket = resources.store().get_ticket_by_public_no(number)
            if ticket is None:
                st.error("その受付番号の案件は見つかりません。")
            else:
                st.session_state[state.ADVISOR_TICKET] = ticket.id
                st.rerun()


def allowed(advisor: dict[str, Any], ticket: Ticket) -> bool:
    scope = advisor["windows"]
    return not scope or any(w in scope for w in ticket.windows or [])


def record_view(advisor: dict[str, Any], ticket: Ticket) -> None:
    seen = st.session_state.setdefault(VIEWED, set())
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
        f" ・ 本人同意 {'あり' if ticket.consent else 'なし（個人情報は伏せ字）'}"
    )


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


def citations(sheet: dict[str, Any]) -> None:
    details = sheet.get("citation_details")
    if details:
        components.citations({"citations": details})
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
    if ticket.consent and ticket.contact:
        st.markdown("##### 連絡先（本人同意あり）")
        st.dataframe([{"項目": k, "内容": v} for k, v in ticket.contact.items()], hide_index=True)
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


def _base_key(ticket: Ticket) -> str:
    return f"detail_base_{ticket.id}"


def workflow(ticket: Ticket, advisor: dict[str, Any]) -> None:
    """Status / assignee / notes. Widgets start from the database; after a save they are re-initialised."""
    base_key = _base_key(ticket)
    keys = {
        "status": f"detail_status_{ticket.id}",
        "assignee": f"detail_assignee_{ticket.id}",
        "notes": f"detail_notes_{ticket.id}",
    }
    if base_key not in st.session_state:
        base = {"status": ticket.status, "assignee": ticket.assignee or "", "notes": ticket.notes or ""}
        st.session_state[base_key] = base
        for name, key in keys.items():
            st.session_state[key] = base[name]
    base = st.session_state[base_key]
    st.selectbox("状態", list(STATUS_LABELS), key=keys["status"], format_func=STATUS_LABELS.get)
    st.text_input("担当者", key=keys["assignee"], max_chars=64, placeholder=f"例: {advisor['username']}")
    st.text_area("メモ（相談者には表示されません）", key=keys["notes"], height=120, max_chars=4000)
    if st.button("保存", key=f"detail_save_{ticket.id}", type="primary", icon=":material/save:"):
        changes = {
            name: st.session_state[key]
            for name, key in keys.items()
            if (st.session_state[key] or "") != (base[name] or "")
        }
        resources.store().update_ticket(
            ticket.id,
            advisor["username"],
            status=changes.get("status", UNSET),
            assignee=(changes["assignee"].strip() or None) if "assignee" in changes else UNSET,
            notes=changes.get("notes", UNSET),
        )
        for key in [base_key, *keys.values()]:
            st.session_state.pop(key, None)
        st.session_state["detail_saved"] = "保存しました。" if changes else "変更はありません。"
        st.rerun()
    saved = st.session_state.pop("detail_saved", None)
    if saved:
        st.success(saved)


def detail_of(event: Any) -> str:
    d = event.detail or {}
    if event.action == "status_changed":
        return f"{d.get('from_label', d.get('from'))} → {d.get('to_label', d.get('to'))}"
    if event.action == "assignee_changed":
        return f"{d.get('from') or '（なし）'} → {d.get('to') or '（なし）'}"
    if event.action == "notes_changed":
        return f"{d.get('chars_before', 0)}文字 → {d.get('chars_after', 0)}文字"
    if event.action == "created":
        return f"緊急度 {URGENCY_LABELS.get(d.get('urgency', ''), d.get('urgency', ''))}"
    return ""


def audit(ticket: Ticket) -> None:
    st.markdown("##### 対応履歴（監査ログ）")
    events = resources.store().audit_trail(ticket.id)
    rows = [
        {
            "日時": jst(e.at),
            "操作者": e.actor,
            "操作": ACTIONS_JA.get(e.action, e.action),
            "内容": detail_of(e),
        }
        for e in events
    ]
    st.dataframe(rows, hide_index=True)


def render() -> None:
    advisor = navigation.require_advisor()
    ticket_id = st.session_state.get(state.ADVISOR_TICKET)
    ticket = resources.store().get_ticket(int(ticket_id)) if ticket_id else None
    if ticket is None:
        st.title("案件詳細")
        st.info("受付一覧から案件を選ぶか、受付番号を入力してください。")
        lookup()
        return
    if not allowed(advisor, ticket):
        st.title("案件詳細")
        st.error("この案件は、あなたの担当窓口に届いた案件ではありません。")
        lookup()
        return
    record_view(advisor, ticket)
    header(ticket)
    left, right = st.columns([3, 2], gap="large")
    with left:
        tab_sheet, tab_talk, tab_sources = st.tabs(["相談シート", "会話", "出典"])
        with tab_sheet:
            sheet_view(ticket)
        with tab_talk:
            conversation(ticket.sheet_json or {})
        with tab_sources:
            citations(ticket.sheet_json or {})
    with right:
        with st.container(border=True):
            workflow(ticket, advisor)
        audit(ticket)
    st.divider()
    st.page_link(navigation.page(navigation.QUEUE), label="受付一覧に戻る", icon=":material/arrow_back:")
    lookup()


if __name__ == "__main__":
    render()
