"""The composition root: the one place that turns settings into the objects the entry points use.

The CLI, the Streamlit app, the evals and the bench build their assistant, handoff policy and ticket store here,
so swapping an implementation (another embedder, a Chroma server, an OpenAI-compatible model, PostgreSQL) is a
settings change, and no module reaches for settings on its own.
"""

from __future__ import annotations

from langchain_core.embeddings import Embeddings

from assistant.answer.engines.base import AnswerEngine
from assistant.answer.engines.registry import Engines
from assistant.answer.gate import Gate
from assistant.answer.pipeline import Assistant
from assistant.handoff import HandoffPolicy
from assistant.retrieval.hybrid import HybridRetriever
from assistant.tickets import AdvisorAuth, TicketStore
from chizai import logsafe
from chizai.settings import Settings


def configure_process(settings: Settings) -> None:
    """Process-wide choices that cannot wait for an object to be built (what logs may contain)."""
    logsafe.configure(settings.debug_log_text)


def build_policy(settings: Settings) -> HandoffPolicy:
    return HandoffPolicy(windows_path=settings.resolved_windows_file)


def build_retriever(settings: Settings, embedder: Embeddings | None = None) -> HybridRetriever:
    return HybridRetriever(settings, embedder=embedder)


def build_assistant(
    settings: Settings,
    *,
    retriever: HybridRetriever | None = None,
    policy: HandoffPolicy | None = None,
    engines: dict[str, AnswerEngine] | None = None,
    embedder: Embeddings | None = None,
) -> Assistant:
    """The answer pipeline; pass parts to share them (one retriever for several assistants) or to test."""
    return Assistant(
        settings,
        retriever or build_retriever(settings, embedder),
        Gate(policy or build_policy(settings), settings.min_support),
        Engines(settings, engines),
    )


def build_store(settings: Settings, **kwargs: object) -> TicketStore:
    return TicketStore(settings.resolved_database_url, **kwargs)  # type: ignore[arg-type]


def build_auth(store: TicketStore) -> AdvisorAuth:
    return AdvisorAuth(store)
