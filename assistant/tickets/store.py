"""TicketStore: the only way the chat side and the advisors' app read and write tickets.

Why it is shaped like this:

* Every write is one short transaction, retried on transient errors (see :mod:`assistant.tickets.retry`).
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
* Filters and sorting are built in :mod:`assistant.tickets.query`, CSV rows in :mod:`assistant.tickets.export`.

Longer than the project's ~400 lines on purpose: every transaction on tickets (create, read, change, notes, audit,
retention, feedback) goes through this one class, so the retry, locking and audit rules above are kept in one place.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.tickets.db import Database, ensure_db, get_database
from assistant.tickets.export import CsvLabels, tickets_csv
from assistant.tickets.models import (
    CLOSED_STATUSES,
    STATUS_LABELS,
    STATUSES,
    URGENCY_LABELS,
    Advisor,
    AuditEvent,
    Feedback,
    Ticket,
    TicketNote,
    hash_session_token,
    new_public_no,
    normalize_status,
    normalize_urgency,
    utcnow,
)
from assistant.tickets.query import TicketFilters, conditions, order_by
from assistant.tickets.retry import RetryPolicy, is_transient, run_with_retry
from chizai.logsafe import shown

log = logging.getLogger(__name__)
MAX_PAGE = 500
MAX_KEY_LENGTH = 64
MAX_NOTE_CHARS = 4000
FEEDBACK_SCORES = range(-1, 6)  # -1/+1 for thumbs, 1..5 for stars, 0 for "neutral"
_PUBLIC_NO_COLLISION_RETRIES = 5
_PURGE_BATCH = 500  # ids per IN (...) list (purge, note threads): well under SQLite's and PostgreSQL's parameter limits


class TicketNotFound(LookupError):
    pass


class IdempotencyConflict(ValueError):
    """The idempotency key is already used by a ticket of another session (never return that ticket)."""


class UnknownAdvisor(ValueError):
    """An assignee that is no advisor account: tickets are only ever assigned to people who can log in."""


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
                detail = {"public_no": ticket.public_no, "urgency": ticket.urgency, "windows": ticket.windows}
                s.add(self._event(ticket, actor, "created", detail, now))
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

        ``sort`` is a key from :data:`assistant.tickets.query.SORT_KEYS`, ``-`` for descending, comma-separated for several:
        ``"urgency,-created_at"`` puts 高 first and the newest first within each urgency.
        """
        f = filters or TicketFilters()
        limit = max(1, min(int(limit), MAX_PAGE))
        offset = max(0, int(offset))
        where = self._conditions(f)
        stmt = select(Ticket).where(*where).order_by(*order_by(sort)).limit(limit).offset(offset)
        count_stmt = select(func.count(Ticket.id)).where(*where)

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
        rows = s.execute(
            select(Ticket.status, func.count(Ticket.id))
            .where(*self._conditions(f, with_status=False))
            .group_by(Ticket.status)
        )
        counts = dict.fromkeys(STATUSES, 0)
        for status, n in rows:
            counts[status] = int(n)
        return counts

    def _conditions(self, f: TicketFilters, *, with_status: bool = True) -> list[Any]:
        return conditions(f, self.db.dialect, with_status=with_status)

    # --- changing ---------------------------------------------------------------------------------------

    def update_ticket(
        self,
        ticket_id: int,
        actor: str,
        *,
        status: str | None = UNSET,
        assignee: str | None = UNSET,
    ) -> Ticket:
        """Change status / assignee, with one audit event per changed field in the same transaction.

        Leave an argument out to keep the field; ``assignee=None`` unassigns, any other assignee must be an advisor
        account (:class:`UnknownAdvisor` otherwise, nothing changed). Setting the same value again is a no-op (no
        event), which also makes retries after an ambiguous commit harmless.
        """
        new_status = normalize_status(status) if status is not UNSET and status is not None else UNSET

        def attempt() -> Ticket:
            with self.db.session(write=True) as s:
                ticket = s.get(Ticket, ticket_id, with_for_update=True)
                if ticket is None:
                    raise TicketNotFound(f"ticket {ticket_id} not found")
                events: list[tuple[str, dict[str, Any]]] = []
                if new_status is not UNSET and new_status != ticket.status:
                    labels = {"from_label": STATUS_LABELS[ticket.status], "to_label": STATUS_LABELS[new_status]}
                    events.append(("status_changed", {"from": ticket.status, "to": new_status, **labels}))
                    ticket.status = new_status
                if assignee is not UNSET and (assignee or None) != ticket.assignee:
                    if assignee and s.scalar(select(Advisor.id).where(Advisor.username == assignee)) is None:
                        raise UnknownAdvisor(f"no advisor account {assignee!r}")
                    events.append(("assignee_changed", {"from": ticket.assignee, "to": assignee or None}))
                    ticket.assignee = assignee or None
                now = self.clock()
                for action, detail in events:
                    s.add(self._event(ticket, actor, action, detail, now))
                if events:
                    ticket.updated_at = now
                return ticket

        return self._run(attempt, "update_ticket")

    def add_note(self, ticket_id: int, author: str, body: str) -> TicketNote:
        """Append a note to the ticket's thread (never replaces one), with a ``note_added`` audit event.

        The event holds the note's length only: notes may hold personal data, and the trail is kept longer.
        """
        text = (body or "").strip()
        if not text:
            raise ValueError("a note needs some text")
        if len(text) > MAX_NOTE_CHARS:
            raise ValueError(f"a note is at most {MAX_NOTE_CHARS} characters")

        def attempt() -> TicketNote:
            with self.db.session(write=True) as s:
                ticket = s.get(Ticket, ticket_id, with_for_update=True)
                if ticket is None:
                    raise TicketNotFound(f"ticket {ticket_id} not found")
                now = self.clock()
                note = TicketNote(ticket_id=ticket.id, author=author, body=text, created_at=now)
                s.add(note)
                s.add(self._event(ticket, author, "note_added", {"chars": len(text)}, now))
                ticket.updated_at = now
                return note

        return self._run(attempt, "add_note")

    def notes(self, ticket_ids: Sequence[int]) -> dict[int, list[TicketNote]]:
        """The note threads of these tickets, oldest note first (tickets without notes are left out)."""
        ids = list(ticket_ids)
        threads: dict[int, list[TicketNote]] = {}
        for start in range(0, len(ids), _PURGE_BATCH):
            stmt = (
                select(TicketNote)
                .where(TicketNote.ticket_id.in_(ids[start : start + _PURGE_BATCH]))
                .order_by(TicketNote.created_at, TicketNote.id)
            )
            for note in self._read(lambda s, stmt=stmt: list(s.scalars(stmt))):
                threads.setdefault(note.ticket_id, []).append(note)
        return threads

    @staticmethod
    def _event(ticket: Ticket, actor: str, action: str, detail: dict[str, Any], at: datetime) -> AuditEvent:
        return AuditEvent(
            ticket_id=ticket.id, ticket_public_no=ticket.public_no, actor=actor, action=action, detail=detail, at=at
        )

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
        closed yesterday after a year of work is kept for another ``days``. Open tickets are never deleted; a
        deleted ticket's notes go with it. Audit events are kept: their ``ticket_id`` is cleared (as the SET NULL foreign key would), their public
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
                    s.execute(delete(TicketNote).where(TicketNote.ticket_id.in_(batch)))
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
        labels: CsvLabels | None = None,
        include_contact: bool = False,
    ) -> str:
        """All matching tickets as CSV text for Excel (see :mod:`assistant.tickets.export`), notes included.

        ``labels`` turn category, window and advisor ids into names; contact details (stored only with the user's
        consent) are left out unless ``include_contact``.
        """
        stmt = select(Ticket).where(*self._conditions(filters or TicketFilters())).order_by(*order_by(sort))
        tickets = self._read(lambda s: list(s.scalars(stmt)))
        notes = self.notes([t.id for t in tickets])
        return tickets_csv(tickets, notes, labels or CsvLabels(), include_contact=include_contact)

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


def _plain_json(value: Any) -> Any:
    """A JSON-safe deep copy (datetimes and other objects become strings) so commits never fail on types."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


__all__ = [
    "UNSET",
    "IdempotencyConflict",
    "PurgeReport",
    "TicketFilters",
    "TicketNotFound",
    "TicketPage",
    "TicketStore",
    "TicketStoreUnavailable",
    "URGENCY_LABELS",
    "UnknownAdvisor",
]
