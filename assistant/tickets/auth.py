"""Advisor accounts for the triage app: bcrypt hashes, lockout, and an audit line for every login attempt.

Why:

* Passwords are NFKC-normalised (a full-width ``ｐａｓｓ１２３`` typed through a Japanese IME is the same
  password as ``pass123``), then SHA-256 + base64 pre-hashed so bcrypt's 72-byte limit never silently cuts a
  long Japanese passphrase (bcrypt 5 even refuses such input), then bcrypt-hashed (cost 12 by default;
  tests pass a low cost). Plain passwords are never stored or logged.
* Lockout after ``max_failed`` wrong passwords for ``lockout`` time slows guessing. The counter resets after a
  lock so the user gets a fresh set of tries when it expires, and a lock is not extended by further attempts
  (an attacker cannot keep someone locked out forever by hammering).
* Unknown usernames and locked accounts cost one bcrypt check as well, so response time does not reveal which
  usernames exist; the result offers one generic Japanese message for every failure.
* The slow bcrypt check runs outside any database transaction, so logins never hold the write lock.
"""

from __future__ import annotations

import base64
import hashlib
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import bcrypt
from sqlalchemy import select

from assistant.tickets.models import Advisor, AuditEvent, utcnow
from assistant.tickets.store import TicketStore

MIN_PASSWORD_LENGTH = 10
DEFAULT_ROUNDS = 12
HASH_PREFIX = "bcrypt-sha256$"
LOGIN_FAILED_JA = "ユーザー名またはパスワードが正しくないか、アカウントが一時的にロックされています。"


class AuthError(ValueError):
    pass


class WeakPassword(AuthError):
    pass


class AdvisorExists(AuthError):
    pass


class AdvisorNotFound(AuthError, LookupError):
    pass


@dataclass(frozen=True)
class LoginResult:
    """``reason`` is for logs and tests (ok / invalid / locked); show users only :attr:`message_ja`."""

    ok: bool
    reason: str
    advisor: Advisor | None = None
    locked_until: datetime | None = None

    @property
    def message_ja(self) -> str:
        return "ログインしました。" if self.ok else LOGIN_FAILED_JA


def normalize_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username or "").strip().lower()


def _prehash(password: str) -> bytes:
    digest = hashlib.sha256(unicodedata.normalize("NFKC", password).encode("utf-8")).digest()
    return base64.b64encode(digest)  # 44 ASCII bytes: under bcrypt's 72, and no NUL bytes


def hash_password(password: str, rounds: int = DEFAULT_ROUNDS) -> str:
    return HASH_PREFIX + bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds)).decode("ascii")


def check_password(password: str, stored: str) -> bool:
    if not stored.startswith(HASH_PREFIX):
        return False
    try:
        return bcrypt.checkpw(_prehash(password), stored[len(HASH_PREFIX) :].encode("ascii"))
    except ValueError:  # a corrupt hash must fail closed, not crash the login page
        return False


@lru_cache(maxsize=8)
def _dummy_hash(rounds: int) -> str:
    return hash_password("not-a-real-password-only-for-timing", rounds)


def check_password_policy(password: str) -> None:
    """Refuse passwords that are too short (after normalisation); raise :class:`WeakPassword`."""
    if len(unicodedata.normalize("NFKC", password or "").strip()) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"パスワードは{MIN_PASSWORD_LENGTH}文字以上にしてください。")


class AdvisorAuth:
    """Create advisors, change passwords and check logins against the ticket database."""

    def __init__(
        self,
        store: TicketStore,
        *,
        rounds: int = DEFAULT_ROUNDS,
        max_failed: int = 5,
        lockout: timedelta = timedelta(minutes=15),
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.rounds = rounds
        self.max_failed = max_failed
        self.lockout = lockout
        self.clock = clock or store.clock or utcnow

    # --- accounts ---------------------------------------------------------------------------------------

    def create_advisor(
        self,
        username: str,
        password: str,
        *,
        display_name: str = "",
        windows: Sequence[str] = (),
        actor: str = "admin",
    ) -> Advisor:
        name = normalize_username(username)
        if not name or len(name) > 64 or any(ch.isspace() for ch in name):
            raise AuthError("ユーザー名は空白を含まない64文字以内にしてください。")
        check_password_policy(password)
        password_hash = hash_password(password, self.rounds)

        def attempt() -> Advisor:
            with self.store.db.session(write=True) as s:
                if s.scalars(select(Advisor).where(Advisor.username == name)).first() is not None:
                    raise AdvisorExists(f"advisor {name!r} already exists")
                now = self.clock()
                advisor = Advisor(
                    username=name,
                    password_hash=password_hash,
                    display_name=display_name or name,
                    windows=[str(w) for w in windows],
                    failed_attempts=0,
                    locked_until=None,
                    created_at=now,
                )
                s.add(advisor)
                s.add(
                    AuditEvent(
                        actor=actor,
                        action="advisor_created",
                        at=now,
                        detail={"username": name, "windows": advisor.windows},
                    )
                )
                return advisor

        return self.store._run(attempt, "create_advisor")

    def set_password(self, username: str, password: str, *, actor: str = "admin") -> None:
        """Replace the password and lift any lock."""
        name = normalize_username(username)
        check_password_policy(password)
        password_hash = hash_password(password, self.rounds)

        def attempt() -> None:
            with self.store.db.session(write=True) as s:
                advisor = s.scalars(select(Advisor).where(Advisor.username == name).with_for_update()).first()
                if advisor is None:
                    raise AdvisorNotFound(f"advisor {name!r} not found")
                advisor.password_hash = password_hash
                advisor.failed_attempts = 0
                advisor.locked_until = None
                s.add(
                    AuditEvent(actor=actor, action="password_set", at=self.clock(), detail={"username": name})
                )

        self.store._run(attempt, "set_password")

    def get_advisor(self, username: str) -> Advisor | None:
        name = normalize_username(username)
        return self.store._read(lambda s: s.scalars(select(Advisor).where(Advisor.username == name)).first())

    def list_advisors(self) -> list[Advisor]:
        return self.store._read(lambda s: list(s.scalars(select(Advisor).order_by(Advisor.username))))

    # --- login ------------------------------------------------------------------------------------------

    def verify_login(self, username: str, password: str) -> LoginResult:
        """Check a login; every attempt ends up in the audit trail (never with the password)."""
        name = normalize_username(username)[:64]
        advisor = self.get_advisor(name) if name else None
        now = self.clock()
        if advisor is None:
            check_password(password or "", _dummy_hash(self.rounds))  # same cost as a real check
            self._audit(name or "?", "login_failed", {"reason": "unknown_user"})
            return LoginResult(False, "invalid")
        password_ok = check_password(password or "", advisor.password_hash)
        locked = advisor.locked_until is not None and advisor.locked_until > now
        return self.store._run(lambda: self._record(advisor.id, password_ok, locked), "verify_login")

    def _record(self, advisor_id: int, password_ok: bool, was_locked: bool) -> LoginResult:
        with self.store.db.session(write=True) as s:
            advisor = s.get(Advisor, advisor_id, with_for_update=True)
            assert advisor is not None
            now = self.clock()
            locked = was_locked or (advisor.locked_until is not None and advisor.locked_until > now)
            if locked:
                s.add(
                    AuditEvent(
                        actor=advisor.username,
                        action="login_failed",
                        at=now,
                        detail={"reason": "locked", "password_ok": password_ok},
                    )
                )
                return LoginResult(False, "locked", locked_until=advisor.locked_until)
            if password_ok:
                advisor.failed_attempts = 0
                advisor.locked_until = None
                s.add(AuditEvent(actor=advisor.username, action="login", at=now, detail={}))
                return LoginResult(True, "ok", advisor=advisor)
            advisor.failed_attempts += 1
            detail: dict[str, object] = {"reason": "bad_password", "failed_attempts": advisor.failed_attempts}
            if advisor.failed_attempts >= self.max_failed:
                advisor.locked_until = now + self.lockout
                advisor.failed_attempts = 0
                detail["locked_until"] = advisor.locked_until.isoformat()
                s.add(AuditEvent(actor=advisor.username, action="login_failed", at=now, detail=detail))
                return LoginResult(False, "locked", locked_until=advisor.locked_until)
            s.add(AuditEvent(actor=advisor.username, action="login_failed", at=now, detail=detail))
            return LoginResult(False, "invalid")

    def _audit(self, actor: str, action: str, detail: dict[str, object]) -> None:
        self.store.record_event(actor, action, detail)
