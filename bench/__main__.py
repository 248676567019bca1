"""``python -m bench`` (``make bench``): measure, then write bench/results/*.json and latest.md."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="知財フロント benchmark: ingest throughput, retrieval latency by index size, hybrid vs naive baseline.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small run: 1k and 5k chunks, 50 questions, 3 realdocs entries"
    )
    parser.add_argument(
        "--sizes", type=lambda s: tuple(int(x) for x in s.split(",")), help="index sizes, e.g. 1000,10000"
    )
    parser.add_argument("--limit", type=int, help="use only the first N core gold questions")
    parser.add_argument("--realdocs", type=Path, help="real documents folder (default: ../shared/realdocs)")
    parser.add_argument("--out", type=Path, help="results folder (default: bench/results)")
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="first wait up to SECONDS for the 1-min load average to drop below half the cores",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary indexes (path is printed)")
    parser.add_argument(
        "--render", type=Path, metavar="JSON", help="only re-write the Markdown summary of a results JSON"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from bench.display import Display
    from bench.report import RESULTS_DIR, render_markdown, write

    if args.render:
        import json

        results = json.loads(args.render.read_text(encoding="utf-8"))
        suffix = "-quick" if results.get("kind") == "quick" else ""
        target = (args.out or RESULTS_DIR) / f"latest{suffix}.md"
        target.write_text(render_markdown(results) + "\n", encoding="utf-8")
        print(f"wrote {target}")
        return 0
    from bench.runner import Options, run

    options = Options.make(
        quick=args.quick,
        sizes=args.sizes,
        limit=args.limit,
        realdocs=args.realdocs,
        wait_idle=args.wait_idle,
        keep=args.keep,
    )
    with Display(enabled=not args.no_progress) as display:
        results = run(options, display)
        paths = write(results, args.out or RESULTS_DIR)
        display.log(f"wrote {paths['json']} and {paths['markdown']}")
        if options.keep:
            display.log(f"indexes kept in {results['workdir']}")
    print(paths["markdown"].read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
