"""Links in answers: only URLs that come from the corpus metadata survive; any other URL is removed.

A model, or a planted document that the extractive engine quotes, can write a phishing link, or an image whose URL
sends data to its owner the moment it is rendered. The URLs we trust are the ``url`` fields of the documents the
answer was built from (the same ones citations show), so everything else goes: images always; Markdown links keep
their label; reference definitions, ``<…>`` autolinks and bare ``https://…`` / ``www.…`` URLs are replaced by a
visible marker. :func:`filter_link_stream` does the same on a token stream without ever letting half a URL through.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from assistant.messages import URL_REMOVED

_URLISH = r"[^()\s<>]{0,2000}(?:\([^()\s]{0,200}\)[^()\s<>]{0,200})?"
_TITLE = r"(?:\s+[\"'][^\"'\n]{0,300}[\"'])?"
# Images go whatever their target; a link needs an absolute target, so 「[1](補足)」 stays a citation and a note.
_IMAGE = re.compile(r"!\[([^\[\]\n]{0,500})\]\(\s*<?(" + _URLISH + r")>?" + _TITLE + r"\s*\)")
_LINK = re.compile(
    r"\[([^\[\]\n]{0,500})\]\(\s*<?((?:[a-z][a-z0-9+.-]{0,20}:|//|www\.)" + _URLISH + r")>?" + _TITLE + r"\s*\)", re.I
)
_REF_DEF = re.compile(r"^[ \t]{0,3}\[[^\]\n]{1,300}\]:[ \t]*<?([^\s>]{1,2000})>?[^\n]*$", re.M)
_AUTOLINK = re.compile(r"<((?:[a-z][a-z0-9+.-]{1,20}:|www\.)[^<>\s]{1,2000})>", re.I)
_URL_CHARS = r"[A-Za-z0-9\-._~:/?#@!$&*+,;=%]"  # ASCII only: 「https://x.jp/をご覧ください」 ends at を
_BARE = re.compile(r"(?<![A-Za-z0-9])(?:(?:https?|ftp|hxxps?)://|www\.)" + _URL_CHARS + "{1,2000}", re.I)
_TRAILING = ".,;:!?"
# What may still grow into a link at the end of a streamed buffer: hold it back until it is complete.
_TAIL = re.compile(
    r"(?:!?\[[^\[\]\n]{0,500}(?:\](?:\([^)\n]{0,2000})?)?"
    r"|<[^>\n]{0,2000}"
    r"|(?<![A-Za-z0-9])(?:(?:https?|ftp|hxxps?)://|www\.)" + _URL_CHARS + "{0,2000}"
    r"|[hHwWfF][a-zA-Z:/.]{0,7})\Z"
)


def canonical(url: str) -> str:
    """Comparable form of a URL: scheme and host lower-cased, no trailing slash or punctuation."""
    url = url.strip().rstrip(_TRAILING).rstrip("/")
    m = re.match(r"([a-z][a-z0-9+.-]*://)([^/?#]*)(.*)", url, re.I)
    return (m.group(1).lower() + m.group(2).lower() + m.group(3)) if m else url


def allowed_set(urls: Iterable[str | None]) -> frozenset[str]:
    return frozenset(canonical(u) for u in urls if u and isinstance(u, str) and u.startswith(("http://", "https://")))


def filter_links(text: str, allowed: Iterable[str] | frozenset[str], language: str = "ja") -> tuple[str, list[str]]:
    """``text`` with every link whose URL is not in ``allowed`` removed, and the URLs that were removed."""
    ok = allowed if isinstance(allowed, frozenset) else allowed_set(allowed)
    marker = URL_REMOVED.get(language, URL_REMOVED["ja"])
    removed: list[str] = []

    def allowed_url(url: str) -> bool:
        return canonical(url) in ok

    def image(m: re.Match[str]) -> str:
        removed.append(m.group(2))
        return ""

    def link(m: re.Match[str]) -> str:
        if allowed_url(m.group(2)):
            return m.group(0)
        removed.append(m.group(2))
        return m.group(1)

    def ref_def(m: re.Match[str]) -> str:
        if allowed_url(m.group(1)):
            return m.group(0)
        removed.append(m.group(1))
        return ""

    def autolink(m: re.Match[str]) -> str:
        if allowed_url(m.group(1)):
            return m.group(0)
        removed.append(m.group(1))
        return marker

    def bare(m: re.Match[str]) -> str:
        url = m.group(0)
        core = url.rstrip(_TRAILING)
        if allowed_url(core):
            return url
        removed.append(core)
        return marker + url[len(core) :]

    text = _IMAGE.sub(image, text)
    text = _LINK.sub(link, text)
    text = _REF_DEF.sub(ref_def, text)
    text = _AUTOLINK.sub(autolink, text)
    text = _BARE.sub(bare, text)
    return text, removed


def filter_link_stream(pieces: Iterable[str], allowed: frozenset[str], language: str = "ja") -> Iterator[str]:
    """:func:`filter_links` over a stream: text that could still become a link is held until it is complete."""
    buf = ""
    for piece in pieces:
        buf += piece
        tail = _TAIL.search(buf)
        cut = tail.start() if tail else len(buf)
        if cut:
            yield filter_links(buf[:cut], allowed, language)[0]
            buf = buf[cut:]
    if buf:
        yield filter_links(buf, allowed, language)[0]
