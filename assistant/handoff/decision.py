"""What a handoff decision says: whether a person should take over, why, how urgently, and where."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.handoff.facts import Facts
from assistant.handoff.windows import WindowRecommendation

Urgency = Literal["high", "medium", "low"]
URGENCY_JA: dict[str, str] = {"high": "高", "medium": "中", "low": "低"}


class TriggerMatch(BaseModel):
    reason: str
    phrase: str
    urgency: Urgency
    topics: list[str] = Field(default_factory=list, description="categories this particular pattern implies")


class HandoffDecision(BaseModel):
    """Whether a person should take over, with a machine code for logs/evals and Japanese text for people."""

    recommended: bool
    reason: str | None = None
    reason_ja: str = ""
    reasons: list[str] = Field(default_factory=list)
    urgency: Urgency | None = None
    topics: list[str] = Field(default_factory=list)
    triggers: list[str] = Field(default_factory=list)
    matches: list[TriggerMatch] = Field(default_factory=list)
    windows: list[WindowRecommendation] = Field(default_factory=list)
    prefecture: str | None = None
    facts: Facts = Field(default_factory=Facts)
    support: float | None = None
    bot_may_answer: bool = Field(
        True, description="False once a person has the case: the bot must not re-answer"
    )
    injection_suspected: bool = Field(
        False, description="the input tries to rewrite the assistant's rules: refuse, never hand to a person"
    )
    cautions: list[str] = Field(default_factory=list)
    in_scope: bool = Field(True, description="an IP question; out of scope, windows point to general SME help")
    situation: dict[str, Any] | None = Field(
        None, description="the situation model's reading (probabilities), shown to advisors as evidence"
    )

    @property
    def window_ids(self) -> list[str]:
        return [w.id for w in self.windows]

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
