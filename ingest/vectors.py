"""``python -m ingest.vectors`` (``make vectors``): regenerate the vectors shipped with the corpus.

The file (:mod:`chizai.index.shipped_vectors`) must hold exactly the passages ingest embeds for the shipped corpus
with the default chunking; :func:`corpus_passages` computes them the way the pipeline does (same loader, chunker and
dense text), without touching any index. Vectors come through the usual cached embedder, so regenerating after a
small corpus edit embeds only the changed passages.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from chizai.index.embedding_cache import build_embedder, vector_key
from chizai.index.shipped_vectors import file_for, write
from chizai.settings import Settings, get_settings
from ingest.chunker import chunk_document
from ingest.loaders import load_file
from ingest.pipeline import _dense_text, default_paths, discover


def corpus_passages(settings: Settings) -> list[str]:
    """The texts ingest embeds for the shipped corpus (our own Markdown: read in-process, no worker needed)."""
    texts: list[str] = []
    max_bytes = int(settings.max_file_mb * 1024 * 1024)
    for file, source, _ in discover(default_paths(settings)):
        doc = load_file(file, source, max_bytes)
        texts.extend(_dense_text(doc, c) for c in chunk_document(doc, settings.chunk_size, settings.chunk_overlap))
    return texts


def expected_keys(settings: Settings, embedder: str) -> set[bytes]:
    return {vector_key(embedder, "passage", t) for t in corpus_passages(settings)}


def regenerate(settings: Settings) -> tuple[Path, int]:
    """Embed (through the cache) and write every passage of the shipped corpus; returns the file and its rows."""
    if not settings.shipped_vectors_dir:
        raise SystemExit("CHIZAI_SHIPPED_VECTORS_DIR is empty: nowhere to write the shipped vectors")
    texts = list(dict.fromkeys(corpus_passages(settings)))
    embedder = build_embedder(settings)
    vectors = embedder.embed_documents(texts)
    path = file_for(settings.shipped_vectors_dir, embedder.name)
    rows = {vector_key(embedder.name, "passage", t): v for t, v in zip(texts, vectors, strict=True)}
    write(path, embedder.name, settings.chunk_size, settings.chunk_overlap, rows)
    return path, len(rows)


def main() -> int:
    started = time.perf_counter()
    path, rows = regenerate(get_settings())
    print(f"wrote {rows} vectors to {path} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
