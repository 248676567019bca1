"""``rules.yaml`` compiled: what rules decide beside the situation model, and how each reason is presented.

Rules keep what rules do well: an explicit request for a person, a deadline found by parsing dates relative to
today, advisor overrides, repeated dissatisfaction. Each returns :class:`TriggerMatch` evidence that ends up in
``handoff.triggers`` and on the consultation sheet.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from assistant.handoff.conversation import message_role, message_text
from assistant.handoff.dates import find_dates
from assistant.handoff.decision import TriggerMatch
from assistant.handoff.reasons import Category, Reason
from chizai.text.normalize import keyword_pattern, nfkc
from chizai.text.sentences import sentence_bounds

DEFAULT_RULES_PATH = Path(__file__).with_name("rules.yaml")


def _compiled(patterns: Sequence[str] | None) -> list[re.Pattern[str]]:
    return [re.compile(p) for p in patterns or []]


class Rules:
    """The compiled file; every list and number an advisor may change lives in ``rules.yaml``."""

    def __init__(self, path: Path = DEFAULT_RULES_PATH) -> None:
        self.path = path
        data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        th = data.get("thresholds", {})
        self.model_thresholds: dict[str, float | None] = dict(data.get("model") or {})
        self.situation_reasons: dict[str, str] = dict(data.get("situation_reasons") or {})
        self.dissatisfaction_turns = int(th.get("dissatisfaction_turns", 2))
        self.max_windows = int(th.get("max_windows", 5))
        self.min_window_score = float(th.get("min_window_score", 2.5))
        self.deadline_horizon = int(th.get("deadline_horizon_days", 60))
        self.deadline_missed = int(th.get("deadline_missed_days", 180))
        self.deadline_urgent = int(th.get("deadline_urgent_days", 7))
        self.urgency_rank: dict[str, int] = dict(data.get("urgency_rank", {"low": 1, "medium": 2, "high": 3}))
        self.precedence: list[str] = list(data.get("precedence", []))
        self.deadline_escalation: str | None = (data.get("escalation") or {}).get("deadline_with_other")
        self.deadline_cues = _compiled(data.get("deadline_cues"))
        self.smalltalk = _compiled(data.get("smalltalk"))
        self.overrides = [(re.compile(o["pattern"]), str(o["reason"])) for o in data.get("overrides") or []]
        self.reasons = {code: _reason(code, spec) for code, spec in (data.get("reasons") or {}).items()}
        self.categories = {
            cid: Category(cid, spec.get("label_ja", cid), tuple(spec.get("prefer_windows", ())))
            for cid, spec in (data.get("categories") or {}).items()
        }
        self.window_requires_reason = {w: set(c) for w, c in (data.get("window_requires_reason") or {}).items()}
        self.window_hints = {w: [keyword_pattern(str(k)) for k in kws] for w, kws in (data.get("window_hints") or {}).items()}

    # -- rule matches ---------------------------------------------------------------------------------------
    def explicit_request(self, text: str) -> list[TriggerMatch]:
        return self._first_match("explicit-request", text)

    def outcome_prediction(self, text: str) -> list[TriggerMatch]:
        """Asked to predict winning or losing: a judgment on a case whatever the wording."""
        return self._first_match("legal-judgment", text)

    def overridden(self, text: str) -> list[TriggerMatch]:
        norm = nfkc(text).lower()
        return [
            TriggerMatch(reason=code, phrase=m.group(0), urgency=self.reasons[code].urgency)  # type: ignore[arg-type]
            for rx, code in self.overrides if code in self.reasons and (m := rx.search(norm))
        ]

    def deadlines(self, text: str, today: date) -> list[TriggerMatch]:
        """Dates within the horizon (or recently missed) in a sentence that also carries a deadline cue."""
        norm = nfkc(text).lower()
        found = []
        for d in find_dates(norm, today):
            s0, s1 = sentence_bounds(norm, d.start, d.end)
            days = d.days_from(today)
            if not any(c.search(norm[s0:s1]) for c in self.deadline_cues):
                continue
            if -self.deadline_missed <= days <= self.deadline_horizon:
                urgency = "high" if days <= self.deadline_urgent else self.reasons["deadline"].urgency
                label = f"{d.phrase}（{d.when:%-m月%-d日}、{'あと' + str(days) + '日' if days >= 0 else str(-days) + '日前に経過'}）"
                found.append(TriggerMatch(reason="deadline", phrase=label, urgency=urgency))  # type: ignore[arg-type]
        return found[:1]

    def dissatisfied_turns(self, question: str, history: Sequence[Mapping[str, Any] | str]) -> list[str]:
        """User turns after an answer that complain about it (turns before any answer do not count)."""
        reason = self.reasons.get("dissatisfaction")
        if reason is None:
            return []
        phrases, answered = [], False
        for role, text in [(message_role(m), message_text(m)) for m in history] + [("user", question)]:
            if role != "user":
                answered = answered or role != "system"
                continue
            if answered and (m := next((m for p in reason.patterns if (m := p.search(nfkc(text).lower()))), None)):
                phrases.append(m.group(0))
        return phrases

    def is_smalltalk(self, text: str) -> bool:
        norm = nfkc(text).strip().lower()
        return any(p.search(norm) for p in self.smalltalk)

    def _first_match(self, code: str, text: str) -> list[TriggerMatch]:
        reason = self.reasons.get(code)
        norm = nfkc(text).lower()
        for p in reason.patterns if reason else ():
            if m := p.search(norm):
                return [TriggerMatch(reason=code, phrase=m.group(0), urgency=reason.urgency)]  # type: ignore[arg-type]
        return []


def _reason(code: str, spec: Mapping[str, Any]) -> Reason:
    return Reason(
        code=code,
        label_ja=spec.get("label_ja", code),
        urgency=spec.get("urgency", "medium"),
        handles=tuple(spec.get("handles", ())),
        prefer_windows=tuple(spec.get("prefer_windows", ())),
        topics=tuple(spec.get("topics", ())),
        patterns=_compiled(spec.get("patterns")),
    )
