"""Gate stage: after retrieval, decide whether the bot may answer at all, and whether a person should take over.

Four outcomes: a person already has the case (the bot stays silent), the question is not about IP (declined, with
general SME windows), the corpus does not support an answer (a person is recommended, with windows), or answer.
The handoff decision is made first and travels with every outcome, so no answer that sends the user to a person
comes without a window.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.handoff import HandoffDecision, HandoffPolicy
from assistant.retrieval.hybrid import Hit
from chizai.text.terms import content_terms

Embed = Callable[[str], Sequence[float]]


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
    decision: HandoffDecision
    refusal: str | None = None  # with-person | out-of-scope | to-person | no-support | smalltalk | None (answer)


def _surely_out(decision: HandoffDecision) -> bool:
    return bool(decision.situation) and decision.situation["in_scope"] < SURELY_OUT


SURELY_OUT = 0.2  # the model's P(in scope) below which retrieval support cannot bring a question back


class Gate:
    """``situation_embed``: how to embed the question for the situation model when the retriever's embedder is not
    the one it was trained with (None: reuse the retrieval vector, which costs nothing)."""

    def __init__(self, policy: HandoffPolicy, min_support: float, situation_embed: Embed | None = None) -> None:
        self.policy = policy
        self.min_support = min_support
        self.situation_embed = situation_embed

    def check(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]],
        query: str,
        support_query: str,
        hits: list[Hit],
        prefecture: str | None,
        vector: Sequence[float] | None,
    ) -> GateOutcome:
        """``support_query``: English questions are judged on their Japanese expansion (the corpus is Japanese)."""
        support = support_of(support_query, hits)
        model_vector = self.situation_embed(query) if self.situation_embed else vector
        reading = self.policy.read(question, history, model_vector)
        decision = self.policy.decide(
            question, history, support=support, categories=[h.chunk.metadata.get("category", "") for h in hits[:3]],
            prefecture=prefecture, reading=reading,
        )
        if not decision.bot_may_answer:
            return GateOutcome(support, decision, "with-person")
        if not decision.in_scope and (decision.recommended or support < self.min_support or _surely_out(decision)):
            # declined (with general windows), unless they asked for a person: then the windows are the answer.
            # A question the corpus supports well is answered even when the model doubts its scope.
            return GateOutcome(support, decision, "to-person" if decision.recommended else "out-of-scope")
        if support < self.min_support:  # the policy recommended a person unless it was small talk (ありがとう …)
            return GateOutcome(support, decision, "no-support" if decision.recommended else "smalltalk")
        return GateOutcome(support, decision)
