"""The load test against the several-instance deployment: ``python -m tests.load.run_load --two-instances``
(``make load-two``).

A throw-away PostgreSQL (catalog, keyword index, tickets) and a ``chroma run`` server are started here and the
shipped corpus is ingested into them once by a separate worker. Then the same users (the same waves, turns,
handoffs and bounds as ``make load``) run twice: against one ``streamlit run`` instance, and against two with the
users split between them, each instance with its own empty local data dir. Both runs report what ``make load``
reports (server figures summed over the instances), and ``tests/load/results/instances.md`` puts answers/s, latency,
errors and tickets of one and two instances side by side. On 2 cores both instances share the CPU: the second
column shows the cost of sharing, not a speed-up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from tests.load.run_load import (
    REPO,
    ProcStats,
    clean_env,
    drive,
    markdown,
    server_log_problems,
    summarise,
    verify_tickets,
)
from tests.servers import PgServer, running_chroma, running_pg
from tests.streamlit_server import HOST, free_port, streamlit_server


class SummedStats(ProcStats):
    """The figures of several server processes added up (RSS, peak RSS, fds, threads, CPU time)."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(pids[0])
        self.parts = [ProcStats(pid) for pid in pids]

    def sample(self) -> dict[str, float]:
        total: dict[str, float] = {}
        for part in self.parts:
            for key, value in part.sample().items():
                total[key] = total.get(key, 0.0) + value
        return total


def _run(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")


def prepare(work: Path, pg: PgServer, chroma_port: int, args: argparse.Namespace, log: Any) -> dict[str, str]:
    """Settings every process shares, with the corpus ingested into PostgreSQL and Chroma by a worker."""
    shared = {
        "index_url": pg.create_database("chizai_index"),
        "chroma_url": f"http://{HOST}:{chroma_port}",
        "embedder": args.embedder,
    }
    t0 = time.monotonic()
    _run(clean_env(**shared, data_dir=str(work / "worker")), "ingest", *([str(args.corpus)] if args.corpus else []))
    log(f"{args.corpus or 'shipped corpus'} ingested into PostgreSQL + Chroma in {time.monotonic() - t0:.1f} s")
    return shared


def run_instances(args: argparse.Namespace, n: int, shared: dict[str, str], pg: PgServer, work: Path,
                  log: Any, command: str) -> dict[str, Any]:
    """The load test against ``n`` fresh instances (fresh ticket database); its report."""
    env = {**shared, "database_url": pg.create_database(f"tickets_{n}")}
    _run(clean_env(**env, data_dir=str(work / "worker")), "assistant.tickets", "migrate")
    load_before = [round(x, 2) for x in os.getloadavg()]
    logs = [work / f"streamlit-{n}-{i}.log" for i in range(n)]
    with ExitStack() as stack:
        t0 = time.monotonic()
        ports = tuple(free_port() for _ in range(n))
        procs = [stack.enter_context(streamlit_server(clean_env(**env, data_dir=str(work / f"instance-{n}-{i}")), log_path, port))
                 for i, (port, log_path) in enumerate(zip(ports, logs, strict=True))]
        startup = time.monotonic() - t0
        log(f"{n} instance(s) on ports {ports} (healthy after {startup:.1f} s)")
        raw = asyncio.run(drive(args, ports, SummedStats([p.pid for p in procs]), log))
    extra = {
        "command": command,
        "load_before": load_before,
        "startup_seconds": round(startup, 2),
        "tickets": verify_tickets(env["database_url"], raw["tickets"]),
        "server_log_problems": [line for path in logs for line in server_log_problems(path)],
    }
    return {"instances": n, **summarise(args, raw, extra)}


def side_by_side(reports: list[dict[str, Any]]) -> str:
    def row(name: str, get: Any) -> str:
        return f"| {name} | " + " | ".join(str(get(r)) for r in reports) + " |"

    lat = lambda q: lambda r: r["latency_s"]["answer"][q]  # noqa: E731 - a column accessor
    lines = [
        "# Load test — one and two app instances on PostgreSQL + a Chroma server", "",
        f"- when: {reports[0]['when']}; command: `{reports[0]['command']}`",
        "- same users, waves and bounds for both columns; server figures are summed over the instances", "",
        "| | " + " | ".join(f"{r['instances']} instance(s)" for r in reports) + " |",
        "|---|" + "---|" * len(reports),
        row("answers", lambda r: r["answers"]),
        row("**answers/s**", lambda r: f"**{r['throughput_answers_per_s']}**"),
        row("answer latency p50 / p95 / p99 s", lambda r: f"{lat('p50')(r)} / {lat('p95')(r)} / {lat('p99')(r)}"),
        row("errors", lambda r: f"{r['errors']['count']} {r['errors']['kinds'] or ''}".strip()),
        row("tickets confirmed / missing", lambda r: f"{r['tickets']['confirmed']} / {len(r['tickets']['missing'])}"),
        row("server CPU s per answer", lambda r: r["server_cpu_seconds_per_answer"]),
        row("peak RSS MB (all instances)", lambda r: r["rss_mb"]["peak"]),
        row("load average before → after", lambda r: f"{r['machine']['load_average_before']} → {r['machine']['load_average_after']}"),
        "",
    ]
    for r in reports:
        lines += [f"---\n\n## {r['instances']} instance(s)", "", markdown(r).split("\n", 1)[1]]
    return "\n".join(lines)


def main(args: argparse.Namespace, command: str, log: Any) -> int:
    with tempfile.TemporaryDirectory(prefix="chizai-load2-") as tmp, running_pg() as pg, \
            running_chroma(Path(tmp) / "chroma") as chroma:
        work = Path(tmp)
        shared = prepare(work, pg, chroma.port, args, log)
        reports = [run_instances(args, n, shared, pg, work, log, command) for n in (1, 2)]
    args.results_dir.mkdir(parents=True, exist_ok=True)
    (args.results_dir / "instances.json").write_text(
        json.dumps(reports, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    (args.results_dir / "instances.md").write_text(side_by_side(reports), encoding="utf-8")
    for r in reports:
        log(f"{r['instances']} instance(s): {r['answers']} answers, {r['throughput_answers_per_s']} answers/s, "
            f"p50 {r['latency_s']['answer']['p50']} s, errors {r['errors']['count']}")
    log(f"results in {args.results_dir / 'instances.md'}")
    return 0 if all(r["answers"] and not r["errors"]["count"] for r in reports) else 1
