"""The answer pipeline: one question in, one grounded answer out, in named stages.

guard → rewrite → retrieve → gate → generate → verify → compose. Each stage lives in its own module; this one only
runs them in order and records what happened. The CLI, the Streamlit app and the evals all drive ``Assistant``.
Citations are built from retrieval metadata, never from model text, and the only links an answer (or its stream)
may carry are the ``url`` fields of the retrieved documents.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.answer.compose import compose
from assistant.answer.engines.base import AnswerEngine, Passage
from assistant.answer.engines.registry import Engines
from assistant.answer.gate import Gate, GateOutcome
from assistant.answer.links import allowed_set, filter_link_stream
from assistant.answer.result import AnswerResult, Citation, handoff_view, hit_view
from assistant.answer.rewrite import rewrite_follow_up
from assistant.answer.stream_gate import SentenceGate
from assistant.answer.verifier import Verifier
from assistant.answer.verify import AnswerCheck, Verification, verify_answer
from assistant.handoff import HandoffDecision, looks_confidential
from assistant.handoff.pii import find_pii
from assistant.messages import (
    CONCLUSION,
    CONFIDENTIAL_NOTICE,
    DISCLAIMER,
    LEAD,
    MODEL_FAILED,
    NOT_SENT_REMOTE,
    POINTS,
    REFUSALS,
)
from assistant.retrieval.hybrid import Hit, HybridRetriever
from assistant.retrieval.query import expand_query
from chizai.logsafe import shown
from chizai.screening.instructions import is_injection
from chizai.settings import Settings
from chizai.text.language import detect_language
from chizai.text.sentences import MARKER

log = logging.getLogger(__name__)
SIBLINGS = 6  # chunks of the best document added for the extractive engine (documents are 600–2,500 characters)
_OURS = frozenset([*LEAD.values(), *CONCLUSION.values(), *POINTS.values()])  # our own lines: nothing to verify


class Assistant:
    """The stages wired together; built by :mod:`assistant.container`."""

    def __init__(
        self, settings: Settings, retriever: HybridRetriever, gate: Gate, engines: Engines, verifier: Verifier
    ) -> None:
        self.settings = settings
        self.retriever = retriever
        self.gate = gate
        self.engines = engines
        self.verifier = verifier
        self.observers: list[Callable[[AnswerResult], None]] = []  # told about every result (the app's profile)

    @property
    def policy(self):  # noqa: ANN201 - the handoff policy the gate decides with (the UI reads its windows)
        return self.gate.policy

    def available_engines(self) -> list[str]:
        return self.engines.available()

    def engine(self, name: str | None = None) -> AnswerEngine:
        return self.engines.get(name)

    def answer(self, question: str, history: Sequence[Mapping[str, Any]] = (), **kwargs: Any) -> AnswerResult:
        turn = self.prepare(question, history, **kwargs)
        for _ in turn.stream():
            pass
        assert turn.result is not None
        return turn.result

    def prepare(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]] = (),
        *,
        engine: str | None = None,
        prefecture: str | None = None,
        consent_remote: bool = False,
        filters: dict[str, str] | None = None,
        k: int | None = None,
    ) -> Turn:
        s = self.settings
        options = TurnOptions(engine, prefecture, consent_remote, filters, k)
        return Turn(self, question.strip()[: s.max_question_chars], list(history)[-s.max_history :], options)


@dataclass
class TurnOptions:
    engine: str | None = None
    prefecture: str | None = None
    consent_remote: bool = False
    filters: dict[str, str] | None = None
    k: int | None = None


@dataclass
class _Trace:
    """What the stages found so far; becomes the ``AnswerResult``."""

    language: str
    query: str = ""
    hits: list[Hit] = field(default_factory=list)
    gate: GateOutcome | None = None
    notices: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    engine_failed: bool = False
    shown: bool = False  # a piece of the engine's answer reached the caller


class Turn:
    """One question being answered; ``stream()`` yields text pieces and leaves the final ``result``."""

    def __init__(self, assistant: Assistant, question: str, history: list[Mapping[str, Any]], options: TurnOptions) -> None:
        self.a = assistant
        self.question = question
        self.history = history
        self.options = options
        self.result: AnswerResult | None = None
        self._t0 = time.perf_counter()

    def stream(self) -> Iterator[str]:
        q = self.question
        trace = _Trace(language=detect_language(q), query=q)
        if find_pii(q) or looks_confidential(q):
            trace.notices.append(CONFIDENTIAL_NOTICE[trace.language])
        # The question itself only with CHIZAI_DEBUG_LOG_TEXT: logs are kept longer and wider than tickets.
        log.debug("question (%s, %d earlier turns): %s", trace.language, len(self.history), shown(q, self.a.settings))
        if is_injection(q):  # guard
            yield from self._refuse(trace, "injection")
            return
        standalone = rewrite_follow_up(q, self.history)  # rewrite
        trace.query = expand_query(standalone)
        vector = self.a.retriever.embed(trace.query, trace.timings)  # retrieval and the situation model share it
        trace.hits = self.a.retriever.search(  # retrieve
            trace.query, k=self.options.k or self.a.settings.top_k, filters=self.options.filters, timings=trace.timings,
            vector=vector,
        )
        support_query = trace.query[len(standalone) :] if trace.query != standalone else trace.query
        t0 = time.perf_counter()
        trace.gate = self.a.gate.check(  # gate
            q, self.history, trace.query, support_query, trace.hits, self.options.prefecture, vector
        )
        trace.timings["gate_ms"] = (time.perf_counter() - t0) * 1000
        if trace.gate.refusal:
            yield from self._refuse(trace, trace.gate.refusal)
            return
        engine = self._engine(trace)
        passages = self._passages(trace.hits, engine)
        allowed = allowed_set(p.hit.chunk.metadata.get("url") for p in passages)
        t0 = time.perf_counter()
        gate = SentenceGate(AnswerCheck(passages, self.a.verifier, _OURS, self.question))
        trace.timings["verify_ms"] = (time.perf_counter() - t0) * 1000  # + what verifying the stream takes
        yield from self._generate(engine, passages, allowed, trace, gate)  # generate → verify, sentence by sentence
        t0 = time.perf_counter()
        verification, used = self._settle(gate, engine, passages, trace)
        if used != engine.name and not trace.shown:  # the model's answer withheld whole: the documents' answer
            yield from verification.text.splitlines(keepends=True)  # streamed too (a terminal shows only pieces)
        t1 = time.perf_counter()
        answer, citations = compose(verification.text, passages, self.a.retriever.catalog, allowed, trace.language)
        trace.timings.update(settle_ms=(t1 - t0) * 1000, compose_ms=(time.perf_counter() - t1) * 1000)
        self._finish(trace, answer, citations, used, verification.grounded_ratio)

    def _passages(self, hits: list[Hit], engine: AnswerEngine) -> list[Passage]:
        """The retrieved passages, numbered; for the extractive engine also the rest of the best document.

        The corpus documents are short and focused, and the sentence that answers is often in the chunk next to
        the one retrieval found (「次の3つの要件…」 in one, the three requirements in the next).
        """
        passages = [Passage(n=i + 1, hit=h) for i, h in enumerate(hits)]
        if engine.name != "extractive" or not hits:
            return passages
        seen = {h.chunk.chunk_id for h in hits}
        siblings = [c for c in self.a.retriever.catalog.document_chunks(hits[0].chunk.doc_id) if c.chunk_id not in seen]
        top = hits[0].score
        return passages + [Passage(n=len(passages) + i + 1, hit=Hit(c, top)) for i, c in enumerate(siblings[:SIBLINGS])]

    def _engine(self, trace: _Trace) -> AnswerEngine:
        engine = self.a.engine(self.options.engine)
        if engine.name == "openai" and trace.notices and not self.options.consent_remote:
            trace.notices.append(NOT_SENT_REMOTE)
            return self.a.engine("extractive")
        return engine

    def _generate(
        self, engine: AnswerEngine, passages: list[Passage], allowed: frozenset[str], trace: _Trace, gate: SentenceGate
    ) -> Iterator[str]:
        """The engine's stream, shown only sentence by sentence once verified, with foreign links held back.

        Timings: ``engine_ms`` producing the text, ``shown_ms`` the caller's time with the pieces (the app drawing
        them), and the rest of ``generate_ms`` is verifying (added to ``verify_ms``)."""
        t0, shown, timings = time.perf_counter(), 0.0, trace.timings
        engine_stream = _timed(self._guarded(engine.stream(self.question, passages, trace.language), trace), timings, "engine_ms")
        verified = gate.feed(engine_stream)
        for piece in filter_link_stream(verified, allowed, trace.language):
            timings.setdefault("first_token_ms", (time.perf_counter() - self._t0) * 1000)
            trace.shown = True
            t1 = time.perf_counter()
            yield piece
            shown += time.perf_counter() - t1
        timings["generate_ms"] = (time.perf_counter() - t0) * 1000
        timings["shown_ms"] = shown * 1000
        timings["verify_ms"] += timings["generate_ms"] - timings.get("engine_ms", 0.0) - timings["shown_ms"]

    @staticmethod
    def _guarded(pieces: Iterator[str], trace: _Trace) -> Iterator[str]:
        """A model that fails mid-answer (server gone, timeout, broken stream) ends the stream instead of the turn:
        what it verified so far stays, and the extractive answer takes over."""
        try:
            yield from pieces
        except Exception as exc:  # noqa: BLE001 - every transport or protocol error of a remote model
            log.warning("engine failed mid-answer: %s", type(exc).__name__)
            trace.engine_failed = True

    def _settle(
        self, gate: SentenceGate, engine: AnswerEngine, passages: list[Passage], trace: _Trace
    ) -> tuple[Verification, str]:
        """The verified answer; a model answer that is mostly ungrounded or says nothing is replaced by the
        extractive answer (a lone copied heading is not an answer). Nothing unverified was shown either way."""
        verification = gate.check.result(gate.text)
        substance = len(MARKER.sub("", verification.text).strip())
        ungrounded = verification.grounded_ratio < 0.6 or verification.sentences < 1 or substance < 20
        if trace.engine_failed:
            trace.notices.append(MODEL_FAILED[trace.language])
        elif engine.name == "extractive" or not ungrounded:
            return verification, engine.name
        fallback = "".join(self.a.engine("extractive").stream(self.question, passages, trace.language))
        return verify_answer(fallback, passages, keep=_OURS, verifier=self.a.verifier), f"{engine.name}→extractive"

    def _refuse(self, trace: _Trace, code: str) -> Iterator[str]:
        text = REFUSALS[code][trace.language]
        if code == "no-support":
            text += "\n\n" + DISCLAIMER[trace.language]
        if code in ("out-of-scope", "to-person", "smalltalk"):
            trace.hits = []  # the passages matched generic words; they are not sources of anything
        yield text
        self._finish(trace, text, [], "guard", 0.0, refused=code)

    def _finish(
        self, trace: _Trace, answer: str, citations: list[Citation], engine: str, grounded: float, refused: str | None = None
    ) -> None:
        trace.timings["total_ms"] = (time.perf_counter() - self._t0) * 1000
        gate = trace.gate
        support = gate.support if gate else 0.0
        decision: HandoffDecision | None = gate.decision if gate else None
        log.debug("answered by %s (refused: %s, support %.2f) in %.0f ms", engine, refused, support, trace.timings["total_ms"])
        self.result = AnswerResult(
            question=self.question, query=trace.query, answer=answer, citations=citations,
            handoff=handoff_view(decision), engine=engine, language=trace.language, grounded_ratio=grounded,
            support=support, refused=refused, notices=trace.notices,
            timings_ms={k: round(v, 1) for k, v in trace.timings.items()}, retrieved=[hit_view(h) for h in trace.hits],
        )
        for observe in self.a.observers:
            try:
                observe(self.result)
            except Exception:  # noqa: BLE001 - watching an answer must never break it
                log.warning("an answer observer failed", exc_info=True)


def _timed(pieces: Iterator[str], timings: dict[str, float], key: str) -> Iterator[str]:
    """``pieces``, adding the milliseconds spent producing them to ``timings[key]``."""
    it = iter(pieces)
    timings.setdefault(key, 0.0)
    while True:
        t0 = time.perf_counter()
        piece = next(it, None)
        timings[key] += (time.perf_counter() - t0) * 1000
        if piece is None:
            return
        yield piece
