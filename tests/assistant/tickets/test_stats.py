"""The first-response time on the receipt is what this desk has done, and nothing when it has too little to say."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assistant.tickets import TicketStore
from assistant.tickets.db import dispose_all
from assistant.tickets.retry import RetryPolicy
from assistant.tickets.stats import first_response
from tests.assistant.tickets.clock import StillClock

START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[tuple[TicketStore, StillClock]]:
    clock = StillClock(START)
    yield TicketStore(f"sqlite:///{tmp_path / 'desk.sqlite3'}", retry=RetryPolicy(attempts=2), clock=clock), clock
    dispose_all()


def answered(store: TicketStore, clock: StillClock, window: str, hours: float, later: float = 0) -> None:
    """A ticket created now, taken up ``hours`` later and changed again ``later`` hours after that."""
    created = clock.now
    ticket = store.create_ticket(
        {}, "", question="q", urgency="low", category=None, prefecture=None, windows=[window], contact=None,
        consent=False, session_token="s",
    )
    clock.now = created + timedelta(hours=hours)
    store.update_ticket(ticket.id, "yamada", status="in_progress")
    if later:
        clock.now += timedelta(hours=later)
        store.update_ticket(ticket.id, "yamada", status="done")
    clock.now = created + timedelta(days=1)


def test_median_of_the_first_status_change_per_window(desk) -> None:  # type: ignore[no-untyped-def]
    store, clock = desk
    for hours in (1, 2, 3, 30, 50):
        answered(store, clock, "jpaa", hours, later=100)  # the later change must not count
    answered(store, clock, "yorozu", 0.5)
    result = first_response(store, "jpaa")
    assert result is not None and (result.median, result.samples, result.days) == (timedelta(hours=3), 5, 90)
    assert first_response(store, "yorozu") is None  # one ticket is no track record
    assert first_response(store, "yorozu", minimum=1).median == timedelta(minutes=30)  # type: ignore[union-attr]


def test_old_and_unanswered_tickets_do_not_count(desk) -> None:  # type: ignore[no-untyped-def]
    store, clock = desk
    for hours in (1, 1, 1, 1, 1):
        answered(store, clock, "jpaa", hours)
    store.create_ticket(
        {}, "", question="q", urgency="low", category=None, prefecture=None, windows=["jpaa"], contact=None,
        consent=False, session_token="s",
    )
    assert first_response(store, "jpaa").samples == 5  # type: ignore[union-attr]
    clock.now += timedelta(days=120)
    assert first_response(store, "jpaa") is None
