"""The composition root: the one place that turns settings into the objects the entry points use.

The CLI, the Streamlit app, the evals and the bench build their assistant, handoff policy and ticket store here,
so swapping an implementation (another embedder, a Chroma server, an OpenAI-compatible model, PostgreSQL) is a
settings change, and no module reaches for settings on its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.embeddings import Embeddings

from assistant.answer.engines.base import AnswerEngine
from assistant.answer.engines.chat import openai_chat_model
from assistant.answer.engines.registry import Engines
from assistant.answer.gate import Embed, Gate
from assistant.answer.pipeline import Assistant
from assistant.answer.rewrite import rewrite_follow_up
from assistant.answer.verifier import JudgedVerifier, LexicalVerifier, Verifier
from assistant.handoff import HandoffPolicy
from assistant.handoff.situation import load_model
from assistant.retrieval.hybrid import HybridRetriever
from assistant.retrieval.query import expand_query
from assistant.tickets import AdvisorAuth, TicketStore
from chizai import logsafe
from chizai.index.embedding_cache import build_embedder
from chizai.settings import Settings


def configure_process(settings: Settings) -> None:
    """Process-wide choices that cannot wait for an object to be built (what logs may contain)."""
    logsafe.configure(settings.debug_log_text)


def build_policy(settings: Settings) -> HandoffPolicy:
    """The handoff policy with the shipped situation model, the one support threshold, and a way to embed a
    message the way retrieval does (for the handoff form, which decides without retrieving)."""
    model = load_model()
    embedder = build_embedder(settings.model_copy(update={"embedder": model.embedder}))

    def embed(message: str, history: Sequence[Mapping[str, Any]]) -> Sequence[float]:
        return embedder.embed_query(expand_query(rewrite_follow_up(message, history)))

    return HandoffPolicy(settings.resolved_windows_file, model=model, min_support=settings.min_support, embed=embed)


def situation_embedder(settings: Settings, retriever: HybridRetriever, model_embedder: str) -> Embed | None:
    """None when the retriever's vector can be reused; else the model's own embedder (another CHIZAI_EMBEDDER)."""
    if retriever.embedder_name == model_embedder:
        return None
    own = build_embedder(settings.model_copy(update={"embedder": model_embedder}))
    return own.embed_query


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
    retriever = retriever or build_retriever(settings, embedder)
    policy = policy or build_policy(settings)
    embed = situation_embedder(settings, retriever, policy.model.embedder) if policy.model else None
    gate = Gate(policy, settings.min_support, embed)
    return Assistant(settings, retriever, gate, Engines(settings, engines), build_verifier(settings))


def build_verifier(settings: Settings) -> Verifier:
    """The lexical verifier; with ``CHIZAI_VERIFY_JUDGE=true`` and a remote model, the model judges doubtful cases."""
    lexical = LexicalVerifier()
    if not (settings.verify_judge and settings.llm_base_url and settings.llm_model):
        return lexical
    model = openai_chat_model(settings)
    return JudgedVerifier(ask=lambda prompt: model.invoke(prompt).content, lexical=lexical)


def build_store(settings: Settings, **kwargs: object) -> TicketStore:
    return TicketStore(settings.resolved_database_url, **kwargs)  # type: ignore[arg-type]


def build_auth(store: TicketStore) -> AdvisorAuth:
    return AdvisorAuth(store)
