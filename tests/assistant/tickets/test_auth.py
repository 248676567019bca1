"""Advisor accounts: bcrypt hashes, wrong passwords, lockout and its expiry, unknown users, audit lines."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from assistant.tickets import AdvisorAuth, AdvisorExists, AdvisorNotFound, TicketStore, WeakPassword
from assistant.tickets.auth import AuthError, check_password, hash_password
from assistant.tickets.db import dispose_all
from assistant.tickets.models import Advisor, AuditEvent

PASSWORD = "correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def auth(tmp_path: Path, clock: Clock) -> Iterator[AdvisorAuth]:
    store = TicketStore(f"sqlite:///{tmp_path / 'auth.sqlite3'}", clock=clock)
    yield AdvisorAuth(store, rounds=4, clock=clock)
    dispose_all()


def events(auth: AdvisorAuth) -> list[tuple[str, str, dict[str, object]]]:
    with auth.store.db.session() as s:
        return [(e.actor, e.action, e.detail) for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_create_and_login(auth: AdvisorAuth) -> None:
    advisor = auth.create_advisor(" Yamada ", PASSWORD, display_name="山田 太郎", windows=["inpit-tokyo"])
    assert (advisor.username, advisor.display_name, advisor.windows) == (
        "yamada",
        "山田 太郎",
        ["inpit-tokyo"],
    )
    assert advisor.serves(["inpit-tokyo", "jpo"]) and not advisor.serves(["jpo"])
    assert PASSWORD not in advisor.password_hash and advisor.password_hash.startswith("bcrypt-sha256$$2b$04$")
    result = auth.verify_login("YAMADA", PASSWORD)
    assert result.ok and result.reason == "ok" and result.advisor is not None
    assert result.advisor.username == "yamada"
    assert [(a, act) for a, act, _ in events(auth)] == [("admin", "advisor_created"), ("yamada", "login")]


def test_everyone_serves_all_windows_when_unscoped(auth: AdvisorAuth) -> None:
    assert auth.create_advisor("suzuki", PASSWORD).serves(["anything"])


def test_wrong_password(auth: AdvisorAuth) -> None:
    auth.create_advisor("yamada", PASSWORD)
    result = auth.verify_login("yamada", "wrong password!")
    assert not result.ok and result.reason == "invalid" and result.advisor is None
    assert "正しくない" in result.message_ja
    actor, action, detail = events(auth)[-1]
    assert (actor, action, detail) == (
        "yamada",
        "login_failed",
        {"reason": "bad_password", "failed_attempts": 1},
    )
    assert all("wrong password" not in str(e) for e in events(auth))


def test_success_resets_the_counter(auth: AdvisorAuth) -> None:
    auth.create_advisor("yamada", PASSWORD)
    for _ in range(4):
        assert not auth.verify_login("yamada", "nope nope nope").ok
    assert auth.verify_login("yamada", PASSWORD).ok
    for _ in range(4):
        assert auth.verify_login("yamada", "nope nope nope").reason == "invalid"
    assert auth.verify_login("yamada", PASSWORD).ok


def test_lockout_after_five_failures_for_fifteen_minutes(auth: AdvisorAuth, clock: Clock) -> None:
    auth.create_advisor("yamada", PASSWORD)
    reasons = [auth.verify_login("yamada", f"wrong-{i}-password").reason for i in range(5)]
    assert reasons == ["invalid"] * 4 + ["locked"]
    locked = auth.verify_login("yamada", PASSWORD)  # even the right password is refused while locked
    assert not locked.ok and locked.reason == "locked"
    assert locked.locked_until == clock.now + timedelta(minutes=15)
    assert locked.message_ja == auth.verify_login("nobody", "whatever-password").message_ja  # no hint
    clock.now += timedelta(minutes=14, seconds=59)
    assert auth.verify_login("yamada", PASSWORD).reason == "locked"
    clock.now += timedelta(seconds=2)
    assert auth.verify_login("yamada", PASSWORD).ok
    actions = [a for _, a, _ in events(auth)]
    assert actions.count("login_failed") == 5 + 1 + 1 + 1 and actions[-1] == "login"
    lock_event = [d for _, a, d in events(auth) if a == "login_failed" and "locked_until" in d]
    assert len(lock_event) == 1


def test_lock_is_not_extended_by_more_attempts(auth: AdvisorAuth, clock: Clock) -> None:
    auth.create_advisor("yamada", PASSWORD)
    for _ in range(5):
        auth.verify_login("yamada", "wrong password")
    until = auth.get_advisor("yamada").locked_until  # type: ignore[union-attr]
    clock.now += timedelta(minutes=10)
    for _ in range(10):
        assert auth.verify_login("yamada", "wrong password").reason == "locked"
    assert auth.get_advisor("yamada").locked_until == until  # type: ignore[union-attr]


def test_configurable_lockout(tmp_path: Path, clock: Clock) -> None:
    store = TicketStore(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    auth = AdvisorAuth(store, rounds=4, max_failed=2, lockout=timedelta(minutes=1), clock=clock)
    auth.create_advisor("yamada", PASSWORD)
    assert [auth.verify_login("yamada", "x" * 12).reason for _ in range(2)] == ["invalid", "locked"]
    clock.now += timedelta(minutes=1, seconds=1)
    assert auth.verify_login("yamada", PASSWORD).ok
    dispose_all()


def test_unknown_user_costs_a_bcrypt_check_and_is_audited(auth: AdvisorAuth) -> None:
    auth.create_advisor("yamada", PASSWORD)
    auth.verify_login("nobody", "warm-up-the-dummy-hash")

    def timed(user: str) -> float:
        start = time.perf_counter()
        for _ in range(5):
            assert not auth.verify_login(user, "wrong password").ok
        return time.perf_counter() - start

    unknown, known = timed("nobody"), timed("yamada")
    assert unknown > known * 0.3  # a bcrypt check happens for unknown users too (not a hard timing proof)
    assert events(auth)[-6] == ("nobody", "login_failed", {"reason": "unknown_user"})
    assert auth.verify_login("", PASSWORD).reason == "invalid"


def test_password_policy_and_accounts(auth: AdvisorAuth) -> None:
    with pytest.raises(WeakPassword):
        auth.create_advisor("yamada", "short")
    with pytest.raises(WeakPassword):
        auth.create_advisor("yamada", "         x ")
    with pytest.raises(AuthError):
        auth.create_advisor("ya mada", PASSWORD)
    auth.create_advisor("yamada", PASSWORD)
    with pytest.raises(AdvisorExists):
        auth.create_advisor("YAMADA", PASSWORD)
    with pytest.raises(AdvisorNotFound):
        auth.set_password("nobody", PASSWORD)
    assert [a.username for a in auth.list_advisors()] == ["yamada"]


def test_set_password_lifts_the_lock(auth: AdvisorAuth) -> None:
    auth.create_advisor("yamada", PASSWORD)
    for _ in range(5):
        auth.verify_login("yamada", "wrong password")
    auth.set_password("yamada", "新しいパスワードです12", actor="cli")
    assert not auth.verify_login("yamada", PASSWORD).ok
    assert auth.verify_login("yamada", "新しいパスワードです12").ok
    assert ("cli", "password_set", {"username": "yamada"}) in events(auth)


def test_long_japanese_and_full_width_passwords() -> None:
    long_ja = "知財フロントの相談員用パスワードはとても長くても大丈夫です" * 2  # > 72 bytes in UTF-8
    stored = hash_password(long_ja, rounds=4)
    assert check_password(long_ja, stored)
    assert not check_password(long_ja[:-1], stored)  # no silent truncation
    assert check_password("ｐａｓｓｗｏｒｄ１２３", hash_password("password123", rounds=4))  # IME full-width
    assert not check_password("anything", "not-a-hash")
    assert not check_password("anything", "bcrypt-sha256$garbage")


def test_no_plain_password_in_database(auth: AdvisorAuth) -> None:
    auth.create_advisor("yamada", PASSWORD)
    auth.verify_login("yamada", "a wrong guess 123")
    with auth.store.db.session() as s:
        dump = [repr((a.username, a.password_hash)) for a in s.scalars(select(Advisor))]
        dump += [repr((e.actor, e.detail)) for e in s.scalars(select(AuditEvent))]
    assert not any(PASSWORD in d or "a wrong guess" in d for d in dump)
