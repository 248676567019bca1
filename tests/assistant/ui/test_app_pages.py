"""Every page of the Streamlit app through ``streamlit.testing.v1.AppTest`` (no browser), on a small real index.

AppTest runs ``app.py`` with its one ``st.navigation``. It follows an ``st.switch_page`` made by the app only until
the test itself calls ``at.switch_page``; after that the tests name the page they expect explicitly.
"""

from __future__ import annotations

import json
import time

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from assistant.handoff import build_sheet
from assistant.tickets import LOGIN_FAILED_JA, TicketStore
from assistant.tickets.models import Feedback
from assistant.ui.pages import evals as evals_page
from assistant.ui.pages.chat import EXAMPLES, UNAVAILABLE_JA
from tests.assistant.ui.driver import answers, ask, new_app, ok
from tests.assistant.ui.ui_index import ADVISOR, ADVISOR_PASSWORD, BROKEN, DOCS

CHAT = "assistant/ui/pages/chat.py"
HANDOFF = "assistant/ui/pages/handoff.py"
LOGIN = "assistant/ui/pages/login.py"
QUEUE = "assistant/ui/pages/queue.py"
DETAIL = "assistant/ui/pages/detail.py"
CORPUS = "assistant/ui/pages/corpus.py"
EVALS = "assistant/ui/pages/evals.py"
WARNING_LETTER = "他社から特許侵害の警告書が届きました。どうすればいいですか？"
PHONE = "090-1234-5678"


def texts(element) -> list[str]:
    return [md.value for md in element.markdown]


def button(at: AppTest, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, f"no button {label!r} in {[b.label for b in at.button]}"
    return found[0]


def store(ui_data) -> TicketStore:
    return TicketStore(ui_data.settings.resolved_database_url)


def login(at: AppTest, username: str = ADVISOR, password: str = ADVISOR_PASSWORD) -> AppTest:
    ok(at.switch_page(LOGIN).run())
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    return ok(button(at, "ログイン").click().run())


def seed_ticket(ui_data, question: str = "商標の出願を弁理士に相談したいです。", windows=("jpaa",)):
    sheet = build_sheet(question, [], "（回答）", [{"title": "商標の基本", "url": "https://www.jpo.go.jp/"}])
    return store(ui_data).create_ticket(
        sheet.model_dump(mode="json"),
        sheet.to_markdown(),
        question=sheet.question,
        urgency="medium",
        category="rights",
        prefecture="大阪府",
        windows=list(windows),
        contact=None,
        consent=False,
        session_token="seed-session",
    )


# --- チャット -------------------------------------------------------------------------------------------------


def test_chat_answers_with_numbered_citations_feedback_and_reset(ui_data):
    at = ok(new_app().run())
    assert any("法的助言ではありません" in i.value and "営業秘密" in i.value for i in at.info)
    first_screen = " ".join(texts(at))
    assert "できること" in first_screen and "しないこと" in first_screen
    assert "担当者に引き継ぎます" in first_screen  # the first screen says a person can take over
    assert sorted(b.label for b in at.button if b.key and b.key.startswith("example_")) == sorted(EXAMPLES)
    assert "create-advisor" not in first_screen and "python -m" not in first_screen

    ok(at.button(key="example_0").click().run())  # 商標登録をしないと…
    [answer] = answers(at)
    body = texts(answer)
    message_id = at.session_state["messages"][-1]["id"]
    assert f"[\\[1\\]](#src-{message_id}-1)" in body[0] and "法的助言ではありません" in body[0]  # [1] is a chip
    citations = at.session_state["messages"][-1]["citations"]
    documents = {c["doc_id"] for c in citations}
    assert len(answer.expander) == len(documents)  # one source entry per document, its passages inside
    inside = texts(answer.expander[0])
    assert "公式ページを開く" in inside[0] and "(https://" in inside[0]
    assert any(t.startswith("**[1]**") for t in inside)
    assert not any(".md" in t or "docs/" in t for t in [*body, *inside])  # no internal paths
    assert not any("担当者への相談をおすすめします" in t for t in body)  # a general question: no handoff card
    assert "<" not in body[0].replace("\\<", "")  # nothing that could become HTML

    # History is redrawn from session state with the same widget keys on every rerun.
    message_id = at.session_state["messages"][-1]["id"]
    ok(at.run())
    assert len(answers(at)) == 1 and at.text_input(key=f"fbc_{message_id}") is not None

    at.text_input(key=f"fbc_{message_id}").input(f"わかりやすかったです（連絡は {PHONE}）")
    ok(at.feedback[0].set_value(1).run())
    assert at.session_state["messages"][-1]["feedback"] == 1
    assert any("評価を記録しました" in c.value for c in at.caption)
    with store(ui_data).db.session() as s:
        rows = list(s.scalars(select(Feedback)))
    mine = [r for r in rows if r.comment.startswith("わかりやすかったです")]
    assert len(mine) == 1 and mine[0].score == 1 and PHONE not in mine[0].comment

    ok(at.button(key="new_consultation").click().run())
    assert not at.chat_message
    assert "example_0" in [b.key for b in at.button]
    assert "new_consultation" not in [b.key for b in at.button]  # nothing to start over from


def test_chat_history_is_bounded(ui_data, monkeypatch):
    from assistant.ui import state

    monkeypatch.setattr(state, "MAX_MESSAGES", 4)
    at = ok(new_app().run())
    for i in range(3):
        ask(at, f"特許の出願にかかる費用はいくらですか？（{i}）")
    kept = at.session_state["messages"]
    assert len(kept) == 4 and kept[0]["content"].endswith("（1）")
    assert len(ok(at.run()).chat_message) == 4  # the next rerun draws only what is kept


def test_chat_without_an_index_tells_the_public_to_come_back_and_operators_what_to_do(ui_data, tmp_path, monkeypatch):
    from chizai.settings import get_settings

    monkeypatch.setenv("CHIZAI_DATA_DIR", str(tmp_path / "empty"))
    get_settings.cache_clear()
    try:
        at = ok(new_app().run())
        assert [e.value for e in at.error] == [UNAVAILABLE_JA]  # nothing operational for the public
        assert not at.chat_input and at.button(key="chat_handoff")  # a person can still be asked
        at.session_state["advisor"] = {
            "username": ADVISOR, "display_name": "山田", "windows": [], "login_at": time.time(), "last_seen": time.time()
        }
        ok(at.run())
        assert any("索引がまだありません" in e.value and "python -m ingest" in e.value for e in at.error)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_chat_survives_an_answering_error(ui_data, monkeypatch):
    from assistant.answer.pipeline import Assistant

    def broken(*args, **kwargs):
        raise RuntimeError("index on fire")

    at = ok(new_app().run())
    monkeypatch.setattr(Assistant, "prepare", broken)
    ask(at, "特許とは何ですか？")
    assert any("問題が起きました" in e.value for e in at.error)
    monkeypatch.undo()
    ask(at, "特許とは何ですか？")  # the session keeps working; the failed turn stays visible
    assert len(answers(at)) == 2 and "(#src-" in texts(answers(at)[-1])[0]


def test_warning_letter_shows_handoff_card_and_pii_notice(ui_data):
    at = ok(new_app().run())
    ask(at, f"{WARNING_LETTER} 担当者の電話は {PHONE} です。")
    [answer] = answers(at)
    body = texts(answer)
    assert any("担当者への相談をおすすめします" in t for t in body)
    assert any("緊急度: 高" in t for t in body)
    assert any("紛争" in t for t in body)  # reason_ja from the policy
    assert any("(https://www.jpaa.or.jp/)" in t for t in body)  # a window link from windows.yaml
    assert any("営業秘密はチャットに貼り付けないでください" in w.value for w in answer.warning)
    assert button(at, "相談窓口につなぐ")


# --- 相談窓口につなぐ --------------------------------------------------------------------------------------------


def test_handoff_submits_a_masked_ticket_once_and_shows_only_own_tickets(ui_data):
    at = ok(new_app().run())
    question = f"{WARNING_LETTER} 担当者の電話は {PHONE} です。"
    ask(at, question)
    ok(button(at, "相談窓口につなぐ").click().run())
    assert at.title[0].value == "相談窓口につなぐ"
    assert at.text_area(key="handoff_question").value == question
    assert at.text_area(key="handoff_answer").value == at.session_state["messages"][-1]["content"]
    assert at.text_input(key="handoff_contact_phone").disabled  # no consent: no contact details
    assert any("届け先の窓口" in t for t in texts(at))

    ok(at.button(key="submit_ticket").click().run())
    assert [s.value for s in at.success] == ["**ご相談を受け付けました**"]
    number = at.session_state["handoff_result"]["public_no"]
    receipt = " ".join(texts(at)).replace("\\", "")  # Markdown escapes out
    assert number in receipt and "担当する窓口: **日本弁理士会の知財相談**" in receipt
    assert "この受付番号を控えて" in receipt  # no contact given: nobody will call, keep the number
    assert not [b for b in at.button if b.key == "submit_ticket"]  # the receipt replaces the form

    ticket = store(ui_data).get_ticket_by_public_no(number)
    assert (
        ticket.status == "new" and ticket.urgency == "high" and not ticket.consent and ticket.contact is None
    )
    assert "jpaa" in ticket.windows
    assert PHONE not in ticket.question and PHONE not in ticket.sheet_markdown
    assert PHONE not in json.dumps(ticket.sheet_json, ensure_ascii=False)
    assert ticket.sheet_json["conversation"][0]["role"] == "user"
    assert ticket.sheet_json["citation_details"][0]["url"].startswith("https://")

    # A submit whose answer got lost (same idempotency key) returns the same ticket instead of a copy.
    token = at.session_state["session_token"]
    del at.session_state["handoff_result"]
    del at.session_state["handed_off"]
    ok(at.run())
    ok(at.button(key="submit_ticket").click().run())
    assert at.session_state["handoff_result"]["public_no"] == number
    assert [t.public_no for t in store(ui_data).tickets_for_session(token)] == [number]
    assert number in at.dataframe[0].value["受付番号"].tolist()

    # The chat now knows a person has the case, and the bot stops answering it.
    ok(at.switch_page(CHAT).run())
    assert any(number in i.value for i in at.info)
    ask(at, "それで、どうすればいいですか？")
    assert "担当者に引き継がれています" in texts(answers(at)[-1])[0]

    # Another browser session sees none of it.
    other = ok(new_app().run())
    ok(other.switch_page(HANDOFF).run())
    assert not other.dataframe
    assert any("まだありません" in c.value for c in other.caption)


def test_handoff_with_consent_keeps_contact_and_prefecture(ui_data):
    at = ok(new_app().run())
    ok(at.switch_page(HANDOFF).run())
    assert any("相談内容を直接入力" in c.value for c in at.caption)
    assert at.button(key="submit_ticket").disabled  # nothing to send yet
    at.text_area(key="handoff_question").input(f"商標の出願を弁理士に相談したいです。電話 {PHONE}")
    at.selectbox(key="handoff_prefecture").set_value("大阪府")
    ok(at.checkbox(key="handoff_consent").check().run())
    assert not at.text_input(key="handoff_contact_phone").disabled
    at.text_input(key="handoff_contact_name").input("知財 花子")
    at.text_input(key="handoff_contact_phone").input(PHONE)
    ok(at.button(key="submit_ticket").click().run())
    ticket = store(ui_data).get_ticket_by_public_no(at.session_state["handoff_result"]["public_no"])
    assert ticket.consent and ticket.prefecture == "大阪府"
    assert ticket.contact == {"お名前": "知財 花子", "電話番号": PHONE}
    assert PHONE in ticket.question  # consented: not masked
    assert ticket.windows
    assert f"## 連絡先\n\n- お名前: 知財 花子\n- 電話番号: {PHONE}" in ticket.sheet_markdown  # as previewed
    receipt = " ".join(texts(at)).replace("\\", "")
    assert f"お電話（{PHONE}）" in receipt and "目安" in receipt


# --- 受付一覧 / 案件詳細 -------------------------------------------------------------------------------------------


def test_advisor_pages_need_a_login_and_a_login_returns_to_them(ui_data):
    ticket = seed_ticket(ui_data)
    at = ok(new_app().run())
    for page in (QUEUE, CORPUS, EVALS):
        ok(at.switch_page(page).run())  # registered for everyone (no "Page not found"), but only behind a login
        assert at.title[0].value == "担当者ログイン"
    at.query_params["no"] = ticket.public_no
    ok(at.switch_page(DETAIL).run())
    assert at.title[0].value == "担当者ログイン" and at.query_params["next"] == "ticket"
    assert not any("create-advisor" in c.value for c in at.caption)  # nothing operational on a public page
    ok(at.switch_page(LOGIN).run())  # AppTest stays on the page the test names; the browser test follows the URL
    at.text_input(key="login_username").input(ADVISOR)
    at.text_input(key="login_password").input("wrong password!!")
    ok(button(at, "ログイン").click().run())
    assert [e.value for e in at.error] == [LOGIN_FAILED_JA]
    assert "advisor" not in at.session_state
    at.text_input(key="login_username").input(ADVISOR)
    at.text_input(key="login_password").input(ADVISOR_PASSWORD)
    ok(button(at, "ログイン").click().run())
    assert dict(at.query_params) == {"no": ticket.public_no}  # sent back where the link pointed ...
    ok(at.switch_page(DETAIL).run())
    assert at.title[0].value == f"案件 {ticket.public_no}"  # ... which now opens


def test_advisor_login_queue_detail_status_change_notes_and_audit(ui_data):
    ticket = seed_ticket(ui_data)
    at = login(new_app().run())
    assert at.title[0].value == "受付一覧"
    assert any(c.value.startswith("新規 ") for c in at.caption)  # counts per status
    queue = at.dataframe[0].value
    assert list(queue.columns)[0] == "相談内容"  # the question first
    assert ticket.public_no in queue["受付番号"].tolist()

    at.query_params["no"] = ticket.public_no
    ok(at.switch_page(DETAIL).run())
    assert at.title[0].value == f"案件 {ticket.public_no}"
    assert any("状態: 新規" in t for t in texts(at))
    assert at.selectbox(key=f"detail_assignee_{ticket.id}").options == [
        "（未割り当て）", "佐藤 花子（sato）", "山田 太郎（yamada）"
    ]  # advisor accounts only, no free text

    at.selectbox(key=f"detail_status_{ticket.id}").set_value("in_progress")
    at.selectbox(key=f"detail_assignee_{ticket.id}").set_value(ADVISOR)
    ok(at.button(key=f"detail_save_{ticket.id}").click().run())
    assert [s.value for s in at.success] == ["保存しました。"]
    assert any("状態: 対応中" in t for t in texts(at))

    for note in ("折り返し電話済み", "来週火曜に面談予定"):
        at.text_area(key=f"detail_note_{ticket.id}").input(note)
        ok(at.button(key=f"detail_note_add_{ticket.id}").click().run())
    assert at.text_area(key=f"detail_note_{ticket.id}").value == ""  # ready for the next note
    thread = [c.value for c in at.caption if c.value.startswith("山田 太郎（yamada） ・ 20")]
    assert len(thread) == 2  # both notes, each with author and time: nothing overwritten
    assert texts(at).index("折り返し電話済み") < texts(at).index("来週火曜に面談予定")
    ok(at.button(key=f"detail_note_add_{ticket.id}").click().run())  # an empty note is refused, not stored
    assert any("メモが空です" in e.value for e in at.error)

    saved = store(ui_data).get_ticket(ticket.id)
    assert (saved.status, saved.assignee) == ("in_progress", ADVISOR)
    assert [n.body for n in store(ui_data).notes([ticket.id])[ticket.id]] == ["折り返し電話済み", "来週火曜に面談予定"]
    trail = at.dataframe[-1].value
    assert {"受付", "閲覧", "状態の変更", "担当者の変更", "メモの追加"} <= set(trail["操作"])
    assert "新規 → 対応中" in trail["内容"].tolist() and "（なし） → 山田 太郎（yamada）" in trail["内容"].tolist()

    # Filter by status (kept in the URL by its label): the ticket moved from 新規 to 対応中.
    at.query_params["status"] = ["対応中"]
    ok(at.switch_page(QUEUE).run())
    shown = at.dataframe[0].value
    assert ticket.public_no in shown["受付番号"].tolist() and set(shown["状態"]) == {"対応中"}
    assert at.get("download_button")  # CSV export

    # An idle login expires.
    advisor = dict(at.session_state["advisor"])
    advisor["last_seen"] -= 31 * 60
    at.session_state["advisor"] = advisor
    ok(at.switch_page(LOGIN).run())
    assert "advisor" not in at.session_state
    assert any("有効期限" in i.value for i in at.info)


def test_advisor_sees_only_tickets_of_their_windows(ui_data):
    ticket = seed_ticket(ui_data, windows=("jpaa",))
    at = login(new_app().run(), username="sato")  # sato handles jetro only
    ok(at.switch_page(QUEUE).run())
    numbers = at.dataframe[0].value["受付番号"].tolist() if at.dataframe else []
    assert ticket.public_no not in numbers
    at.query_params["no"] = ticket.public_no
    ok(at.switch_page(DETAIL).run())
    assert any("担当窓口に届いた案件ではありません" in e.value for e in at.error)


# --- コーパス / 評価 ----------------------------------------------------------------------------------------------


def test_corpus_page_lists_documents_failures_and_reingests(ui_data):
    at = login(new_app().run())
    ok(at.switch_page(CORPUS).run())
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["文書"] == str(len(DOCS)) and int(metrics["チャンク"]) > len(DOCS)
    assert metrics["前回失敗したファイル"] == "1"
    failures = at.dataframe[0].value
    assert failures["ファイル"].str.endswith(BROKEN).any() and failures["理由"].str.len().gt(0).all()
    documents = at.dataframe[-1].value
    assert len(documents) == len(DOCS) and "警告書が届いたら" in " ".join(documents["タイトル"])

    ok(at.button(key="corpus_reingest").click().run())
    [done] = at.success
    assert (
        "取り込みが終わりました" in done.value
        and f"変更なし {len(DOCS)}" in done.value
        and "失敗 1" in done.value
    )


def test_eval_page_shows_report_or_how_to_make_one(ui_data):
    at = login(new_app().run())
    ok(at.switch_page(EVALS).run())
    assert at.title[0].value == "評価"
    if evals_page.latest_report() is None:
        assert any("make eval" in t for t in texts(at))
    else:
        assert any("report.md" in c.value for c in at.caption)


def test_latest_report_prefers_latest_then_newest(tmp_path):
    assert evals_page.latest_report(tmp_path) is None
    older = tmp_path / "2026-01-01" / "report.md"
    older.parent.mkdir()
    older.write_text("# old", encoding="utf-8")
    assert evals_page.latest_report(tmp_path) == older
    latest = tmp_path / "latest" / "report.md"
    latest.parent.mkdir()
    latest.write_text("# latest", encoding="utf-8")
    assert evals_page.latest_report(tmp_path) == latest
