"""Database models of the ticket desk: tickets, their audit trail, answer feedback and advisor accounts.

Why these shapes:

* ``Ticket.public_no`` is what people read out on the phone and type into a search box; it is random (from
  ``secrets``) so nobody can enumerate other companies' consultations by counting up, while ``id`` stays a
  plain integer for joins.
* Status and urgency are stored as short ASCII codes (stable for CSV, filters and migrations) and shown with
  Japanese labels through the mappings below, so wording can change without a data migration.
* The SME user is identified only by a SHA-256 of their browser session token: enough to show them their own
  tickets, useless to anyone reading the database.
* ``contact`` holds personal data and is only ever filled when the user consented (enforced by the store); its
  keys are the labels in :data:`CONTACT_LABELS`, the words the user and the advisor both read.
* Advisor notes are a thread of :class:`TicketNote` rows, appended and never edited, so nobody's note can be
  overwritten by a colleague saving the same form.
* Timestamps are stored and returned as timezone-aware UTC on every backend (SQLite has no timezone type), and
  converted to 日本時間 only for display.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from chizai.clock import JST  # noqa: F401 - re-exported for the UI pages until they import chizai.clock

STATUS_LABELS: dict[str, str] = {"new": "新規", "in_progress": "対応中", "done": "完了", "forwarded": "転送"}
URGENCY_LABELS: dict[str, str] = {"high": "高", "medium": "中", "low": "低"}
URGENCY_RANK: dict[str, int] = {"high": 0, "medium": 1, "low": 2}
STATUSES: tuple[str, ...] = tuple(STATUS_LABELS)
CLOSED_STATUSES: tuple[str, ...] = ("done", "forwarded")  # 完了・転送: the only tickets retention may delete
URGENCIES: tuple[str, ...] = tuple(URGENCY_LABELS)
# The contact fields of the handoff form, in the order the form, the detail page and the CSV show them.
CONTACT_LABELS: tuple[str, ...] = ("会社名・屋号", "お名前", "電話番号", "メールアドレス", "連絡のつきやすい時間帯")

# Crockford base32 without I, L, O, U: no 0/O or 1/I confusion when a number is read out on the phone.
PUBLIC_NO_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PUBLIC_NO_LENGTH = 8  # 32**8 ≈ 1.1e12 numbers per year: guessing one is hopeless, collisions are retried


def utcnow() -> datetime:
    return datetime.now(UTC)


def jst(value: datetime | None) -> str:
    """``2026-04-01 09:01``: a stored UTC time as people in Japan read it (empty for no time)."""
    return value.astimezone(JST).strftime("%Y-%m-%d %H:%M") if value else ""


def new_public_no(now: datetime | None = None) -> str:
    """``C-2026-7K3QX9TD``: the year (Japan time) for humans, then 8 random characters for unguessability."""
    year = (now or utcnow()).astimezone(JST).year
    body = "".join(secrets.choice(PUBLIC_NO_ALPHABET) for _ in range(PUBLIC_NO_LENGTH))
    return f"C-{year}-{body}"


def hash_session_token(token: str) -> str:
    """SHA-256 hex of a session token; tokens are long random strings, so no salt or slow hash is needed."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalize_status(value: str) -> str:
    """Accept a code (``in_progress``) or its Japanese label (``対応中``); raise ValueError otherwise."""
    return _normalize(value, STATUS_LABELS, "status")


def normalize_urgency(value: str) -> str:
    """Accept a code (``high``) or its Japanese label (``高``); raise ValueError otherwise."""
    return _normalize(value, URGENCY_LABELS, "urgency")


def _normalize(value: str, labels: dict[str, str], what: str) -> str:
    v = (value or "").strip()
    if v in labels:
        return v
    for code, label in labels.items():
        if v == label:
            return code
    raise ValueError(f"unknown {what}: {value!r} (expected one of {', '.join(labels)})")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, also on SQLite (which would otherwise hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware datetime (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# JSONB on PostgreSQL (indexable, supports @> for the window filter), plain JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    pass


class Ticket(Base):
    """One consultation handed to a person: the sheet as sent, plus the advisors' workflow state."""

    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint("status IN ('new', 'in_progress', 'done', 'forwarded')", name="ck_tickets_status"),
        CheckConstraint("urgency IN ('high', 'medium', 'low')", name="ck_tickets_urgency"),
        Index("ix_tickets_status_created", "status", "created_at"),
        Index("ix_tickets_created_at", "created_at"),
        Index("ix_tickets_session_token_hash", "session_token_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_no: Mapped[str] = mapped_column(String(32), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="new")
    urgency: Mapped[str] = mapped_column(String(8), default="low")
    category: Mapped[str | None] = mapped_column(String(64), index=True)
    prefecture: Mapped[str | None] = mapped_column(String(16), index=True)
    windows: Mapped[list[str]] = mapped_column(JSONType, default=list)
    question: Mapped[str] = mapped_column(Text, default="")
    sheet_json: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    sheet_markdown: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    assignee: Mapped[str | None] = mapped_column(String(64), index=True)
    session_token_hash: Mapped[str | None] = mapped_column(String(64))

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def urgency_label(self) -> str:
        return URGENCY_LABELS.get(self.urgency, self.urgency)

    def __repr__(self) -> str:
        return f"<Ticket {self.public_no} {self.status} {self.urgency}>"


class AuditEvent(Base):
    """Who did what and when: ticket changes, logins, account changes. Append-only by convention."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_ticket_at", "ticket_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # SET NULL so that deleting a ticket later (retention) keeps the trail of what happened to it; the public
    # number stays on every event of a ticket, so that trail can still be found once the id is gone.
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    ticket_public_no: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action} by {self.actor} on {self.ticket_id}>"


class TicketNote(Base):
    """One advisor note on a ticket, with who wrote it and when; deleted only together with its ticket."""

    __tablename__ = "ticket_notes"
    __table_args__ = (Index("ix_ticket_notes_ticket_created", "ticket_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<TicketNote {self.id} on {self.ticket_id} by {self.author}>"


class Feedback(Base):
    """A thumbs/score on one answer, so answer quality can be tracked without storing whole conversations."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_token_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    question: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class Advisor(Base):
    """An advisor who may log in to the triage app; empty ``windows`` = sees every window's tickets."""

    __tablename__ = "advisors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str] = mapped_column(String(128), default="")
    windows: Mapped[list[str]] = mapped_column(JSONType, default=list)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def serves(self, window_ids: list[str] | tuple[str, ...]) -> bool:
        """True when this advisor should see a ticket routed to ``window_ids``."""
        return not self.windows or any(w in self.windows for w in window_ids)

    def __repr__(self) -> str:
        return f"<Advisor {self.username}>"
