"""A clock for ticket tests that stands still until the test moves it (``clock.now = …``)."""

from __future__ import annotations

from datetime import datetime


class StillClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now
