"""TicketStore: the only way the chat side and the advisors' app read and write tickets.

Why it is shaped like this:

* Every write is one short transaction, retried on transient errors (see :mod:`chizai.retry`).
* Submitting is idempotent: the client sends a uuid with the consultation; a retried or double-clicked
  submit, or a commit whose acknowledgement was lost in a restart, returns the stored ticket, not a copy.
* Every change an advisor makes is written to the audit trail in the same transaction as the change, so the
  trail can never disagree with the ticket.
* Personal contact details are stored only with consent, and an SME user finds tickets only through the hash
  of their own session token.
* Returned ORM objects are detached snapshots (``expire_on_commit=False``): safe to read after the session is
  gone, e.g. while Streamlit renders them.
* When the database stays locked or unreachable longer than the retries last, callers get
  :class:`TicketStoreUnavailable` (a message fit for users, nothing stored), not a driver error quoting SQL.
* Closed tickets and feedback are deleted after ``retention_days`` by :meth:`TicketStore.purge`; their audit
  events stay (``ticket_id`` becomes NULL, ``ticket_public_no`` still names the ticket).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, String, case, cast, delete, exists, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.tickets.db import Database, ensure_db, get_database
from assistant.tickets.models import (
    CLOSED_STATUSES,
    JST,
    STATUS_LABELS,
    STATUSES,
    URGENCY_LABELS,
    URGENCY_RANK,
    AuditEvent,
    Feedback,
    Ticket,
    hash_session_token,
    new_public_no,
    normalize_status,
    normalize_urgency,
    utcnow,
)
from chizai.logsafe import shown
from chizai.retry import RetryPolicy, is_transient, run_with_retry

log = logging.getLogger(__name__)
MAX_PAGE = 500
MAX_KEY_LENGTH = 64
FEEDBACK_SCORES = range(-1, 6)  # -1/+1 for thumbs, 1..5 for stars, 0 for "neutral"
_PUBLIC_NO_COLLISION_RETRIES = 5
_PURGE_BATCH = 500  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits


class TicketNotFound(LookupError):
    pass


class IdempotencyConflict(ValueError):
    """The idempotency key is already used by a ticket of another session (never return that ticket)."""


class TicketStoreUnavailable(RuntimeError):
    """The database stayed locked or unreachable through every retry; nothing was stored by this call.

    The message is safe to show and to log (no SQL, no parameters); retrying later with the same idempotency key
    is safe. The driver error is chained as ``__cause__`` for operators.
    """

    def __init__(self, what: str) -> None:
        super().__init__(
            "相談票データベースが混み合っているか、接続できません。少し時間をおいてもう一度お試しください。 / "
            f"ticket database busy or unreachable ({what}); nothing was saved, try again"
        )
        self.what = what


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


@dataclass(frozen=True)
class TicketFilters:
    """What the advisors' list can be narrowed by. Status and urgency accept codes or Japanese labels.

    ``window`` matches tickets routed to any of the given window ids (an advisor's scope is a list).
    ``text`` is split on whitespace; every term must appear in the number, question, sheet, notes or category.
    """

    status: str | Sequence[str] | None = None
    urgency: str | Sequence[str] | None = None
    category: str | None = None
    prefecture: str | None = None
    window: str | Sequence[str] | None = None
    text: str | None = None
    assignee: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


@dataclass(frozen=True)
class PurgeReport:
    """What :meth:`TicketStore.purge` deleted (or, on a dry run, would delete)."""

    cutoff: datetime
    public_nos: list[str]
    feedback: int
    dry_run: bool


@dataclass
class TicketPage:
    tickets: list[Ticket]
    total: int
    counts_by_status: dict[str, int] = field(default_factory=dict)


SORT_KEYS = ("created_at", "updated_at", "urgency", "status", "prefecture", "category", "public_no")
CSV_COLUMNS = (
    "受付番号",
    "受付日時（日本時間）",
    "更新日時（日本時間）",
    "状態",
    "緊急度",
    "分野",
    "都道府県",
    "窓口",
    "相談内容",
    "担当者",
    "メモ",
    "本人同意",
)


class TicketStore:
    """Tickets, audit trail and feedback on one database URL (SQLite file or PostgreSQL)."""

    def __init__(
        self,
        url: str,
        *,
        migrate: bool = True,
        retry: RetryPolicy | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.url = url
        self.retry = retry or RetryPolicy()
        self.clock = clock
        if migrate:
            run_with_retry(lambda: ensure_db(url), self.retry, what="migrate")
        self.db: Database = get_database(url)

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> TicketStore:
        return cls(settings.resolved_database_url, **kwargs)

    # --- creating ---------------------------------------------------------------------------------------

    def create_ticket(
        self,
        sheet_dict: Mapping[str, Any] | BaseModel,
        sheet_markdown: str,
        *,
        question: str,
        urgency: str | None,
        category: str | None,
        prefecture: str | None,
        windows: Sequence[str],
        contact: Mapping[str, Any] | None,
        consent: bool,
        session_token: str | None,
        idempotency_key: str | None = None,
        actor: str = "assistant",
    ) -> Ticket:
        """Store a consultation sheet (dict or the pydantic sheet) as a new ticket (新規) and return it.

        ``question`` and the sheet must already be masked when there is no consent (the sheet builder does
        that); ``contact`` is dropped unless ``consent`` is true. Submitting again with the same
        ``idempotency_key`` returns the first ticket; with a key of another session it raises
        :class:`IdempotencyConflict`. Without a key, one is generated so internal retries stay safe.
        """
        if isinstance(sheet_dict, BaseModel):  # a ConsultationSheet passed as is
            sheet_dict = sheet_dict.model_dump(mode="json")
        key = (idempotency_key or uuid.uuid4().hex).strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            raise ValueError(f"idempotency_key must be 1..{MAX_KEY_LENGTH} characters")
        token_hash = hash_session_token(session_token) if session_token else None
        values: dict[str, Any] = {
            "idempotency_key": key,
            "status": "new",
            "urgency": normalize_urgency(urgency) if urgency else "low",
            "category": (category or None),
            "prefecture": (prefecture or None),
            "windows": [str(w) for w in windows],
            "question": question or "",
            "sheet_json": _plain_json(sheet_dict),
            "sheet_markdown": sheet_markdown or "",
            "contact": _plain_json(contact) if (consent and contact) else None,
            "consent": bool(consent),
            "notes": "",
            "session_token_hash": token_hash,
        }

        def attempt() -> Ticket:
            with self.db.session(write=True) as s:
                existing = self._by_key(s, key, token_hash)
                if existing is not None:
                    return existing
                now = self.clock()
                ticket = Ticket(public_no=new_public_no(now), created_at=now, updated_at=now, **values)
                s.add(ticket)
                s.flush()
                s.add(
                    AuditEvent(
                        ticket_id=ticket.id,
                        ticket_public_no=ticket.public_no,
                        actor=actor,
                        action="created",
                        at=now,
                        detail={
                            "public_no": ticket.public_no,
                            "urgency": ticket.urgency,
                            "windows": ticket.windows,
                        },
                    )
                )
                return ticket

        for _ in range(_PUBLIC_NO_COLLISION_RETRIES):
            try:
                ticket = self._run(attempt, "create_ticket")
                break
            except IntegrityError:
                # Either the same key was committed concurrently (the next attempt returns that ticket) or the
                # random public number collided (the next attempt draws a new one).
                continue
        else:
            ticket = self._run(attempt, "create_ticket")
        log.info("ticket %s stored (urgency %s, %d windows)", ticket.public_no, ticket.urgency, len(ticket.windows or []))
        log.debug("ticket %s question: %s", ticket.public_no, shown(ticket.question))
        return ticket

    @staticmethod
    def _by_key(s: Session, key: str, token_hash: str | None) -> Ticket | None:
        existing = s.scalars(select(Ticket).where(Ticket.idempotency_key == key)).first()
        if existing is not None and existing.session_token_hash != token_hash:
            raise IdempotencyConflict("idempotency key already used by another session")
        return existing

    # --- reading ----------------------------------------------------------------------------------------

    def get_ticket(self, ticket_id: int) -> Ticket | None:
        return self._read(lambda s: s.get(Ticket, ticket_id))

    def get_ticket_by_public_no(self, public_no: str) -> Ticket | None:
        no = public_no.strip().upper()
        return self._read(lambda s: s.scalars(select(Ticket).where(Ticket.public_no == no)).first())

    def tickets_for_session(self, session_token: str | None) -> list[Ticket]:
        """The tickets this SME user submitted, newest first; nothing for an empty token."""
        if not session_token:
            return []
        token_hash = hash_session_token(session_token)
        stmt = (
            select(Ticket)
            .where(Ticket.session_token_hash == token_hash)
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        )
        return self._read(lambda s: list(s.scalars(stmt)))

    def list_tickets(
        self,
        filters: TicketFilters | None = None,
        *,
        sort: str | Sequence[str] = "-created_at",
        limit: int = 50,
        offset: int = 0,
    ) -> TicketPage:
        """One page of tickets, the total matching, and counts by status (ignoring the status filter).

        ``sort`` is a key from :data:`SORT_KEYS`, ``-`` for descending, comma-separated for several:
        ``"urgency,-created_at"`` puts 高 first and the newest first within each urgency.
        """
        f = filters or TicketFilters()
        limit = max(1, min(int(limit), MAX_PAGE))
        offset = max(0, int(offset))
        conditions = self._conditions(f)
        stmt = select(Ticket).where(*conditions).order_by(*_order_by(sort)).limit(limit).offset(offset)
        count_stmt = select(func.count(Ticket.id)).where(*conditions)

        def read(s: Session) -> TicketPage:
            return TicketPage(
                tickets=list(s.scalars(stmt)),
                total=int(s.scalar(count_stmt) or 0),
                counts_by_status=self._counts(s, f),
            )

        return self._read(read)

    def count_by_status(self, filters: TicketFilters | None = None) -> dict[str, int]:
        """Tickets per status code (every status present, zero included) under all filters but status."""
        return self._read(lambda s: self._counts(s, filters or TicketFilters()))

    def _counts(self, s: Session, f: TicketFilters) -> dict[str, int]:
        conditions = self._conditions(f, with_status=False)
        rows = s.execute(
            select(Ticket.status, func.count(Ticket.id)).where(*conditions).group_by(Ticket.status)
        )
        counts = dict.fromkeys(STATUSES, 0)
        for status, n in rows:
            counts[status] = int(n)
        return counts

    def _conditions(self, f: TicketFilters, *, with_status: bool = True) -> list[ColumnElement[bool]]:
        c: list[ColumnElement[bool]] = []
        if with_status and f.status:
            c.append(Ticket.status.in_([normalize_status(v) for v in _as_list(f.status)]))
        if f.urgency:
            c.append(Ticket.urgency.in_([normalize_urgency(v) for v in _as_list(f.urgency)]))
        if f.category:
            c.append(Ticket.category == f.category)
        if f.prefecture:
            c.append(Ticket.prefecture == f.prefecture)
        if f.assignee:
            c.append(Ticket.assignee == f.assignee)
        if f.created_from:
            c.append(Ticket.created_at >= f.created_from)
        if f.created_to:
            c.append(Ticket.created_at < f.created_to)
        if f.window:
            c.append(or_(*(self._has_window(w) for w in _as_list(f.window))))
        for term in (f.text or "").split():
            pattern = f"%{_escape_like(term)}%"
            c.append(
                or_(
                    *(
                        col.ilike(pattern, escape="\\")
                        for col in (
                            Ticket.public_no,
                            Ticket.question,
                            Ticket.sheet_markdown,
                            Ticket.notes,
                            Ticket.category,
                        )
                    )
                )
            )
        return c

    def _has_window(self, window_id: str) -> ColumnElement[bool]:
        dialect = self.db.dialect
        if dialect == "postgresql":
            return Ticket.windows.op("@>")(cast(literal(json.dumps([window_id])), Ticket.windows.type))
        if dialect == "sqlite":
            each = func.json_each(Ticket.windows).table_valued("value")
            return exists(select(literal(1)).select_from(each).where(each.c.value == window_id))
        # Generic fallback: the JSON text contains the quoted id.
        return cast(Ticket.windows, String).like(f'%"{_escape_like(window_id)}"%', escape="\\")

    # --- changing ---------------------------------------------------------------------------------------

    def update_ticket(
        self,
        ticket_id: int,
        actor: str,
        *,
        status: str | None = UNSET,
        assignee: str | None = UNSET,
        notes: str | None = UNSET,
    ) -> Ticket:
        """Change status / assignee / notes, with one audit event per changed field in the same transaction.

        Leave an argument out to keep the field; ``assignee=None`` unassigns. Setting the same value again is
        a no-op (no event), which also makes retries after an ambiguous commit harmless.
        """
        new_status = normalize_status(status) if status is not UNSET and status is not None else UNSET

        def attempt() -> Ticket:
            with self.db.session(write=True) as s:
                ticket = s.get(Ticket, ticket_id, with_for_update=True)
                if ticket is None:
                    raise TicketNotFound(f"ticket {ticket_id} not found")
                now = self.clock()
                events: list[tuple[str, dict[str, Any]]] = []
                if new_status is not UNSET and new_status != ticket.status:
                    events.append(
                        (
                            "status_changed",
                            {
                                "from": ticket.status,
                                "to": new_status,
                                "from_label": STATUS_LABELS[ticket.status],
                                "to_label": STATUS_LABELS[new_status],
                            },
                        )
                    )
                    ticket.status = new_status
                if assignee is not UNSET and (assignee or None) != ticket.assignee:
                    events.append(("assignee_changed", {"from": ticket.assignee, "to": assignee or None}))
                    ticket.assignee = assignee or None
                if notes is not UNSET and (notes or "") != ticket.notes:
                    # Lengths only: notes may hold personal data, and the audit trail is kept longer.
                    events.append(
                        (
                            "notes_changed",
                            {"chars_before": len(ticket.notes), "chars_after": len(notes or "")},
                        )
                    )
                    ticket.notes = notes or ""
                for action, detail in events:
                    s.add(
                        AuditEvent(
                            ticket_id=ticket.id,
                            ticket_public_no=ticket.public_no,
                            actor=actor,
                            action=action,
                            detail=detail,
                            at=now,
                        )
                    )
                if events:
                    ticket.updated_at = now
                return ticket

        return self._run(attempt, "update_ticket")

    def record_event(
        self,
        actor: str,
        action: str,
        detail: Mapping[str, Any] | None = None,
        *,
        ticket_id: int | None = None,
    ) -> AuditEvent:
        """Append an audit event of the app's own (e.g. a CSV export, a login)."""

        def attempt() -> AuditEvent:
            with self.db.session(write=True) as s:
                public_no = (
                    s.scalar(select(Ticket.public_no).where(Ticket.id == ticket_id)) if ticket_id is not None else None
                )
                event = AuditEvent(
                    ticket_id=ticket_id,
                    ticket_public_no=public_no,
                    actor=actor,
                    action=action,
                    detail=_plain_json(detail or {}),
                    at=self.clock(),
                )
                s.add(event)
                return event

        return self._run(attempt, "record_event")

    def audit_trail(self, ticket_id: int) -> list[AuditEvent]:
        """The ticket's events, oldest first."""
        stmt = (
            select(AuditEvent).where(AuditEvent.ticket_id == ticket_id).order_by(AuditEvent.at, AuditEvent.id)
        )
        return self._read(lambda s: list(s.scalars(stmt)))

    def audit_trail_by_public_no(self, public_no: str) -> list[AuditEvent]:
        """A ticket's events by its number, oldest first; still works after retention deleted the ticket."""
        no = public_no.strip().upper()
        stmt = (
            select(AuditEvent)
            .where(AuditEvent.ticket_public_no == no)
            .order_by(AuditEvent.at, AuditEvent.id)
        )
        return self._read(lambda s: list(s.scalars(stmt)))

    # --- retention --------------------------------------------------------------------------------------

    def purge(self, days: int, *, actor: str = "retention", dry_run: bool = False) -> PurgeReport:
        """Delete closed tickets (完了・転送) unchanged for ``days`` days, and feedback older than that.

        A closed ticket's age counts from its last change (``updated_at``, i.e. when it was closed), so a case
        closed yesterday after a year of work is kept for another ``days``. Open tickets are never deleted.
        Audit events are kept: their ``ticket_id`` is cleared (as the SET NULL foreign key would), their public
        number stays, each purged ticket gets a final ``purged`` event and the run one ``retention_purge``
        event, all in the same transaction as the deletes. ``dry_run`` only counts.
        """
        if isinstance(days, bool) or int(days) < 1:
            raise ValueError("days must be a positive number of days (0/None means keep forever: nothing to purge)")
        cutoff = self.clock() - timedelta(days=int(days))

        def attempt() -> PurgeReport:
            with self.db.session(write=True) as s:
                rows = s.execute(
                    select(Ticket.id, Ticket.public_no)
                    .where(Ticket.status.in_(CLOSED_STATUSES), Ticket.updated_at < cutoff)
                    .order_by(Ticket.id)
                ).all()
                feedback = int(s.scalar(select(func.count(Feedback.id)).where(Feedback.created_at < cutoff)) or 0)
                report = PurgeReport(cutoff, [no for _, no in rows], feedback, dry_run)
                if dry_run:
                    return report
                now = self.clock()
                ids = [ticket_id for ticket_id, _ in rows]
                for start in range(0, len(ids), _PURGE_BATCH):
                    batch = ids[start : start + _PURGE_BATCH]
                    # Explicit, not only ON DELETE SET NULL: a SQLite file opened without foreign keys must not
                    # leave events pointing at an id a later ticket may reuse.
                    s.execute(update(AuditEvent).where(AuditEvent.ticket_id.in_(batch)).values(ticket_id=None))
                    s.execute(delete(Ticket).where(Ticket.id.in_(batch)))
                s.execute(delete(Feedback).where(Feedback.created_at < cutoff))
                s.add_all(
                    AuditEvent(
                        ticket_public_no=no, actor=actor, action="purged", at=now, detail={"retention_days": int(days)}
                    )
                    for _, no in rows
                )
                s.add(
                    AuditEvent(
                        actor=actor,
                        action="retention_purge",
                        at=now,
                        detail={
                            "retention_days": int(days),
                            "cutoff": cutoff.isoformat(),
                            "tickets": len(rows),
                            "feedback": feedback,
                        },
                    )
                )
                return report

        report = self._run(attempt, "purge")
        log.info(
            "retention%s: %d closed tickets and %d feedback rows older than %s",
            " (dry run)" if dry_run else "",
            len(report.public_nos),
            report.feedback,
            report.cutoff.isoformat(),
        )
        return report

    def add_feedback(
        self,
        *,
        session_token: str | None,
        question: str,
        answer: str,
        score: int,
        comment: str = "",
    ) -> Feedback:
        """Store a rating of one answer. ``score``: -1/+1 (thumbs) or 1..5 (stars), 0 neutral."""
        if isinstance(score, bool) or int(score) not in FEEDBACK_SCORES:
            raise ValueError(
                f"score must be an integer in {FEEDBACK_SCORES.start}..{FEEDBACK_SCORES.stop - 1}"
            )
        token_hash = hash_session_token(session_token) if session_token else None

        def attempt() -> Feedback:
            with self.db.session(write=True) as s:
                fb = Feedback(
                    session_token_hash=token_hash,
                    question=question or "",
                    answer=answer or "",
                    score=int(score),
                    comment=comment or "",
                    created_at=self.clock(),
                )
                s.add(fb)
                return fb

        return self._run(attempt, "add_feedback")

    # --- export -----------------------------------------------------------------------------------------

    def export_csv(
        self,
        filters: TicketFilters | None = None,
        *,
        sort: str | Sequence[str] = "-created_at",
        include_contact: bool = False,
    ) -> str:
        """All matching tickets as CSV text for Excel: UTF-8 with BOM, CRLF, Japanese headers.

        Cells that Excel would run as a formula (starting with = + - @) are prefixed with ``'``.
        Contact details are left out unless ``include_contact``.
        """
        conditions = self._conditions(filters or TicketFilters())
        stmt = select(Ticket).where(*conditions).order_by(*_order_by(sort))
        tickets = self._read(lambda s: list(s.scalars(stmt)))
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow([*CSV_COLUMNS, *(["連絡先"] if include_contact else [])])
        for t in tickets:
            row = [
                t.public_no,
                _jst(t.created_at),
                _jst(t.updated_at),
                t.status_label,
                t.urgency_label,
                t.category or "",
                t.prefecture or "",
                " / ".join(t.windows or []),
                t.question,
                t.assignee or "",
                t.notes,
                "あり" if t.consent else "なし",
            ]
            if include_contact:
                row.append("; ".join(f"{k}: {v}" for k, v in (t.contact or {}).items()))
            writer.writerow([_csv_safe(v) for v in row])
        return "\ufeff" + buf.getvalue()

    # --- helpers ----------------------------------------------------------------------------------------

    def _read(self, fn: Callable[[Session], Any]) -> Any:
        def attempt() -> Any:
            with self.db.session() as s:
                return fn(s)

        return self._run(attempt, "read")

    def _run(self, fn: Callable[[], Any], what: str) -> Any:
        """Run one transaction with retries; a transient error that outlasts them becomes TicketStoreUnavailable."""
        try:
            return run_with_retry(fn, self.retry, what=what)
        except Exception as error:
            if is_transient(error):
                raise TicketStoreUnavailable(what) from error
            raise


def _as_list(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _order_by(sort: str | Sequence[str]) -> list[Any]:
    keys = [k.strip() for k in (sort.split(",") if isinstance(sort, str) else sort) if k.strip()]
    order: list[Any] = []
    for key in keys or ["-created_at"]:
        desc = key.startswith("-")
        name = key.lstrip("-+")
        if name not in SORT_KEYS:
            raise ValueError(f"unknown sort key {name!r} (expected one of {', '.join(SORT_KEYS)})")
        if name == "urgency":
            col: Any = case(URGENCY_RANK, value=Ticket.urgency, else_=len(URGENCY_RANK))
        elif name == "status":
            col = case({s: i for i, s in enumerate(STATUSES)}, value=Ticket.status, else_=len(STATUSES))
        else:
            col = getattr(Ticket, name)
        order.append(col.desc() if desc else col.asc())
    order.append(Ticket.id.desc())  # stable pages
    return order


def _plain_json(value: Any) -> Any:
    """A JSON-safe deep copy (datetimes and other objects become strings) so commits never fail on types."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def _jst(value: datetime | None) -> str:
    return value.astimezone(JST).strftime("%Y-%m-%d %H:%M") if value else ""


def _csv_safe(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


__all__ = [
    "CSV_COLUMNS",
    "SORT_KEYS",
    "UNSET",
    "IdempotencyConflict",
    "PurgeReport",
    "TicketFilters",
    "TicketNotFound",
    "TicketPage",
    "TicketStore",
    "TicketStoreUnavailable",
    "URGENCY_LABELS",
]
