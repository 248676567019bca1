"""相談窓口につなぐ: a sheet that looks like it holds a trade secret is sent only after the user confirms it."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from assistant.tickets import TicketStore
from tests.assistant.ui.ui_index import APP

HANDOFF = "assistant/ui/pages/handoff.py"
SECRET = "当社独自の製法では、焼成温度は850℃で2時間保持します。この製法を特許にすべきか相談したいです。"


def test_trade_secret_looking_sheet_needs_confirmation_before_sending(ui_data) -> None:
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    at.switch_page(HANDOFF).run()
    at.text_area(key="handoff_question").input(SECRET)
    at.run()
    assert not at.exception
    [warning] = [w for w in at.warning if "営業秘密かもしれない内容" in w.value]
    assert "製造条件" in warning.value or "温度" in warning.value
    assert at.button(key="submit_ticket").disabled  # not before the user confirmed
    assert "handoff_result" not in at.session_state

    at.checkbox(key="handoff_confidential_ok").check().run()
    assert not at.button(key="submit_ticket").disabled
    at.button(key="submit_ticket").click().run()
    assert not at.exception
    ticket = TicketStore(ui_data.settings.resolved_database_url).get_ticket_by_public_no(
        at.session_state["handoff_result"]["public_no"]
    )
    assert "850℃" in ticket.question and ticket.sheet_json["confidential_notes"]

    # Removing the sensitive part from the draft lifts the gate: nothing to confirm for an ordinary question.
    at.button(key="another_ticket").click().run()
    at.text_area(key="handoff_question").input("商標の出願を弁理士に相談したいです。")
    at.run()
    assert not [w for w in at.warning if "営業秘密かもしれない内容" in w.value]
    assert not at.button(key="submit_ticket").disabled
