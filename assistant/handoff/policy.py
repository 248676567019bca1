"""When to hand a consultation to a person, why, how urgently, and to which window.

The policy is deliberately rule-based (``rules.yaml``) so that advisors can read and change it: a handoff
that was not needed wastes an advisor's time, one that was missed leaves an SME alone with a warning letter.
Well supported general questions are answered by the assistant; incidents, disputes, deadlines,
case-specific legal judgments, explicit requests, repeated dissatisfaction and questions the corpus cannot
support go to a person.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from assistant.handoff.decision import HandoffDecision, TriggerMatch
from assistant.handoff.facts import extract_facts
from assistant.handoff.pii import KIND_JA, looks_confidential, pii_kinds
from assistant.handoff.rules import Category, Pattern, Reason
from assistant.handoff.windows import WindowRanker, WindowRecommendation, load_windows
from chizai.screening.instructions import is_injection
from chizai.text.normalize import keyword_pattern, nfkc
from chizai.text.sentences import sentence_bounds

log = logging.getLogger(__name__)

DEFAULT_RULES_PATH = Path(__file__).with_name("rules.yaml")

ALREADY_HANDED_OFF = "already-handed-off"
# A case is with a person once a message says so: an advisor wrote, or the handoff was sent/accepted.
HUMAN_ROLES = frozenset({"advisor", "staff", "operator", "human", "consultant", "human_agent"})
ACTIVE_STATUSES = frozenset({"sent", "accepted", "assigned", "open", "in_progress", "in-progress", "pending"})
CLOSED_STATUSES = frozenset({"closed", "resolved", "done", "returned", "cancelled", "canceled", "declined"})




def _message_text(message: Mapping[str, Any] | str) -> str:
    if isinstance(message, str):
        return message
    value = message.get("content", message.get("text", ""))
    return value if isinstance(value, str) else ""


def _role(message: Mapping[str, Any] | str) -> str:
    return "user" if isinstance(message, str) else str(message.get("role", "user"))


def _distinct_phrases(phrases: Iterable[str]) -> list[str]:
    """Matched phrases minus duplicates and phrases inside a longer one (担当者につないで ⊂ …ください)."""
    unique = list(dict.fromkeys(p for p in phrases if p))
    return [p for p in unique if not any(p != q and p in q for q in unique)]


def is_followup_of_handoff(history: Sequence[Mapping[str, Any]] = ()) -> bool:
    """True when a person already has the case, so the bot must not answer again.

    Recognised markers (the latest one wins): a message whose role is a person (advisor, staff, operator …); a
    ``handoff_status``/``handoff.status`` of sent/accepted/assigned/open (closed/resolved/declined ends it);
    ``handoff: True`` or ``handoff: {"sent": True}``. A mere recommendation is not a handoff: the user may
    decline it.
    """
    with_person = False
    for msg in history or ():
        if isinstance(msg, str):
            continue
        if _role(msg) in HUMAN_ROLES:
            with_person = True
            continue
        marker = msg.get("handoff")
        status = msg.get("handoff_status")
        if status is None and isinstance(marker, Mapping):
            status = marker.get("status")
        if status is not None:
            status = str(status).lower()
            if status in ACTIVE_STATUSES:
                with_person = True
            elif status in CLOSED_STATUSES:
                with_person = False
            continue
        sent = isinstance(marker, Mapping) and bool(marker.get("sent") or marker.get("accepted"))
        if marker is True or msg.get("handoff_sent") is True or sent:
            with_person = True
    return with_person


class HandoffPolicy:
    """Compiled ``rules.yaml`` plus the windows directory; ``decide`` is pure and cheap (regexes only)."""

    def __init__(self, windows_path: Path | str, rules_path: Path | str | None = None) -> None:
        self.rules_path = Path(rules_path) if rules_path else DEFAULT_RULES_PATH
        self.windows_path = Path(windows_path)
        self.rules: dict[str, Any] = yaml.safe_load(self.rules_path.read_text(encoding="utf-8"))
        self.windows = load_windows(self.windows_path)
        self._windows_by_id = {w.id: w for w in self.windows}
        self._compile()

    # -- setup ----------------------------------------------------------------------------------------------
    def _compile(self) -> None:
        r = self.rules
        th = r.get("thresholds", {})
        self.no_support_threshold: float = float(th.get("no_support", 0.35))
        self.dissatisfaction_turns: int = int(th.get("dissatisfaction_turns", 2))
        self.max_windows: int = int(th.get("max_windows", 5))
        self.min_window_score: float = float(th.get("min_window_score", 2.0))
        self.urgency_rank: dict[str, int] = dict(r.get("urgency_rank", {"low": 1, "medium": 2, "high": 3}))
        self.precedence: list[str] = list(r.get("precedence", []))
        self.deadline_escalation: str | None = r.get("escalation", {}).get("deadline_with_other")
        hyp = r.get("hypothetical", {})
        self._hyp_after = re.compile(hyp["after"]) if hyp.get("after") else None
        self._hyp_before = re.compile(hyp["before"]) if hyp.get("before") else None
        self._smalltalk = [re.compile(p) for p in r.get("smalltalk", [])]
        self.no_support_requires_ip_topic: bool = bool(r.get("no_support_requires_ip_topic", True))

        self.reasons: dict[str, Reason] = {}
        for code, spec in r.get("reasons", {}).items():
            patterns: list[Pattern] = []
            for item in spec.get("patterns") or []:
                if isinstance(item, str):
                    patterns.append(Pattern(re.compile(item), None, ()))
                else:
                    patterns.append(
                        Pattern(
                            re.compile(item["pattern"]), item.get("urgency"), tuple(item.get("topics", ()))
                        )
                    )
            self.reasons[code] = Reason(
                code=code,
                label_ja=spec.get("label_ja", code),
                urgency=spec.get("urgency", "medium"),
                handles=tuple(spec.get("handles", ())),
                prefer_windows=tuple(spec.get("prefer_windows", ())),
                topics=tuple(spec.get("topics", ())),
                patterns=patterns,
                unless=[re.compile(p) for p in spec.get("unless", [])],
                hypothetical=bool(spec.get("hypothetical", False)),
            )
        self.categories: dict[str, Category] = {}
        for cid, spec in r.get("categories", {}).items():
            kws = [(keyword_pattern(str(k)), 1.0, str(k)) for k in spec.get("keywords", [])]
            kws += [(keyword_pattern(str(k)), 0.5, str(k)) for k in spec.get("weak", [])]
            self.categories[cid] = Category(
                cid, spec.get("label_ja", cid), kws, tuple(spec.get("prefer_windows", ()))
            )
        self.window_requires_reason: dict[str, set[str]] = {
            wid: set(codes) for wid, codes in (r.get("window_requires_reason") or {}).items()
        }
        self.window_hints: dict[str, list[re.Pattern[str]]] = {
            wid: [keyword_pattern(str(k)) for k in kws] for wid, kws in (r.get("window_hints") or {}).items()
        }
        self.ranker = WindowRanker(
            self.windows, self.reasons, self.categories, self.window_requires_reason, self.window_hints,
            self.max_windows, self.min_window_score,
        )

    def unknown_window_ids(self) -> list[str]:
        """Window ids named in rules.yaml but missing from windows.yaml (skipped, but worth fixing)."""
        named = {w for r in self.reasons.values() for w in r.prefer_windows}
        named |= {w for c in self.categories.values() for w in c.prefer_windows}
        named |= set(self.window_hints)
        return sorted(named - set(self._windows_by_id))

    # -- matching -------------------------------------------------------------------------------------------
    def _match_reason(self, reason: Reason, text: str) -> list[TriggerMatch]:
        found: list[TriggerMatch] = []
        for pat in reason.patterns:
            for m in pat.regex.finditer(text):
                s0, s1 = sentence_bounds(text, m.start(), m.end())
                sentence = text[s0:s1]
                if any(u.search(sentence) for u in reason.unless):
                    continue
                if reason.hypothetical and self._is_hypothetical(text, m, s0, s1):
                    continue
                found.append(
                    TriggerMatch(
                        reason=reason.code,
                        phrase=m.group(0).strip(),
                        urgency=pat.urgency or reason.urgency,  # type: ignore[arg-type]
                        topics=list(pat.topics),
                    )
                )
                break  # one hit per pattern is enough evidence
        return found

    def _is_hypothetical(self, text: str, m: re.Match[str], s0: int, s1: int) -> bool:
        after, before = text[m.end() : s1], text[s0 : m.start()]
        return bool(
            (self._hyp_after and self._hyp_after.search(after))
            or (self._hyp_before and self._hyp_before.search(before))
        )

    def match_triggers(self, question: str) -> list[TriggerMatch]:
        """Trigger phrases in one message (no history, no support score)."""
        text = nfkc(question).lower()
        out: list[TriggerMatch] = []
        for code, reason in self.reasons.items():
            if code in ("dissatisfaction", "no-support"):
                continue
            out.extend(self._match_reason(reason, text))
        return out

    def _dissatisfied_turns(self, question: str, history: Sequence[Mapping[str, Any]]) -> list[str]:
        """User turns complaining about an earlier answer (turns before any assistant answer do not count)."""
        reason = self.reasons.get("dissatisfaction")
        if reason is None:
            return []
        phrases: list[str] = []
        answered = False
        turns = [(_role(m), _message_text(m)) for m in history or ()] + [("user", question)]
        for role, text in turns:
            if role in ("assistant", "bot", "system") or role in HUMAN_ROLES:
                answered = answered or role != "system"
                continue
            if not answered:
                continue
            norm = nfkc(text).lower()
            for pat in reason.patterns:
                if m := pat.regex.search(norm):
                    phrases.append(m.group(0))
                    break
        return phrases

    def infer_topics(
        self, text: str, extra: Iterable[tuple[str, float]] = (), retrieved: Iterable[str] = ()
    ) -> list[str]:
        """Category ids by evidence: keywords (strong 1 / weak 0.5), trigger topics, retrieved docs (0.5)."""
        return [c for c, _ in self._topic_scores(text, extra, retrieved)]

    def _topic_scores(
        self, text: str, extra: Iterable[tuple[str, float]] = (), retrieved: Iterable[str] = ()
    ) -> list[tuple[str, float]]:
        norm = nfkc(text)
        scores: dict[str, float] = {}
        for cid, cat in self.categories.items():
            s = sum(w for rx, w, _ in cat.keywords if rx.search(norm))
            if s:
                scores[cid] = min(s, 3.0)
        for cid, w in extra:
            scores[cid] = scores.get(cid, 0.0) + w
        for cid in retrieved:
            scores[cid] = scores.get(cid, 0.0) + 0.5
        ranked = sorted(
            (kv for kv in scores.items() if kv[1] >= 0.5), key=lambda kv: (-kv[1], kv[0] == "support")
        )
        return ranked

    # -- decision -------------------------------------------------------------------------------------------
    def decide(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]] = (),
        support: float | None = None,
        categories: Sequence[str] = (),
        prefecture: str | None = None,
    ) -> HandoffDecision:
        """Decide for the latest user message; ``support`` = retrieval support in [0, 1] (None = unknown)."""
        history = list(history or ())
        user_texts = [question] + [_message_text(m) for m in reversed(history) if _role(m) == "user"]
        facts = extract_facts(user_texts)
        if prefecture:
            facts.prefecture = prefecture
        cautions = self._cautions(question)

        if is_followup_of_handoff(history):
            return HandoffDecision(
                recommended=True,
                reason=ALREADY_HANDED_OFF,
                reason_ja=(
                    "この相談はすでに担当者に引き継がれています。"
                    "AI からの回答は控え、担当者からの連絡をお待ちいただきます。"
                ),
                reasons=[ALREADY_HANDED_OFF],
                prefecture=facts.prefecture,
                facts=facts,
                support=support,
                bot_may_answer=False,
                cautions=cautions,
            )

        lowered = nfkc(question).strip().lower()
        if is_injection(question):
            # An advisor should not receive attempts to rewrite the assistant; the answer side refuses.
            return HandoffDecision(
                recommended=False,
                reason_ja="指示の書き換えを求める入力のため、担当者には引き継ぎません。",
                topics=self.infer_topics(question),
                prefecture=facts.prefecture,
                facts=facts,
                support=support,
                cautions=cautions,
                injection_suspected=True,
            )

        matches = self.match_triggers(question)
        pattern_topics = [t for m in matches for t in m.topics]
        # "No support" only means something for an IP question (a strong keyword, not just 費用 or 写真);
        # weather or recipes are out of scope and the answer side declines them.
        in_scope = not self.no_support_requires_ip_topic or any(
            c != "support" and score >= 1.0 for c, score in self._topic_scores(question)
        )
        dissatisfied = self._dissatisfied_turns(question, history)
        if len(dissatisfied) >= self.dissatisfaction_turns:
            matches += [TriggerMatch(reason="dissatisfaction", phrase=p, urgency="low") for p in dissatisfied]
        if (
            support is not None
            and support < self.no_support_threshold
            and "no-support" in self.reasons
            and in_scope
            and not any(p.search(lowered) for p in self._smalltalk)
        ):
            matches.append(
                TriggerMatch(
                    reason="no-support",
                    phrase=f"support={support:.2f}",
                    urgency=self.reasons["no-support"].urgency,
                )  # type: ignore[arg-type]
            )

        reason_codes = list(dict.fromkeys(m.reason for m in matches))
        extra = [(t, 1.0) for t in pattern_topics]
        extra += [(t, 0.75) for code in reason_codes for t in self.reasons[code].topics]
        topic_scores = self._topic_scores(question, extra, categories)
        topics = [c for c, _ in topic_scores]

        if not matches:
            why = (
                "一般的なご質問で、資料による裏付けがあるため、担当者への引き継ぎは不要と判断しました。"
                if support is not None
                else "紛争・期限・個別の判断・担当者へのご希望など、引き継ぎが必要な事情は見当たりません。"
            )
            return HandoffDecision(
                recommended=False,
                reason=None,
                reason_ja=why,
                topics=topics,
                prefecture=facts.prefecture,
                facts=facts,
                support=support,
                cautions=cautions,
            )

        urgency_by_reason: dict[str, str] = {}
        for m in matches:
            cur = urgency_by_reason.get(m.reason)
            if cur is None or self.urgency_rank[m.urgency] > self.urgency_rank[cur]:
                urgency_by_reason[m.reason] = m.urgency
        order = {code: i for i, code in enumerate(self.precedence)}
        primary = sorted(
            reason_codes, key=lambda c: (-self.urgency_rank[urgency_by_reason[c]], order.get(c, len(order)))
        )[0]
        urgency = max(urgency_by_reason.values(), key=lambda u: self.urgency_rank[u])
        serious = set(reason_codes) - {"deadline", "no-support", "dissatisfaction"}
        escalate = self.deadline_escalation
        if (
            "deadline" in reason_codes
            and serious
            and escalate
            and self.urgency_rank[escalate] > self.urgency_rank[urgency]
        ):
            urgency = escalate
        ordered_reasons = [primary] + [
            c for c in sorted(reason_codes, key=lambda c: order.get(c, 99)) if c != primary
        ]
        reason_ja = "".join(self.reasons[c].label_ja for c in ordered_reasons)
        windows = self.rank_windows(ordered_reasons, topic_scores, question, facts.prefecture)
        return HandoffDecision(
            recommended=True,
            reason=primary,
            reason_ja=reason_ja,
            reasons=ordered_reasons,
            urgency=urgency,  # type: ignore[arg-type]
            topics=topics,
            triggers=_distinct_phrases(m.phrase for m in matches if m.reason != "no-support"),
            matches=matches,
            windows=windows,
            prefecture=facts.prefecture,
            facts=facts,
            support=support,
            cautions=cautions,
        )

    def _cautions(self, question: str) -> list[str]:
        out: list[str] = []
        kinds = pii_kinds(question)
        if kinds:
            out.append(
                f"個人情報（{'・'.join(KIND_JA[k] for k in kinds)}）が含まれています。"
                "共有する前にご確認ください。"
            )
        out += looks_confidential(question)
        return out

    def rank_windows(
        self, reasons: Sequence[str], topic_scores: Sequence[tuple[str, float]], question: str = "",
        prefecture: str | None = None,
    ) -> list[WindowRecommendation]:
        return self.ranker.rank_windows(reasons, topic_scores, question, prefecture)
