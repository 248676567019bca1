"""Tickets: consultation sheets handed to people, and the accounts of the advisors who triage them.

Usage::

    store = build_store(settings)     # assistant.container; migrates the database to the newest schema
    ticket = store.create_ticket(sheet.model_dump(mode="json"), sheet.to_markdown(), question=sheet.question,
                                 urgency=sheet.urgency, category=..., prefecture=..., windows=[...],
                                 contact=None, consent=sheet.consent, session_token=token,
                                 idempotency_key=client_uuid)
    scope = TicketFilters(status="新規", window=advisor.windows or None)
    page = store.list_tickets(scope, sort="urgency,-created_at")
    store.update_ticket(ticket.id, "yamada", status="対応中", assignee="yamada")   # assignee: an advisor account
    store.add_note(ticket.id, "yamada", "折り返し電話済み")  # notes are a thread: appended, never overwritten
    if days := settings.retention_days:                  # or `python -m assistant.tickets purge` from cron
        store.purge(days)                                # closed tickets + old feedback; audit trail kept

    auth = AdvisorAuth(store)
    result = auth.verify_login(username, password)
"""

from assistant.tickets.auth import (
    LOGIN_FAILED_JA,
    AdvisorAuth,
    AdvisorExists,
    AdvisorNotFound,
    AuthError,
    LoginResult,
    WeakPassword,
    hash_password,
)
from assistant.tickets.db import Database, get_database, get_engine, init_db
from assistant.tickets.export import CsvLabels
from assistant.tickets.models import (
    STATUS_LABELS,
    URGENCY_LABELS,
    Advisor,
    AuditEvent,
    Feedback,
    Ticket,
    TicketNote,
    hash_session_token,
)
from assistant.tickets.query import TicketFilters
from assistant.tickets.retry import RetryPolicy
from assistant.tickets.store import (
    UNSET,
    IdempotencyConflict,
    PurgeReport,
    TicketNotFound,
    TicketPage,
    TicketStore,
    TicketStoreUnavailable,
    UnknownAdvisor,
)

__all__ = [
    "LOGIN_FAILED_JA",
    "STATUS_LABELS",
    "UNSET",
    "URGENCY_LABELS",
    "Advisor",
    "AdvisorAuth",
    "AdvisorExists",
    "AdvisorNotFound",
    "AuditEvent",
    "AuthError",
    "CsvLabels",
    "Database",
    "Feedback",
    "IdempotencyConflict",
    "LoginResult",
    "PurgeReport",
    "RetryPolicy",
    "Ticket",
    "TicketNote",
    "TicketFilters",
    "TicketNotFound",
    "TicketPage",
    "TicketStore",
    "TicketStoreUnavailable",
    "UnknownAdvisor",
    "WeakPassword",
    "get_database",
    "get_engine",
    "hash_password",
    "hash_session_token",
    "init_db",
]
