"""受付一覧 (advisors): the inbox. The question comes first, a click on a row opens the ticket, and every filter
lives in the URL (``/queue?status=対応中&urgency=高&pref=大阪府``: Streamlit binds widgets by their labels), so a
view can be bookmarked, shared with a colleague, and is there again after a login or on the way back from a ticket.

An advisor with assigned windows only ever sees tickets routed to those windows: their scope is applied to every
query and export, and a window filter can only narrow it. The CSV carries the names people read (分野, 窓口,
担当者) and the contact details users consented to share; every export is in the audit trail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import streamlit as st

from assistant.handoff.facts import PREFECTURE_NAMES
from assistant.tickets import STATUS_LABELS, URGENCY_LABELS, CsvLabels, Ticket, TicketFilters
from assistant.tickets.models import JST, jst
from assistant.ui import navigation, resources, state

PAGE_SIZE = 50
OPEN_STATUSES = ["new", "in_progress"]
UNASSIGNED = "-"
SORTS = {
    "urgency,-created_at": "緊急度の高い順",
    "-created_at": "新しい順",
    "created_at": "古い順",
    "-updated_at": "更新の新しい順",
    "status,-created_at": "状態順",
    "prefecture,-created_at": "都道府県順",
}
# Widths in px: 884 in all, inside the 904 px the main column has at 1366 px with the sidebar open (browser suite).
COLUMNS = {
    "相談内容": st.column_config.TextColumn("相談内容", width=300),
    "緊急度": st.column_config.TextColumn("緊急度", width=52),
    "状態": st.column_config.TextColumn("状態", width=60),
    "受付": st.column_config.TextColumn("受付", width=88),
    "担当者": st.column_config.TextColumn("担当者", width=84),
    "窓口": st.column_config.TextColumn("窓口", width=104),
    "都道府県": st.column_config.TextColumn("都道府県", width=64),
    "受付番号": st.column_config.TextColumn("受付番号", width=132),
}
TABLE_NONCE = "queue_table_nonce"


def scope_windows(advisor: dict[str, Any]) -> list[str]:
    return list(advisor["windows"]) or list(resources.windows_by_id())


def status_filter() -> list[str]:
    """Status pills (bound widgets put their *labels* in the URL, ``?status=新規``, so no counts in the labels)."""
    return st.pills(
        "状態",
        list(STATUS_LABELS),
        selection_mode="multi",
        default=OPEN_STATUSES,
        format_func=STATUS_LABELS.get,
        key="status",
        bind="query-params",
        persist_state="session",
    )


def other_filters(advisor: dict[str, Any]) -> dict[str, Any]:
    """Keyword, then 緊急度・窓口・担当者・都道府県・分野・並び順 behind one button (the queue stays in view on a phone).

    Each widget's key is its URL parameter; what is set shows as a line under the button.
    """
    names = resources.advisor_names()
    labels = resources.category_labels()
    common = {"bind": "query-params", "persist_state": "session"}
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    text = left.text_input("キーワード・受付番号", max_chars=100, key="q", placeholder="例: 警告書、C-2026-…", **common)
    with right.popover("絞り込み・並び順", icon=":material/filter_list:", width="stretch", key="queue_filters"):
        values = {
            "urgency": st.multiselect(
                "緊急度", list(URGENCY_LABELS), format_func=URGENCY_LABELS.get, placeholder="すべて", key="urgency", **common
            ),
            "window": st.selectbox(
                "窓口",
                ["", *scope_windows(advisor)],
                format_func=lambda w: resources.window_name(w) if w else "担当のすべて",
                key="window",
                **common,
            ),
            "assignee": st.selectbox(
                "担当者",
                ["", UNASSIGNED, *names],
                format_func=lambda u: {"": "すべて", UNASSIGNED: "（未割り当て）"}.get(u) or resources.advisor_label(u, names),
                key="assignee",
                **common,
            ),
            "prefecture": st.selectbox(
                "都道府県", ["", *PREFECTURE_NAMES], format_func=lambda p: p or "すべて", key="pref", **common
            ),
            "category": st.selectbox(
                "分野", ["", *labels], format_func=lambda c: labels.get(c, c) if c else "すべて", key="category", **common
            ),
            "sort": st.selectbox("並び順", list(SORTS), format_func=SORTS.get, key="sort", **common),
        }
    active = [
        *(f"緊急度 {URGENCY_LABELS[u]}" for u in values["urgency"]),
        *([f"窓口 {resources.window_name(values['window'])}"] if values["window"] else []),
        *([f"担当者 {names.get(values['assignee'], '（未割り当て）')}"] if values["assignee"] else []),
        *([f"都道府県 {values['prefecture']}"] if values["prefecture"] else []),
        *([f"分野 {labels.get(values['category'], values['category'])}"] if values["category"] else []),
    ]
    if active:
        st.caption("絞り込み: " + " ・ ".join(active))
    return {**values, "text": text}


def filters_of(advisor: dict[str, Any], status: list[str], v: dict[str, Any]) -> TicketFilters:
    scope = [v["window"]] if v["window"] else (advisor["windows"] or None)
    return TicketFilters(
        status=status or None,
        urgency=v["urgency"] or None,
        category=v["category"] or None,
        prefecture=v["prefecture"] or None,
        window=scope,
        text=v["text"] or None,
        assignee=v["assignee"] if v["assignee"] not in ("", UNASSIGNED) else None,
        unassigned=v["assignee"] == UNASSIGNED,
    )


def windows_cell(window_ids: list[str]) -> str:
    """The first (best-ranked) window, and how many more see the ticket."""
    if not window_ids:
        return ""
    more = f" 他{len(window_ids) - 1}" if len(window_ids) > 1 else ""
    return resources.window_name(window_ids[0]) + more


def rows(tickets: list[Ticket], names: dict[str, str]) -> list[dict[str, str]]:
    return [
        {
            "相談内容": " ".join((t.question or "").split())[:120],
            "緊急度": t.urgency_label,
            "状態": t.status_label,
            "受付": jst(t.created_at)[5:],
            "担当者": names.get(t.assignee, t.assignee) if t.assignee else "",
            "窓口": windows_cell(t.windows or []),
            "都道府県": t.prefecture or "",
            "受付番号": t.public_no,
        }
        for t in tickets
    ]


def table(tickets: list[Ticket]) -> None:
    """The queue; clicking any cell of a row opens that ticket (a new table key per visit: no stale selection)."""
    key = f"queue_table_{st.session_state.get(TABLE_NONCE, 0)}"
    event = st.dataframe(
        rows(tickets, resources.advisor_names()),
        hide_index=True,
        column_config=COLUMNS,
        key=key,
        on_select="rerun",
        selection_mode="single-cell",
    )
    st.caption("行をクリックすると、その案件を開きます。")
    cells = event.selection.get("cells") if event else None
    if cells:
        st.session_state[TABLE_NONCE] = st.session_state.get(TABLE_NONCE, 0) + 1
        navigation.open_ticket(tickets[int(cells[0][0])].public_no)


def record_export(username: str, count: int) -> None:
    resources.store().record_event(username, "csv_export", {"tickets": count, "with_contact": True})


def export(filters: TicketFilters, sort: str, advisor: dict[str, Any], total: int) -> None:
    """CSV of everything the filters match (not only this page), with names and consented contact details."""
    store = resources.store()
    labels = CsvLabels(
        categories=resources.category_labels(),
        windows={w: resources.window_name(w) for w in resources.windows_by_id()},
        advisors=resources.advisor_names(),
    )
    st.download_button(
        "CSV をダウンロード（Excel 対応）",
        data=lambda: store.export_csv(filters, sort=sort, labels=labels, include_contact=True).encode("utf-8"),
        file_name=f"chizai-tickets-{datetime.now(JST):%Y%m%d-%H%M}.csv",
        mime="text/csv",
        key="queue_csv",
        icon=":material/download:",
        on_click=record_export,
        args=(advisor["username"], total),
    )


def render() -> None:
    advisor = navigation.require_advisor()
    st.session_state[state.QUEUE_QUERY] = navigation.query_params()  # the way back from a ticket
    st.title("受付一覧")
    store = resources.store()
    status = status_filter()
    counts_slot = st.empty()  # filled once the other filters are known
    values = other_filters(advisor)
    filters = filters_of(advisor, status, values)
    first = store.list_tickets(filters, limit=1)  # the total, and counts per status under the other filters
    counts = first.counts_by_status
    counts_slot.caption(" ・ ".join(f"{label} {counts.get(code, 0)}件" for code, label in STATUS_LABELS.items()))
    pages = max(1, -(-first.total // PAGE_SIZE))
    page_no = st.pagination(pages, key="page", bind="query-params") if pages > 1 else 1
    page = store.list_tickets(filters, sort=values["sort"], limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
    st.caption(f"条件に合う相談 {page.total} 件")
    if not page.tickets:
        st.info("条件に合う相談はありません。")
        return
    table(page.tickets)
    export(filters, values["sort"], advisor, page.total)


if __name__ == "__main__":
    render()
