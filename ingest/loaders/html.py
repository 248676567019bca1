"""HTML pages: keep the main text, drop menus, headers, footers, scripts and text no reader sees (hidden
elements, comments), which is where indirect prompt injections hide."""

from __future__ import annotations

import warnings
from pathlib import Path

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, Tag

from ingest.loaders.common import doc_id_for, read_text_file
from ingest.loaders.hidden import drop_hidden, gone
from ingest.loaders.markdown import sections_by_heading
from ingest.model import LoadedDocument, LoadError

_DROP = ["script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "iframe", "svg", "button"]
_DROP_ROLES = ["navigation", "banner", "contentinfo", "search", "complementary"]
_NOISE_WORDS = ("breadcrumb", "topicpath", "pankuzu", "globalnav", "gnav", "sidebar", "footer", "header", "menu", "skip")
MAX_DEPTH = 1000  # real pages nest a few dozen levels; thousands is garbage or an attack on the parser
_BLOCKS = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "dt", "dd", "td", "th", "pre", "blockquote", "caption"]


def _main_node(soup: BeautifulSoup) -> Tag:
    for selector in ("main", "article", "[role=main]", "#main", "#contents", "#content", ".main", ".contents"):
        node = soup.select_one(selector)
        if node is not None and len(node.get_text(strip=True)) > 80:
            return node
    return soup.body or soup


def _depth(soup: BeautifulSoup) -> int:
    deepest, stack = 0, [(soup, 0)]
    while stack:  # iterative: the tree may be deeper than Python's recursion limit
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.contents if isinstance(child, Tag))
    return deepest


def html_to_markdown_lines(html: str) -> tuple[str, str]:
    """Return (title, text with Markdown headings) of the page's main content."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(html, "lxml")
    if _depth(soup) > MAX_DEPTH:
        raise LoadError(f"HTML の入れ子が深すぎます / HTML nested too deeply (more than {MAX_DEPTH} levels)")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup.find_all(_DROP):
        tag.decompose()
    drop_hidden(soup)
    for tag in soup.find_all(attrs={"role": _DROP_ROLES}):
        tag.decompose()
    for tag in soup.find_all(True):
        if gone(tag) or tag.attrs is None:
            continue
        marker = " ".join([str(tag.get("id") or "")] + list(tag.get("class") or [])).lower()
        if marker and any(word in marker for word in _NOISE_WORDS) and tag.name not in ("body", "html", "main"):
            tag.decompose()
    main = _main_node(soup)
    lines: list[str] = []
    for node in main.find_all(_BLOCKS):
        if node.find_parent(_BLOCKS) is not None and node.name not in ("li",):
            continue  # nested block: its parent already carries the text
        text = node.get_text(" ", strip=True)
        if not text:
            continue
        if node.name[0] == "h" and node.name[1:].isdigit():
            lines.append("#" * int(node.name[1:]) + " " + text)
        elif node.name == "li":
            lines.append("・" + text)
        else:
            lines.append(text)
        lines.append("")
    if not any(line.strip() for line in lines):
        lines = [main.get_text("\n", strip=True)]
    h1 = main.find("h1")
    return (h1.get_text(" ", strip=True) if h1 else title) or title, "\n".join(lines)


def load_html(path: Path, source: str) -> LoadedDocument:
    title, body = html_to_markdown_lines(read_text_file(path))
    title = title or path.stem
    return LoadedDocument(
        doc_id=doc_id_for(source),
        source=source,
        title=title,
        sections=sections_by_heading(body, title),
        metadata={"doc_type": "html"},
        pages_total=1,
    )
