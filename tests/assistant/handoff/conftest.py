"""A policy with the shipped situation model and the real embedder, on the fixture windows directory."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.handoff import HandoffPolicy
from assistant.handoff.situation import load_model
from chizai.index.embedding_cache import build_embedder
from tests.conftest import REPO, make_settings

FIXTURE_WINDOWS = REPO / "tests" / "fixtures" / "windows_handoff.yaml"
REAL_WINDOWS = REPO / "corpus" / "windows.yaml"
TODAY = date(2026, 12, 2)  # a Wednesday


class Reader:
    """Decides like the gate: the message's query embedding from the real embedder, then the policy."""

    def __init__(self, policy: HandoffPolicy, embed) -> None:  # noqa: ANN001
        self.policy, self.embed = policy, embed

    def decide(self, text: str, history=(), **kw):  # noqa: ANN001, ANN201
        from assistant.answer.rewrite import rewrite_follow_up
        from assistant.retrieval.query import expand_query

        query = expand_query(rewrite_follow_up(text, list(history)))
        reading = self.policy.read(text, list(history), self.embed(query))
        return self.policy.decide(text, history, reading=reading, **kw)


@pytest.fixture(scope="session")
def embedder(tmp_path_factory):  # noqa: ANN001, ANN201
    return build_embedder(make_settings(tmp_path_factory.mktemp("emb")))


@pytest.fixture
def policy() -> HandoffPolicy:
    return HandoffPolicy(FIXTURE_WINDOWS, model=load_model(), today=lambda: TODAY)


@pytest.fixture
def reader(policy: HandoffPolicy, embedder) -> Reader:  # noqa: ANN001
    return Reader(policy, embedder.embed_query)
