"""Keeping questions, ticket contents and contact details out of logs.

Logs travel further than the ticket database (journald, log shippers, a screenshot in a support thread) and are
kept without the retention rules tickets have, so by default nothing a user typed may reach them:

* our own log lines carry sizes, ids and codes; text only through :func:`shown`, which hides it unless
  ``CHIZAI_DEBUG_LOG_TEXT=true``;
* a logged exception keeps its type and traceback (source lines, never local values) but not its message,
  which may quote the input — a database error quotes the SQL parameters, a validation error the value;
* SQLAlchemy engines are built with ``hide_parameters`` (see :mod:`assistant.tickets.db`).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

HIDDEN_HINT = "set CHIZAI_DEBUG_LOG_TEXT=true to log it"
_process_allows_text = False  # set once by the composition root from CHIZAI_DEBUG_LOG_TEXT


def configure(debug_log_text: bool) -> None:
    """Called by :mod:`assistant.container` (and ingest's CLI) when a process starts; hidden until then."""
    global _process_allows_text
    _process_allows_text = bool(debug_log_text)


def text_allowed(settings: Any | None = None) -> bool:
    """Whether logs may contain user text: only when debugging was switched on explicitly.

    ``settings`` answers for itself; without it, the process-wide choice made by :func:`configure` counts.
    """
    if settings is None:
        return _process_allows_text
    return bool(getattr(settings, "debug_log_text", False))


def shown(text: str | None, settings: Any | None = None) -> str:
    """The text itself when allowed, otherwise only its length."""
    text = text or ""
    return text if text_allowed(settings) else f"<{len(text)} chars hidden>"


class RedactedError(Exception):
    """Stands in for a logged exception whose message may quote user input."""


def redact_exception(error: BaseException) -> RedactedError:
    """A copy of ``error`` (and its causes) with the same tracebacks and types but no messages."""
    copies: dict[int, RedactedError] = {}

    def copy(e: BaseException | None) -> RedactedError | None:
        if e is None:
            return None
        if id(e) in copies:
            return copies[id(e)]
        hint = _safe_hint(e)
        r = RedactedError(f"{type(e).__module__}.{type(e).__qualname__}{hint} (message hidden: {HIDDEN_HINT})")
        copies[id(e)] = r
        r.__traceback__ = e.__traceback__
        r.__cause__ = copy(e.__cause__)
        r.__context__ = copy(e.__context__)
        r.__suppress_context__ = e.__suppress_context__
        return r

    result = copy(error)
    assert result is not None
    return result


def _safe_hint(error: BaseException) -> str:
    """The part of a database error that names no values: SQLite's message, PostgreSQL's SQLSTATE.

    SQLite messages name objects only ("database is locked", "UNIQUE constraint failed: tickets.public_no");
    PostgreSQL's DETAIL may quote a whole failing row, so only the code is kept.
    """
    import sqlite3

    orig = getattr(error, "orig", None) or error
    if isinstance(orig, sqlite3.Error):
        return f" [sqlite3: {str(orig).splitlines()[0] if str(orig) else type(orig).__name__}]"
    sqlstate = getattr(orig, "sqlstate", None)
    return f" [SQLSTATE {sqlstate}]" if isinstance(sqlstate, str) else ""


def log_exception(logger: logging.Logger, message: str, *, settings: Any | None = None) -> None:
    """``logger.exception(message)`` for the exception being handled, without its message unless allowed."""
    error = sys.exc_info()[1]
    if error is None or text_allowed(settings):
        logger.error(message, exc_info=error, stacklevel=2)
    else:
        logger.error(message, exc_info=redact_exception(error), stacklevel=2)
