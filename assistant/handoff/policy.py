"""When to hand a consultation to a person, why, how urgently, and to which window.

The situation model (:mod:`assistant.handoff.situation`) reads what happened — an incident, a dispute, a deadline,
a judgment on the user's own case, a request for a person — and whether the message is about IP at all; rules
(:mod:`assistant.handoff.rules`, advisor-editable ``rules.yaml``) add what rules do well: explicit requests, dates
parsed relative to today, overrides, repeated dissatisfaction, and no support in the corpus. A handoff that was
not needed wastes an advisor's time; a missed one leaves an SME alone with a warning letter. Every decision that
sends the user to a person carries at least one window, with why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from assistant.handoff.conversation import (
    ALREADY_HANDED_OFF,
    is_followup_of_handoff,
    message_role,
    message_text,
)
from assistant.handoff.decision import HandoffDecision, TriggerMatch
from assistant.handoff.facts import Facts, extract_facts
from assistant.handoff.pii import KIND_JA, looks_confidential, pii_kinds
from assistant.handoff.reasons import Category, Reason
from assistant.handoff.rules import DEFAULT_RULES_PATH, Rules
from assistant.handoff.situation import SituationModel, SituationReading
from assistant.handoff.windows import WindowRanker, WindowRecommendation, load_windows
from chizai.clock import today_jst
from chizai.screening.instructions import is_injection

log = logging.getLogger(__name__)
WITH_PERSON_JA = "この相談はすでに担当者に引き継がれています。AI からの回答は控え、担当者からの連絡をお待ちいただきます。"
INJECTION_JA = "指示の書き換えを求める入力のため、担当者には引き継ぎません。"
NO_HANDOFF_JA = "一般的なご質問で、資料による裏付けがあるため、担当者への引き継ぎは不要と判断しました。"
SMALLTALK_JA = "あいさつ・お礼のため、引き継ぎは不要です。"
RESOLVED_JA = "すでに解決した事案についての一般的なご質問と判断しました。新たな動きがあれば担当者にご相談ください。"


class HandoffPolicy:
    """Situation model + ``rules.yaml`` + the windows directory. ``decide`` takes the model's reading."""

    def __init__(
        self,
        windows_path: Path | str,
        rules_path: Path | str | None = None,
        *,
        model: SituationModel | None = None,
        min_support: float = 0.45,
        today: Callable[[], date] = today_jst,
        embed: Callable[[str, Sequence[Mapping[str, Any]]], Sequence[float]] | None = None,
    ) -> None:
        """``embed(message, history)``: the query vector the model reads, for callers that did not retrieve
        (the handoff form); the answer pipeline passes the vector retrieval already computed instead."""
        self.rules = Rules(Path(rules_path) if rules_path else DEFAULT_RULES_PATH)
        self.windows_path = Path(windows_path)
        self.windows = load_windows(self.windows_path)
        self.model = model
        self.min_support = min_support  # the one support threshold, CHIZAI_MIN_SUPPORT
        self.today = today
        self.embed = embed
        th = self.rules.model_thresholds
        meta = model.thresholds if model else {}
        self.handoff_threshold = float(th.get("handoff_threshold") or meta.get("handoff", 0.5))
        self.scope_threshold = float(th.get("in_scope_threshold") or meta.get("in_scope", 0.5))
        r = self.rules
        self.ranker = WindowRanker(self.windows, r.reasons, r.categories, r.window_requires_reason, r.window_hints,
                                   r.max_windows, r.min_window_score)

    @property
    def categories(self) -> dict[str, Category]:
        """Category id → label and preferred windows (the UI shows the labels)."""
        return self.rules.categories

    @property
    def reasons(self) -> dict[str, Reason]:
        """Reason code → how it is presented (the handoff form shows the labels)."""
        return self.rules.reasons

    def unknown_window_ids(self) -> list[str]:
        """Window ids named in rules.yaml but missing from windows.yaml (skipped, but worth fixing)."""
        named = {w for r in self.rules.reasons.values() for w in r.prefer_windows}
        named |= {w for c in self.rules.categories.values() for w in c.prefer_windows} | set(self.rules.window_hints)
        return sorted(named - {w.id for w in self.windows})

    def read(
        self, question: str, history: Sequence[Mapping[str, Any]], vector: Sequence[float] | None = None
    ) -> SituationReading | None:
        if self.model is None:
            return None
        if vector is None and self.embed is not None:
            vector = self.embed(question, history)
        return self.model.read(question, history, vector) if vector is not None else None

    # -- decision -------------------------------------------------------------------------------------------
    def decide(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]] = (),
        support: float | None = None,
        categories: Sequence[str] = (),
        prefecture: str | None = None,
        reading: SituationReading | None = None,
    ) -> HandoffDecision:
        """Decide for the latest user message; ``support`` = retrieval support in [0, 1] (None = unknown).
        Without a ``reading`` the policy reads the message itself when it can embed it."""
        history = list(history or ())
        reading = reading or self.read(question, history)
        facts = extract_facts([question] + [message_text(m) for m in reversed(history) if message_role(m) == "user"])
        if prefecture:
            facts.prefecture = prefecture
        common = {"prefecture": facts.prefecture, "facts": facts, "support": support, "cautions": self._cautions(question),
                  "situation": reading.to_dict() if reading else None}
        if is_followup_of_handoff(history):
            return HandoffDecision(recommended=True, reason=ALREADY_HANDED_OFF, reason_ja=WITH_PERSON_JA,
                                   reasons=[ALREADY_HANDED_OFF], bot_may_answer=False, **common)
        if is_injection(question):  # an advisor should not receive attempts to rewrite the assistant
            return HandoffDecision(recommended=False, reason_ja=INJECTION_JA, injection_suspected=True, **common)
        if self.rules.is_smalltalk(question):  # 「ありがとう」: neither a case nor out of scope
            return HandoffDecision(recommended=False, reason_ja=SMALLTALK_JA, **common)
        # a person is needed for what the model reads as a case: that makes it an IP matter whatever the wording
        in_scope = reading is None or reading.in_scope >= self.scope_threshold or reading.handoff >= self.handoff_threshold
        matches = self._matches(question, history, support, reading, in_scope)
        topic_scores = self._topic_scores(reading, categories, matches)
        if not matches:
            return self._no_handoff(question, in_scope, reading, topic_scores, facts, common)
        return self._recommend(question, matches, topic_scores, facts, in_scope, common)

    def _matches(
        self, question: str, history: list[Mapping[str, Any]], support: float | None,
        reading: SituationReading | None, in_scope: bool,
    ) -> list[TriggerMatch]:
        """Evidence for a handoff: the model's reading, then each rule."""
        r = self.rules
        found = r.explicit_request(question) + r.overridden(question)
        if in_scope:
            found += self._model_match(reading) + r.deadlines(question, self.today()) + r.outcome_prediction(question)
            dissatisfied = r.dissatisfied_turns(question, history)
            if len(dissatisfied) >= r.dissatisfaction_turns:
                found += [TriggerMatch(reason="dissatisfaction", phrase=p, urgency="low") for p in dissatisfied]
            if support is not None and support < self.min_support:
                found.append(TriggerMatch(reason="no-support", phrase=f"support={support:.2f}",
                                          urgency=r.reasons["no-support"].urgency))  # type: ignore[arg-type]
        return found

    def _model_match(self, reading: SituationReading | None) -> list[TriggerMatch]:
        if reading is None or reading.handoff < self.handoff_threshold:
            return []
        situation = reading.top_handoff_situation()
        code = self.rules.situation_reasons.get(situation)
        if code is None or code not in self.rules.reasons:
            return []
        phrase = f"状況モデル: {situation} {reading.situations[situation]:.2f}（引き継ぎ {reading.handoff:.2f}）"
        return [TriggerMatch(reason=code, phrase=phrase, urgency=self.rules.reasons[code].urgency)]  # type: ignore[arg-type]

    def _topic_scores(
        self, reading: SituationReading | None, retrieved: Sequence[str], matches: Sequence[TriggerMatch]
    ) -> list[tuple[str, float]]:
        """Category scores on the scale window ranking expects (≥ 1: a clear topic): model 2.5·p, retrieval +0.5."""
        scores: dict[str, float] = {}
        for cid, p in (reading.topics if reading else {}).items():
            if p >= 0.2:
                scores[cid] = 2.5 * p
        for cid in retrieved:
            if cid:
                scores[cid] = scores.get(cid, 0.0) + 0.5
        for code in dict.fromkeys(m.reason for m in matches):
            for cid in self.rules.reasons[code].topics:
                scores[cid] = scores.get(cid, 0.0) + 0.75
        ranked = sorted((kv for kv in scores.items() if kv[1] >= 0.5), key=lambda kv: (-kv[1], kv[0] == "support"))
        return ranked

    def _no_handoff(
        self, question: str, in_scope: bool, reading: SituationReading | None,
        topic_scores: list[tuple[str, float]], facts: Facts, common: dict[str, Any],
    ) -> HandoffDecision:
        topics = [c for c, _ in topic_scores]
        if not in_scope:  # no dead end: a business question gets the general SME windows
            general = self.rules.reasons["out-of-scope"].prefer_windows
            ranked = self.ranker.rank_windows(["out-of-scope"], [], question, facts.prefecture)
            windows = [w for w in ranked if w.id in general] or ranked[:2]
            return HandoffDecision(recommended=False, reason="out-of-scope", reason_ja=self.rules.reasons["out-of-scope"].label_ja,
                                   topics=[], windows=windows, in_scope=False, **common)
        resolved = reading is not None and reading.situation == "resolved"
        return HandoffDecision(recommended=False, reason_ja=RESOLVED_JA if resolved else NO_HANDOFF_JA, topics=topics, **common)

    def _recommend(
        self, question: str, matches: list[TriggerMatch], topic_scores: list[tuple[str, float]], facts: Facts,
        in_scope: bool, common: dict[str, Any],
    ) -> HandoffDecision:
        r = self.rules
        urgency_by_reason: dict[str, str] = {}
        for m in matches:
            cur = urgency_by_reason.get(m.reason)
            if cur is None or r.urgency_rank[m.urgency] > r.urgency_rank[cur]:
                urgency_by_reason[m.reason] = m.urgency
        order = {code: i for i, code in enumerate(r.precedence)}
        ordered = sorted(urgency_by_reason, key=lambda c: (-r.urgency_rank[urgency_by_reason[c]], order.get(c, len(order))))
        urgency = urgency_by_reason[ordered[0]]
        serious = set(ordered) - {"deadline", "no-support", "dissatisfaction"}
        if "deadline" in ordered and serious and r.deadline_escalation and \
                r.urgency_rank[r.deadline_escalation] > r.urgency_rank[urgency]:
            urgency = r.deadline_escalation
        reasons = ordered if in_scope else [*ordered, "out-of-scope"]
        windows = self.ranker.rank_windows(reasons, topic_scores, question, facts.prefecture)
        return HandoffDecision(
            recommended=True, reason=ordered[0], reason_ja="".join(r.reasons[c].label_ja for c in ordered),
            reasons=ordered, urgency=urgency, topics=[c for c, _ in topic_scores],  # type: ignore[arg-type]
            triggers=list(dict.fromkeys(m.phrase for m in matches if m.reason != "no-support")),
            matches=matches, windows=windows, in_scope=in_scope, **common,
        )

    def _cautions(self, question: str) -> list[str]:
        kinds = pii_kinds(question)
        out = [f"個人情報（{'・'.join(KIND_JA[k] for k in kinds)}）が含まれています。共有する前にご確認ください。"] if kinds else []
        return out + looks_confidential(question)

    def rank_windows(
        self, reasons: Sequence[str], topic_scores: Sequence[tuple[str, float]], question: str = "",
        prefecture: str | None = None,
    ) -> list[WindowRecommendation]:
        return self.ranker.rank_windows(reasons, topic_scores, question, prefecture)
