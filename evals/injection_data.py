"""The lines the injection detector learns from, and the dev split every choice is made on.

- ``evals/injection/train/lines.jsonl``: labelled lines written for training by an author who never saw the
  detector (see its README); ``extra.jsonl``: more lines written by the detector's author, aimed at the
  confusions seen on the dev split — they only ever train, so the dev split stays the independent author's;
- the shipped corpus (``corpus/docs``) and, when present, the real documents of ``shared/realdocs`` (long
  statutes, Word-made PDFs), read through the real loaders: every line is benign, and it is what the detector
  must leave alone in production.

The dev split is five-fold: every dev-eligible line is scored once by a model that did not train on it, so each
choice is judged on all of them rather than on a fifth (a fifth holds only ~170 confusable benign lines: 1 % of
it is one or two lines). Folds are fixed (seeded, stratified by label × language × style; corpus lines by whole
document), so a choice can be reproduced. The blind set (``evals/injection/blind``) is never read here.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

from chizai.settings import REPO_ROOT
from evals.index import realdocs_dir

TRAIN_DIR = REPO_ROOT / "evals" / "injection" / "train"
REALDOC_FILES = ("06_info-services_soft.pdf", "cao_ai_ronten_honbun.pdf", "r3fy-FC-all.pdf")
FOLDS = 5
DEV_SOURCES = ("lines.jsonl",)  # labelled files the dev split is drawn from (the others only train)
SEED = 20261202


@dataclass(frozen=True)
class Line:
    text: str
    injection: bool
    lang: str
    style: str  # the training file's style tag, or "corpus"
    origin: str  # the file the line comes from


def labelled_lines(folder: Path = TRAIN_DIR) -> list[Line]:
    out = []
    for path in sorted(folder.glob("*.jsonl")):
        for raw in path.read_text(encoding="utf-8").splitlines():
            if raw.strip():
                row = json.loads(raw)
                out.append(Line(row["text"], row["label"] == "injection", row["lang"], row["style"], path.name))
    return out


def _lang(text: str) -> str:
    """The training README's rule: ja when at least 15 % of the non-space characters are kana or kanji."""
    chars = [c for c in text if not c.isspace()]
    ja = sum(1 for c in chars if "\u3040" <= c <= "\u30ff" or "\u3400" <= c <= "\u9fff")
    return "ja" if chars and ja >= 0.15 * len(chars) else "en"


def document_lines(paths: list[Path]) -> list[Line]:
    """Every non-empty line of each document, as ingest's loaders hand it to the screen; all benign."""
    from ingest.loaders import load_file

    out = []
    for path in paths:
        doc = load_file(path, path.name, 1 << 27)
        texts = [doc.title] + [line for section in doc.sections for line in section.text.splitlines()]
        for text in dict.fromkeys(t.strip() for t in texts):
            if len(text) >= 2:
                out.append(Line(text, False, _lang(text), "corpus", path.name))
    return out


def corpus_lines(docs: Path = REPO_ROOT / "corpus" / "docs") -> list[Line]:
    """The shipped corpus: what the detector must leave alone in production."""
    return document_lines(sorted(docs.glob("*.md")))


def realdoc_lines(folder: Path | None = None) -> list[Line]:
    """Real public documents nobody here wrote (long statutes, Word-made PDFs), when the machine has them.

    They are not in the repository (``shared/realdocs/SOURCES.md``), so the model records whether they were used.
    """
    folder = folder or realdocs_dir()
    paths = [folder / name for name in REALDOC_FILES] + sorted((folder / "statutes").glob("*.xml"))
    return document_lines([p for p in paths if p.is_file()]) if folder.is_dir() else []


def dev_folds(lines: list[Line], folds: int = FOLDS, seed: int = SEED) -> list[int]:
    """The dev fold (0 … folds-1) of each line, or -1 for a line that only ever trains.

    Lines of :data:`DEV_SOURCES` are dealt round-robin within each label × language × style stratum after a seeded
    shuffle; corpus lines go by whole document (a document's lines are alike: they must not sit on both sides).
    """
    rng = random.Random(seed)
    fold = [-1] * len(lines)
    strata: dict[tuple, list[int]] = defaultdict(list)
    for i, line in enumerate(lines):
        if line.style == "corpus":
            strata[("doc", line.origin)].append(i)
        elif line.origin in DEV_SOURCES:
            strata[(line.injection, line.lang, line.style)].append(i)
    documents = sorted(k for k in strata if k[0] == "doc")
    rng.shuffle(documents)
    for n, key in enumerate(documents):
        for i in strata[key]:
            fold[i] = n % folds
    offset = 0
    for key in sorted((k for k in strata if k[0] != "doc"), key=str):
        members = strata[key]
        rng.shuffle(members)
        for n, i in enumerate(members):
            fold[i] = (offset + n) % folds
        offset += len(members)
    return fold


def rules_digest() -> str:
    """The rule lists the detector's features were built from (comments aside): editing them needs a retrain."""
    from chizai.screening.rules import RULES_FILE

    data = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    return hashlib.sha1(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


def digest(lines: list[Line]) -> str:
    """What the model was trained on, in one value: the saved model records it, a test compares."""
    h = hashlib.sha1()
    for line in lines:
        h.update(f"{line.injection}\t{line.text}\n".encode())
    return h.hexdigest()[:16]
