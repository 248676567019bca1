"""`python -m evals run GOLD | run-all | gate | tune | redteam | injection train|measure` — see evals/reports/README.md."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from evals.evaluate import Bar
from evals.report import fmt

DEFAULT_REPORT = Path("evals/reports/latest")
ENGINES = ["extractive", "local", "openai", "all"]
GOLD_SETS = ("core", "adversarial", "realdocs")


class RichBar(Bar):
    def __init__(self, progress: Progress) -> None:
        self.progress = progress

    def task(self, description: str, total: int) -> Callable[[str], None]:
        task = self.progress.add_task(description, total=total, label="")

        def tick(label: str) -> None:
            self.progress.update(task, advance=1, label=label[-40:])

        return tick

    def ingest(self, description: str) -> Callable[[int, int, str], None]:
        task = self.progress.add_task(description, total=None, label="")

        def progress(done: int, total: int, name: str) -> None:
            self.progress.update(task, completed=done, total=total, label=name[-40:])

        return progress


@contextmanager
def rich_bar(console: Console) -> Iterator[RichBar]:
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[label]}"),
        console=console,
        transient=not console.is_terminal,
    ) as progress:
        yield RichBar(progress)


def print_summary(report: dict[str, Any], console: Console) -> None:
    t = Table(title=f"{report['gold']}: retrieval ({report['n_items']} items)")
    for col in ("system", "hit@1", "hit@5", "hit@10", "MRR", "nDCG@10", "unit hit@5", "p50 ms"):
        t.add_column(col, justify="right")
    for s in report["systems"]:
        o = report["retrieval"][s]["overall"]
        t.add_row(
            s,
            *[fmt(o.get(m)) for m in ("hit@1", "hit@5", "hit@10", "mrr", "ndcg@10")],
            fmt((o.get("unit") or {}).get("hit@5")),
            fmt(o.get("p50_ms")),
        )
    console.print(t)
    t = Table(title=f"{report['gold']}: answers")
    keys = [
        "key_point_coverage",
        "citation_precision",
        "citation_recall",
        "grounded_ratio",
        "handoff_precision",
        "handoff_recall",
        "handoff_f1",
        "window_routing",
        "refusal_accuracy",
        "behaviour_accuracy",
        "language_match",
        "p50_ms",
        "p95_ms",
    ]
    t.add_column("metric")
    for e in report["engines"]:
        t.add_column(e, justify="right")
    for k in keys:
        values = [report["answers"][e]["overall"].get(k) for e in report["engines"]]
        if any(v is not None for v in values):
            t.add_row(k, *[fmt(v) for v in values])
    console.print(t)
    for note in report["notes"]:
        console.print(f"[dim]- {note}[/dim]", highlight=False)


def _evaluate(gold: str, args: argparse.Namespace, bar: Bar) -> dict[str, Any]:
    from evals.evaluate import EvalOptions, evaluate
    from evals.gold import resolve_gold
    from evals.runner import SYSTEMS

    options = EvalOptions(
        engine=args.engine,
        systems=tuple(args.systems.split(",")) if args.systems else SYSTEMS,
        limit=args.limit,
        data_dir=args.data_dir,
        judge=args.judge,
    )
    return evaluate(resolve_gold(gold), options, bar=bar)


def cmd_run(args: argparse.Namespace, console: Console, golds: list[str]) -> int:
    from evals.report import write_reports

    reports = []
    with rich_bar(console) as bar:
        for gold in golds:
            reports.append(_evaluate(gold, args, bar))
    for report in reports:
        print_summary(report, console)
    written = write_reports(reports, args.report)
    console.print(f"reports: {', '.join(str(p) for p in written)}", highlight=False)
    return 0


def cmd_gate(args: argparse.Namespace, console: Console) -> int:
    from evals import gate

    started = time.time()
    failures: list[str] = []
    with rich_bar(console) as bar:
        results = []
        for gate_set in gate.GATE_SETS:
            report = gate.run_gate_set(gate_set, bar)
            console.print(f"{gate_set.name}: {report['seconds']} s; {report['notes'][0]}", highlight=False)
            results.append((gate_set, gate.baseline_document(gate_set, report)))
    for gate_set, current in results:
        if args.update_baselines:
            path = gate.write_baseline(current)
            console.print(f"baseline written: {path}", highlight=False)
            continue
        baseline = gate.load_baseline(gate_set.name)
        if baseline is None:
            failures.append(f"{gate_set.name}: no baseline (run `python -m evals gate --update-baselines`)")
            continue
        rows, notes = gate.compare(baseline, current)
        t = Table(title=f"gate {gate_set.name} ({gate_set.note})")
        for col in ("metric", "baseline", "now", "Δ", "tolerance", ""):
            t.add_column(col, justify="right" if col not in ("metric", "") else "left")
        for r in rows:
            delta = None if r["now"] is None else r["now"] - r["baseline"]
            t.add_row(
                r["metric"],
                fmt(r["baseline"]),
                fmt(r["now"]),
                fmt(delta),
                str(r["tolerance"]),
                "ok" if r["ok"] else "[red]DROPPED[/red]",
            )
            if not r["ok"]:
                failures.append(
                    f"{gate_set.name}: {r['metric']} {fmt(r['baseline'])} → {fmt(r['now'])} "
                    f"(tolerance {r['tolerance']})"
                )
        console.print(t)
        for note in notes:
            console.print(f"[dim]- {note}[/dim]", highlight=False)
    console.print(f"gate took {time.time() - started:.0f} s", highlight=False)
    if failures:
        console.print("[red]GATE FAILED[/red]: metric(s) dropped beyond tolerance:", highlight=False)
        for f in failures:
            console.print(f"  - {f}", highlight=False)
        return 1
    console.print("[green]gate passed[/green]" if not args.update_baselines else "baselines updated")
    return 0


def cmd_tune(args: argparse.Namespace, console: Console) -> int:
    from evals.tune import run_tune

    with rich_bar(console) as bar:
        result = run_tune(args.report, answers=not args.no_answers, bar=bar, limit=args.limit)
    console.print((args.report / "tune.md").read_text(encoding="utf-8"), highlight=False, markup=False)
    console.print(f"tuning took {result['seconds']} s; written to {args.report}", highlight=False)
    return 0


def cmd_redteam(args: argparse.Namespace, console: Console) -> int:
    """Every attack of evals/redteam_attacks.py, then the blind documents (indirect-unseen); exit code 1 when any
    attack of the first kind succeeded (the target is none). The unseen category is measured, see its report."""
    from evals.redteam import ENGINES, run_redteam, write_report
    from evals.redteam_attacks import CHAT_ATTACKS
    from evals.redteam_unseen import add_to_report, run_unseen, unseen_attacks

    with rich_bar(console) as bar:
        tick = bar.task("red team", total=len(CHAT_ATTACKS) * len(ENGINES))
        report = run_redteam(data_dir=args.data_dir, progress=tick)
        tick = bar.task("indirect, unseen", total=len(unseen_attacks()) * len(ENGINES))
        add_to_report(report, run_unseen(data_dir=args.data_dir, progress=tick))
    t = Table(title=f"red team: {report['overall']['attacks']} attacks, {report['overall']['runs']} runs")
    for col in ("kind", "attacks", "runs", "successes", "success rate", "extractive", "compromised"):
        t.add_column(col, justify="left" if col == "kind" else "right")
    for kind, k in report["by_kind"].items():
        per = k["by_engine"]
        t.add_row(kind, str(k["attacks"]), str(k["runs"]), str(k["successes"]), fmt(k["success_rate"]),
                  fmt(per.get("extractive", {}).get("success_rate")), fmt(per.get("compromised", {}).get("success_rate")))
    o = report["overall"]
    t.add_row("all but indirect-unseen", str(o["attacks"]), str(o["runs"]), str(o["successes"]), fmt(o["success_rate"]), "", "")
    console.print(t)
    for engine, shown in report["by_kind"]["indirect-unseen"]["shown"].items():
        console.print(f"indirect-unseen, {engine}: planted lines shown — frozen {shown['frozen_lines_shown']}, "
                      f"holdout {shown['holdout_lines_shown']}", highlight=False)
    for r in report["records"]:
        if r["success"]:
            detail = escape(f"{r['attack']} {r['technique']} ({r['engine']}): {'; '.join(r['reasons'])}")
            console.print(f"[red]SUCCESS[/red] {detail}", highlight=False)
    written = write_report(report, args.report)
    console.print(f"reports: {', '.join(str(p) for p in written)} ({report['settings']['seconds']} s)", highlight=False)
    return 1 if o["successes"] else 0


def cmd_retrieval(args: argparse.Namespace, console: Console) -> int:
    """train: weights and the learned combiner on dev; report: every leg and fusion on dev and test."""
    import json

    from chizai.settings import Settings
    from evals import retrieval_study
    from evals.index import corpus_cache_settings

    settings = corpus_cache_settings(Settings())
    if args.action == "train":
        console.print_json(json.dumps({k: v for k, v in retrieval_study.run_train(settings, args.report).items() if k != "grid"}))
        return 0
    from evals.naive import corpus_baseline

    result = retrieval_study.run_report(settings, args.report, naive=corpus_baseline(Settings()))
    console.print(retrieval_study.markdown(result), highlight=False, markup=False)
    return 0


def cmd_keyword_scoring(args: argparse.Namespace, console: Console) -> int:
    """SQLite FTS5 vs PostgreSQL BM25 postings vs PostgreSQL tsvector, on dev and test."""
    from evals import keyword_scoring

    result = keyword_scoring.run(args.index_url)
    console.print(keyword_scoring.markdown(result), highlight=False, markup=False)
    return 0


def cmd_statutes(args: argparse.Namespace, console: Console) -> int:
    """Article-level hit@1/hit@3 on the statute questions (both statutes, XML and text, in one index)."""
    import json

    from chizai.settings import Settings
    from evals import statutes

    result = statutes.run(Settings(), args.report)
    console.print_json(json.dumps({k: v for k, v in result.items() if k != "misses"}, ensure_ascii=False))
    return 0


def cmd_verifier(args: argparse.Namespace, console: Console) -> int:
    """Catch and false-drop rates on the contradiction set (dev: examined; test: only scored)."""
    import json

    from evals import verifier

    result = verifier.run()
    args.report.mkdir(parents=True, exist_ok=True)
    (args.report / "verifier.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    console.print_json(json.dumps(result))
    return 0


def cmd_situations(args: argparse.Namespace, console: Console) -> int:
    """split: near-duplicate screen of the blind sets; train: fit on the pool (tuned on dev); report: blind scores."""
    import json

    from chizai.settings import Settings
    from evals.situations import commands, report

    settings = Settings()
    if args.action == "split":
        console.print_json(json.dumps(commands.cmd_split(settings)))
        return 0
    if args.action == "train":
        console.print_json(json.dumps(commands.cmd_train(settings, args.keep_hyperparameters)))
        return 0
    result = report.run(settings)
    written = report.write(result, args.report)
    console.print(report.markdown(result), highlight=False, markup=False)
    if args.update_baseline:
        report.BASELINE.write_text(json.dumps({"test": {"handoff": result["test"]["handoff"]}}, indent=1) + "\n")
        console.print(f"baseline written: {report.BASELINE}", highlight=False)
        return 0
    failures = report.gate(result)
    for f in failures:
        console.print(f"[red]FAIL[/red] {escape(f)}", highlight=False)
    console.print(f"reports: {', '.join(str(p) for p in written)}", highlight=False)
    return 1 if failures else 0
def cmd_injection(args: argparse.Namespace, console: Console) -> int:
    """``train``: fit the line detector on the training lines (choices on the dev folds) and save it.
    ``measure``: the blind set, once the detector is fixed; ``--update-baseline`` commits the numbers tests hold."""
    import json

    if args.action == "train":
        from evals.injection_train import train_detector

        meta = train_detector(log=lambda line: console.print(line, highlight=False))
        dev = meta["dev"]
        console.print(f"dev folds: {json.dumps(dev['overall'])}; confusable benign {json.dumps(dev['confusable_benign'])}",
                      highlight=False)
        return 0
    from evals.injection_report import run_measure

    written = run_measure(args.report, update_baseline=args.update_baseline, data_dir=args.data_dir)
    console.print((args.report / "injection.md").read_text(encoding="utf-8"), highlight=False, markup=False)
    console.print(f"reports: {', '.join(str(p) for p in written)}", highlight=False)
    return 0


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(prog="python -m evals", description="知財フロント evaluation harness")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--engine", choices=ENGINES, default="all", help="answer engine(s); all = every available one"
        )
        p.add_argument(
            "--report", type=Path, default=DEFAULT_REPORT, help="report directory (default: %(default)s)"
        )
        p.add_argument("--limit", type=int, default=None, help="first N items only")
        p.add_argument(
            "--data-dir",
            type=Path,
            default=None,
            help="index to evaluate (default: CHIZAI_DATA_DIR, else a cache index)",
        )
        p.add_argument(
            "--judge", default=None, help="LLM engine (local|openai) that grades faithfulness/correctness"
        )
        p.add_argument(
            "--systems",
            default=None,
            help="comma-separated retrieval systems (default: bm25,dense,hybrid-weighted,hybrid-rrf,hybrid-learned,naive)",
        )

    run = sub.add_parser("run", help="evaluate one gold set")
    run.add_argument("gold", help="path to a gold .jsonl or a set name (core, adversarial, realdocs)")
    common(run)
    run_all = sub.add_parser("run-all", help="core + adversarial + realdocs into one report")
    common(run_all)
    gate_p = sub.add_parser("gate", help="fast regression gate against evals/baselines/*.json")
    gate_p.add_argument("--update-baselines", action="store_true", help="write new baselines from this run")
    tune_p = sub.add_parser("tune", help="fusion / bm25_weight / min_support sweeps on core + adversarial")
    tune_p.add_argument("--report", type=Path, default=DEFAULT_REPORT)
    tune_p.add_argument("--limit", type=int, default=None)
    tune_p.add_argument(
        "--no-answers", action="store_true", help="retrieval only (skip the extractive answers)"
    )
    red = sub.add_parser("redteam", help="prompt-injection / extraction / verdict / ticket-access attacks")
    red.add_argument("--report", type=Path, default=DEFAULT_REPORT, help="report directory (default: %(default)s)")
    red.add_argument(
        "--data-dir", type=Path, default=None, help="red-team index folder (default: $CHIZAI_EVAL_CACHE/redteam-<embedder>)"
    )
    ret = sub.add_parser("retrieval", help="retrieval legs and fusions: train (dev) | report (dev and test)")
    ret.add_argument("action", nargs="?", choices=["train", "report"], default="report")
    ret.add_argument("--report", type=Path, default=DEFAULT_REPORT, help="report directory (default: %(default)s)")
    for name, text in (("statutes", "statute questions: article-level hit@1/hit@3"),
                       ("verifier", "contradiction set: catch and false-drop rates")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--report", type=Path, default=DEFAULT_REPORT, help="report directory (default: %(default)s)")
    sit = sub.add_parser("situations", help="situation model: split | train | report (handoff and scope, blind sets)")
    sit.add_argument("action", nargs="?", choices=["split", "train", "report"], default="report")
    sit.add_argument("--report", type=Path, default=DEFAULT_REPORT, help="report directory (default: %(default)s)")
    sit.add_argument("--update-baseline", action="store_true", help="write evals/baselines/situations.json")
    sit.add_argument("--keep-hyperparameters", action="store_true", help="train: keep C and weights, choose thresholds")
    kw = sub.add_parser("keyword-scoring", help="PostgreSQL catalog: BM25 postings vs tsvector vs SQLite FTS5 (dev, test)")
    kw.add_argument("--index-url", default=None, help="PostgreSQL to build in (default: a throw-away local cluster)")
    inj = sub.add_parser("injection", help="train the injection line detector, or measure it on the blind set")
    inj.add_argument("action", choices=["train", "measure"])
    inj.add_argument("--report", type=Path, default=DEFAULT_REPORT, help="report directory (measure)")
    inj.add_argument("--data-dir", type=Path, default=None, help="red-team cache folder (measure)")
    inj.add_argument("--update-baseline", action="store_true", help="write evals/baselines/injection_blind.json")
    args = parser.parse_args(argv)
    console = Console(stderr=True)
    if args.command == "keyword-scoring":
        return cmd_keyword_scoring(args, console)
    if args.command == "situations":
        return cmd_situations(args, console)
    if args.command == "retrieval":
        return cmd_retrieval(args, console)
    if args.command == "statutes":
        return cmd_statutes(args, console)
    if args.command == "verifier":
        return cmd_verifier(args, console)
    if args.command == "run":
        return cmd_run(args, console, [args.gold])
    if args.command == "run-all":
        return cmd_run(args, console, list(GOLD_SETS))
    if args.command == "gate":
        return cmd_gate(args, console)
    if args.command == "redteam":
        return cmd_redteam(args, console)
    if args.command == "injection":
        return cmd_injection(args, console)
    return cmd_tune(args, console)


if __name__ == "__main__":
    sys.exit(main())
