"""The ingest job: discover files, load, normalise, chunk, embed, and swap each document into the index.

Order per document matters for crash safety: new vectors are written to Chroma first (invisible: their ids are not in
the catalog yet), then the catalog swaps chunks and keyword rows in one transaction, then old vectors are deleted.
Leftover vectors from a killed run are removed by the garbage collection at the end of the next run.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable
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
from ingest.screen import drop_planted_lines

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


def _chroma_metadata(doc: LoadedDocument, chunk: Chunk) -> dict:
    meta: dict = {"doc_id": doc.doc_id, "source": doc.source}
    for key in ("category", "publisher"):
        if doc.metadata.get(key):
            meta[key] = str(doc.metadata[key])
    if chunk.section.page is not None:
        meta["page"] = chunk.section.page
    return meta


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

    def close(self) -> None:
        self.catalog.close()

    def run(self, paths: Iterable[Path] | None = None, *, prune: bool = False, progress: Progress | None = None) -> IngestReport:
        started = time.time()
        report = IngestReport()
        files = discover(list(paths) if paths else default_paths(self.settings))
        seen_ids: dict[str, str] = {}
        removed_before = self._removed_lines()
        with IsolatedLoader(self.settings.load_timeout_s, self.reader) as loader:
            for i, (file, source, explicit) in enumerate(files):
                if progress:
                    progress(i, len(files), source)
                outcome = self._ingest_file(file, source, explicit, seen_ids, report, loader)
                if outcome.status == "unchanged":  # screened by an earlier run with the same model: still report
                    report.problems.extend(removed_before.get(source, []))
                report.outcomes.append(outcome)
        if progress:
            progress(len(files), len(files), "")
        if prune:
            report.pruned = self._prune()
        report.orphans_removed = self.collect_garbage()
        report.seconds = time.time() - started
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
            "failures": [{"source": o.source, "reason": o.reason} for o in report.outcomes if o.status == "failed"],
            "ingested_sources": [o.source for o in report.outcomes if o.status in ("ingested", "unchanged")],
        }
        self.catalog.record_run(started, summary, report.problems)
        return report

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
        try:
            if not file.exists():
                raise LoadError("ファイルがありません / file not found")
            max_bytes = int(self.settings.max_file_mb * 1024 * 1024)
            doc = loader.load(file, source, max_bytes)  # refuses a too-large file before anything reads it
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
        fingerprint = _fingerprint(data, self.settings, self.embedder.name, self.screen)
        return run_with_retry(lambda: self._index(doc, source, path_key, fingerprint, report), RetryPolicy(), what="ingest")

    def _index(self, doc: LoadedDocument, source: str, path_key: str, fingerprint: str, report: IngestReport) -> FileOutcome:
        """Chunk, embed and swap one document under its claim: another worker on the same document waits, then
        finds it unchanged. Retried as a whole when the catalog fails transiently (a PostgreSQL restart), so what it
        reports is added only once it succeeded. Each attempt starts from the metadata as loaded: chunk ids hash
        the metadata, and marking twins adds to it."""
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
            self._swap_in(doc, chunks, path_key, fingerprint, len(removed))
        report.problems.extend(removed + twins.problems)
        return FileOutcome(source, "ingested", pages=doc.pages_total, chunks=len(chunks), doc_id=doc.doc_id)

    def _mark_twins(self, doc: LoadedDocument, report: IngestReport) -> None:
        """Same text as an indexed document: keep the more citable copy served, mark the other, report it."""
        doc.metadata["sketch"] = duplicates.sketch(doc)
        doc.metadata["structure"] = duplicates.structure(doc)
        others = {d["doc_id"]: {**d["metadata"], "source": d["source"]} for d in self.catalog.documents()
                  if d["doc_id"] != doc.doc_id}
        twin = duplicates.find_twin(doc.metadata["sketch"], others)
        if twin is None:
            doc.metadata.pop("duplicate_of", None)
            return
        other = others[twin]
        if other.get("structure", 0) >= doc.metadata["structure"]:
            doc.metadata["duplicate_of"] = twin
            report.problems.append(duplicates.report(doc.source, other["source"], other["source"]))
        else:
            self.catalog.update_metadata(twin, {"duplicate_of": doc.doc_id})
            report.problems.append(duplicates.report(other["source"], doc.source, doc.source))

    def _swap_in(self, doc: LoadedDocument, chunks: list[Chunk], path_key: str, fingerprint: str, removed: int) -> None:
        old_ids = self.catalog.chunk_ids(doc.doc_id)
        vectors: list[list[float]] = []
        batch = self.settings.embed_batch_size
        for start in range(0, len(chunks), batch):
            vectors.extend(self.embedder.embed_documents([_dense_text(doc, c) for c in chunks[start : start + batch]]))
        new_ids = [c.chunk_id for c in chunks]
        self.vectors.upsert(new_ids, vectors, [_chroma_metadata(doc, c) for c in chunks])
        terms = [self.tokenizer.tokens(_keyword_text(doc, c)) for c in chunks]
        metadata = {**doc.metadata, "problems": len(doc.problems), "removed_lines": removed}
        self.catalog.replace_document(
            doc_id=doc.doc_id,
            source=doc.source,
            path=path_key,
            content_hash=fingerprint,
            title=doc.title,
            metadata=metadata,
            pages_total=doc.pages_total,
            chunks=chunks,
            terms=terms,
        )
        stale = old_ids - set(new_ids)
        if stale:
            self.vectors.delete(sorted(stale))

    def _removed_lines(self) -> dict[str, list[Problem]]:
        """Lines removed by earlier runs, per source: an unchanged file is not screened again, only reported."""
        out: dict[str, list[Problem]] = {}
        for row in self.catalog.problems():
            problem = Problem(row["source"], row["reason"], row["page"])
            if problem.removed_line:
                out.setdefault(problem.source, []).append(problem)
        return out

    def _prune(self) -> list[str]:
        pruned = []
        for doc in self.catalog.documents():
            if not os.path.exists(doc["path"]):
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
