"""`python -m ingest [PATH ...] [--prune]`: index the shipped corpus or the given files/folders."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from chizai import logsafe
from chizai.index.catalog_base import IndexMismatchError
from chizai.index.catalogs import open_catalog, where
from chizai.index.embedders import EmbedderError
from chizai.index.vector_store import VectorStoreUnavailable
from chizai.settings import Settings, get_settings
from ingest.pipeline import Ingestor, IngestReport, index_exists


def print_report(report: IngestReport, console: Console) -> None:
    for outcome in report.outcomes:
        if outcome.status == "failed":
            console.print(f"[red]失敗 FAILED[/red] {outcome.source}: {outcome.reason}", highlight=False, soft_wrap=True)
    for problem in report.problems:
        where = f" p.{problem.page}" if problem.page else ""
        label = "[magenta]除外 REMOVED[/magenta]" if problem.removed_line else "[yellow]未索引 NOT INDEXED[/yellow]"
        # escaped: a removed line is attacker-written and may look like Rich markup ([/INST], [SYSTEM])
        console.print(f"{label} {escape(problem.source)}{where}: {escape(problem.reason)}", highlight=False)
    for source in report.pruned:
        console.print(f"[cyan]削除 PRUNED[/cyan] {source}", highlight=False)
    table = Table(title="取り込み結果 / ingest summary")
    columns = ("files", "ingested", "unchanged", "skipped", "failed", "pages", "chunks", "pages not indexed",
               "lines removed", "time")
    for col in columns:
        table.add_column(col, justify="right")
    table.add_row(
        str(len(report.outcomes)),
        str(report.count("ingested")),
        str(report.count("unchanged")),
        str(report.count("skipped")),
        str(report.count("failed")),
        str(report.pages),
        str(report.chunks),
        str(len(report.pages_not_indexed)),
        str(len(report.removed_lines)),
        f"{report.seconds:.1f}s",
    )
    console.print(table)
    skipped = [o for o in report.outcomes if o.status == "skipped"]
    if skipped:
        console.print("スキップ skipped: " + ", ".join(f"{o.source} ({o.reason})" for o in skipped[:20]), highlight=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest", description="知財フロント: 文書を索引に取り込みます / ingest documents")
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the shipped corpus)")
    parser.add_argument("--prune", action="store_true", help="remove documents whose files are gone")
    parser.add_argument("--if-missing", action="store_true", help="do nothing when an index already exists")
    parser.add_argument("--migrate", action="store_true", help="only create or upgrade the catalog schema, then exit")
    args = parser.parse_args(argv)
    settings: Settings = get_settings()
    logsafe.configure(settings.debug_log_text)
    console = Console(stderr=True)
    if args.migrate:
        open_catalog(settings).close()
        console.print(f"索引のスキーマは最新です / catalog schema up to date: {where(settings)}", highlight=False)
        return 0
    if args.if_missing and index_exists(settings):
        console.print(f"索引があります / index exists in {where(settings)}: skip", highlight=False)
        return 0
    try:
        ingestor = Ingestor(settings)
    except (IndexMismatchError, EmbedderError, VectorStoreUnavailable) as exc:
        console.print(f"[red]エラー / error[/red]: {exc}", highlight=False)
        return 2
    try:
        with Progress(
            TextColumn("[bold]取り込み中[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=console,
            transient=not console.is_terminal,
        ) as bar:
            task = bar.add_task("", total=None)

            def progress(done: int, total: int, name: str) -> None:
                bar.update(task, completed=done, total=total, description=name[-60:])

            report = ingestor.run(args.paths or None, prune=args.prune, progress=progress)
    except KeyboardInterrupt:
        console.print("中断しました。索引は一貫した状態です。再実行すると続きから取り込みます。 / interrupted; the index is consistent, re-run to resume.")
        return 130
    except VectorStoreUnavailable as exc:
        console.print(f"[red]エラー / error[/red]: {exc}", highlight=False)
        return 2
    finally:
        ingestor.close()
    print_report(report, console)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
