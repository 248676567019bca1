"""Handoff to a person: when (policy), what to hide (pii) and what to send (sheet).

Usage::

    policy = HandoffPolicy(windows_path=settings.resolved_windows_file)
    decision = policy.decide(question, history, support=0.8, categories=["trade-secret"])
    if decision.recommended:
        sheet = build_sheet(question, history, answer, citations, decision, facts=None, consent=False)
"""

from assistant.handoff.decision import HandoffDecision, TriggerMatch
from assistant.handoff.facts import Facts, detect_prefecture, detect_prefectures, extract_facts
from assistant.handoff.pii import Finding, find_pii, looks_confidential, mask_pii
from assistant.handoff.policy import HandoffPolicy, is_followup_of_handoff
from assistant.handoff.sheet import Citation, ConsultationSheet, build_sheet
from assistant.handoff.windows import Window, WindowRecommendation, load_windows

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
