"""Japan Standard Time: the zone users, advisors and deadlines live in, whatever the server's zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")


def today_jst() -> date:
    """Today's date in Japan (a deadline of 「明日」 typed at 23:30 JST is the next Japanese day)."""
    return datetime.now(JST).date()
