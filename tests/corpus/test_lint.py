"""Lint for the curated corpus (corpus/docs/*.md) and the consultation windows (corpus/windows.yaml).

Pure Python + PyYAML: no index, no models. Per-document checks are parametrised so a failure names the file.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"
DOCS_DIR = CORPUS / "docs"
README = CORPUS / "README.md"
DOMAINS = CORPUS / "official_domains.yaml"
WINDOWS = CORPUS / "windows.yaml"

REQUIRED_KEYS = {"id", "title", "publisher", "url", "category", "as_of", "keywords", "windows"}
OPTIONAL_KEYS = {"source_title"}
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
BODY_MIN, BODY_MAX = 600, 2500
KEYWORDS_MIN, KEYWORDS_MAX = 3, 15
MIN_DOCS = 150
MIN_DOCS_PER_CATEGORY = 4
HANDLES = {"explicit-request", "dispute", "incident", "deadline", "legal-judgment", "no-support", "general"}
SCOPES = {"nationwide", "prefecture"}

# Character 5-gram Jaccard over whitespace-free bodies. Measured max between two different documents when this
# test was written: 0.106 (jizokuka-subsidy-ip vs monozukuri-subsidy-ip). A copy with one section rewritten
# scores far above 0.5; 0.3 leaves room for legitimately related topics while catching copied halves.
NGRAM = 5
NEAR_DUP_THRESHOLD = 0.3

FRONT_MATTER_RE = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.S)
# Japanese phone-number-like strings (after NFKC): 0AB-CD-EFGH, +81, brackets, spaces, or 10–11 bare digits.
PHONE_RE = re.compile(
    r"(?<![\d.])(?:\+81[-\s]?\(?0?\)?|0)\d{1,4}\)?[-\s()]{0,2}\d{1,4}[-\s()]{0,2}\d{3,4}(?![\d.])"
)


# --- loading ------------------------------------------------------------------------------------------------
def _doc_paths() -> list[Path]:
    return sorted(DOCS_DIR.glob("*.md"))


@cache
def _parse(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    m = FRONT_MATTER_RE.match(text)
    if not m:
        raise AssertionError(f"{path.name}: no YAML front matter delimited by '---' lines")
    fm = yaml.safe_load(m.group(1))
    if not isinstance(fm, dict):
        raise AssertionError(f"{path.name}: front matter is not a mapping")
    return fm, m.group(2)


@cache
def _domains() -> tuple[tuple[str, ...], tuple[str, ...]]:
    data = yaml.safe_load(DOMAINS.read_text(encoding="utf-8"))
    return tuple(data.get("suffixes") or ()), tuple(data.get("hosts") or ())


@cache
def _windows() -> list[dict]:
    data = yaml.safe_load(WINDOWS.read_text(encoding="utf-8"))
    return list(data["windows"])


@cache
def _window_ids() -> frozenset[str]:
    return frozenset(w["id"] for w in _windows() if isinstance(w, dict) and "id" in w)


@cache
def _categories() -> frozenset[str]:
    """Category ids from the `## Categories` table in corpus/README.md."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Categories", 1)[1].split("\n## ", 1)[0]
    return frozenset(re.findall(r"^\|\s*`([a-z0-9-]+)`\s*\|", section, re.M))


def _host_allowed(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme != "https" or not parsed.hostname:
        return False
    host = parsed.hostname.lower()
    suffixes, hosts = _domains()
    return any(host == entry or host.endswith("." + entry) for entry in (*suffixes, *hosts))


def _digits(s: str) -> str:
    return re.sub(r"\D", "", unicodedata.normalize("NFKC", s))


def find_phone_like(text: str) -> list[str]:
    norm = unicodedata.normalize("NFKC", text)
    found = []
    for m in PHONE_RE.finditer(norm):
        digits = _digits(m.group(0))
        if digits.startswith("81"):
            digits = "0" + digits[2:].lstrip("0")
        if 10 <= len(digits) <= 11:
            found.append(m.group(0))
    return found


def _grams(body: str) -> frozenset[str]:
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", body))
    return frozenset(s[i : i + NGRAM] for i in range(len(s) - NGRAM + 1))


@cache
def _doc_grams(path: Path) -> frozenset[str]:
    return _grams(_parse(path)[1])


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


DOC_PATHS = _doc_paths()
DOC_IDS = [p.stem for p in DOC_PATHS]


# --- per-document checks ------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", DOC_PATHS, ids=DOC_IDS)
def test_front_matter_keys(path: Path) -> None:
    fm, _ = _parse(path)
    keys = set(fm)
    assert keys >= REQUIRED_KEYS, f"missing keys: {sorted(REQUIRED_KEYS - keys)}"
    assert keys <= REQUIRED_KEYS | OPTIONAL_KEYS, (
        f"unknown keys: {sorted(keys - REQUIRED_KEYS - OPTIONAL_KEYS)}"
    )


@pytest.mark.parametrize("path", DOC_PATHS, ids=DOC_IDS)
def test_id_matches_file_name(path: Path) -> None:
    fm, _ = _parse(path)
    assert fm.get("id") == path.stem
    assert isinstance(fm["id"], str) and fm["id"].isascii() and ID_RE.match(fm["id"]), (
        "id must be ascii kebab-case"
    )


@pytest.mark.parametrize("path", DOC_PATHS, ids=DOC_IDS)
def test_text_fields(path: Path) -> None:
    fm, _ = _parse(path)
    for key in ("title", "publisher"):
        assert isinstance(fm.get(key), str) and fm[key].strip(), f"{key} must be a non-empty string"
    if "source_title" in fm:
        assert isinstance(fm["source_title"], str) and fm["source_title"].strip(), "source_title must be text"


@pytest.mark.parametrize("path", DOC_PATHS, ids=DOC_IDS)
def test_url_is_official_https(path: Path) -> None:
    fm, _ = _parse(path)
    url = fm.get("url")
    assert isinstance(url, str) and url.startswith("https://"), f"url must be https: {url!r}"
    assert _host_allowed(url), f"host of {url} is not in official_domains.yaml"


# A figure a reader must be able to check on the cited page: a number with a unit, a date, a phone number.
FIGURE_RE = re.compile(
    r"\d[\d,.]*\s*(?:円|万円|億円|%|％|割|年|か月|ヶ月|カ月|日|週間|時間|件|名|社|倍|区分|類)|\d{4}年\d{1,2}月|令和\d+年"
)


def is_bare_host(url: str) -> bool:
    """A homepage: no path beyond "/", no query — the page that holds no document's facts."""
    parsed = urlparse(url)
    return parsed.path in ("", "/") and not parsed.query


@pytest.mark.parametrize("path", DOC_PATHS, ids=DOC_IDS)
def test_url_is_a_specific_page(path: Path) -> None:
    fm, _ = _parse(path)
    assert not is_bare_host(fm["url"]), f"url {fm['url']} is a homepage: cite the page that holds the facts"


@pytest.mark.parametrize("path", DOC_PATHS, ids=DOC_IDS)
def test_no_figure_without_a_page_to_check_it(path: Path) -> None:
    fm, body = _parse(path)
    figures = FIGURE_RE.findall(unicodedata.normalize("NFKC", body)) + find_phone_like(body)
    assert not (is_bare_host(fm["url"]) and figures), f"figures {figures[:3]} cited to a homepage {fm['url']}"


@pytest.mark.parametrize(
    ("url", "bare"),
    [("https://www.jpo.go.jp/", True), ("https://www.jpo.go.jp", True), ("https://www.jpo.go.jp/system/patent/", False),
     ("https://www.jpo.go.jp/?lang=ja", False)],
)
def test_bare_host_detector(url: str, bare: bool) -> None:
    assert is_bare_host(url) is bare


@pytest.mark.parametrize("path", DOC_PATHS, ids=DOC_IDS)
def test_category_known(path: Path) -> None:
    fm, _ = _parse(path)
    assert fm.get("category") in _categories(), (
        f"category {fm.get('category')!r} not in {sorted(_categories())}"
    )


@pytest.mark.parametrize("path", DOC_PATHS, ids=DOC_IDS)
def test_as_of_is_date(path: Path) -> None:
    fm, _ = _parse(path)
    as_of = fm.get("as_of")
    assert isinstance(as_of, dt.date) and not isinstance(as_of, dt.datetime), (
        f"as_of must be a date: {as_of!r}"
    )
    assert dt.date(2020, 1, 1) <= as_of <= dt.date.today() + dt.timedelta(days=366)


@pytest.mark.parametrize("path", DOC_PATHS, ids=DOC_IDS)
def test_keywords(path: Path) -> None:
    fm, _ = _parse(path)
    kws = fm.get("keywords")
    assert isinstance(kws, list), "keywords must be a list"
    assert KEYWORDS_MIN <= len(kws) <= KEYWORDS_MAX, (
        f"{len(kws)} keywords (want {KEYWORDS_MIN}–{KEYWORDS_MAX})"
    )
    bad = [k for k in kws if not isinstance(k, str) or not k.strip()]
    assert not bad, f"keywords must be non-empty strings: {bad!r}"


@pytest.mark.parametrize("path", DOC_PATHS, ids=DOC_IDS)
def test_windows_exist(path: Path) -> None:
    fm, _ = _parse(path)
    wins = fm.get("windows")
    assert isinstance(wins, list) and wins, "windows must be a non-empty list"
    unknown = [w for w in wins if w not in _window_ids()]
    assert not unknown, f"unknown window ids: {unknown}"
    assert len(set(wins)) == len(wins), "duplicate window ids"


@pytest.mark.parametrize("path", DOC_PATHS, ids=DOC_IDS)
def test_body_length(path: Path) -> None:
    _, body = _parse(path)
    n = len(body.strip())
    assert BODY_MIN <= n <= BODY_MAX, f"body has {n} characters (want {BODY_MIN}–{BODY_MAX})"


@pytest.mark.parametrize("path", DOC_PATHS, ids=DOC_IDS)
def test_sections(path: Path) -> None:
    _, body = _parse(path)
    sections = re.findall(r"^## \S", body, re.M)
    assert len(sections) >= 2, f"only {len(sections)} '##' sections"


@pytest.mark.parametrize("path", DOC_PATHS, ids=DOC_IDS)
def test_no_near_duplicate(path: Path) -> None:
    mine = _doc_grams(path)
    worst = max(
        ((jaccard(mine, _doc_grams(other)), other.stem) for other in DOC_PATHS if other != path),
        default=(0.0, ""),
    )
    assert worst[0] < NEAR_DUP_THRESHOLD, f"near-duplicate of {worst[1]} (5-gram Jaccard {worst[0]:.3f})"


@pytest.mark.parametrize("path", DOC_PATHS, ids=DOC_IDS)
def test_phone_numbers_only_from_windows(path: Path) -> None:
    _, body = _parse(path)
    known = {_digits(w["phone"]) for w in _windows() if w.get("phone")}
    unknown = [p for p in find_phone_like(body) if _digits(p) not in known]
    assert not unknown, f"phone-number-like strings not in windows.yaml: {unknown}"


# --- corpus-wide checks -------------------------------------------------------------------------------------
def test_enough_documents() -> None:
    assert len(DOC_PATHS) >= MIN_DOCS


def test_ids_unique() -> None:
    dup = [k for k, n in Counter(_parse(p)[0].get("id") for p in DOC_PATHS).items() if n > 1]
    assert not dup, f"duplicate ids: {dup}"


def test_titles_unique() -> None:
    titles = Counter(str(_parse(p)[0].get("title", "")).strip() for p in DOC_PATHS)
    dup = [t for t, n in titles.items() if n > 1]
    assert not dup, f"duplicate titles: {dup}"


def test_categories_parsed_from_readme() -> None:
    assert len(_categories()) >= 5


def test_every_category_has_enough_documents() -> None:
    counts = Counter(_parse(p)[0].get("category") for p in DOC_PATHS)
    thin = {c: counts.get(c, 0) for c in _categories() if counts.get(c, 0) < MIN_DOCS_PER_CATEGORY}
    assert not thin, f"categories with fewer than {MIN_DOCS_PER_CATEGORY} documents: {thin}"


# --- the checker itself -------------------------------------------------------------------------------------
def test_near_duplicate_metric_catches_a_copy() -> None:
    body = _parse(DOC_PATHS[0])[1]
    sections = body.split("\n## ")
    # rewrite one section entirely and append some new text: still a copy
    sections[-1] = "次にやること\n- まったく別の文章に差し替えた段落です。内容は関係ありません。"
    copy = "\n## ".join(sections) + "\n\n追記：この文書は別の担当者が書き足した部分を含みます。"
    assert jaccard(_grams(body), _grams(copy)) >= NEAR_DUP_THRESHOLD
    assert jaccard(_grams(body), _grams(_parse(DOC_PATHS[1])[1])) < NEAR_DUP_THRESHOLD


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ナビダイヤル 0570-082100 へ", ["0570-082100"]),
        ("代表 03(1234)5678 まで", ["03(1234)5678"]),
        ("携帯 ０９０－１２３４－５６７８", ["090-1234-5678"]),
        ("+81-3-1234-5678", ["+81-3-1234-5678"]),
        ("2024年10月に改正、as_of 2026-11-25、出願日から20年", []),
        ("優先日から30か月、手数料 1,000,000円", []),
    ],
)
def test_phone_detector(text: str, expected: list[str]) -> None:
    assert find_phone_like(text) == expected


# --- windows.yaml -------------------------------------------------------------------------------------------
WINDOW_ENTRIES = _windows()


def test_windows_ids_unique() -> None:
    ids = [w.get("id") for w in WINDOW_ENTRIES]
    dup = [i for i, n in Counter(ids).items() if n > 1]
    assert not dup, f"duplicate window ids: {dup}"
    assert all(isinstance(i, str) and ID_RE.match(i) for i in ids)


@pytest.mark.parametrize("window", WINDOW_ENTRIES, ids=[str(w.get("id")) for w in WINDOW_ENTRIES])
def test_window_schema(window: dict) -> None:
    for key in ("id", "name", "organisation"):
        assert isinstance(window.get(key), str) and window[key].strip(), f"{key} must be a non-empty string"
    topics = window.get("topics")
    assert isinstance(topics, list) and topics and all(isinstance(t, str) and t.strip() for t in topics)
    handles = window.get("handles")
    assert isinstance(handles, list) and handles, "handles must be a non-empty list"
    assert set(handles) <= HANDLES, f"unknown handles: {sorted(set(handles) - HANDLES)}"
    assert isinstance(window.get("url"), str) and _host_allowed(window["url"]), (
        f"url not allowed: {window.get('url')}"
    )
    if window.get("list_url") is not None:
        assert _host_allowed(window["list_url"]), f"list_url not allowed: {window['list_url']}"
    assert window.get("scope") in SCOPES, f"scope must be one of {sorted(SCOPES)}"
    assert "phone" in window, "phone must be present (null when not certain)"
    phone = window["phone"]
    assert phone is None or (isinstance(phone, str) and find_phone_like(phone) == [phone]), (
        f"bad phone {phone!r}"
    )
