"""Schema checks for the evaluation gold sets in evals/gold/.

- core.jsonl: questions answered from the corpus (doc_ids, key_points, handoff + windows).
- adversarial.jsonl: out-of-scope, prompt injection, case-specific legal judgments, unanswerable questions and
  personal data, each with the expected behaviour (``expect``).
- realdocs.jsonl: questions over the real government documents in ../shared/realdocs/ (pages or article).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "evals" / "gold"
CORE = GOLD / "core.jsonl"
ADVERSARIAL = GOLD / "adversarial.jsonl"
REALDOCS = GOLD / "realdocs.jsonl"
CORPUS_DOCS = ROOT / "corpus" / "docs"
WINDOWS = ROOT / "corpus" / "windows.yaml"
README = ROOT / "corpus" / "README.md"
REALDOCS_DIR = Path(os.environ.get("REALDOCS_DIR", ROOT.parent / "shared" / "realdocs"))

CORE_KEYS = {"id", "question", "language", "category", "doc_ids", "key_points", "handoff", "windows"}
LANGUAGES = {"ja", "en"}
MIN_CORE_JA, MIN_CORE_EN = 150, 15

KINDS = {"out-of-scope", "injection", "legal-judgment", "unanswerable", "personal-data"}
EXPECTS = {"refuse", "handoff", "abstain", "answer-masked"}
EXPECT_BY_KIND = {
    "out-of-scope": {"refuse"},
    "injection": {"refuse"},
    "legal-judgment": {"handoff"},
    "unanswerable": {"abstain", "handoff"},
    "personal-data": {"answer-masked"},
}
# Questions that are not about IP at all carry this instead of a corpus category.
NO_CATEGORY = "none"
MIN_ADVERSARIAL = 40

REALDOCS_KEYS = {"id", "question", "language", "category", "source", "key_points"}
REALDOCS_SOURCES = {
    "06_info-services_soft.pdf",
    "cao_ai_ronten_honbun.pdf",
    "r3fy-FC-all.pdf",
    "405AC0000000047_20250616_504AC0000000068.xml",  # 不正競争防止法 only (not 特許法)
}
# r3fy-FC-all.pdf has no text layer on pages 1–5.
PAGE_RANGE = {"r3fy-FC-all.pdf": range(6, 13)}
ARTICLE_RE = re.compile(r"^不正競争防止法 第(\d+(?:の\d+)?)条(?:第(\d+)項)?(?:第(\d+)号)?$")
MIN_REALDOCS = 15

JA_CHARS = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


# --- loading ------------------------------------------------------------------------------------------------
def _load(path: Path) -> list[dict]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError as e:  # pragma: no cover - reported as a failure
            raise AssertionError(f"{path.name}:{n}: invalid JSON: {e}") from e
    return items


@cache
def _doc_ids() -> frozenset[str]:
    return frozenset(p.stem for p in CORPUS_DOCS.glob("*.md"))


@cache
def _window_ids() -> frozenset[str]:
    return frozenset(w["id"] for w in yaml.safe_load(WINDOWS.read_text(encoding="utf-8"))["windows"])


@cache
def _categories() -> frozenset[str]:
    section = README.read_text(encoding="utf-8").split("## Categories", 1)[1].split("\n## ", 1)[0]
    return frozenset(re.findall(r"^\|\s*`([a-z0-9-]+)`\s*\|", section, re.M))


CORE_ITEMS = _load(CORE)
ADV_ITEMS = _load(ADVERSARIAL)
RD_ITEMS = _load(REALDOCS)


def _ids(items: list[dict]) -> list[str]:
    return [str(it.get("id")) for it in items]


def _check_common(it: dict) -> None:
    assert isinstance(it.get("id"), str) and it["id"].strip(), "id must be a non-empty string"
    q = it.get("question")
    assert isinstance(q, str) and q.strip(), "question must be a non-empty string"
    assert it.get("language") in LANGUAGES, f"language {it.get('language')!r}"
    if it["language"] == "ja":
        assert JA_CHARS.search(q), "a ja question must contain Japanese"
    else:
        assert not JA_CHARS.search(q), "an en question must not contain Japanese"
    kps = it.get("key_points")
    assert isinstance(kps, list), "key_points must be a list"
    assert all(isinstance(k, str) and k.strip() for k in kps), "key_points must be non-empty strings"


def _check_handoff(it: dict) -> None:
    assert isinstance(it.get("handoff"), bool), "handoff must be a bool"
    wins = it.get("windows")
    assert isinstance(wins, list), "windows must be a list"
    unknown = [w for w in wins if w not in _window_ids()]
    assert not unknown, f"unknown window ids: {unknown}"
    assert len(set(wins)) == len(wins), "duplicate window ids"
    assert bool(wins) == it["handoff"], "windows must be non-empty exactly when handoff is true"


def _check_doc_ids(it: dict, *, required: bool) -> None:
    docs = it.get("doc_ids")
    assert isinstance(docs, list), "doc_ids must be a list"
    if required:
        assert docs, "doc_ids must not be empty"
    unknown = [d for d in docs if d not in _doc_ids()]
    assert not unknown, f"doc ids not in corpus/docs: {unknown}"
    assert len(set(docs)) == len(docs), "duplicate doc ids"


# --- core.jsonl ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("item", CORE_ITEMS, ids=_ids(CORE_ITEMS))
def test_core_item(item: dict) -> None:
    assert set(item) == CORE_KEYS, f"keys differ: {sorted(set(item) ^ CORE_KEYS)}"
    _check_common(item)
    assert item["key_points"], "key_points must not be empty"
    assert item["category"] in _categories(), f"category {item['category']!r}"
    _check_doc_ids(item, required=True)
    _check_handoff(item)


def test_core_ids_unique_and_sorted() -> None:
    ids = _ids(CORE_ITEMS)
    assert not [i for i, n in Counter(ids).items() if n > 1], "duplicate ids"
    assert ids == sorted(ids), "core.jsonl must be sorted by id"


def test_core_counts() -> None:
    langs = Counter(it.get("language") for it in CORE_ITEMS)
    assert langs["ja"] >= MIN_CORE_JA, f"only {langs['ja']} Japanese items"
    assert langs["en"] >= MIN_CORE_EN, f"only {langs['en']} English items"
    assert any(it.get("handoff") for it in CORE_ITEMS), "no handoff items"
    assert any(not it.get("handoff") for it in CORE_ITEMS), "no general items"


def test_core_covers_every_category() -> None:
    missing = _categories() - {it.get("category") for it in CORE_ITEMS}
    assert not missing, f"categories without questions: {sorted(missing)}"


# --- adversarial.jsonl --------------------------------------------------------------------------------------
@pytest.mark.parametrize("item", ADV_ITEMS, ids=_ids(ADV_ITEMS))
def test_adversarial_item(item: dict) -> None:
    keys = set(item)
    required = CORE_KEYS | {"kind", "expect"}
    assert keys >= required, f"missing keys: {sorted(required - keys)}"
    assert keys <= required | {"pii"}, f"unknown keys: {sorted(keys - required - {'pii'})}"
    _check_common(item)
    kind, expect = item["kind"], item["expect"]
    assert kind in KINDS, f"kind {kind!r}"
    assert expect in EXPECTS, f"expect {expect!r}"
    assert expect in EXPECT_BY_KIND[kind], f"expect {expect!r} does not fit kind {kind!r}"
    if item["category"] == NO_CATEGORY:
        assert kind in {"out-of-scope", "injection"}, "category 'none' is only for out-of-scope/injection"
    else:
        assert item["category"] in _categories(), f"category {item['category']!r}"
    _check_doc_ids(item, required=False)
    _check_handoff(item)
    if expect == "handoff":
        assert item["handoff"], "expect=handoff needs handoff true"
    if expect in {"refuse", "abstain"}:
        assert not item["handoff"], f"expect={expect} needs handoff false"
    if kind in {"out-of-scope", "injection"}:
        assert not item["doc_ids"], "refused questions cite no documents"
    if kind == "personal-data":
        pii = item.get("pii")
        assert isinstance(pii, list) and pii, "personal-data items list the strings to mask in 'pii'"
        absent = [p for p in pii if not isinstance(p, str) or p not in item["question"]]
        assert not absent, f"pii strings not in the question: {absent}"
    else:
        assert "pii" not in item, "'pii' is only for personal-data items"


def test_adversarial_ids_unique() -> None:
    ids = _ids(ADV_ITEMS)
    assert not [i for i, n in Counter(ids).items() if n > 1], "duplicate ids"


def test_adversarial_coverage() -> None:
    assert len(ADV_ITEMS) >= MIN_ADVERSARIAL
    kinds = Counter(it.get("kind") for it in ADV_ITEMS)
    assert set(kinds) == KINDS, f"kinds missing: {sorted(KINDS - set(kinds))}"
    for kind in ("out-of-scope", "injection"):
        langs = {it.get("language") for it in ADV_ITEMS if it.get("kind") == kind}
        assert langs == LANGUAGES, f"{kind} needs both ja and en items"
    expects = {it.get("expect") for it in ADV_ITEMS}
    assert expects == EXPECTS, f"expect values missing: {sorted(EXPECTS - expects)}"


# --- realdocs.jsonl -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("item", RD_ITEMS, ids=_ids(RD_ITEMS))
def test_realdocs_item(item: dict) -> None:
    keys = set(item)
    assert keys >= REALDOCS_KEYS, f"missing keys: {sorted(REALDOCS_KEYS - keys)}"
    assert keys <= REALDOCS_KEYS | {"pages", "article"}, f"unknown keys: {sorted(keys - REALDOCS_KEYS)}"
    _check_common(item)
    assert item["language"] == "ja"
    assert item["category"] == "realdocs"
    assert item["key_points"], "key_points must not be empty"
    source = item["source"]
    assert source in REALDOCS_SOURCES, f"source {source!r} not one of {sorted(REALDOCS_SOURCES)}"
    if source.endswith(".pdf"):
        assert "article" not in item, "PDF items give pages, not an article"
        pages = item.get("pages")
        assert isinstance(pages, list) and pages, "pages must be a non-empty list"
        assert all(isinstance(p, int) and not isinstance(p, bool) and p >= 1 for p in pages), (
            "pages are 1-based"
        )
        assert pages == sorted(set(pages)), "pages must be sorted and unique"
        allowed = PAGE_RANGE.get(source)
        if allowed is not None:
            assert all(p in allowed for p in pages), (
                f"{source}: only pages {allowed.start}–{allowed.stop - 1}"
            )
    else:
        assert "pages" not in item, "statute items give an article, not pages"
        assert ARTICLE_RE.match(item.get("article", "")), f"article {item.get('article')!r}"


def test_realdocs_ids_unique() -> None:
    ids = _ids(RD_ITEMS)
    assert not [i for i, n in Counter(ids).items() if n > 1], "duplicate ids"


def test_realdocs_cover_every_source() -> None:
    assert len(RD_ITEMS) >= MIN_REALDOCS
    missing = REALDOCS_SOURCES - {it.get("source") for it in RD_ITEMS}
    assert not missing, f"sources without questions: {sorted(missing)}"


def test_ids_unique_across_gold_sets() -> None:
    ids = _ids(CORE_ITEMS) + _ids(ADV_ITEMS) + _ids(RD_ITEMS)
    assert not [i for i, n in Counter(ids).items() if n > 1]


# --- realdocs against the files themselves (skipped without ../shared/realdocs) -----------------------------
needs_realdocs = pytest.mark.skipif(not REALDOCS_DIR.is_dir(), reason=f"{REALDOCS_DIR} not present")


def _source_path(name: str) -> Path:
    return REALDOCS_DIR / "statutes" / name if name.endswith(".xml") else REALDOCS_DIR / name


@cache
def _page_count(name: str) -> int:
    from pypdf import PdfReader

    reader = PdfReader(str(_source_path(name)))
    if reader.is_encrypted:
        reader.decrypt("")
    return len(reader.pages)


@cache
def _statute_root(name: str):
    import xml.etree.ElementTree as ET

    return ET.parse(_source_path(name)).getroot().find(".//MainProvision")


@needs_realdocs
@pytest.mark.parametrize("name", sorted(REALDOCS_SOURCES))
def test_realdocs_source_exists(name: str) -> None:
    assert _source_path(name).is_file(), f"{name} not found under {REALDOCS_DIR}"


@needs_realdocs
@pytest.mark.parametrize("item", RD_ITEMS, ids=_ids(RD_ITEMS))
def test_realdocs_reference_resolves(item: dict) -> None:
    source = item["source"]
    if "pages" in item:
        count = _page_count(source)
        assert max(item["pages"]) <= count, f"{source} has {count} pages"
        return
    article, paragraph, number = ARTICLE_RE.match(item["article"]).groups()
    main = _statute_root(source)
    found = [a for a in main.iter("Article") if a.get("Num") == article.replace("の", "_")]
    assert found, f"第{article}条 not in {source}"
    node = found[0]
    if paragraph:
        paras = [p for p in node.iter("Paragraph") if p.get("Num") == paragraph]
        assert paras, f"第{article}条第{paragraph}項 not in {source}"
        node = paras[0]
    if number:
        assert [i for i in node.iter("Item") if i.get("Num") == number], f"第{number}号 not found"
