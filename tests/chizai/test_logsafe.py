"""chizai.logsafe: logged exceptions keep type and traceback but lose messages that may quote users."""

from __future__ import annotations

import logging
import sqlite3
from types import SimpleNamespace

import pytest
from sqlalchemy import exc as sa_exc

from chizai.logsafe import log_exception, redact_exception, shown

SECRET = "社外秘の配合 090-1111-2222"


def _raise_chained() -> None:
    try:
        raise sqlite3.IntegrityError("UNIQUE constraint failed: tickets.idempotency_key")
    except sqlite3.IntegrityError as low:
        raise sa_exc.IntegrityError("INSERT INTO tickets …", {"question": SECRET}, low) from low


def test_redacted_copy_keeps_types_chain_and_frames_but_no_message() -> None:
    with pytest.raises(sa_exc.IntegrityError) as info:
        _raise_chained()
    red = redact_exception(info.value)
    assert red.__traceback__ is info.value.__traceback__
    assert "sqlalchemy.exc.IntegrityError" in str(red) and "UNIQUE constraint failed" in str(red)
    assert red.__cause__ is not None and "sqlite3.IntegrityError" in str(red.__cause__)
    assert SECRET not in str(red) and SECRET not in str(red.__cause__)


def test_log_exception_respects_the_switch(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("chizai.test")
    caplog.set_level(logging.DEBUG)
    for on in (False, True):
        caplog.clear()
        try:
            _raise_chained()
        except sa_exc.IntegrityError:
            log_exception(log, "could not save", settings=SimpleNamespace(debug_log_text=on))
        [record] = caplog.records
        assert record.levelno == logging.ERROR and record.funcName == "test_log_exception_respects_the_switch"
        assert "_raise_chained" in caplog.text  # the traceback frames are still there for operators
        assert (SECRET in caplog.text) is on


def test_shown() -> None:
    assert shown(SECRET, SimpleNamespace(debug_log_text=False)) == f"<{len(SECRET)} chars hidden>"
    assert shown(SECRET, SimpleNamespace(debug_log_text=True)) == SECRET
    assert shown(None, SimpleNamespace(debug_log_text=False)) == "<0 chars hidden>"
