"""Finding HTML that a reader never sees: where indirect prompt injections hide in web pages and Markdown.

A page can carry text for machines only: ``display:none``, ``visibility:hidden``, the ``hidden`` attribute, zero
font size or opacity, white text without a background of its own, text pushed off-screen, ``<template>`` content.
Readers never see it, so the index must not contain it either.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

NEVER_SHOWN = ("script", "style", "template", "noscript")
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*(hidden|collapse)|font-size\s*:\s*0(\.0*)?\s*(px|pt|em|rem|%)?\s*(;|$|!)"
    r"|opacity\s*:\s*0(\.0*)?\s*(;|$|!)|(left|top|right|text-indent|margin-left)\s*:\s*-\d{3,}"
    r"|clip\s*:\s*rect\(\s*0|(height|width|max-height)\s*:\s*0(px)?\s*;?\s*overflow\s*:\s*hidden",
    re.I,
)
_WHITE = re.compile(r"(^|[;\s])color\s*:\s*(#fff\b|#ffffff\b|white\b|transparent\b|rgba?\(\s*255\s*,\s*255\s*,\s*255)", re.I)
_BACKGROUND = re.compile(r"background", re.I)
_HIDDEN_CLASSES = {"hidden", "d-none", "sr-only", "visually-hidden", "screen-reader-text", "invisible", "hide"}


def gone(tag: Tag) -> bool:
    """Whether ``tag`` was decomposed, in O(1).

    bs4's own ``tag.decomposed`` looks ``_decomposed`` up through ``Tag.__getattr__``, which for a live tag means
    ``tag.find("_decomposed")``: a search of the whole subtree, quadratic over a deeply nested page.
    """
    return bool(tag.__dict__.get("_decomposed")) or "attrs" not in tag.__dict__


def _style(tag: Tag) -> str:
    style = tag.get("style")
    return style if isinstance(style, str) else ""


def _white_text(tag: Tag) -> bool:
    color = tag.get("color") if tag.name == "font" else None
    white = (isinstance(color, str) and color.strip().lower() in ("#fff", "#ffffff", "white")) or bool(
        _WHITE.search(_style(tag))
    )
    if not white:
        return False
    # White text on a background of its own (a coloured banner) is visible: only bare white text is hidden.
    node: Tag | None = tag
    for _ in range(50):  # bounded: a million nested white <span>s must not make this quadratic
        if node is None or not isinstance(node, Tag):
            break
        if _BACKGROUND.search(_style(node)) or node.get("bgcolor"):
            return False
        node = node.parent
    return True


def is_hidden(tag: Tag) -> bool:
    if tag.name in NEVER_SHOWN:
        return True
    if not tag.attrs:
        return False
    if tag.has_attr("hidden"):
        return True
    classes = tag.get("class") or []
    if isinstance(classes, str):
        classes = classes.split()
    if _HIDDEN_CLASSES & {c.lower() for c in classes}:
        return True
    return bool(_HIDDEN_STYLE.search(_style(tag))) or _white_text(tag)


def drop_hidden(soup: BeautifulSoup | Tag) -> int:
    """Remove every hidden element (and its content) from ``soup``; returns how many were removed."""
    hidden = [tag for tag in soup.find_all(True) if is_hidden(tag)]
    removed = 0
    for tag in hidden:
        if gone(tag):
            continue
        tag.decompose()
        removed += 1
    return removed
