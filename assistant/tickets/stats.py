"""How quickly the desk really responds, measured from its own audit trail, for the receipt the user reads.

The receipt after a handoff tells the user when to expect a person. No window publishes a service level we could
quote, so the honest answer is what this desk has done: the median time from a ticket's creation to its first status
change by an advisor (新規 → 対応中 or later), over recent tickets of that window. With too few tickets to say, the
answer is None and the receipt says nothing about time rather than inventing a promise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from statistics import median
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from assistant.tickets.models import AuditEvent, Ticket
from assistant.tickets.query import TicketFilters

if TYPE_CHECKING:
    from assistant.tickets.store import TicketStore

MIN_SAMPLES = 5
WINDOW_DAYS = 90
MAX_TICKETS = 500


@dataclass(frozen=True)
class FirstResponse:
    """The median time to a first advisor response over ``samples`` answered tickets of the last ``days`` days."""

    median: timedelta
    samples: int
    days: int


def first_response(
    store: TicketStore, window_id: str, *, days: int = WINDOW_DAYS, minimum: int = MIN_SAMPLES
) -> FirstResponse | None:
    """The desk's typical first-response time for tickets routed to ``window_id``, or None below ``minimum``."""
    since = store.clock() - timedelta(days=days)
    where = store._conditions(TicketFilters(window=window_id, created_from=since))
    first_change = (
        select(AuditEvent.ticket_id, func.min(AuditEvent.at).label("at"))
        .where(AuditEvent.action == "status_changed")
        .group_by(AuditEvent.ticket_id)
        .subquery()
    )
    stmt = (
        select(Ticket.created_at, first_change.c.at)
        .join(first_change, first_change.c.ticket_id == Ticket.id)
        .where(*where)
        .order_by(Ticket.created_at.desc())
        .limit(MAX_TICKETS)
    )
    rows = store._read(lambda s: s.execute(stmt).all())
    waits = [at - created for created, at in rows]
    if len(waits) < minimum:
        return None
    return FirstResponse(median(waits), len(waits), days)

