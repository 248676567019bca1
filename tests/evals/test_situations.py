"""The situation model on data nothing was tuned on: the CI gate on the blind test split, and the model's interface."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.handoff.situation import SITUATIONS, load_model
from evals.situations import data, report
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def result(tmp_path_factory):  # noqa: ANN001, ANN201
    return report.run(make_settings(tmp_path_factory.mktemp("sit")))


def test_blind_test_handoff_f1_holds_against_the_baseline(result) -> None:  # noqa: ANN001
    """Fails when test-split handoff F1 drops by more than 0.03 below evals/baselines/situations.json."""
    assert report.gate(result) == []
    assert result["test"]["n"] >= 300 and result["paraphrase"]["n"] >= 150


def test_gate_notices_a_drop(result) -> None:  # noqa: ANN001
    worse = json.loads(json.dumps(result))
    worse["test"]["handoff"]["f1"] -= report.GATE_TOLERANCE + 0.01
    assert report.gate(worse)


def test_splits_never_share_a_scenario_and_blind_items_never_train() -> None:
    train, dev = data.split_pool()
    assert not {i.scenario for i in train} & {i.scenario for i in dev}
    pool_texts = {i.text for i in train + dev}
    assert not pool_texts & {i.text for i in data.load("test")}


def test_model_reads_probabilities() -> None:
    model = load_model()
    rng = np.random.default_rng(0)
    vector = rng.normal(size=384)
    reading = model.read("取引先から図面を出せと言われた", [], vector / np.linalg.norm(vector))
    assert set(reading.situations) == set(SITUATIONS) and abs(sum(reading.situations.values()) - 1) < 1e-6
    assert 0 <= reading.in_scope <= 1 and 0 <= reading.handoff <= 1 and set(reading.topics) == set(model.topics)
