"""Gate stage: after retrieval, decide whether the bot may answer at all, and whether a person should take over.

Four outcomes: a person already has the case (the bot stays silent), the question is not about IP, the corpus does
not support an answer, or answer. The handoff decision is made first and travels with every outcome.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.answer.guard import is_off_topic
from assistant.handoff import HandoffDecision, HandoffPolicy
from assistant.retrieval.hybrid import Hit
from chizai.text.terms import content_terms


def support_of(query: str, hits: list[Hit]) -> float:
    """Share of the question's content terms found in the top passages (title and section included).

    Measured on the gold sets, IDF weighting separated answerable from unanswerable questions no better than this
    plain share and refused more answerable ones, so the simpler measure stays.
    """
    q_terms = content_terms(query)
    if not q_terms or not hits:
        return 0.0
    found: set[str] = set()
    for hit in hits[:3]:
        found |= set(hit.matched_terms)
    return len(q_terms & found) / len(q_terms)


@dataclass
class GateOutcome:
    support: float
    decision: HandoffDecision | None
    refusal: str | None = None  # "with-person" | "out-of-scope" | "no-support" | None (answer)


class Gate:
    def __init__(self, policy: HandoffPolicy, min_support: float) -> None:
        self.policy = policy
        self.min_support = min_support

    def check(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]],
        support_query: str,
        hits: list[Hit],
        prefecture: str | None,
    ) -> GateOutcome:
        """``support_query``: English questions are judged on their Japanese expansion (the corpus is Japanese)."""
        support = support_of(support_query, hits)
        decision = self.policy.decide(
            question, history, support=support, categories=[h.chunk.metadata.get("category", "") for h in hits[:3]],
            prefecture=prefecture,
        )
        if not decision.bot_may_answer:
            return GateOutcome(support, decision, "with-person")
        if is_off_topic(question) and (support < self.min_support or is_off_topic(question, strict=True)):
            return GateOutcome(support, None, "out-of-scope")
        if support < self.min_support:
            return GateOutcome(support, decision, "no-support")
        return GateOutcome(support, decision)
