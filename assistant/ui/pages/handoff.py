"""相談窓口につなぐ: turn the conversation into an editable consultation sheet and submit it as a ticket.

Privacy: without the consent checkbox the sheet is masked by :func:`build_sheet` and contact details
are neither asked for (inputs disabled) nor stored. Text that looks like a trade secret (recipes, process
conditions, drawings, source code) cannot be masked without losing the question, so it is gated instead: the
page lists what it found and sends only after the user ticks that they mean to share it. Submitting is idempotent: the key lives in the
session, so a double click or a retried request returns the same ticket. A user sees only the
tickets of their own session token.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from assistant.handoff import HandoffDecision, build_sheet, mask_pii
from assistant.handoff.decision import URGENCY_JA
from assistant.handoff.facts import PREFECTURE_NAMES
from assistant.tickets.models import JST
from assistant.ui import components, navigation, resources, state
from assistant.ui.safe_text import escape_label
from chizai.logsafe import log_exception

log = logging.getLogger(__name__)

P = state.HANDOFF_PREFIX
DRAFT_FOR = P + "draft_for"
IDEMPOTENCY = P + "idempotency_key"
RESULT = P + "result"
CONFIDENTIAL_OK = P + "confidential_ok"
K = {  # widget keys of the form (all persist across page visits)
    "question": P + "question",
    "earlier": P + "earlier",
    "answer": P + "answer",
    "prefecture": P + "prefecture",
    "industry": P + "industry",
    "deadline": P + "deadline",
    "size": P + "company_size",
    "attach": P + "attach_conversation",
    "consent": P + "consent",
    "company": P + "contact_company",
    "name": P + "contact_name",
    "phone": P + "contact_phone",
    "email": P + "contact_email",
    "when": P + "contact_when",
}
CONTACT_FIELDS = (
    ("company", "会社名・屋号"),
    ("name", "お名前"),
    ("phone", "電話番号"),
    ("email", "メールアドレス"),
    ("when", "連絡のつきやすい時間帯"),
)
MAX_CONVERSATION = 12
EXPLICIT_JA = "ご本人が担当者・専門家との相談を希望しています。"


@dataclass
class Source:
    """What the sheet is prefilled from: the answer the user asked to hand off (or nothing)."""

    message: dict[str, Any] | None
    question: str = ""
    earlier: list[str] = field(default_factory=list)
    conversation: list[dict[str, str]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.message["id"] if self.message else "blank"


def find_source() -> Source:
    msgs = state.messages()
    msg = state.find_message(st.session_state.get(state.HANDOFF_SOURCE)) or state.last_answer()
    if msg is None:
        return Source(None)
    upto = msgs.index(msg) if msg in msgs else len(msgs)
    users = [m["content"] for m in msgs[:upto] if m["role"] == "user"]
    question = msg.get("question") or (users[-1] if users else "")
    earlier = [" ".join(u.split()) for u in users[:-1]] if users and users[-1] == question else users
    conversation = [
        {"role": m["role"], "content": m["content"]} for m in msgs[: upto + 1] if not m.get("error")
    ]
    return Source(msg, question, earlier, conversation[-MAX_CONVERSATION:])


def init_draft(source: Source) -> None:
    """Prefill the form once per source answer; later visits keep what the user typed."""
    if st.session_state.get(DRAFT_FOR) == source.id:
        return
    for key in [k for k in st.session_state if str(k).startswith(P)]:
        del st.session_state[key]
    decision = decide(source.question, source.earlier, source)
    facts = decision.facts if decision else None
    chat_pref = st.session_state.get("chat_prefecture") or ""
    values = {
        "question": source.question,
        "earlier": "\n".join(source.earlier),
        "answer": (source.message or {}).get("content", ""),
        "prefecture": (facts.prefecture if facts and facts.prefecture else chat_pref) or "",
        "industry": "、".join(facts.industry) if facts else "",
        "deadline": (facts.deadline if facts else None) or "",
        "size": (facts.company_size if facts else None) or "",
        "attach": bool(source.conversation),
        "consent": False,
        **{name: "" for name, _ in CONTACT_FIELDS},
    }
    for name, value in values.items():
        st.session_state[K[name]] = value
    st.session_state[IDEMPOTENCY] = state.new_id() + state.new_id()
    st.session_state[DRAFT_FOR] = source.id


def decide(
    question: str, earlier: list[str], source: Source, prefecture: str | None = None
) -> HandoffDecision | None:
    """The policy's decision for the (edited) question; the user asked for a person: always route."""
    if not question.strip():
        return None
    policy = resources.policy()
    msg = source.message or {}
    history = [{"role": "user", "content": line} for line in earlier if line.strip()]
    decision = policy.decide(
        question,
        history,
        support=msg.get("support"),
        categories=msg.get("categories") or [],
        prefecture=prefecture or None,
    )
    if decision.recommended and decision.windows:
        return decision
    reasons = ["explicit-request", *[r for r in decision.reasons if r != "explicit-request"]]
    windows = policy.rank_windows(reasons, [(t, 1.0) for t in decision.topics], question, prefecture or None)
    label = (
        policy.reasons["explicit-request"].label_ja if "explicit-request" in policy.reasons else EXPLICIT_JA
    )
    return decision.model_copy(
        update={
            "recommended": True,
            "reason": decision.reason if decision.recommended else "explicit-request",
            "reason_ja": decision.reason_ja if decision.recommended else label,
            "reasons": reasons,
            "urgency": decision.urgency or "low",
            "windows": windows,
        }
    )


def form_values() -> dict[str, Any]:
    return {name: st.session_state.get(key) for name, key in K.items()}


def draw_form(source: Source, locked: bool) -> None:
    st.text_area(
        "相談内容（ご質問）",
        key=K["question"],
        height=120,
        max_chars=4000,
        disabled=locked,
        persist_state="session",
        help="担当者が最初に読む内容です。必要に応じて書き足してください。",
    )
    st.text_area(
        "それまでのご質問・経緯（1行に1つ）",
        key=K["earlier"],
        height=90,
        max_chars=4000,
        disabled=locked,
        persist_state="session",
    )
    st.text_area(
        "これまでの AI の回答",
        key=K["answer"],
        height=150,
        max_chars=6000,
        disabled=locked,
        persist_state="session",
    )
    c1, c2 = st.columns(2)
    with c1:
        st.selectbox(
            "所在地（都道府県）",
            ["", *PREFECTURE_NAMES],
            key=K["prefecture"],
            disabled=locked,
            format_func=lambda p: p or "選択しない",
            persist_state="session",
            help="地域の窓口に届けるために使います。",
        )
        st.text_input(
            "業種",
            key=K["industry"],
            max_chars=100,
            disabled=locked,
            persist_state="session",
            placeholder="例: 食品製造",
        )
    with c2:
        st.text_input(
            "期限（あれば）",
            key=K["deadline"],
            max_chars=100,
            disabled=locked,
            persist_state="session",
            placeholder="例: 来週金曜までに回答を求められている",
        )
        st.text_input(
            "企業規模",
            key=K["size"],
            max_chars=100,
            disabled=locked,
            persist_state="session",
            placeholder="例: 従業員20名",
        )
    if source.conversation:
        st.checkbox("チャットの会話履歴も添付する", key=K["attach"], disabled=locked, persist_state="session")
    st.markdown("**連絡先（任意）**")
    st.checkbox(
        "入力した連絡先と相談内容（個人情報を含む）を、相談窓口の担当者に提供することに同意します。",
        key=K["consent"],
        disabled=locked,
        persist_state="session",
        help="同意がない場合、連絡先は保存されず、相談内容の電話番号・メールアドレスなどは伏せ字にして送ります。",
    )
    consent = bool(st.session_state.get(K["consent"]))
    if not consent:
        st.caption(
            "同意がない場合、連絡先は入力できず保存もされません。"
            "相談内容の個人情報は伏せ字（例: 090-\\*\\*\\*\\*-\\*\\*\\*\\*）になります。"
        )
    cols = st.columns(2)
    for i, (name, label) in enumerate(CONTACT_FIELDS):
        with cols[i % 2]:
            st.text_input(
                label, key=K[name], max_chars=200, disabled=locked or not consent, persist_state="session"
            )


def build(source: Source, v: dict[str, Any], decision: HandoffDecision | None):  # -> ConsultationSheet | None
    if decision is None:
        return None
    earlier = [line for line in (v["earlier"] or "").splitlines() if line.strip()]
    facts = {
        "prefecture": v["prefecture"] or None,
        "industry": [s for s in _split(v["industry"])],
        "deadline": v["deadline"] or None,
        "company_size": v["size"] or None,
    }
    citations = (source.message or {}).get("citations") or []
    return build_sheet(
        v["question"].strip(),
        [{"role": "user", "content": e} for e in earlier],
        v["answer"] or "",
        citations,
        decision,
        facts=facts,
        consent=bool(v["consent"]),
    )


def _split(text: str | None) -> list[str]:
    return [s.strip() for s in (text or "").replace(",", "、").split("、") if s.strip()]


def ticket_payload(source: Source, v: dict[str, Any], sheet: Any) -> dict[str, Any]:
    """The sheet as JSON plus what the advisor's detail view shows: the conversation and full citations."""
    consent = bool(v["consent"])
    data = sheet.model_dump(mode="json")
    if v["attach"] and source.conversation:
        data["conversation"] = [
            {"role": m["role"], "content": m["content"] if consent else mask_pii(m["content"])}
            for m in source.conversation
        ]
    data["citation_details"] = [
        {
            k: c.get(k)
            for k in ("n", "title", "publisher", "url", "page", "page_label", "section", "source", "quote")
        }
        for c in (source.message or {}).get("citations") or []
    ]
    return data


def contact_of(v: dict[str, Any]) -> dict[str, str] | None:
    if not v["consent"]:
        return None
    contact = {label: str(v[name]).strip() for name, label in CONTACT_FIELDS if str(v[name] or "").strip()}
    return contact or None


def submit(source: Source, v: dict[str, Any], decision: HandoffDecision, sheet: Any) -> None:
    ticket = resources.store().create_ticket(
        ticket_payload(source, v, sheet),
        sheet.to_markdown(),
        question=sheet.question,
        urgency=sheet.urgency or "low",
        category=sheet.topics[0] if sheet.topics else None,
        prefecture=v["prefecture"] or None,
        windows=[w.id for w in decision.windows],
        contact=contact_of(v),
        consent=bool(v["consent"]),
        session_token=state.session_token(),
        idempotency_key=st.session_state[IDEMPOTENCY],
    )
    st.session_state[RESULT] = {"public_no": ticket.public_no, "windows": list(ticket.windows)}
    if source.message is not None:
        st.session_state[state.HANDED_OFF] = ticket.public_no


def new_draft() -> None:
    for key in [k for k in st.session_state if str(k).startswith(P)]:
        del st.session_state[key]
    st.session_state.pop(state.HANDOFF_SOURCE, None)
    st.session_state[DRAFT_FOR] = "blank"
    st.session_state[IDEMPOTENCY] = state.new_id() + state.new_id()


def show_result(result: dict[str, Any]) -> None:
    names = "、".join(resources.window_name(w) for w in result["windows"]) or "（窓口の割り当てなし）"
    st.success(
        f"ご相談を受け付けました。受付番号は **{result['public_no']}** です。\n\n"
        f"この相談を見られるのは、次の窓口の担当者です: {escape_label(names)}\n\n"
        "担当者からの連絡をお待ちください。お問い合わせの際は受付番号をお伝えください。",
        icon=":material/check_circle:",
    )
    st.button("別の相談を送る", key="another_ticket", on_click=new_draft)


def confidential_gate(notes: list[str], locked: bool) -> bool:
    """Warn about likely trade secrets in the sheet; True once the user confirmed sending them anyway."""
    st.warning(
        "相談シートに、社外秘の技術情報や営業秘密かもしれない内容が含まれています。"
        "送る前に、窓口の担当者に伝えてよい内容か確認してください（不要なら上の欄から削除できます）。\n\n"
        + "\n".join(f"- {escape_label(n)}" for n in notes),
        icon=":material/lock:",
    )
    st.checkbox(
        "この内容を相談窓口の担当者に伝えることを確認しました",
        key=CONFIDENTIAL_OK,
        disabled=locked,
        persist_state="session",
    )
    return bool(st.session_state.get(CONFIDENTIAL_OK))


def preview(decision: HandoffDecision | None, sheet: Any) -> None:
    if decision is None:
        st.info("相談内容を入力すると、届け先の窓口と相談シートを確認できます。")
        return
    with st.container(border=True):
        urgency = URGENCY_JA.get(decision.urgency or "", "—")
        st.markdown(f"**届け先の窓口**（緊急度: {urgency}）")
        st.markdown(
            "\n".join(components.window_lines([w.model_dump() for w in decision.windows], limit=5))
            or "（該当する窓口が見つかりません）"
        )
    with st.expander("送信される相談シートを確認する"):
        st.code(sheet.to_markdown(), language="markdown", wrap_lines=True)


def my_tickets() -> None:
    tickets = resources.store().tickets_for_session(state.session_token())
    st.subheader("このブラウザから送った相談")
    if not tickets:
        st.caption("まだありません。ブラウザを閉じると一覧は表示されなくなるため、受付番号を控えてください。")
        return
    rows = [
        {
            "受付番号": t.public_no,
            "受付日時": t.created_at.astimezone(JST).strftime("%Y-%m-%d %H:%M"),
            "状態": t.status_label,
            "緊急度": t.urgency_label,
            "窓口": "、".join(resources.window_name(w) for w in t.windows or []),
        }
        for t in tickets
    ]
    st.dataframe(rows, hide_index=True)


def render() -> None:
    st.title("相談窓口につなぐ")
    st.markdown(
        "チャットの内容から **相談シート** を作りました。内容を確認・修正して送ると、"
        "相談窓口の担当者が受け付けます（相談は無料の窓口が中心です）。"
    )
    source = find_source()
    init_draft(source)
    result = st.session_state.get(RESULT)
    if result:
        show_result(result)
    elif source.message is None:
        st.caption("チャットの会話はまだありません。相談内容を直接入力して送ることもできます。")
    draw_form(source, locked=bool(result))
    v = form_values()
    decision = decide(v["question"] or "", _split_lines(v["earlier"]), source, v["prefecture"])
    sheet = build(source, v, decision)
    preview(decision, sheet)
    notes = list(sheet.confidential_notes) if sheet is not None else []
    confirmed = not notes or confidential_gate(notes, locked=bool(result))
    clicked = st.button(
        "この内容で相談を送る",
        key="submit_ticket",
        type="primary",
        icon=":material/send:",
        disabled=bool(result) or decision is None or not confirmed,
    )
    if clicked and decision is not None and sheet is not None and not result and confirmed:
        try:
            submit(source, v, decision, sheet)
        except Exception:  # noqa: BLE001 - keep the draft; the idempotency key makes a retry safe
            log_exception(log, "could not create ticket")  # no sheet or contact details in the log
            st.error(
                "送信できませんでした。内容はそのまま残っています。少し時間をおいてもう一度送信してください。"
            )
        else:
            st.rerun()
    st.divider()
    my_tickets()
    if source.message is not None:
        st.page_link(navigation.page(navigation.CHAT), label="チャットに戻る", icon=":material/arrow_back:")


def _split_lines(text: str | None) -> list[str]:
    return [line for line in (text or "").splitlines() if line.strip()]


if __name__ == "__main__":
    render()
