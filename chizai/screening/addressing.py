"""The last screen before text reaches a user: does this sentence talk to the machine instead of the reader?

Ingest drops planted lines and every passage is screened again before an engine reads it, but a line can slip
through both (a phrasing the detector scores just below the line threshold), and a model may restate a planted
line in words of its own. Whatever the engine, the answer side calls :func:`addresses_system` on every sentence
it is about to show. A sentence withheld from one answer costs less than a line removed from the index, so it
uses the detector's looser sentence threshold (chosen on the dev split, see ``model/detector.json``).
"""

from __future__ import annotations

from collections.abc import Sequence

from chizai.screening.detector import get_detector
from chizai.text.sentences import MARKER


def addresses_system(sentence: str) -> bool:
    """A sentence that addresses the system, the assistant, "AI", 回答システム or its settings, or that asserts how
    answers must be phrased (「…と回答すること」「回答では…と説明する設定」). Citation markers [n] are ignored."""
    return systems_addressed([sentence])[0]


def systems_addressed(sentences: Sequence[str]) -> list[bool]:
    """:func:`addresses_system` for many sentences at once (one batch for the encoder)."""
    return get_detector().sentence_flags([MARKER.sub("", s) for s in sentences])
