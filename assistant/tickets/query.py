"""What the advisors' queue can ask for, turned into SQL: filters, the keyword search and sort orders.

Kept apart from :mod:`assistant.tickets.store` (transactions, writes) because the list page, the CSV export and the
desk statistics all narrow tickets the same way, and the window filter needs a different SQL form per database.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, case, cast, exists, func, literal, or_, select

from assistant.tickets.models import (
    STATUSES,
    URGENCY_RANK,
    Ticket,
    TicketNote,
    normalize_status,
    normalize_urgency,
)

SORT_KEYS = ("created_at", "updated_at", "urgency", "status", "prefecture", "category", "public_no")


@dataclass(frozen=True)
class TicketFilters:
    """What the advisors' list can be narrowed by. Status and urgency accept codes or Japanese labels.

    ``window`` matches tickets routed to any of the given window ids (an advisor's scope is a list).
    ``text`` is split on whitespace; every term must appear in the number, question, sheet, category or a note.
    ``unassigned`` keeps only tickets nobody has taken yet (``assignee`` names one advisor).
    """

    status: str | Sequence[str] | None = None
    urgency: str | Sequence[str] | None = None
    category: str | None = None
    prefecture: str | None = None
    window: str | Sequence[str] | None = None
    text: str | None = None
    assignee: str | None = None
    unassigned: bool = False
    created_from: datetime | None = None
    created_to: datetime | None = None


def conditions(f: TicketFilters, dialect: str, *, with_status: bool = True) -> list[ColumnElement[bool]]:
    """The WHERE clauses for ``f`` (all must hold); ``with_status=False`` for the per-status counts."""
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
    if f.unassigned:
        c.append(Ticket.assignee.is_(None))
    if f.created_from:
        c.append(Ticket.created_at >= f.created_from)
    if f.created_to:
        c.append(Ticket.created_at < f.created_to)
    if f.window:
        c.append(or_(*(has_window(w, dialect) for w in _as_list(f.window))))
    c += [_mentions(term) for term in (f.text or "").split()]
    return c


def _mentions(term: str) -> ColumnElement[bool]:
    pattern = f"%{_escape_like(term)}%"
    columns = (Ticket.public_no, Ticket.question, Ticket.sheet_markdown, Ticket.category)
    in_notes = exists(
        select(literal(1)).where(TicketNote.ticket_id == Ticket.id, TicketNote.body.ilike(pattern, escape="\\"))
    )
    return or_(*(col.ilike(pattern, escape="\\") for col in columns), in_notes)


def has_window(window_id: str, dialect: str) -> ColumnElement[bool]:
    """Tickets routed to ``window_id`` (a JSON list column: JSONB containment, json_each, or a text match)."""
    if dialect == "postgresql":
        return Ticket.windows.op("@>")(cast(literal(json.dumps([window_id])), Ticket.windows.type))
    if dialect == "sqlite":
        each = func.json_each(Ticket.windows).table_valued("value")
        return exists(select(literal(1)).select_from(each).where(each.c.value == window_id))
    # Generic fallback: the JSON text contains the quoted id.
    return cast(Ticket.windows, String).like(f'%"{_escape_like(window_id)}"%', escape="\\")


def order_by(sort: str | Sequence[str]) -> list[Any]:
    """``"urgency,-created_at"`` → ORDER BY clauses (``-`` = descending), always ending with the id for stable pages."""
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
    order.append(Ticket.id.desc())
    return order


def _as_list(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
