"""Showing model and document text without letting it create links, HTML or math.

Answers and quoted passages are Markdown-ish text we did not write. Streamlit never renders raw HTML
without ``unsafe_allow_html`` (which this UI never uses), but Markdown alone can still make a link
to anywhere: ``[x](url)``, ``[x]: url`` definitions, ``<http://…>``, bare ``https://…`` / ``www.…``
/ e-mail autolinks, and ``$…$`` becomes LaTeX. :func:`safe_markdown` backslash-escapes exactly those
constructs and keeps bold, lists and headings, so the only clickable links on a page are the ones
the UI builds itself from citation or window metadata (:func:`safe_url`).

Backslashes are not enough for bare URLs and addresses: Streamlit's renderer finds them in the text *after*
parsing (GFM autolink literals), so an escaped URL still became a link in the browser. A WORD JOINER (U+2060,
invisible) inside ``https://``, ``www.`` and before ``@`` leaves nothing for it to find; the browser suite checks
that a typed URL stays text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from urllib.parse import urlparse

_UNSAFE = re.compile(r"https?://|www\.|\]\(|\]:|[<$@]", re.IGNORECASE)
_LONGEST_UNSAFE = len("https://")
_LABEL_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$~:@])")
WORD_JOINER = "\u2060"
_AUTOLINK_PARTS = re.compile(r"(?i)(?<=https)(?=\\:)|(?<=http)(?=\\:)|(?<=www)(?=\\\.)|(?=\\@)")


def _escape(match: re.Match[str]) -> str:
    s = match.group(0)
    if s.endswith("://"):
        return s[:-3] + WORD_JOINER + "\\://"
    if s.lower() == "www.":
        return s[:3] + WORD_JOINER + "\\."
    if s in ("](", "]:"):
        return "]\\" + s[1]
    if s == "@":
        return WORD_JOINER + "\\@"
    return "\\" + s


def safe_markdown(text: str | None) -> str:
    """Markdown that renders like ``text`` but can make no link, image, HTML tag or formula."""
    return _UNSAFE.sub(_escape, text or "")


def safe_stream(pieces: Iterable[str]) -> Iterator[str]:
    """:func:`safe_markdown` for a stream: never cuts between pieces inside a construct it must escape."""
    buf = ""
    for piece in pieces:
        buf += piece
        cut = max(0, len(buf) - _LONGEST_UNSAFE)
        for m in _UNSAFE.finditer(buf):
            if m.start() < cut < m.end():
                cut = m.start()
        if cut:
            yield safe_markdown(buf[:cut])
            buf = buf[cut:]
    if buf:
        yield safe_markdown(buf)


def escape_label(text: str | None) -> str:
    """A one-line label (title, name) with every Markdown character escaped, newlines folded."""
    return _AUTOLINK_PARTS.sub(WORD_JOINER, _LABEL_SPECIAL.sub(r"\\\1", " ".join((text or "").split())))


def safe_url(url: str | None) -> str | None:
    """``url`` if it is a plain http(s) URL with a host (from our metadata), else None."""
    if not url or not isinstance(url, str) or any(ch in url for ch in " \n\r\t<>\"'()"):
        return None
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return None
    return url


def link(label: str, url: str | None) -> str:
    """A Markdown link built by the UI (escaped label, checked URL); only the label if the URL is unusable."""
    checked = safe_url(url)
    return f"[{escape_label(label)}]({checked})" if checked else escape_label(label)
