"""Markdown with YAML front matter: the format of the shipped corpus."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ingest.loaders.common import doc_id_for, read_text_file
from ingest.model import LoadedDocument, LoadError, Section
from ingest.normalize import normalize_text

_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    match = _FRONT.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise LoadError(f"front matter の YAML が不正です / invalid YAML front matter: {exc}".splitlines()[0]) from exc
    if not isinstance(meta, dict):
        raise LoadError("front matter が辞書ではありません / front matter is not a mapping")
    return meta, text[match.end() :]


def sections_by_heading(body: str, title: str) -> list[Section]:
    """Split at headings so each section carries its heading path (見出し) for citations."""
    sections: list[Section] = []
    path: list[tuple[int, str]] = []
    buf: list[str] = []

    def flush() -> None:
        text = normalize_text("\n".join(buf))
        if text.strip():
            heading = " > ".join([title] + [h for _, h in path if h != title])
            sections.append(Section(text=text, section=heading))
        buf.clear()

    for line in body.splitlines():
        match = _HEADING.match(line)
        if match:
            flush()
            level, heading = len(match.group(1)), match.group(2).strip()
            path[:] = [(lv, h) for lv, h in path if lv < level] + [(level, heading)]
        else:
            buf.append(line)
    flush()
    return sections


def load_markdown(path: Path, source: str) -> LoadedDocument:
    meta, body = split_front_matter(read_text_file(path))
    title = str(meta.get("title") or _first_heading(body) or path.stem)
    doc_id = str(meta.get("id") or doc_id_for(source))
    metadata = {k: v for k, v in meta.items() if k not in {"id", "title"}}
    metadata.setdefault("doc_type", "markdown")
    return LoadedDocument(
        doc_id=doc_id,
        source=source,
        title=title,
        sections=sections_by_heading(body, title),
        metadata=metadata,
        pages_total=1,
    )


def _first_heading(body: str) -> str | None:
    for line in body.splitlines():
        match = _HEADING.match(line)
        if match:
            return match.group(2).strip()
    return None
