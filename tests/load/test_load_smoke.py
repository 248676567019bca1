"""Keeps the load driver (``make load``) from rotting: a tiny real run against a real server, and its pure parts.

The smoke run speaks the same websocket protocol as the full load test; when a Streamlit upgrade or a UI change
(widget keys, page paths, answer texts) breaks the driver, this fails instead of ``make load`` quietly measuring
nothing.
"""

from __future__ import annotations

import json

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from assistant.messages import DISCLAIMER, REFUSALS
from assistant.ui.pages.chat import ERROR_JA, RATE_LIMIT_JA
from tests.load import instances, run_load


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert run_load.percentile(values, 50) == 50.0
    assert run_load.percentile(values, 95) == 95.0
    assert run_load.percentile(values, 99) == 99.0
    assert run_load.percentile([3.0], 99) == 3.0
    assert run_load.percentile([], 50) is None


def test_widget_key_from_streamlit_ids():
    assert run_load.widget_key("$$ID-57d48be0a0340000503ce1e325101d6e-chat_input") == "chat_input"
    assert run_load.widget_key("$$ID-07e8c56b9e5e34ef26e93d0591381ccd-tohandoff_c622158434b2") == (
        "tohandoff_c622158434b2"
    )


def _run(text: str, **kw) -> run_load.Run:
    run = run_load.Run(status=ForwardMsg.FINISHED_SUCCESSFULLY, **kw)
    run.texts[(0, 4, 1)] = text
    return run


def test_classify_answer_uses_the_apps_own_texts():
    assert run_load.classify_answer(_run("…本文…\n\n" + DISCLAIMER["ja"])) == "answered"
    assert run_load.classify_answer(_run(REFUSALS["no-support"]["ja"])) == "refused"
    assert run_load.classify_answer(_run(ERROR_JA)) == "error:answer_failed"
    assert run_load.classify_answer(_run(RATE_LIMIT_JA.format(limit=10, seconds=30))) == "error:rate_limited"
    assert run_load.classify_answer(_run("")) == "error:no_answer_shown"
    assert (
        run_load.classify_answer(_run(DISCLAIMER["ja"], exceptions=["ValueError: x"]))
        == "error:app_exception"
    )


def test_budget_bounds_requests():
    import time

    budget = run_load.Budget(max_requests=2, deadline=time.monotonic() + 60)
    assert budget.take() and budget.take() and not budget.take() and budget.exhausted
    assert not run_load.Budget(max_requests=5, deadline=time.monotonic() - 1).take()


def test_rss_verdict_tells_growth_from_noise():
    def wave(i: int, rss: float) -> run_load.WaveStat:
        return run_load.WaveStat(i, 20, 1 + 20 * i, 10.0, rss, 100, 14)

    assert (
        run_load.rss_verdict([wave(1, 460), wave(2, 462), wave(3, 461)], 400)["verdict"] == "flat (bounded)"
    )
    assert (
        run_load.rss_verdict([wave(1, 460), wave(2, 520), wave(3, 580)], 400)["verdict"]
        == "grows with sessions"
    )


@pytest.mark.e2e
def test_two_users_two_turns_against_a_real_server(tmp_path):
    code = run_load.main(
        [
            "--users", "2", "--waves", "1", "--max-turns", "2", "--handoff-every", "2",
            "--think-min", "0", "--think-max", "0", "--ramp", "0", "--settle", "0.5",
            "--max-seconds", "120", "--results-dir", str(tmp_path), "--quiet",
        ]
    )  # fmt: skip
    report = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    assert report["errors"]["count"] == 0, report["errors"]
    assert code == 0
    assert report["answers"] == 4 and report["answers_by_outcome"] == {"answered": 4}
    assert report["peak_concurrent_sessions"] == 2
    assert [s["turn"] for s in report["samples"] if s["op"] == "answer"].count(2) == 2  # the follow-up turn
    assert report["tickets"]["confirmed"] == 1 and not report["tickets"]["missing"]
    assert report["latency_s"]["answer"]["p50"] > 0 and report["throughput_answers_per_s"] > 0
    assert report["rss_mb"]["peak"] > 100 and report["waves"][0]["fds"] > 0
    assert "answers/s" in (tmp_path / "latest.md").read_text(encoding="utf-8")
    stages = report["profile"]["answer_stages_ms"]  # the server's own per-stage profile (CHIZAI_PROFILE_PATH)
    assert stages["total_ms"]["n"] == 4 and stages["embed_ms"]["n"] == 4 and stages["verify_ms"]["p50"] is not None
    assert report["profile"]["other_runs_ms"]["n"] >= 2  # page loads and the handoff


@pytest.mark.e2e
def test_two_instance_mode_against_real_servers(tmp_path, small_corpus):
    from tests.servers import CHROMA, pg_unavailable

    if pg_unavailable() or not CHROMA.exists():
        pytest.skip(pg_unavailable() or "chroma CLI not installed")
    code = run_load.main(
        [
            "--two-instances", "--corpus", str(small_corpus), "--users", "2", "--waves", "1", "--max-turns", "1",
            "--handoff-every", "2", "--think-min", "0", "--think-max", "0", "--ramp", "0", "--settle", "0.5",
            "--max-seconds", "120", "--results-dir", str(tmp_path), "--quiet",
        ]
    )  # fmt: skip
    reports = json.loads((tmp_path / "instances.json").read_text(encoding="utf-8"))
    assert [r["instances"] for r in reports] == [1, 2]
    for r in reports:
        assert r["errors"]["count"] == 0, r["errors"]
        assert r["answers"] == 2 and r["tickets"]["confirmed"] == 1 and not r["tickets"]["missing"]
    assert reports[1]["waves"][0]["threads"] > reports[0]["waves"][0]["threads"]  # two servers' figures, summed
    assert code == 0
    assert "answers/s" in (tmp_path / "instances.md").read_text(encoding="utf-8")


def test_summed_stats_add_up_processes():
    import os

    one = run_load.ProcStats(os.getpid()).sample()
    both = instances.SummedStats([os.getpid(), os.getpid()]).sample()
    assert both["threads"] == 2 * one["threads"] and both["rss_mb"] > 1.5 * one["rss_mb"]
