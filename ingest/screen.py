"""Planted instructions out of a loaded document before it is chunked: never embedded, quoted or sent to a model.

The title, every heading of every section label (``題名 > 見出し``: each heading is judged on its own, so a planted
title cannot hide behind an ordinary heading) and every line of every section go through the trained detector in
one batch (the encoder is fast per batch, slow per call). A flagged line is removed, a flagged heading dropped
from its label, a flagged title replaced by the file name. Each removal is reported once, like a page that was
not indexed, with the file, the page and the text itself, so an operator can see what was left out and why.
"""

from __future__ import annotations

import re
from pathlib import Path

from chizai.index.model import INSTRUCTION_REASON, Problem
from chizai.screening.detector import get_detector
from ingest.model import LoadedDocument

_LINES = re.compile(r"(?<=\n)")
LABEL_SEPARATOR = " > "  # how loaders join the headings of a section label
SHOWN_CHARS = 120  # of a removed line, in the report


def removal(source: str, line: str, page: int | None) -> Problem:
    text = line.strip()
    shown = text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"
    return Problem(source, f"{INSTRUCTION_REASON}: 「{shown}」", page=page)


def drop_planted_lines(doc: LoadedDocument) -> list[Problem]:
    """Remove what the detector flags from ``doc`` (in place); one problem per removed text and page."""
    lines = [_LINES.split(section.text) for section in doc.sections]
    headings = [(section.section or "").split(LABEL_SEPARATOR) for section in doc.sections]
    units = [doc.title, *(h for hs in headings for h in hs), *(line.strip() for ls in lines for line in ls)]
    flagged = {unit for unit, flag in zip(units, get_detector().flags(units), strict=True) if flag}
    problems: dict[tuple[str, int | None], Problem] = {}

    def report(text: str, page: int | None) -> None:
        problems.setdefault((text.strip(), page), removal(doc.source, text, page))

    title = doc.title
    if title in flagged:
        report(title, None)
        doc.title = Path(doc.source).stem
    for section, hs, ls in zip(doc.sections, headings, lines, strict=True):
        for text in [h for h in hs if h in flagged] + [line for line in ls if line.strip() in flagged]:
            report(text, None if text == title else section.page)
        if section.section:
            section.section = LABEL_SEPARATOR.join(h for h in hs if h not in flagged) or None
        section.text = "".join(line for line in ls if line.strip() not in flagged)
    return list(problems.values())
