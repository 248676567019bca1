"""Handoff to a person: when (policy), what to hide (pii) and what to send (sheet).

Usage::

    policy = HandoffPolicy.from_settings(get_settings())
    decision = policy.decide(question, history, support=0.8, categories=["trade-secret"])
    if decision.recommended:
        sheet = build_sheet(question, history, answer, citations, decision, facts=None, consent=False)
"""

from assistant.handoff.facts import Facts, detect_prefecture, detect_prefectures, extract_facts
from assistant.handoff.pii import Finding, find_pii, looks_confidential, mask_pii
from assistant.handoff.policy import (
    HandoffDecision,
    HandoffPolicy,
    TriggerMatch,
    Window,
    WindowRecommendation,
    is_followup_of_handoff,
    load_windows,
)
from assistant.handoff.sheet import Citation, ConsultationSheet, build_sheet

__all__ = [
    "Citation",
    "ConsultationSheet",
    "Facts",
    "Finding",
    "HandoffDecision",
    "HandoffPolicy",
    "TriggerMatch",
    "Window",
    "WindowRecommendation",
    "build_sheet",
    "detect_prefecture",
    "detect_prefectures",
    "extract_facts",
    "find_pii",
    "is_followup_of_handoff",
    "load_windows",
    "looks_confidential",
    "mask_pii",
]
