"""受付一覧 (advisors): the ticket queue with filters, sorting, counts per status and CSV export.

An advisor with assigned windows only ever sees tickets routed to those windows: their scope is
applied to every query and export, and a window filter can only narrow it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import streamlit as st

from assistant.handoff.facts import PREFECTURE_NAMES
from assistant.tickets import STATUS_LABELS, URGENCY_LABELS, TicketFilters
from assistant.tickets.models import JST
from assistant.ui import navigation, resources, state

PAGE_SIZE = 50
SORTS = {
    "urgency,-created_at": "緊急度の高い順",
    "-created_at": "新しい順",
    "created_at": "古い順",
    "-updated_at": "更新の新しい順",
    "status,-created_at": "状態順",
    "prefecture,-created_at": "都道府県順",
}


def scope_windows(advisor: dict[str, Any]) -> list[str]:
    return list(advisor["windows"]) or list(resources.windows_by_id())


def filters_ui(advisor: dict[str, Any]) -> tuple[TicketFilters, str]:
    state.init_value("queue_status", ["new", "in_progress"])
    c1, c2, c3 = st.columns(3)
    with c1:
        status = st.multiselect(
            "状態",
            list(STATUS_LABELS),
            key="queue_status",
            format_func=STATUS_LABELS.get,
            placeholder="すべて",
            persist_state="session",
        )
        urgency = st.multiselect(
            "緊急度",
            list(URGENCY_LABELS),
            key="queue_urgency",
            format_func=URGENCY_LABELS.get,
            placeholder="すべて",
            persist_state="session",
        )
    with c2:
        labels = resources.category_labels()
        category = st.selectbox(
            "分野",
            ["", *labels],
            key="queue_category",
            persist_state="session",
            format_func=lambda c: labels.get(c, c) if c else "すべて",
        )
        prefecture = st.selectbox(
            "都道府県",
            ["", *PREFECTURE_NAMES],
            key="queue_prefecture",
            persist_state="session",
            format_func=lambda p: p or "すべて",
        )
    with c3:
        window = st.selectbox(
            "窓口",
            ["", *scope_windows(advisor)],
            key="queue_window",
            persist_state="session",
            format_func=lambda w: resources.window_name(w) if w else "担当のすべて",
        )
        sort = st.selectbox(
            "並び順", list(SORTS), key="queue_sort", format_func=SORTS.get, persist_state="session"
        )
    text = st.text_input(
        "キーワード・受付番号で絞り込む", key="queue_text", max_chars=100, persist_state="session"
    )
    scope = [window] if window else (advisor["windows"] or None)
    return TicketFilters(
        status=status or None,
        urgency=urgency or None,
        category=category or None,
        prefecture=prefecture or None,
        window=scope,
        text=text or None,
    ), sort


def counts(by_status: dict[str, int], total: int) -> None:
    cols = st.columns(len(STATUS_LABELS) + 1)
    for col, (code, label) in zip(cols, STATUS_LABELS.items(), strict=False):
        col.metric(label, by_status.get(code, 0))
    cols[-1].metric("条件に合う件数", total)


def jst(value: datetime | None) -> str:
    return value.astimezone(JST).strftime("%Y-%m-%d %H:%M") if value else ""


def table(tickets: list[Any]) -> None:
    rows = [
        {
            "受付番号": t.public_no,
            "緊急度": t.urgency_label,
            "状態": t.status_label,
            "受付日時": jst(t.created_at),
            "分野": resources.category_label(t.category),
            "都道府県": t.prefecture or "",
            "窓口": "、".join(resources.window_name(w) for w in t.windows or []),
            "担当者": t.assignee or "",
            "相談内容": " ".join((t.question or "").split())[:80],
        }
        for t in tickets
    ]
    st.dataframe(rows, hide_index=True)


def open_ticket(ticket_id: int) -> None:
    st.session_state[state.ADVISOR_TICKET] = ticket_id
    navigation.go(navigation.DETAIL)


def opener(tickets: list[Any]) -> None:
    by_id = {t.id: t for t in tickets}
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    with c1:
        chosen = st.selectbox(
            "案件を開く",
            list(by_id),
            key="queue_open_choice",
            format_func=lambda i: (
                f"{by_id[i].public_no}［{by_id[i].urgency_label}・{by_id[i].status_label}］"
                f"{' '.join((by_id[i].question or '').split())[:40]}"
            ),
        )
    with c2:
        if (
            st.button("詳細を開く", key="queue_open", type="primary", icon=":material/open_in_new:")
            and chosen
        ):
            open_ticket(chosen)


def record_export(username: str, count: int) -> None:
    resources.store().record_event(username, "csv_export", {"tickets": count})


def export(filters: TicketFilters, sort: str, advisor: dict[str, Any], total: int) -> None:
    data = resources.store().export_csv(filters, sort=sort)
    st.download_button(
        "CSV をダウンロード（Excel 対応）",
        data=data.encode("utf-8"),
        file_name=f"chizai-tickets-{datetime.now(JST):%Y%m%d-%H%M}.csv",
        mime="text/csv",
        key="queue_csv",
        icon=":material/download:",
        on_click=record_export,
        args=(advisor["username"], total),
    )


def render() -> None:
    advisor = navigation.require_advisor()
    st.title("受付一覧")
    filters, sort = filters_ui(advisor)
    state.init_value("queue_page", 1)
    page_no = int(st.session_state.get("queue_page") or 1)
    store = resources.store()
    page = store.list_tickets(filters, sort=sort, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
    if page_no > 1 and not page.tickets and page.total:
        st.session_state["queue_page"] = 1
        st.rerun()
    counts(page.counts_by_status, page.total)
    if not page.tickets:
        st.info("条件に合う相談はありません。")
        return
    table(page.tickets)
    pages = max(1, -(-page.total // PAGE_SIZE))
    if pages > 1:
        st.number_input(f"ページ（全{pages}ページ）", min_value=1, max_value=pages, key="queue_page")
    opener(page.tickets)
    export(filters, sort, advisor, page.total)


if __name__ == "__main__":
    render()
