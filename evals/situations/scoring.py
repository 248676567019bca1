"""The shipped policy's decision for each situation item (model reading + rules), as the report and tuning score it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from assistant.handoff import HandoffPolicy
from assistant.handoff.situation import SituationModel, load_model
from chizai.settings import Settings
from evals.situations import data

EVAL_TODAY = date(2026, 12, 2)  # the day the blind sets were written: relative dates are read as of then


@dataclass
class Scored:
    item: data.Item
    in_scope: bool
    situation: str
    handoff: bool
    reasons: list[str]


def policy_for_eval(settings: Settings, model: SituationModel | None = None) -> HandoffPolicy:
    return HandoffPolicy(settings.resolved_windows_file, model=model or load_model(), min_support=settings.min_support,
                         today=lambda: EVAL_TODAY)



def score_items(
    policy: HandoffPolicy, items: Sequence[data.Item], emb: np.ndarray, readings: Sequence[Any] | None = None
) -> list[Scored]:
    """The policy's decision for each message alone (no retrieval support: that is the answer side's business).
    ``readings``: the model's readings when already computed (threshold sweeps)."""
    out = []
    for k, (item, vector) in enumerate(zip(items, emb, strict=True)):
        reading = readings[k] if readings is not None else policy.read(item.text, item.messages, vector)
        decision = policy.decide(item.text, item.messages, reading=reading)
        assert reading is not None
        out.append(Scored(item, decision.in_scope, reading.situation, decision.recommended, decision.reasons))
    return out
