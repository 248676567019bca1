"""Which message of the conversation a handoff is about, and what of the conversation goes with it.

The case a person should take is the incident, not the last thing typed: after 「警告書が届きました」 a user often
asks a follow-up (「それって弁護士に頼むといくらかかりますか」) before asking for a person. So the sheet starts from
the user message whose answer recommended a handoff, the most urgent one, the earliest among equally urgent ones
(follow-ups of a case are read in its context and inherit its urgency);
without any recommendation, from the latest answered question. The user's messages before it are the 経緯, and the
whole conversation (follow-ups included) is attached for the advisor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.tickets.models import URGENCY_RANK

MAX_CONVERSATION = 12


@dataclass
class Source:
    """What the sheet is prefilled from: the triggering answer and its question, or nothing (a blank form)."""

    message: dict[str, Any] | None
    question: str = ""
    earlier: list[str] = field(default_factory=list)
    conversation: list[dict[str, str]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.message["id"] if self.message else "blank"

    @property
    def language(self) -> str:
        return (self.message or {}).get("language") or "ja"


def trigger(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The answer whose question a person should take over (see the module docstring), or None."""
    answers = [(i, m) for i, m in enumerate(messages) if m["role"] == "assistant" and not m.get("error")]
    recommended = [(i, m) for i, m in answers if (m.get("handoff") or {}).get("recommended")]
    if recommended:
        rank = len(URGENCY_RANK)
        return max(recommended, key=lambda im: (-URGENCY_RANK.get(im[1]["handoff"].get("urgency"), rank), -im[0]))[1]
    return answers[-1][1] if answers else None


def find_source(messages: list[dict[str, Any]]) -> Source:
    """The triggering answer with its question, the user's earlier messages and the conversation to attach."""
    msg = trigger(messages)
    if msg is None:
        return Source(None)
    at = messages.index(msg)
    users = [m["content"] for m in messages[:at] if m["role"] == "user"]
    question = users[-1] if users else msg.get("question") or ""
    earlier = [" ".join(u.split()) for u in users[:-1]]
    conversation = [{"role": m["role"], "content": m["content"]} for m in messages if not m.get("error")]
    return Source(msg, question, earlier, conversation[-MAX_CONVERSATION:])
