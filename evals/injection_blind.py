"""The blind set (``evals/injection/blind``): how many planted lines are never shown, how many benign lines go.

Nothing here chooses anything: the detector, its thresholds and the loaders are fixed before this runs, and its
results must never feed back into them (see the set's README). Three views, each per split (frozen / holdout),
label, language and disguise:

- ``detector``: the detector alone on each labelled line;
- ``ingest``: each document through the real loader and the ingest screen (:func:`ingest.screen.drop_planted_lines`):
  a planted line is *never indexed* when no copy of it is left in the text that would be chunked (the loader may
  already drop it: HTML comments, hidden elements, forms); a benign line is *removed* when the loader kept it and
  the screen took it out. ``withheld`` adds the answer side: the line survived ingest but every sentence of it is
  withheld by :func:`chizai.screening.addressing.addresses_system`;
- end to end (:mod:`evals.redteam_unseen`): the set's questions asked against an index of its documents.

Lines are compared folded (NFKC, case, letters and digits only), as the set's README asks for HTML entities and
invisible characters.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chizai.screening.addressing import systems_addressed
from chizai.screening.detector import get_detector
from chizai.settings import REPO_ROOT
from chizai.text.normalize import fold
from chizai.text.sentences import sentence_pieces

BLIND_DIR = REPO_ROOT / "evals" / "injection" / "blind"
BASELINE = REPO_ROOT / "evals" / "baselines" / "injection_blind.json"
SPLITS = ("frozen", "holdout")


@dataclass(frozen=True)
class BlindLine:
    id: str
    doc: str
    text: str
    injection: bool
    lang: str
    disguise: str
    split: str


def blind_lines(folder: Path = BLIND_DIR) -> list[BlindLine]:
    out = []
    for raw in (folder / "lines.jsonl").read_text(encoding="utf-8").splitlines():
        if raw.strip():
            r = json.loads(raw)
            out.append(BlindLine(r["id"], r["doc"], r["text"], r["label"] == "injection", r["lang"], r["disguise"],
                                 r["split"]))
    return out


def blind_questions(folder: Path = BLIND_DIR) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines() if raw]


def _document_text(path: Path) -> tuple[str, str]:
    """Folded text of a blind document as the loader hands it over, and after the ingest screen."""
    from ingest.loaders import load_file
    from ingest.screen import drop_planted_lines

    doc = load_file(path, path.name, 1 << 24)

    def text() -> str:
        return fold("\n".join([doc.title, *(s.section or "" for s in doc.sections), *(s.text for s in doc.sections)]))

    before = text()
    drop_planted_lines(doc)
    return before, text()


def observe(lines: list[BlindLine], folder: Path = BLIND_DIR) -> dict[str, dict[str, bool]]:
    """Per line id: flagged by the detector alone; kept by the loader; left after the screen; withheld in answers."""
    texts = {name: _document_text(folder / "docs" / name) for name in sorted({x.doc for x in lines})}
    detector = get_detector().flags([x.text for x in lines])
    pieces = [[p for p in sentence_pieces(x.text) if fold(p)] or [x.text] for x in lines]
    withheld = iter(systems_addressed([p for ps in pieces for p in ps]))
    out: dict[str, dict[str, bool]] = {}
    for line, flagged, ps in zip(lines, detector, pieces, strict=True):
        key = fold(line.text)
        before, after = texts[line.doc]
        shown = [next(withheld) for _ in ps]
        out[line.id] = {"detector": flagged, "loaded": key in before, "indexed": key in after, "withheld": all(shown)}
    return out


def _cell(lines: list[BlindLine], seen: dict[str, dict[str, bool]]) -> dict[str, Any]:
    planted = [x for x in lines if x.injection]
    benign = [x for x in lines if not x.injection]
    loaded = [x for x in benign if seen[x.id]["loaded"]]

    def share(n: int, d: int) -> float | None:
        return round(n / d, 4) if d else None

    never_indexed = sum(not seen[x.id]["indexed"] for x in planted)
    never_shown = sum(not seen[x.id]["indexed"] or seen[x.id]["withheld"] for x in planted)
    removed = sum(not seen[x.id]["indexed"] for x in loaded)
    return {
        "planted": len(planted), "benign": len(benign),
        "detector_detection": share(sum(seen[x.id]["detector"] for x in planted), len(planted)),
        "detector_false_removal": share(sum(seen[x.id]["detector"] for x in benign), len(benign)),
        "planted_dropped_by_loader": sum(not seen[x.id]["loaded"] for x in planted),
        "planted_never_indexed": share(never_indexed, len(planted)),
        "planted_never_shown": share(never_shown, len(planted)),
        "benign_kept_by_loader": len(loaded), "benign_removed": removed,
        "benign_removed_rate": share(removed, len(loaded)),
        "benign_withheld": sum(seen[x.id]["indexed"] and seen[x.id]["withheld"] for x in loaded),
    }


def measure(folder: Path = BLIND_DIR, splits: tuple[str, ...] = SPLITS) -> dict[str, Any]:
    """Rates per split: overall, per language, per disguise (see the module docstring for what each means)."""
    lines = [x for x in blind_lines(folder) if x.split in splits]
    seen = observe(lines, folder)
    out: dict[str, Any] = {}
    for split in splits:
        mine = [x for x in lines if x.split == split]
        groups: dict[str, dict[str, list[BlindLine]]] = {"lang": defaultdict(list), "disguise": defaultdict(list)}
        for x in mine:
            groups["lang"][x.lang].append(x)
            groups["disguise"][x.disguise].append(x)
        out[split] = {"overall": _cell(mine, seen),
                      **{f"by_{k}": {g: _cell(v, seen) for g, v in sorted(d.items())} for k, d in groups.items()}}
    out["lines"] = {x.id: seen[x.id] for x in lines}
    return out
