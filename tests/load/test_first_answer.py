"""The cold-start driver (``tests/load/first_answer.py``) keeps working: make run on a fresh data dir answers."""

from __future__ import annotations

import pytest

from tests.load.first_answer import measure


@pytest.mark.e2e
def test_make_run_on_a_fresh_data_dir_answers_its_first_question():
    result = measure(shipped_vectors=True)
    assert result["outcome"] == "answered", result
    assert result["ingest"]["files"] >= 150 and result["ingest"]["chunks"] > 1000
    assert 0 < result["seconds_to_server_healthy"] < result["seconds_to_first_answer"]
