"""The naive LangChain baseline from the tutorials, for comparison only.

Raw files (Markdown with its front matter; for PDFs pypdf's text per page, unnormalised) →
``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)`` →
``langchain_chroma.Chroma`` dense-only
search with the same default embedder as the real index. No NFKC, no keyword leg, no per-document cap.
Built once into its own collection under the eval cache, keyed by a hash of the files and the embedder.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.documents import Document

from chizai.index.embedding_cache import build_embedder
from chizai.settings import Settings
from evals.index import cache_root

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
Progress = Callable[[int, int, str], None]


@dataclass
class NaiveHit:
    doc_id: str
    source: str
    page: int | None
    text: str
    score: float


def files_hash(files: Sequence[Path], embedder: str) -> str:
    digest = hashlib.sha256(f"{embedder}|{CHUNK_SIZE}|{CHUNK_OVERLAP}|v1".encode())
    for f in sorted(files):
        digest.update(f.name.encode())
        digest.update(hashlib.sha256(f.read_bytes()).digest())
    return digest.hexdigest()[:12]


def load_raw(path: Path, doc_id: str | None = None) -> list[Document]:
    """What a tutorial loader gives: Markdown/XML/text as-is, PDF text per page as pypdf extracts it."""
    doc_id = doc_id or path.stem
    if path.suffix.lower() == ".pdf":
        from pypdf import PdfReader

        reader = PdfReader(str(path))
        if reader.is_encrypted:
            reader.decrypt("")
        return [
            Document(
                page_content=page.extract_text() or "",
                metadata={"doc_id": doc_id, "source": path.name, "page": i + 1},
            )
            for i, page in enumerate(reader.pages)
        ]
    return [
        Document(
            page_content=path.read_text(encoding="utf-8", errors="replace"),
            metadata={"doc_id": doc_id, "source": path.name},
        )
    ]


class NaiveBaseline:
    def __init__(
        self, settings: Settings, files: Sequence[Path], name: str, doc_ids: dict[Path, str] | None = None
    ) -> None:
        self.settings = settings
        self.files = sorted(files)
        self.doc_ids = doc_ids or {}
        self.embedder = build_embedder(settings)  # the machine's cache: the same texts are never embedded twice
        key = files_hash(self.files, self.embedder.name)
        self.directory = cache_root() / f"naive-{name}-{key}"
        self.collection = f"naive_{name}"[:60]
        self._store: Any = None
        self.build_seconds: float | None = None

    def _open(self) -> Any:
        from langchain_chroma import Chroma

        return Chroma(
            collection_name=self.collection,
            embedding_function=self.embedder,
            persist_directory=str(self.directory),
            collection_metadata={"hnsw:space": "cosine"},
        )

    def ensure(self, progress: Progress | None = None) -> str:
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        ready = self.directory / ".complete"
        if ready.exists():
            self._store = self._open()
            return f"naive index cached in {self.directory}"
        shutil.rmtree(self.directory, ignore_errors=True)
        started = time.time()
        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
        docs: list[Document] = []
        for f in self.files:
            docs.extend(load_raw(f, self.doc_ids.get(f)))
        chunks = [c for c in splitter.split_documents(docs) if c.page_content.strip()]
        store = self._open()
        batch = 32
        for start in range(0, len(chunks), batch):
            if progress:
                progress(start, len(chunks), "naive baseline: embedding")
            part = chunks[start : start + batch]
            store.add_documents(part, ids=[f"c{start + i:05d}" for i in range(len(part))])
        if progress:
            progress(len(chunks), len(chunks), "naive baseline: done")
        ready.write_text(str(len(chunks)))
        self._store = store
        self.build_seconds = time.time() - started
        return f"naive index built: {len(chunks)} chunks in {self.build_seconds:.0f}s ({self.directory})"

    def search(self, query: str, k: int = 20) -> list[NaiveHit]:
        if self._store is None:
            self.ensure()
        results = self._store.similarity_search_with_score(query, k=k)
        return [
            NaiveHit(
                doc_id=str(d.metadata.get("doc_id")),
                source=str(d.metadata.get("source")),
                page=d.metadata.get("page"),
                text=d.page_content,
                score=1.0 - float(distance),
            )
            for d, distance in results
        ]


def corpus_baseline(settings: Settings) -> NaiveBaseline:
    files = sorted((settings.corpus_dir / "docs").glob("*.md"))
    return NaiveBaseline(settings, files, "corpus")


def realdocs_baseline(settings: Settings, files: Sequence[Path]) -> NaiveBaseline:
    from ingest.loaders.common import doc_id_for

    return NaiveBaseline(settings, files, "realdocs", doc_ids={f: doc_id_for(f.name) for f in files})
