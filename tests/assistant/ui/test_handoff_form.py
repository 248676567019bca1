"""相談窓口につなぐ through AppTest: the draft starts from the incident, contact details are checked before anything
is sent (nothing typed is lost), the receipt says who replies how and when, and an English user reads English."""

from __future__ import annotations

from datetime import timedelta

from assistant.tickets import TicketStore
from assistant.tickets.stats import FirstResponse
from assistant.ui.safe_text import WORD_JOINER
from tests.assistant.ui.driver import ask, new_app, ok

HANDOFF = "assistant/ui/pages/handoff.py"
LETTER = "他社から特許侵害の警告書が届きました。どうすればいいですか？"
FOLLOW_UP = "それって弁護士に頼むといくらかかりますか"


def texts(at) -> str:  # type: ignore[no-untyped-def]
    """The page's Markdown as read: escapes and the invisible joiners that keep addresses from linking left out."""
    return " ".join(m.value for m in at.markdown).replace("\\", "").replace(WORD_JOINER, "")


def to_handoff(at):  # type: ignore[no-untyped-def]
    ok(at.button(key="chat_handoff").click().run())
    assert at.title[0].value in ("相談窓口につなぐ", "Connect me with a person")
    return at


def consented_draft(**contact: str):  # type: ignore[no-untyped-def]
    """The warning letter handed over, consent given and ``contact`` typed (widget names: name, phone, email)."""
    at = ok(new_app().run())
    ask(at, LETTER)
    to_handoff(at)
    ok(at.checkbox(key="handoff_consent").check().run())
    for field, value in contact.items():
        at.text_input(key=f"handoff_contact_{field}").input(value)
    return ok(at.run())


def test_the_draft_starts_from_the_warning_letter_not_the_follow_up(ui_data) -> None:
    at = ok(new_app().run())
    ask(at, LETTER)
    ask(at, FOLLOW_UP)
    to_handoff(at)
    assert at.text_area(key="handoff_question").value == LETTER
    assert at.text_area(key="handoff_earlier").value == ""
    assert "緊急度: 高" in texts(at)
    ok(at.button(key="submit_ticket").click().run())
    store = TicketStore(ui_data.settings.resolved_database_url)
    ticket = store.get_ticket_by_public_no(at.session_state["handoff_result"]["public_no"])
    assert ticket.urgency == "high" and ticket.question == LETTER
    assert FOLLOW_UP in [m["content"] for m in ticket.sheet_json["conversation"]]  # the context goes with it


def test_contact_details_are_checked_before_sending_and_nothing_is_lost(ui_data) -> None:
    store = TicketStore(ui_data.settings.resolved_database_url)
    at = consented_draft(phone="abc-でんわ", email="yamada@")
    shown = [c.value for c in at.caption]
    assert any("電話番号の形式が正しくありません" in c for c in shown)  # at once, under the field
    assert any("メールアドレスの形式が正しくありません" in c for c in shown)
    before = len(store.tickets_for_session(at.session_state["session_token"]))

    ok(at.button(key="submit_ticket").click().run())
    assert "handoff_result" not in at.session_state  # nothing sent
    assert len(store.tickets_for_session(at.session_state["session_token"])) == before
    [summary] = [e.value for e in at.error]
    assert "まだ送信していません" in summary and "お名前を入力してください" in summary
    assert at.text_input(key="handoff_contact_phone").value == "abc-でんわ"  # kept for fixing
    assert at.text_area(key="handoff_question").value == LETTER

    at.text_input(key="handoff_contact_name").input("知財 花子")
    at.text_input(key="handoff_contact_phone").input("０９０ー１２３４ー５６７８")
    ok(at.text_input(key="handoff_contact_email").input("hanako@example.co.jp").run())
    assert "連絡先\n\n- お名前: 知財 花子" in "\n".join(m.value for m in at.markdown)  # previewed as sent
    ok(at.button(key="submit_ticket").click().run())
    ticket = store.get_ticket_by_public_no(at.session_state["handoff_result"]["public_no"])
    assert ticket.contact == {"お名前": "知財 花子", "電話番号": "090-1234-5678", "メールアドレス": "hanako@example.co.jp"}
    receipt = texts(at)
    assert "お電話（090-1234-5678） または メール（hanako@example.co.jp）" in receipt
    assert "対応実績がまだ少ない" in receipt  # no track record: no promise


def test_the_receipt_quotes_the_desks_measured_first_response(ui_data, monkeypatch) -> None:
    from assistant.ui import receipt

    seen = []

    def measured(store, window_id):  # type: ignore[no-untyped-def]
        seen.append(window_id)
        return FirstResponse(timedelta(hours=5, minutes=20), 12, 90)

    monkeypatch.setattr(receipt, "first_response", measured)
    at = consented_draft(name="知財 花子", email="hanako@example.co.jp")
    ok(at.button(key="submit_ticket").click().run())
    assert "受付から担当者の対応開始までおよそ5時間です（直近90日の12件の中央値）" in texts(at)
    assert seen == [at.session_state["handoff_result"]["windows"][0]]  # the window in charge


def test_an_english_conversation_gets_english_labels_around_it(ui_data) -> None:
    at = ok(new_app().run())
    ask(at, "We received a patent infringement warning letter. What should we do?")
    answer = [m for m in at.chat_message if m.name == "assistant"][0]
    body = " ".join(m.value for m in answer.markdown)
    assert "**Sources**" in body and "We recommend talking to a person" in body and "Urgency: High" in body
    assert "出典" not in body and "担当者への相談" not in body
    assert any("passage" in e.label for e in answer.expander)
    assert at.button(key="chat_handoff").label == "Talk to a person"
    assert "Comment on this answer" in at.text_input(key=f"fbc_{at.session_state['messages'][-1]['id']}").placeholder

    to_handoff(at)
    assert at.title[0].value == "Connect me with a person"
    assert at.text_area(key="handoff_question").label == "Your question"
    ok(at.checkbox(key="handoff_consent").check().run())
    ok(at.text_input(key="handoff_contact_phone").input("12345").run())
    assert any(c.value.startswith(":red[This is not a Japanese phone number") for c in at.caption)
