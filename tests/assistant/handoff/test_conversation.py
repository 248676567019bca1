"""Whether a person already has the case: the bot must not answer again once a handoff was sent or accepted."""

from __future__ import annotations

import pytest

from assistant.handoff.conversation import is_followup_of_handoff


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        ([{"role": "assistant", "content": "担当者に送りました", "handoff": {"status": "sent"}}], True),
        ([{"role": "assistant", "content": "…", "handoff": True}], True),
        ([{"role": "advisor", "content": "担当の山田です"}], True),
        ([{"role": "assistant", "content": "…", "handoff_status": "accepted"}], True),
        (
            [
                {"role": "assistant", "content": "…", "handoff": {"status": "sent"}},
                {"role": "assistant", "content": "…", "handoff": {"status": "closed"}},
            ],
            False,
        ),
        ([{"role": "assistant", "content": "…", "handoff": {"recommended": True}}], False),
        ([{"role": "user", "content": "こんにちは"}], False),
        ([], False),
    ],
)
def test_is_followup_of_handoff(history: list[dict], expected: bool) -> None:
    assert is_followup_of_handoff(history) is expected
