"""相談窓口につなぐ: turn the conversation into an editable consultation sheet and submit it as a ticket.

The draft starts from the message that triggered the handoff (:mod:`assistant.ui.handoff_source`), with the
conversation as context. Fields are laid out in rows in reading order, so Tab moves the way the eye does. Contact
details are checked (:mod:`assistant.ui.contact`) before anything is sent, with the problem under the field and
nothing typed lost. The preview shows the sheet as the advisor will read it, contact details included; that same
text is what the ticket stores. After sending, the receipt (:mod:`assistant.ui.receipt`) replaces the form at the
top of the view.

Privacy: without the consent checkbox the sheet is masked by :func:`build_sheet` and contact details are neither
asked for (inputs disabled) nor stored. Text that looks like a trade secret (recipes, process conditions, drawings,
source code) cannot be masked without losing the question, so it is gated instead: the page lists what it found and
sends only after the user ticks that they mean to share it. Submitting is idempotent: the key lives in the session,
so a double click or a retried request returns the same ticket. A user sees only the tickets of their own session.
"""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from assistant.handoff import HandoffDecision, build_sheet, mask_pii
from assistant.handoff.facts import PREFECTURE_NAMES
from assistant.handoff.sheet import ConsultationSheet
from assistant.tickets.models import CONTACT_LABELS, jst
from assistant.ui import components, contact, layout, navigation, receipt, resources, state
from assistant.ui.handoff_source import Source, find_source
from assistant.ui.labels import t, urgency
from assistant.ui.safe_text import escape_label, safe_markdown
from chizai.logsafe import log_exception

log = logging.getLogger(__name__)

P = state.HANDOFF_PREFIX
DRAFT_FOR = P + "draft_for"
IDEMPOTENCY = P + "idempotency_key"
RESULT = P + "result"
CONFIDENTIAL_OK = P + "confidential_ok"
SUBMIT_TRIED = P + "submit_tried"
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
CONTACT_KEYS = dict(zip(CONTACT_LABELS, ("company", "name", "phone", "email", "when"), strict=True))
CONTACT_ROWS = (("お名前", "会社名・屋号"), ("電話番号", "メールアドレス"), ("連絡のつきやすい時間帯",))
INPUT_TYPES = {"電話番号": "phone", "メールアドレス": "email"}
EXPLICIT_JA = "ご本人が担当者・専門家との相談を希望しています。"


def current_source() -> Source:
    """The conversation's trigger, or a blank form once this conversation has been handed over."""
    return Source(None) if st.session_state.get(state.HANDED_OFF) else find_source(state.messages())


def init_draft(source: Source) -> None:
    """Prefill the form once per source answer; later visits keep what the user typed."""
    if st.session_state.get(DRAFT_FOR) == source.id:
        return
    for key in [k for k in st.session_state if str(k).startswith(P)]:
        del st.session_state[key]
    decision = decide(source.question, source.earlier, source)
    facts = decision.facts if decision else None
    values = {
        "question": source.question,
        "earlier": "\n".join(source.earlier),
        "answer": (source.message or {}).get("content", ""),
        "prefecture": (facts.prefecture if facts and facts.prefecture else None)
        or st.session_state.get(state.CHAT_PREFECTURE)
        or "",
        "industry": "、".join(facts.industry) if facts else "",
        "deadline": (facts.deadline if facts else None) or "",
        "size": (facts.company_size if facts else None) or "",
        "attach": bool(source.conversation),
        "consent": False,
        **{name: "" for name in CONTACT_KEYS.values()},
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
    label = policy.reasons["explicit-request"].label_ja if "explicit-request" in policy.reasons else EXPLICIT_JA
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


def typed_contact(v: dict[str, Any]) -> dict[str, str]:
    return {label: str(v[name] or "") for label, name in CONTACT_KEYS.items()}


def draw_case(source: Source, lang: str) -> None:
    """The question, its background and facts, in rows so the tab order follows the layout."""
    st.text_area(
        t("f_question", lang), key=K["question"], height=120, max_chars=4000, persist_state="session",
        help=t("f_question_help", lang),
    )
    st.text_area(t("f_earlier", lang), key=K["earlier"], height=90, max_chars=4000, persist_state="session")
    st.text_area(t("f_answer", lang), key=K["answer"], height=150, max_chars=6000, persist_state="session")
    left, right = st.columns(2)
    left.selectbox(
        t("f_prefecture", lang), ["", *PREFECTURE_NAMES], key=K["prefecture"], persist_state="session",
        format_func=lambda p: p or t("location_none", lang), help=t("f_prefecture_help", lang),
    )
    right.text_input(
        t("f_industry", lang), key=K["industry"], max_chars=100, persist_state="session",
        placeholder=t("f_industry_ph", lang),
    )
    left, right = st.columns(2)
    left.text_input(
        t("f_deadline", lang), key=K["deadline"], max_chars=100, persist_state="session",
        placeholder=t("f_deadline_ph", lang),
    )
    right.text_input(
        t("f_size", lang), key=K["size"], max_chars=100, persist_state="session", placeholder=t("f_size_ph", lang)
    )
    if source.conversation:
        st.checkbox(t("f_attach", lang), key=K["attach"], persist_state="session")


def draw_contact(lang: str, problems: dict[str, str]) -> None:
    """Consent, then name, company, phone, e-mail and time, each with what is wrong with it right below."""
    st.markdown(f"**{t('contact_title', lang)}**")
    st.checkbox(t("consent", lang), key=K["consent"], persist_state="session", help=t("consent_help", lang))
    consent = bool(st.session_state.get(K["consent"]))
    if not consent:
        st.caption(t("no_consent", lang))
    for row in CONTACT_ROWS:
        for column, label in zip(st.columns(2), row, strict=False):
            with column:
                st.text_input(
                    t(label, lang),
                    key=K[CONTACT_KEYS[label]],
                    max_chars=200,
                    disabled=not consent,
                    persist_state="session",
                    type=INPUT_TYPES.get(label, "default"),
                    validate="" if label in INPUT_TYPES else None,
                    icon="" if label in INPUT_TYPES else None,
                    placeholder=t(f"ph_{label}", lang),
                )
                if consent and label in problems:
                    st.caption(f":red[{contact.message(problems[label], lang)}]")


def contact_problems(v: dict[str, Any]) -> dict[str, str]:
    """Problems to show: wrong formats at once, missing fields only after the user tried to send."""
    if not v["consent"]:
        return {}
    found = contact.problems(typed_contact(v))
    if st.session_state.get(SUBMIT_TRIED):
        return found
    return {label: code for label, code in found.items() if code.endswith("_invalid")}


def build(source: Source, v: dict[str, Any], decision: HandoffDecision | None) -> ConsultationSheet | None:
    if decision is None:
        return None
    earlier = [line for line in (v["earlier"] or "").splitlines() if line.strip()]
    facts = {
        "prefecture": v["prefecture"] or None,
        "industry": _split(v["industry"]),
        "deadline": v["deadline"] or None,
        "company_size": v["size"] or None,
    }
    return build_sheet(
        v["question"].strip(),
        [{"role": "user", "content": e} for e in earlier],
        v["answer"] or "",
        (source.message or {}).get("citations") or [],
        decision,
        facts=facts,
        consent=bool(v["consent"]),
    )


def _split(text: str | None) -> list[str]:
    return [s.strip() for s in (text or "").replace(",", "、").split("、") if s.strip()]


def contact_of(v: dict[str, Any]) -> dict[str, str] | None:
    return (contact.cleaned(typed_contact(v)) or None) if v["consent"] else None


def sheet_text(sheet: ConsultationSheet, v: dict[str, Any]) -> str:
    """The sheet as the advisor reads it: the handoff sheet plus who to call back (what the ticket stores)."""
    details = contact_of(v)
    if details:
        lines = [f"- {label}: {value}" for label, value in details.items()]
    elif v["consent"]:
        lines = ["連絡先の入力はありません。相談者は受付番号で問い合わせます。"]
    else:
        lines = ["ご本人の同意がないため、連絡先はありません。相談者は受付番号で問い合わせます。"]
    return sheet.to_markdown().rstrip("\n") + "\n\n## 連絡先\n\n" + "\n".join(lines) + "\n"


def ticket_payload(source: Source, v: dict[str, Any], sheet: ConsultationSheet) -> dict[str, Any]:
    """The sheet as JSON plus what the advisor's detail view shows: the conversation and full citations."""
    consent = bool(v["consent"])
    data = sheet.model_dump(mode="json")
    if v["attach"] and source.conversation:
        data["conversation"] = [
            {"role": m["role"], "content": m["content"] if consent else mask_pii(m["content"])}
            for m in source.conversation
        ]
    keys = ("n", "doc_id", "title", "publisher", "url", "page", "page_label", "section", "quote")
    data["citation_details"] = [{k: c.get(k) for k in keys} for c in (source.message or {}).get("citations") or []]
    return data


def submit(source: Source, v: dict[str, Any], decision: HandoffDecision, sheet: ConsultationSheet) -> None:
    details = contact_of(v)
    ticket = resources.store().create_ticket(
        ticket_payload(source, v, sheet),
        sheet_text(sheet, v),
        question=sheet.question,
        urgency=sheet.urgency or "low",
        category=sheet.topics[0] if sheet.topics else None,
        prefecture=v["prefecture"] or None,
        windows=[w.id for w in decision.windows],
        contact=details,
        consent=bool(v["consent"]),
        session_token=state.session_token(),
        idempotency_key=st.session_state[IDEMPOTENCY],
    )
    st.session_state[RESULT] = {
        "public_no": ticket.public_no,
        "windows": list(ticket.windows),
        "contact": details or {},
        "language": source.language,
    }
    if source.message is not None:
        st.session_state[state.HANDED_OFF] = ticket.public_no


def new_draft() -> None:
    """「別の相談を送る」: a blank form with a new idempotency key."""
    for key in [k for k in st.session_state if str(k).startswith(P)]:
        del st.session_state[key]
    st.session_state[DRAFT_FOR] = "blank"
    st.session_state[IDEMPOTENCY] = state.new_id() + state.new_id()


def confidential_gate(notes: list[str], lang: str) -> bool:
    """Warn about likely trade secrets in the sheet; True once the user confirmed sending them anyway."""
    st.warning(
        t("confidential_warning", lang) + "\n\n" + "\n".join(f"- {escape_label(n)}" for n in notes),
        icon=":material/lock:",
    )
    st.checkbox(t("confidential_ok", lang), key=CONFIDENTIAL_OK, persist_state="session")
    return bool(st.session_state.get(CONFIDENTIAL_OK))


def preview(decision: HandoffDecision | None, sheet: ConsultationSheet | None, v: dict[str, Any], lang: str) -> None:
    if decision is None or sheet is None:
        st.info(t("type_first", lang))
        return
    with st.container(border=True):
        st.markdown(f"**{t('destination', lang, level=urgency(decision.urgency, lang))}**")
        windows = [w.model_dump() for w in decision.windows]
        st.markdown("\n".join(components.window_lines(windows, limit=5, lang=lang)) or t("no_windows", lang))
    with st.expander(t("preview", lang)):
        # One heading level per #, shifted so the sheet's title does not outshout the page's.
        shifted = "\n".join("###" + line if line.startswith("#") else line for line in sheet_text(sheet, v).split("\n"))
        st.markdown(safe_markdown(shifted))


def my_tickets(lang: str) -> None:
    tickets = resources.store().tickets_for_session(state.session_token())
    st.subheader(t("my_tickets", lang))
    if not tickets:
        st.caption(t("my_tickets_none", lang))
        return
    rows = [
        {
            "受付番号": ticket.public_no,
            "受付日時": jst(ticket.created_at),
            "状態": ticket.status_label,
            "緊急度": ticket.urgency_label,
            "窓口": "、".join(resources.window_name(w) for w in ticket.windows or []),
        }
        for ticket in tickets
    ]
    st.dataframe(rows, hide_index=True)


def done(result: dict[str, Any]) -> None:
    """After sending: the receipt at the top of the view, then where to go next."""
    lang = result.get("language") or "ja"
    receipt.show(result, lang)
    layout.scroll_to("receipt")
    with st.container(horizontal=True):
        st.page_link(navigation.page(navigation.CHAT), label=t("back_to_chat", lang), icon=":material/arrow_back:")
        st.button(t("another", lang), key="another_ticket", on_click=new_draft, icon=":material/add:")
    st.divider()
    my_tickets(lang)


def send(source: Source, v: dict[str, Any], decision: HandoffDecision, sheet: ConsultationSheet, lang: str) -> None:
    """The submit button's work: refuse with the fields to fix, or create the ticket and show the receipt."""
    if v["consent"] and contact.problems(typed_contact(v)):
        st.session_state[SUBMIT_TRIED] = True
        st.rerun()  # redraw with every problem under its field
    try:
        submit(source, v, decision, sheet)
    except Exception:  # noqa: BLE001 - keep the draft; the idempotency key makes a retry safe
        log_exception(log, "could not create ticket")  # no sheet or contact details in the log
        st.error(t("send_failed", lang))
    else:
        st.rerun()


def render() -> None:
    result = st.session_state.get(RESULT)
    if result:
        st.title(t("connect", result.get("language")))
        done(result)
        return
    source = current_source()
    init_draft(source)
    lang = source.language
    st.title(t("connect", lang))
    st.markdown(t("handoff_intro", lang))
    if source.message is None:
        st.caption(t("handoff_blank", lang))
    v = form_values()
    problems = contact_problems(v)
    draw_case(source, lang)
    draw_contact(lang, problems)
    decision = decide(v["question"] or "", _split_lines(v["earlier"]), source, v["prefecture"])
    sheet = build(source, v, decision)
    preview(decision, sheet, v, lang)
    notes = list(sheet.confidential_notes) if sheet is not None else []
    confirmed = not notes or confidential_gate(notes, lang)
    if problems and st.session_state.get(SUBMIT_TRIED):
        fix = "\n".join(f"- {t(label, lang)}: {contact.message(code, lang)}" for label, code in problems.items())
        st.error(t("fix_first", lang) + "\n\n" + fix, icon=":material/error:")
    clicked = st.button(
        t("submit", lang), key="submit_ticket", type="primary", icon=":material/send:",
        disabled=decision is None or not confirmed,
    )
    if clicked and decision is not None and sheet is not None and confirmed:
        send(source, v, decision, sheet, lang)
    st.divider()
    my_tickets(lang)
    if source.message is not None:
        st.page_link(navigation.page(navigation.CHAT), label=t("back_to_chat", lang), icon=":material/arrow_back:")


def _split_lines(text: str | None) -> list[str]:
    return [line for line in (text or "").splitlines() if line.strip()]


if __name__ == "__main__":
    render()
