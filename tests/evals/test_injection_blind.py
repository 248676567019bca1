"""Regression over the blind set's FROZEN split: the rates stay at or better than the committed ones.

Only the frozen split is read here (the holdout split stays an honest estimate; see evals/injection/blind/README.md).
Nothing may be tuned to make this pass: a change that lowers these rates needs a better detector, not a new baseline.
"""

from __future__ import annotations

import json

import pytest

from evals.injection_blind import BASELINE, blind_lines, measure

HIGHER_IS_BETTER = ("detector_detection", "planted_never_indexed", "planted_never_shown")
LOWER_IS_BETTER = ("detector_false_removal", "benign_removed_rate")


@pytest.fixture(scope="module")
def frozen() -> dict:
    return measure(splits=("frozen",))["frozen"]["overall"]


def test_the_frozen_split_is_what_its_readme_says():
    lines = [x for x in blind_lines() if x.split == "frozen"]
    assert sum(x.injection for x in lines) == 181 and sum(not x.injection for x in lines) == 239


def test_frozen_split_rates_hold(frozen):
    committed = json.loads(BASELINE.read_text(encoding="utf-8"))["frozen"]
    worse = [f"{k}: {committed[k]} → {frozen[k]}" for k in HIGHER_IS_BETTER if frozen[k] < committed[k]]
    worse += [f"{k}: {committed[k]} → {frozen[k]}" for k in LOWER_IS_BETTER if frozen[k] > committed[k]]
    assert not worse, worse
