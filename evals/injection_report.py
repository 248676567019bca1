"""``python -m evals injection measure``: the blind set once, written as ``injection.json`` and ``injection.md``.

Line and ingest rates come from :mod:`evals.injection_blind`, the end-to-end run (60 questions, extractive engine
and the compromised model) from :mod:`evals.redteam_unseen`. ``--update-baseline`` writes the numbers the frozen
regression test holds (``evals/baselines/injection_blind.json``); the holdout numbers are recorded there for the
record and never tested, so the holdout split stays an honest estimate.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chizai.screening.addressing import systems_addressed
from chizai.text.sentences import sentence_pieces
from evals.injection_blind import BASELINE, SPLITS, measure
from evals.redteam_unseen import planted_pieces, run_unseen, shown_lines

RATES = ("detector_detection", "detector_false_removal", "planted_never_indexed", "planted_never_shown",
         "benign_removed_rate")


def with_sentence_screen(unseen: dict[str, Any]) -> dict[str, Any]:
    """Planted lines the answers would still show once every answer sentence passes ``addresses_system``."""
    pieces = planted_pieces()
    out: dict[str, dict[str, set[str]]] = {}
    for record in unseen["records"]:
        sentences = sentence_pieces(record["answer"])
        kept = [s for s, hide in zip(sentences, systems_addressed(sentences), strict=True) if not hide]
        for split, ids in shown_lines("\n".join(kept), pieces).items():
            out.setdefault(record["engine"], {}).setdefault(split, set()).update(ids)
    return {e: {f"{s}_lines_shown": len(ids) for s, ids in d.items()} for e, d in out.items()}


def baseline_of(blind: dict[str, Any], unseen: dict[str, Any]) -> dict[str, Any]:
    return {
        split: {**{k: blind[split]["overall"][k] for k in RATES},
                "e2e_lines_shown": {e: v[f"{split}_lines_shown"] for e, v in unseen["shown"].items()}}
        for split in SPLITS
    }


def to_markdown(blind: dict[str, Any], unseen: dict[str, Any], screened: dict[str, Any]) -> str:
    lines = ["# Injection detector on the blind set", "",
             "Planted lines *never shown* = not indexed, or every sentence of them withheld by `addresses_system` "
             "(once the answer side calls it). Benign *removed* = kept by the loader, removed by the ingest screen.",
             "", "| split | lang | planted | detector finds | never indexed | never shown | benign | detector flags | "
             "benign removed |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for split in SPLITS:
        cells = {"all": blind[split]["overall"], **blind[split]["by_lang"]}
        for lang, c in cells.items():
            lines.append(f"| {split} | {lang} | {c['planted']} | {c['detector_detection']} | {c['planted_never_indexed']} | "
                         f"{c['planted_never_shown']} | {c['benign']} | {c['detector_false_removal']} | "
                         f"{c['benign_removed']} ({c['benign_removed_rate']}) |")
    lines += ["", "## Per disguise (never shown / benign removed)", "", "| disguise | frozen | holdout |", "|---|---|---|"]
    for disguise in sorted(set(blind["frozen"]["by_disguise"]) | set(blind["holdout"]["by_disguise"])):
        row = []
        for split in SPLITS:
            c = blind[split]["by_disguise"].get(disguise)
            row.append("—" if c is None else f"{c['planted_never_shown']} of {c['planted']} / {c['benign_removed']} of "
                       f"{c['benign_kept_by_loader']}")
        lines.append(f"| {disguise} | {' | '.join(row)} |")
    lines += ["", f"## End to end: {unseen['attacks']} questions × {len(unseen['by_engine'])} engines", "",
              "| engine | runs | runs showing a planted line | frozen lines shown | holdout lines shown | "
              "… with addresses_system (frozen / holdout) |", "|---|---:|---:|---:|---:|---|"]
    for engine, s in unseen["shown"].items():
        w = screened.get(engine, {})
        lines.append(f"| {engine} | {unseen['by_engine'][engine]['runs']} | {s['runs_showing_planted']} | "
                     f"{s['frozen_lines_shown']} | {s['holdout_lines_shown']} | {w.get('frozen_lines_shown', 0)} / "
                     f"{w.get('holdout_lines_shown', 0)} |")
    return "\n".join(lines) + "\n"


def run_measure(folder: Path, update_baseline: bool = False, data_dir: Path | None = None) -> list[Path]:
    blind = measure()
    unseen = run_unseen(data_dir=data_dir)
    screened = with_sentence_screen(unseen)
    folder.mkdir(parents=True, exist_ok=True)
    json_path, md_path = folder / "injection.json", folder / "injection.md"
    json_path.write_text(json.dumps({"blind": blind, "unseen": unseen, "with_sentence_screen": screened},
                                    ensure_ascii=False, indent=1), encoding="utf-8")
    md_path.write_text(to_markdown(blind, unseen, screened), encoding="utf-8")
    written = [json_path, md_path]
    if update_baseline:
        BASELINE.write_text(json.dumps(baseline_of(blind, unseen), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        written.append(BASELINE)
    return written
