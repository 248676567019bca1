"""Every advisor session leaves a trail: login, what was viewed and changed, and its end (logout or expiry)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from assistant.handoff import build_sheet
from assistant.tickets import TicketStore
from assistant.tickets.models import AuditEvent
from tests.assistant.ui.ui_index import ADVISOR, ADVISOR_PASSWORD, APP

LOGIN = "assistant/ui/pages/login.py"
DETAIL = "assistant/ui/pages/detail.py"


def login(at: AppTest) -> AppTest:
    at.switch_page(LOGIN).run()
    at.text_input(key="login_username").input(ADVISOR)
    at.text_input(key="login_password").input(ADVISOR_PASSWORD)
    [button] = [b for b in at.button if b.label == "ログイン"]
    button.click().run()
    assert not at.exception and at.session_state["advisor"]["username"] == ADVISOR
    return at


def test_advisor_actions_and_session_ends_are_audited_with_who_and_when(ui_data) -> None:
    store = TicketStore(ui_data.settings.resolved_database_url)
    sheet = build_sheet("商標の出願を弁理士に相談したいです。", [], "（回答）", [])
    ticket = store.create_ticket(
        sheet, sheet.to_markdown(), question=sheet.question, urgency="low", category=None, prefecture=None,
        windows=["jpaa"], contact=None, consent=False, session_token="sme",
    )
    started = datetime.now(UTC)
    with store.db.session() as s:
        first_id = s.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc())) or 0

    at = login(AppTest.from_file(str(APP), default_timeout=120).run())
    at.query_params["no"] = ticket.public_no
    at.switch_page(DETAIL).run()
    at.selectbox(key=f"detail_status_{ticket.id}").set_value("in_progress")
    at.button(key=f"detail_save_{ticket.id}").click().run()
    at.button(key="logout").click().run()
    assert "advisor" not in at.session_state

    login(at)
    advisor = dict(at.session_state["advisor"])
    advisor["last_seen"] -= 31 * 60  # idle past advisor_session_minutes
    at.session_state["advisor"] = advisor
    at.switch_page(LOGIN).run()
    assert not at.exception and "advisor" not in at.session_state

    with store.db.session() as s:
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.id > first_id).order_by(AuditEvent.id)))
    assert [(e.actor, e.action) for e in events] == [
        (ADVISOR, "login"),
        (ADVISOR, "viewed"),
        (ADVISOR, "status_changed"),
        (ADVISOR, "logout"),
        (ADVISOR, "login"),
        (ADVISOR, "viewed"),  # the login went back to the ticket the logout left, a new session views it anew
        (ADVISOR, "session_expired"),
    ]
    ended = datetime.now(UTC)
    assert all(started <= e.at <= ended for e in events)
    assert [e.ticket_public_no for e in events[1:3]] == [ticket.public_no] * 2
