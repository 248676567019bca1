"""Markdown with YAML front matter: the format of the shipped corpus.

What a reader of the rendered page never sees is not indexed either (it is where injections hide): HTML comments,
hidden HTML elements and image links go; Markdown links keep their label but lose their target (links in answers
come from the ``url`` front matter only); other raw HTML tags are reduced to their text.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import yaml
from bs4 import BeautifulSoup, Comment, MarkupResemblesLocatorWarning

from chizai.index.model import Section
from ingest.loaders.common import doc_id_for, read_text_file
from ingest.loaders.hidden import drop_hidden
from ingest.model import LoadedDocument, LoadError
from ingest.normalize import normalize_text

_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
# Labels never contain 「[」 and quantifiers are bounded: on a line of a million 「[」 every attempt fails at once
# (with 「[」 allowed in labels each one scanned 500 characters ahead: 20 s for a 1 MB file, found by the fuzz tests).
_IMAGE = re.compile(r"!\[([^\[\]\n]{0,500})\]\([^()\n]{0,2000}\)")
_LINK = re.compile(r"\[([^\[\]\n]{0,500})\]\([^()\n]{0,2000}\)")
_REF_LINK = re.compile(r"\[([^\[\]\n]{1,500})\]\[[^\[\]\n]{0,300}\]")
_REF_DEF = re.compile(r"^[ \t]{0,3}\[[^\]\n]{1,300}\]:[ \t]*\S[^\n]*$", re.M)
_AUTOLINK = re.compile(r"<(?:[a-z][a-z0-9+.-]{1,20}:|www\.)[^<>\s]{0,2000}>", re.I)
_HTML_HINT = re.compile(r"<(?:!--|/?[A-Za-z][A-Za-z0-9-]{0,30}[\s/>])")


def visible_markdown(body: str) -> str:
    """The body as a reader sees it rendered: no comments, hidden HTML, images or link targets."""
    body = _IMAGE.sub("", body)
    body = _LINK.sub(r"\1", body)
    body = _REF_LINK.sub(r"\1", body)
    body = _REF_DEF.sub("", body)
    body = _AUTOLINK.sub("", body)
    if not _HTML_HINT.search(body):
        return body
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(body, "html.parser")  # keeps the Markdown text as it is; only tags are parsed
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    drop_hidden(soup)
    return soup.get_text()


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    match = _FRONT.match(text)
    if not match:
        return {}, text
    _check_yaml_text(match.group(1))
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise LoadError(f"front matter の YAML が不正です / invalid YAML front matter: {exc}".splitlines()[0]) from exc
    if not isinstance(meta, dict):
        raise LoadError("front matter が辞書ではありません / front matter is not a mapping")
    _check_size(meta)
    return meta, text[match.end() :]


def _check_yaml_text(text: str, max_chars: int = 100_000, max_brackets: int = 50) -> None:
    """PyYAML's scanner is quadratic in bracket nesting (3 000 「[」 take seconds): refuse absurd input first."""
    if len(text) > max_chars:
        raise LoadError(f"front matter が長すぎます / front matter longer than {max_chars} characters")
    depth = deepest = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(0, depth - 1)
    if deepest > max_brackets:
        raise LoadError("front matter の入れ子が深すぎます / front matter nested too deeply")


def _check_size(meta: Any, budget: int = 5000, max_depth: int = 20) -> None:
    """Refuse front matter that expands to a huge structure: YAML aliases make a few lines mean billions of
    nodes (every later ``json.dumps`` of the metadata would hang), and nothing useful is that big."""
    stack: list[tuple[Any, int]] = [(meta, 0)]
    seen = 0
    while stack:
        node, depth = stack.pop()
        seen += 1
        if seen > budget or depth > max_depth:
            raise LoadError("front matter が大きすぎるか入れ子が深すぎます / front matter too large or nested too deeply")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for kv in node.items() for v in kv)
        elif isinstance(node, list | tuple | set):
            stack.extend((v, depth + 1) for v in node)


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
    body = visible_markdown(body)
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
