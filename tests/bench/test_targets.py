"""Issue 17's target table on a hand-made result: each figure beside its load average, met or not."""

from __future__ import annotations

from bench import targets
from bench.report import render_markdown


def _phase(before: float, after: float) -> dict:
    return {"load_average_before": [before, 1.0, 1.0], "load_average_after": [after, 1.0, 1.0]}


RESULTS = {
    "ingest": {"pages_per_s": 6.5, "share_of_ceiling": 0.91, "seconds": 160.0, "tokens_embedded": 400000,
               "tokens_per_s": 2500.0, "stages": {"parse": 40.0, "embed": 150.0}, "phase": _phase(0.5, 2.1),
               "reingest_unchanged": {"seconds": 0.8}, "ceiling": {"passages": 192, "tokens": 40000, "batch": 32,
               "workers": 2, "policy_sorted": {"tokens_per_s": 2750.0}, "policy_unsorted": {"tokens_per_s": 2740.0},
               "one_call_two_openmp_threads": {"tokens_per_s": 2600.0}}},
    "first_answer": {"shipped_vectors": {"seconds_to_first_answer": 10.3, "load_average_before": [0.4, 1, 1],
                                         "load_average_after": [0.9, 1, 1], "ingest": {"seconds": 2.4}},
                     "embed_first": {"seconds_to_first_answer": 109.0}, "keyword_first_lower_bound_s": 9.4,
                     "keyword_first_background_embedding_s": 102.0},
    "contention": {"one_core_busy": {"embed_and_search_ms": {"p50": 48.0, "p95": 170.0}}, "phase": _phase(1.0, 1.9)},
    "local_llm": {"idle": [{"question": "q", "model_first_token_s": 4.0}, {"question": "r", "model_first_token_s": 6.0},
                           {"question": "s", "model_first_token_s": 4.5}], "one_core_busy": [], "phase": _phase(0.2, 1.5)},
}  # fmt: skip


def test_each_target_is_judged_against_its_limit_with_its_load():
    by_name = {r[0]: r for r in targets.rows(RESULTS)}
    assert by_name["first answer on a fresh data dir (make run → answer shown)"][1:] == ["10.3 s", "0.4 → 0.9", "**met**"]
    assert by_name["ingest of shared/realdocs, pages/s"][3] == "**not met**"
    assert by_name["ingest tokens/s ÷ embedder's ceiling"][3] == "**met**"
    assert by_name["query embedding + hybrid search p50, one core busy"][3] == "**met**"
    assert by_name["query embedding + hybrid search p95, one core busy"][3] == "**not met**"
    assert by_name["local LLM first token, idle (median)"][1:] == ["4.5 s", "0.2 → 1.5", "**met**"]


def test_the_report_carries_the_targets_and_an_unmeasured_run_says_so():
    text = "\n".join(targets.markdown(RESULTS))
    assert "## Issue 17 targets" in text and "Embedder ceiling" in text and "Cold start" in text
    assert targets.markdown({}) == []
    assert targets.rows({"ingest": {"pages_per_s": 9.0}})[1][3] == "**met**"
    assert targets.rows({})[0][1] == "not measured"
    assert "## Issue 17 targets" not in render_markdown({"kind": "quick"})
