"""TicketStore on a real SQLite file: create, list/filter/sort, update + audit, CSV, idempotency, sessions."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import select

from assistant.tickets import (
    AdvisorAuth,
    CsvLabels,
    IdempotencyConflict,
    TicketFilters,
    TicketNotFound,
    TicketStore,
    UnknownAdvisor,
    hash_session_token,
)
from assistant.tickets.db import dispose_all, get_engine, head_revision, init_db
from assistant.tickets.models import STATUS_LABELS, Base, Ticket, normalize_status
from assistant.tickets.retry import RetryPolicy, is_transient

FAST = RetryPolicy(attempts=5, base_delay=0.001, max_delay=0.01)


class Clock:
    """A settable clock so created_at order (and sorting) is deterministic."""

    def __init__(self) -> None:
        self.now = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'tickets.sqlite3'}"
    dispose_all()


@pytest.fixture
def store(url: str) -> TicketStore:
    return TicketStore(url, retry=FAST, clock=Clock())


def submit(store: TicketStore, question: str = "商標を登録したい", **kw: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {
        "question": question,
        "urgency": "low",
        "category": "trademark",
        "prefecture": "東京都",
        "windows": ["inpit-tokyo"],
        "contact": None,
        "consent": False,
        "session_token": "session-A",
    }
    args.update(kw)
    sheet = {"question": question, "facts": {"industry": "製造業"}, "created_at": datetime.now(UTC)}
    return store.create_ticket(sheet, f"# 相談シート\n\n> {question}\n", **args)  # type: ignore[arg-type]


def test_schema_is_migrated_and_matches_models(url: str, store: TicketStore) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    assert init_db(url) == head_revision()  # idempotent
    with get_engine(url).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_create_ticket_stores_the_sheet(store: TicketStore) -> None:
    t = submit(store, urgency="高", windows=["inpit-tokyo", "jpo"])
    assert re.fullmatch(r"C-2026-[0-9A-HJKMNP-TV-Z]{8}", t.public_no)
    assert (t.status, t.status_label, t.urgency, t.urgency_label) == ("new", "新規", "high", "高")
    assert t.created_at.tzinfo is not None and t.created_at == t.updated_at
    again = store.get_ticket(t.id)
    assert again is not None
    assert again.windows == ["inpit-tokyo", "jpo"]
    assert again.sheet_json["facts"] == {"industry": "製造業"}
    assert isinstance(again.sheet_json["created_at"], str)  # made JSON-safe, not a commit failure
    assert again.sheet_markdown.startswith("# 相談シート")
    assert again.created_at.tzinfo is not None
    assert again.session_token_hash == hash_session_token("session-A") != "session-A"
    assert store.get_ticket_by_public_no(t.public_no.lower()).id == t.id  # type: ignore[union-attr]
    assert store.get_ticket(999_999) is None
    assert [e.action for e in store.audit_trail(t.id)] == ["created"]


def test_public_numbers_are_unique_and_unguessable(store: TicketStore) -> None:
    numbers = {submit(store).public_no for _ in range(30)}
    assert len(numbers) == 30
    assert len({n[-8:] for n in numbers}) == 30


def test_contact_is_kept_only_with_consent(store: TicketStore) -> None:
    contact = {"name": "山田太郎", "email": "yamada@example.co.jp"}
    without = submit(store, contact=contact, consent=False)
    with_consent = submit(store, contact=contact, consent=True)
    assert store.get_ticket(without.id).contact is None  # type: ignore[union-attr]
    assert store.get_ticket(with_consent.id).contact == contact  # type: ignore[union-attr]


def test_unknown_urgency_is_refused(store: TicketStore) -> None:
    with pytest.raises(ValueError):
        submit(store, urgency="critical")
    assert submit(store, urgency=None).urgency == "low"


def test_idempotency_key_returns_the_same_ticket(store: TicketStore) -> None:
    first = submit(store, idempotency_key="7f1c1f4e-0b7a-4c55-9d59-5f8a8a1f2b10")
    second = submit(store, question="二度押し", idempotency_key="7f1c1f4e-0b7a-4c55-9d59-5f8a8a1f2b10")
    assert second.id == first.id and second.public_no == first.public_no
    assert second.question == first.question
    assert store.list_tickets().total == 1
    assert len(store.audit_trail(first.id)) == 1


def test_idempotency_key_of_another_session_is_not_returned(store: TicketStore) -> None:
    submit(store, idempotency_key="same-key", session_token="session-A")
    with pytest.raises(IdempotencyConflict):
        submit(store, idempotency_key="same-key", session_token="session-B")


def test_lost_acknowledgement_is_retried_without_duplicate(store: TicketStore) -> None:
    """The commit succeeds but the caller sees a transient error: the retry must find the stored ticket."""
    real_db = store.db
    real_session = real_db.session
    calls = {"n": 0}

    class Flaky:
        dialect = store.db.dialect

        def session(self, *, write: bool = False):  # type: ignore[no-untyped-def]
            from contextlib import contextmanager

            @contextmanager
            def cm():  # type: ignore[no-untyped-def]
                with real_session(write=write) as s:
                    yield s
                calls["n"] += 1
                if write and calls["n"] == 1:
                    raise sa_exc.OperationalError(
                        "COMMIT", {}, sqlite3.OperationalError("database is locked")
                    )

            return cm()

    store.db = Flaky()  # type: ignore[assignment]
    t = submit(store, idempotency_key="lost-ack")
    store.db = real_db
    assert calls["n"] == 2
    assert store.list_tickets().total == 1
    assert store.get_ticket(t.id).public_no == t.public_no  # type: ignore[union-attr]


def test_session_isolation(store: TicketStore) -> None:
    a1 = submit(store, session_token="session-A")
    a2 = submit(store, session_token="session-A")
    b1 = submit(store, session_token="session-B")
    submit(store, session_token=None)
    assert [t.id for t in store.tickets_for_session("session-A")] == [a2.id, a1.id]
    assert [t.id for t in store.tickets_for_session("session-B")] == [b1.id]
    assert store.tickets_for_session("session-C") == []
    assert store.tickets_for_session("") == []
    assert store.tickets_for_session(None) == []


@pytest.fixture
def filled(store: TicketStore) -> TicketStore:
    submit(
        store,
        "営業秘密が持ち出された",
        urgency="high",
        category="trade-secret",
        prefecture="大阪府",
        windows=["chamber-osaka", "bengoshi"],
    )
    submit(
        store,
        "商標の出願費用",
        urgency="low",
        category="trademark",
        prefecture="東京都",
        windows=["inpit-tokyo"],
    )
    submit(
        store,
        "特許の先行技術調査 100% 確実？",
        urgency="medium",
        category="patent",
        prefecture="東京都",
        windows=["inpit-tokyo", "jpo"],
    )
    submit(
        store,
        "模倣品を見つけた",
        urgency="high",
        category="trademark",
        prefecture="北海道",
        windows=["chamber-sapporo"],
    )
    return store


def test_list_filters(filled: TicketStore) -> None:
    def numbers(**kw: object) -> list[str]:
        return [t.question[:4] for t in filled.list_tickets(TicketFilters(**kw), sort="created_at").tickets]

    assert numbers(urgency="high") == ["営業秘密", "模倣品を"]
    assert numbers(urgency=["高", "中"]) == ["営業秘密", "特許の先", "模倣品を"]
    assert numbers(category="trademark") == ["商標の出", "模倣品を"]
    assert numbers(prefecture="東京都") == ["商標の出", "特許の先"]
    assert numbers(window="inpit-tokyo") == ["商標の出", "特許の先"]
    assert numbers(window=["bengoshi", "chamber-sapporo"]) == ["営業秘密", "模倣品を"]
    assert numbers(window="inpit") == []  # whole ids only
    assert numbers(text="商標") == ["商標の出"]
    assert numbers(text="特許 調査") == ["特許の先"]
    assert numbers(text="100%") == ["特許の先"]
    assert numbers(text="%") == ["特許の先"]  # LIKE wildcards are literal
    assert numbers(text="_") == []
    assert numbers(status="新規", prefecture="北海道") == ["模倣品を"]
    assert numbers(status="done") == []


def test_list_sort_and_paging(filled: TicketStore) -> None:
    newest = [t.question[:4] for t in filled.list_tickets().tickets]
    assert newest == ["模倣品を", "特許の先", "商標の出", "営業秘密"]
    by_urgency = [t.urgency for t in filled.list_tickets(sort="urgency,-created_at").tickets]
    assert by_urgency == ["high", "high", "medium", "low"]
    assert [t.question[:4] for t in filled.list_tickets(sort="urgency,-created_at").tickets][:2] == [
        "模倣品を",
        "営業秘密",
    ]
    assert [t.urgency for t in filled.list_tickets(sort="-urgency").tickets][0] == "low"
    page1 = filled.list_tickets(limit=3, offset=0)
    page2 = filled.list_tickets(limit=3, offset=3)
    assert page1.total == page2.total == 4
    assert len(page1.tickets) == 3 and len(page2.tickets) == 1
    assert not {t.id for t in page1.tickets} & {t.id for t in page2.tickets}
    with pytest.raises(ValueError):
        filled.list_tickets(sort="question; DROP TABLE tickets")


def test_counts_by_status_ignore_the_status_filter(filled: TicketStore) -> None:
    first = filled.list_tickets(sort="created_at").tickets[0]
    filled.update_ticket(first.id, "yamada", status="対応中")
    page = filled.list_tickets(TicketFilters(status="new"))
    assert page.total == 3
    assert page.counts_by_status == {"new": 3, "in_progress": 1, "done": 0, "forwarded": 0}
    assert filled.count_by_status(TicketFilters(prefecture="大阪府")) == {
        "new": 0,
        "in_progress": 1,
        "done": 0,
        "forwarded": 0,
    }
    assert set(page.counts_by_status) == set(STATUS_LABELS)


def advisors(store: TicketStore, *names: str) -> None:
    for name in names:
        AdvisorAuth(store, rounds=4).create_advisor(name, "correct horse battery", display_name=name.title())


def test_update_writes_one_audit_event_per_change(store: TicketStore) -> None:
    advisors(store, "yamada")
    t = submit(store)
    updated = store.update_ticket(t.id, "yamada", status="対応中", assignee="yamada")
    assert (updated.status, updated.assignee) == ("in_progress", "yamada")
    assert updated.updated_at > t.updated_at
    store.update_ticket(t.id, "yamada", status="in_progress")  # same value: no event
    store.update_ticket(t.id, "suzuki", status="forwarded", assignee=None)
    trail = store.audit_trail(t.id)
    assert [(e.action, e.actor) for e in trail] == [
        ("created", "assistant"),
        ("status_changed", "yamada"),
        ("assignee_changed", "yamada"),
        ("status_changed", "suzuki"),
        ("assignee_changed", "suzuki"),
    ]
    assert trail[1].detail == {"from": "new", "to": "in_progress", "from_label": "新規", "to_label": "対応中"}
    assert trail[-1].detail == {"from": "yamada", "to": None}
    final = store.get_ticket(t.id)
    assert final is not None and final.status == "forwarded" and final.assignee is None


def test_update_refuses_bad_input(store: TicketStore) -> None:
    t = submit(store)
    with pytest.raises(ValueError):
        store.update_ticket(t.id, "yamada", status="closed")
    with pytest.raises(TicketNotFound):
        store.update_ticket(424242, "yamada", status="done")
    with pytest.raises(UnknownAdvisor):
        store.update_ticket(t.id, "yamada", status="done", assignee="存在しない人")  # nothing of it is saved
    assert [e.action for e in store.audit_trail(t.id)] == ["created"]
    assert store.get_ticket(t.id).status == "new"  # type: ignore[union-attr]


def test_notes_are_a_thread_never_overwritten(store: TicketStore) -> None:
    t, other = submit(store), submit(store)
    first = store.add_note(t.id, "yamada", "  折り返し電話済み 090-1234-5678 ")
    store.add_note(t.id, "sato", "来週火曜に面談予定")
    store.add_note(other.id, "sato", "別の案件")
    thread = store.notes([t.id])[t.id]
    assert [(n.author, n.body) for n in thread] == [
        ("yamada", "折り返し電話済み 090-1234-5678"),
        ("sato", "来週火曜に面談予定"),
    ]
    assert thread[0].created_at < thread[1].created_at and thread[0].id == first.id
    assert set(store.notes([t.id, other.id])) == {t.id, other.id}
    assert store.notes([]) == {}
    trail = store.audit_trail(t.id)
    assert [(e.action, e.actor, e.detail) for e in trail[1:]] == [
        ("note_added", "yamada", {"chars": 22}),  # the length only: no personal data in the trail
        ("note_added", "sato", {"chars": 9}),
    ]
    assert store.get_ticket(t.id).updated_at == thread[-1].created_at  # type: ignore[union-attr]
    assert [x.id for x in store.list_tickets(TicketFilters(text="面談")).tickets] == [t.id]  # notes are searched
    with pytest.raises(ValueError):
        store.add_note(t.id, "yamada", "   ")
    with pytest.raises(TicketNotFound):
        store.add_note(424242, "yamada", "どこにもない案件")


def test_assignee_filter_and_unassigned(store: TicketStore) -> None:
    advisors(store, "yamada")
    mine, free = submit(store), submit(store)
    store.update_ticket(mine.id, "yamada", assignee="yamada")
    assert [t.id for t in store.list_tickets(TicketFilters(assignee="yamada")).tickets] == [mine.id]
    assert [t.id for t in store.list_tickets(TicketFilters(unassigned=True)).tickets] == [free.id]


def test_normalize_status_accepts_codes_and_labels() -> None:
    assert [normalize_status(s) for s in ("新規", "対応中", "完了", "転送", "done")] == [
        "new",
        "in_progress",
        "done",
        "forwarded",
        "done",
    ]


def test_export_csv_for_excel(filled: TicketStore) -> None:
    t = submit(filled, '=HYPERLINK("http://evil")', contact={"電話番号": "03-1234-5678", "FAX": "03-1"}, consent=True)
    filled.add_note(t.id, "yamada", "-要確認")
    filled.add_note(t.id, "sato", "折り返し済み")
    text = filled.export_csv(sort="created_at")
    assert text.startswith("\ufeff")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:5] == ["受付番号", "受付日時（日本時間）", "更新日時（日本時間）", "状態", "緊急度"]
    assert "電話番号" not in rows[0]
    assert len(rows) == 1 + 5
    first = rows[1]
    assert first[3:8] == ["新規", "高", "trade-secret", "大阪府", "chamber-osaka、bengoshi"]  # no labels given: ids
    assert first[1] == "2026-04-01 09:01"  # UTC 00:01 shown in 日本時間
    last = rows[-1]
    assert last[8].startswith("'=")  # no formula injection
    assert last[10] == "2026-04-01 09:06 yamada: -要確認\n2026-04-01 09:07 sato: 折り返し済み"  # the thread, dated
    assert "03-1234-5678" not in text
    labels = CsvLabels(
        categories={"trade-secret": "営業秘密"}, windows={"chamber-osaka": "大阪商工会議所"}, advisors={"sato": "佐藤 花子"}
    )
    labelled = list(csv.reader(io.StringIO(filled.export_csv(sort="created_at", labels=labels).lstrip("\ufeff"))))
    assert labelled[1][5:8] == ["営業秘密", "大阪府", "大阪商工会議所、bengoshi"]
    assert "佐藤 花子: 折り返し済み" in labelled[-1][10]
    with_contact = filled.export_csv(TicketFilters(text="HYPERLINK"), include_contact=True)
    header, row = list(csv.reader(io.StringIO(with_contact.lstrip("\ufeff"))))
    contact = dict(zip(header, row, strict=True))
    assert (contact["電話番号"], contact["お名前"], contact["その他の連絡先"]) == ("03-1234-5678", "", "FAX: 03-1")
    only_tokyo = list(csv.reader(io.StringIO(filled.export_csv(TicketFilters(prefecture="東京都")))))
    assert len(only_tokyo) == 1 + 3
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")


def test_feedback(store: TicketStore) -> None:
    fb = store.add_feedback(session_token="session-A", question="Q", answer="A", score=1, comment="助かった")
    assert fb.id and fb.score == 1 and fb.session_token_hash == hash_session_token("session-A")
    with pytest.raises(ValueError):
        store.add_feedback(session_token=None, question="Q", answer="A", score=9)
    with pytest.raises(ValueError):
        store.add_feedback(session_token=None, question="Q", answer="A", score=True)


def test_record_event_and_foreign_keys(url: str, store: TicketStore) -> None:
    ev = store.record_event("yamada", "csv_export", {"rows": 3})
    assert ev.ticket_id is None and ev.detail == {"rows": 3}
    with pytest.raises(sa_exc.IntegrityError):
        store.record_event("yamada", "bogus", ticket_id=123456)  # FK enforced on SQLite too


def test_transient_error_classification() -> None:
    locked = sa_exc.OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
    other = sa_exc.OperationalError("INSERT", {}, sqlite3.OperationalError("no such table: tickets"))
    dup = sa_exc.IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))
    assert is_transient(locked)
    assert not is_transient(other)
    assert not is_transient(dup)
    assert not is_transient(ValueError("x"))


def test_sqlite_begin_immediate_for_writes(url: str, store: TicketStore) -> None:
    """A write transaction holds the write lock from its first statement (no mid-transaction upgrade)."""
    with store.db.session(write=True) as s:
        s.execute(select(Ticket.id)).all()
        other = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0.05)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()


def test_real_consultation_sheet_roundtrip(store: TicketStore) -> None:
    from assistant.handoff import build_sheet

    sheet = build_sheet("元社員が顧客リストを持ち出しました。電話は090-1234-5678です。", consent=False)
    t = store.create_ticket(
        sheet,
        sheet.to_markdown(),
        question=sheet.question,
        urgency=sheet.urgency,
        category="trade-secret",
        prefecture=None,
        windows=[],
        contact={"電話": "090-1234-5678"},
        consent=sheet.consent,
        session_token="session-A",
    )
    stored = store.get_ticket(t.id)
    assert stored is not None and stored.contact is None
    assert "090-1234-5678" not in stored.question and "090-1234-5678" not in str(stored.sheet_json)
    assert stored.sheet_json["question"] == sheet.question
    assert stored.sheet_markdown.startswith("# 相談シート")


def test_in_memory_database_works() -> None:
    store = TicketStore("sqlite://", retry=FAST)
    t = submit(store)
    assert store.list_tickets().tickets[0].id == t.id
    dispose_all()


def test_concurrent_first_start_migrates_once(tmp_path: Path) -> None:
    import threading

    from assistant.tickets.db import current_revision

    url = f"sqlite:///{tmp_path / 'fresh' / 'app.sqlite3'}"
    errors: list[BaseException] = []

    def start() -> None:
        try:
            init_db(url)
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert current_revision(url) == head_revision()
    dispose_all()
