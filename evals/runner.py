"""Drive the assistant's own Python API over a gold set and turn every question into per-item records.

One run evaluates the same questions with every retrieval system (BM25 only, dense only, hybrid with weighted
and with RRF fusion, the naive LangChain baseline) and every requested answer engine. Records are plain dicts;
``evals.metrics.summary`` aggregates them and ``evals.report`` writes them out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.answer.pipeline import Assistant
from assistant.answer.result import AnswerResult
from assistant.messages import CONCLUSION, DISCLAIMER, LEAD, NEXT_STEPS, POINTS, REFUSALS
from assistant.retrieval.hybrid import HybridRetriever
from assistant.retrieval.query import expand_query
from chizai.index.embedders import NamedEmbeddings
from chizai.index.embedding_cache import build_embedder
from chizai.settings import Settings
from evals.gold import GoldItem
from evals.metrics import answers as am
from evals.metrics.behaviour import behaviour_ok, refusal_correct
from evals.metrics.handoff import window_routed
from evals.metrics.retrieval import article_matches, distinct, page_key, ranking_scores

SYSTEMS = ("bm25", "dense", "hybrid-weighted", "hybrid-rrf", "hybrid-learned", "naive")
RETRIEVE_K = 20  # chunks asked for: with at most 2 per document that is ≥ 10 distinct documents
RANKED_KEPT = 10
BOILERPLATE = (
    tuple(LEAD.values())
    + tuple(CONCLUSION.values())
    + tuple(POINTS.values())
    + tuple(DISCLAIMER.values())
    + tuple(NEXT_STEPS.values())
    + tuple(text for by_lang in REFUSALS.values() for text in by_lang.values())
)

Tick = Callable[[str], None]


@dataclass
class Unit:
    """One retrieved chunk reduced to what the metrics look at."""

    doc_id: str
    source: str
    page: int | None
    section: str | None


@dataclass
class Systems:
    """Retrieval systems under comparison, each a function query → ranked units."""

    search: dict[str, Callable[[str], list[Unit]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def hybrid_variants(settings: Settings) -> dict[str, Settings]:
    return {
        "hybrid-weighted": settings.model_copy(update={"fusion": "weighted"}),
        "hybrid-rrf": settings.model_copy(update={"fusion": "rrf"}),
        "hybrid-learned": settings.model_copy(update={"fusion": "learned"}),
    }


def make_systems(
    settings: Settings,
    names: Sequence[str],
    *,
    embedder: NamedEmbeddings | None = None,
    naive: Any | None = None,
    per_doc_cap: int | None = None,
) -> Systems:
    """Retrievers over the same index; ``per_doc_cap`` lifts the per-document cap (realdocs: 4 documents)."""
    embedder = embedder or build_embedder(settings)
    if per_doc_cap:
        settings = settings.model_copy(update={"max_chunks_per_doc": per_doc_cap})
    systems = Systems()
    base = HybridRetriever(settings, embedder=embedder)

    def legs(retriever: HybridRetriever, which: tuple[str, ...]) -> Callable[[str], list[Unit]]:
        def run(query: str) -> list[Unit]:
            hits = retriever.search(query, k=RETRIEVE_K, legs=which)
            return [Unit(h.chunk.doc_id, h.chunk.source, h.chunk.page, h.chunk.section) for h in hits]

        return run

    for name in names:
        if name == "bm25":
            systems.search[name] = legs(base, ("bm25",))
        elif name == "dense":
            systems.search[name] = legs(base, ("dense",))
        elif name in ("hybrid-weighted", "hybrid-rrf"):
            variant = hybrid_variants(settings)[name]
            systems.search[name] = legs(HybridRetriever(variant, embedder=embedder), ("dense", "bm25"))
        elif name == "hybrid-learned":  # the shipped default: the learned combiner over all three legs
            variant = hybrid_variants(settings)[name]
            systems.search[name] = legs(HybridRetriever(variant, embedder=embedder), ("dense", "bm25", "bigram"))
        elif name == "naive":
            if naive is None:
                systems.notes.append("naive baseline not available for this gold set")
                continue

            def run_naive(query: str, _naive: Any = naive) -> list[Unit]:
                return [Unit(h.doc_id, h.source, h.page, None) for h in _naive.search(query, k=RETRIEVE_K)]

            systems.search[name] = run_naive
        else:
            raise ValueError(f"unknown retrieval system {name!r}")
    return systems


# ------------------------------------------------------------------------------------------------ retrieval
def retrieval_record(item: GoldItem, system: str, units: list[Unit], ms: float) -> dict[str, Any]:
    record: dict[str, Any] = {"id": item.id, "category": item.category, "system": system, "ms": round(ms, 2)}
    if item.source:  # realdocs: documents are files; the finer unit is a page or a statute article
        docs = distinct(u.source for u in units)
        record["ranked"] = docs[:RANKED_KEPT]
        record["scores"] = ranking_scores(docs, [item.source])
        if item.pages:
            pages = distinct(page_key(u.source, u.page) for u in units)
            record["ranked_units"] = pages[:RANKED_KEPT]
            record["unit_scores"] = ranking_scores(pages, [page_key(item.source, p) for p in item.pages])
        elif item.article and any(u.section for u in units):
            labels = distinct(u.section for u in units if u.source == item.source)
            record["ranked_units"] = labels[:RANKED_KEPT]
            record["unit_scores"] = ranking_scores(labels, [item.article], article_matches)
    else:
        docs = distinct(u.doc_id for u in units)
        record["ranked"] = docs[:RANKED_KEPT]
        record["scores"] = ranking_scores(docs, item.doc_ids)
    return record


def run_retrieval(
    items: Sequence[GoldItem], systems: Systems, tick: Tick | None = None
) -> list[dict[str, Any]]:
    records = []
    for item in items:
        if not item.has_retrieval_gold:
            continue
        query = expand_query(item.question)  # what the assistant searches for (English gets Japanese terms)
        for name, search in systems.search.items():
            t0 = time.perf_counter()
            units = search(
                item.question if name == "naive" else query
            )  # naive: the raw question, no glossary
            records.append(retrieval_record(item, name, units, (time.perf_counter() - t0) * 1000))
            if tick:
                tick(f"{name} {item.id}")
    return records


# -------------------------------------------------------------------------------------------------- answers
def dead_end(result: AnswerResult) -> bool:
    """An answer that sends the user to a person (or away) without naming a single window."""
    sends_away = bool(result.handoff.get("recommended")) or result.refused in ("no-support", "out-of-scope", "to-person")
    return sends_away and not result.handoff.get("windows")


def answer_record(item: GoldItem, engine: str, result: AnswerResult, ms: float) -> dict[str, Any]:
    cited_docs = [c.source if item.source else c.doc_id for c in result.citations]
    gold_docs = [item.source] if item.source else item.doc_ids
    precision, recall = am.citation_precision_recall(cited_docs, gold_docs)
    page_precision = None
    if item.source and result.citations:
        if item.pages:
            ok = [c.source == item.source and c.page in item.pages for c in result.citations]
        else:
            ok = [
                c.source == item.source
                and bool(c.section)
                and article_matches(c.section or "", item.article or "")
                for c in result.citations
            ]
        page_precision = sum(ok) / len(ok)
    english = len(am._LATIN.findall(am.english_prose(result.answer, BOILERPLATE))) >= 40
    coverage, missing, not_applicable = am.key_point_coverage(
        item.key_points, result.answer, english_answer=english
    )
    first, _, _ = am.key_point_coverage(item.key_points, am.first_sentence(result.answer, BOILERPLATE), english_answer=english)
    handoff_pred = bool(result.handoff.get("recommended"))
    windows_pred = [w.get("id") for w in result.handoff.get("windows", []) if w.get("id")]
    pii_echo = am.pii_echoed(item.pii, result.answer) if item.pii else None
    return {
        "id": item.id,
        "category": item.category,
        "engine": engine,
        "engine_used": result.engine,
        "question": item.question,
        "answer": result.answer,
        "refused": result.refused,
        "n_citations": len(result.citations),
        "cited": distinct(cited_docs),
        "citation_precision": precision if not (item.expects_refusal or not gold_docs) else None,
        "citation_recall": recall if gold_docs and item.expect not in ("refuse", "abstain") else None,
        "page_citation_precision": page_precision,
        "grounded_ratio": result.grounded_ratio,
        "support": round(result.support, 4),
        "kp_coverage": coverage,
        "first_sentence_kp": None if first is None or result.refused else first > 0,
        "dead_end": dead_end(result),
        "kp_missing": missing,
        "kp_na": not_applicable,
        "handoff_gold": item.handoff,
        "handoff_pred": handoff_pred,
        "handoff_reason": result.handoff.get("reason"),
        "windows_gold": item.windows,
        "windows_pred": windows_pred[:5],
        "window_hit": window_routed(item.windows, windows_pred) if item.handoff else None,
        "refusal_expected": item.expects_refusal,
        "refusal_ok": refusal_correct(result.refused, len(result.citations))
        if item.expects_refusal
        else None,
        "kind": item.kind,
        "expect": item.expect,
        "behaviour_ok": behaviour_ok(
            item.expect,
            refused=result.refused,
            n_citations=len(result.citations),
            handoff=handoff_pred,
            pii_echoed=bool(pii_echo),
        ),
        "pii_echoed": pii_echo,
        "language": item.language,
        "language_match": am.language_match(item.language, result.language, result.answer),
        "ms": round(ms, 1),
        "timings": result.timings_ms,
    }


def run_answers(
    items: Sequence[GoldItem],
    assistant: Assistant,
    engine: str,
    tick: Tick | None = None,
    judge: Any | None = None,
) -> list[dict[str, Any]]:
    """Answer every item with one engine; with a ``judge`` chat model, grade answered items as well."""
    from evals.judge import judge_one

    records = []
    for item in items:
        t0 = time.perf_counter()
        result = assistant.answer(item.question, engine=engine)
        record = answer_record(item, engine, result, (time.perf_counter() - t0) * 1000)
        if judge is not None and result.refused is None:
            try:
                record["judge"] = judge_one(
                    judge, item.question, item.key_points, [c.quote for c in result.citations], result.answer
                )
            except Exception as exc:  # noqa: BLE001 - one failed grading must not stop the run
                record["judge"] = None
                record["judge_error"] = f"{type(exc).__name__}: {exc}"[:200]
        records.append(record)
        if tick:
            tick(f"{engine} {item.id}")
    return records


def available_engines(assistant: Assistant, requested: str) -> tuple[list[str], list[str]]:
    """(engines to run, notes). ``all`` = every engine the settings make available."""
    available = assistant.available_engines()
    if requested == "all":
        notes = [f"engine {e} not available (skipped)" for e in ("local", "openai") if e not in available]
        return available, notes
    if requested not in available:
        raise SystemExit(f"engine {requested!r} is not available here (available: {', '.join(available)})")
    return [requested], []
