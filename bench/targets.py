"""Issue 17's targets ("Speed where users wait") as measured by one bench run, each beside its load average.

The load-test targets (answers/s and p95 with 20 users, idle and while an ingest runs, and the ingest's share of
its idle throughput then) come from ``make load`` (``tests/load/results/``), not from here.
"""

from __future__ import annotations

from statistics import median
from typing import Any


def _load(phase: dict | None) -> str:
    p = phase or {}
    before, after = (p.get("load_average_before") or [None])[0], (p.get("load_average_after") or [None])[0]
    return f"{before} → {after}"


def _row(name: str, value: float | None, unit: str, limit: float, at_most: bool, load: str) -> list[str]:
    if value is None:
        return [name, "not measured", load, "–"]
    met = value <= limit if at_most else value >= limit
    return [name, f"{value:g} {unit}".strip(), load, "**met**" if met else "**not met**"]


def rows(results: dict) -> list[list[str]]:
    ingest, first = results.get("ingest") or {}, (results.get("first_answer") or {}).get("shipped_vectors") or {}
    busy = ((results.get("contention") or {}).get("one_core_busy") or {}).get("embed_and_search_ms") or {}
    contention_load = _load((results.get("contention") or {}).get("phase"))
    llm = results.get("local_llm") or {}
    idle_first = [r["model_first_token_s"] for r in llm.get("idle", []) if "model_first_token_s" in r]
    first_load = f"{(first.get('load_average_before') or [None])[0]} → {(first.get('load_average_after') or [None])[0]}"
    return [
        _row("first answer on a fresh data dir (make run → answer shown)", first.get("seconds_to_first_answer"), "s", 15, True, first_load),
        _row("ingest of shared/realdocs, pages/s", ingest.get("pages_per_s"), "pages/s", 8, False, _load(ingest.get("phase"))),
        _row("ingest tokens/s ÷ embedder's ceiling", ingest.get("share_of_ceiling"), "", 0.8, False, _load(ingest.get("phase"))),
        _row("re-ingest of the unchanged set", (ingest.get("reingest_unchanged") or {}).get("seconds"), "s", 5, True, _load(ingest.get("phase"))),
        _row("query embedding + hybrid search p50, one core busy", busy.get("p50"), "ms", 50, True, contention_load),
        _row("query embedding + hybrid search p95, one core busy", busy.get("p95"), "ms", 150, True, contention_load),
        _row("local LLM first token, idle (median)", median(idle_first) if idle_first else None, "s", 5, True,
             _load(llm.get("phase"))),
    ]  # fmt: skip


def details(results: dict) -> list[str]:
    """Where the ingest's seconds went, the embedder's ceiling, the cold start and the local model per question."""
    out: list[str] = []
    ingest = results.get("ingest") or {}
    if ingest.get("stages"):
        out += ["", "Ingest stages (s; parsing runs in the worker while this process embeds, so they overlap): "
                + ", ".join(f"{k} {v}" for k, v in ingest["stages"].items())
                + f"; wall {ingest['seconds']} s, {ingest.get('tokens_embedded')} tokens embedded = {ingest.get('tokens_per_s')} tokens/s."]  # fmt: skip
    ceiling = ingest.get("ceiling") or {}
    if ceiling:
        out += ["", f"Embedder ceiling ({ceiling['passages']} of those passages, {ceiling['tokens']} tokens, pure loop, batches of "
                f"{ceiling['batch']}): one-thread workers ×{ceiling['workers']}, sorted {ceiling['policy_sorted']['tokens_per_s']} tokens/s; "
                f"unsorted {ceiling['policy_unsorted']['tokens_per_s']}; one call with two OpenMP threads (before) "
                f"{ceiling['one_call_two_openmp_threads']['tokens_per_s']} (load {(ceiling.get('load_average') or [None])[0]}); "
                f"right before the ingest, on the shipped corpus's passages: {(ingest.get('ceiling_before') or {}).get('policy_sorted', {}).get('tokens_per_s')} "
                f"(load {((ingest.get('ceiling_before') or {}).get('load_average') or [None])[0]})."]  # fmt: skip
    first = results.get("first_answer") or {}
    if first:
        s, e = first.get("shipped_vectors") or {}, first.get("embed_first") or {}
        out += ["", f"Cold start: with the shipped vectors {s.get('seconds_to_first_answer')} s (ingest {(s.get('ingest') or {}).get('seconds')} s, "
                f"server healthy at {s.get('seconds_to_server_healthy')} s, first page {s.get('page_seconds')} s, answer {s.get('answer_seconds')} s); "
                f"embedding the corpus first {e.get('seconds_to_first_answer')} s. Keyword legs first with the dense leg filled in the "
                f"background: at best {first.get('keyword_first_lower_bound_s')} s to the first answer, then "
                f"{first.get('keyword_first_background_embedding_s')} s of embedding competing with the first users, BM25-only answers meanwhile."]  # fmt: skip
    return out


def markdown(results: dict) -> list[str]:
    table = rows(results)
    if all(r[1] == "not measured" for r in table):
        return []
    out = ["## Issue 17 targets (this run)", "", "| target | measured | load average (1 min, before → after) | |",
           "|---|---|---|---|", *("| " + " | ".join(r) + " |" for r in table)]  # fmt: skip
    out += details(results)
    llm = llm_rows(results)
    if llm:
        out += ["", "| local LLM | question | prompt tokens (system, cached) | threads | model first token s | first verified sentence s | engine | load |",
                "|---|---|---|---|---|---|---|---|"]  # fmt: skip
        out += [f"| {r['when']} | {r['question']} | {r.get('prompt_tokens')} ({r.get('system_tokens')}) | {r.get('threads')} | "
                f"{r.get('model_first_token_s')} | {r.get('first_verified_sentence_s')} | {r.get('engine')} | {(r.get('load_average') or [None])[0]} |"
                for r in llm]  # fmt: skip
    out += ["", "Load-test targets (20 users idle and during an ingest, the ingest's throughput then): `make load` and "
            "`make load LOAD_ARGS=--with-ingest` (tests/load/results/).", ""]  # fmt: skip
    return out


def llm_rows(results: dict) -> list[dict[str, Any]]:
    llm = results.get("local_llm") or {}
    return [{**r, "when": when} for when in ("idle", "one_core_busy") for r in llm.get(when, [])]
