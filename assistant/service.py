"""The Python API the CLI, the Streamlit app and the evals share: one question in, one grounded answer out.

Flow: guard → follow-up rewrite → hybrid retrieval → support check → engine (streamed) → citation verification
(fallback to extractive) → handoff decision. Citations are built from retrieval metadata, never from model text,
and the only links an answer (or its stream) may carry are the ``url`` fields of the retrieved documents.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.engines.base import REMOVED, AnswerEngine, Passage, strip_instructions
from assistant.engines.chat import ChatModelEngine, local_available, local_chat_model, openai_chat_model
from assistant.engines.extractive import LEAD, ExtractiveEngine
from assistant.guard import is_injection, is_off_topic
from assistant.handoff import HandoffPolicy, looks_confidential
from assistant.handoff.pii import find_pii
from assistant.language import detect_language, expand_query
from assistant.links import allowed_set, filter_link_stream, filter_links
from assistant.logsafe import shown
from assistant.retrieval import Hit, HybridRetriever
from assistant.textutil import MARKER, content_terms, sentences
from assistant.verify import verify_answer
from ingest.settings import Settings

log = logging.getLogger(__name__)
DISCLAIMER = {
    "ja": "※ これは一般的な情報で、法的助言ではありません。個別の事案は専門家や相談窓口にご相談ください。",
    "en": "Note: this is general information, not legal advice. For your specific case, please consult an expert or a support window.",
}
REFUSALS = {
    "injection": {
        "ja": "申し訳ありませんが、その依頼にはお応えできません。知的財産に関するご質問であればお手伝いします。",
        "en": "Sorry, I can't do that. I'm happy to help with questions about intellectual property.",
    },
    "out-of-scope": {
        "ja": "申し訳ありませんが、知財フロントは知的財産（特許・商標・営業秘密・著作権・知財取引など）に関するご相談専用です。",
        "en": "Sorry, Chizai Frontline only answers questions about intellectual property (patents, trademarks, trade secrets, copyright, IP in business deals).",
    },
    "no-support": {
        "ja": "ご質問の内容は、知財フロントの資料では確認できませんでした。推測でお答えすることは控えます。下の相談窓口で担当者にご相談ください。",
        "en": "The knowledge base does not cover this question, so I will not guess. Please ask a person at one of the windows below.",
    },
    "with-person": {
        "ja": "このご相談は担当者に引き継がれています。担当者からの連絡をお待ちください。",
        "en": "A person is now handling this consultation; please wait for their reply.",
    },
}
NEXT_STEPS = {"ja": "次にできること", "en": "Next steps"}
CONFIDENTIAL_NOTICE = {
    "ja": "ご注意: 質問に個人情報や社外秘の技術情報らしき内容が含まれています。営業秘密はチャットに貼り付けないでください。",
    "en": "Careful: your message seems to contain personal data or confidential technical details. Please do not paste trade secrets into the chat.",
}
_FOLLOW_UP = re.compile(r"^(それ|その|これ|この|あれ|そちら|そっち|じゃあ|では|なら|他に|ほかに)|(それ|その|これ|この)(の|は|って|に)|\b(it|that|this|they|those)\b", re.I)


@dataclass
class Citation:
    n: int
    doc_id: str
    title: str
    source: str
    url: str | None
    page: int | None
    page_label: str | None
    section: str | None
    publisher: str | None
    quote: str


@dataclass
class AnswerResult:
    question: str
    query: str
    answer: str
    citations: list[Citation]
    handoff: dict[str, Any]
    engine: str
    language: str
    grounded_ratio: float
    support: float
    refused: str | None = None
    notices: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    retrieved: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def rewrite_follow_up(question: str, history: Sequence[Mapping[str, Any]]) -> str:
    """Make 「それの費用は？」 stand alone by carrying the previous user question's topic."""
    previous = [str(m.get("content", "")) for m in history if m.get("role") == "user"]
    if not previous:
        return question
    short = len(question) <= 25
    if not (_FOLLOW_UP.search(question) or short):
        return question
    return f"{previous[-1]} {question}"


def support_of(query: str, hits: list[Hit]) -> float:
    """Share of the question's content terms found in the top passages (title and section included).

    Measured on the gold sets, IDF weighting separated answerable from unanswerable questions no better than this
    plain share and refused more answerable ones, so the simpler measure stays.
    """
    q_terms = content_terms(query)
    if not q_terms or not hits:
        return 0.0
    found: set[str] = set()
    for hit in hits[:3]:
        found |= set(hit.matched_terms)
    return len(q_terms & found) / len(q_terms)


class Assistant:
    def __init__(
        self,
        settings: Settings,
        retriever: HybridRetriever | None = None,
        policy: HandoffPolicy | None = None,
        engines: dict[str, AnswerEngine] | None = None,
    ) -> None:
        self.settings = settings
        self.retriever = retriever or HybridRetriever(settings)
        self.policy = policy or HandoffPolicy.from_settings(settings)
        self._engines: dict[str, AnswerEngine] = dict(engines or {})
        self._engines.setdefault("extractive", ExtractiveEngine(settings.cite_score_ratio))

    # ---------------------------------------------------------------- engines
    def available_engines(self) -> list[str]:
        names = set(self._engines)
        if self.settings.llm_base_url and self.settings.llm_model:
            names.add("openai")
        if local_available(self.settings):
            names.add("local")
        return sorted(names)

    def engine(self, name: str | None = None) -> AnswerEngine:
        name = name or self.settings.engine
        if name == "auto":
            # Ordered by the eval report (evals/baselines): a remote model when configured, else the verified
            # extractive engine; the small local model is opt-in because it scored below extractive.
            name = "openai" if (self.settings.llm_base_url and self.settings.llm_model) else "extractive"
        if name not in self._engines:
            if name == "openai":
                self._engines[name] = ChatModelEngine(openai_chat_model(self.settings), "openai")
            elif name == "local":
                self._engines[name] = ChatModelEngine(local_chat_model(self.settings), "local")
            else:
                raise ValueError(f"unknown engine {name!r}")
        return self._engines[name]

    # ----------------------------------------------------------------- answer
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
        return Turn(self, question, list(history)[-self.settings.max_history :], engine, prefecture, consent_remote, filters, k)


class Turn:
    """One question being answered; ``stream()`` yields text pieces and leaves the final ``result``."""

    def __init__(
        self,
        assistant: Assistant,
        question: str,
        history: list[Mapping[str, Any]],
        engine: str | None,
        prefecture: str | None,
        consent_remote: bool,
        filters: dict[str, str] | None,
        k: int | None,
    ) -> None:
        self.a = assistant
        self.question = question.strip()[: assistant.settings.max_question_chars]
        self.history = history
        self.engine_name = engine
        self.prefecture = prefecture
        self.consent_remote = consent_remote
        self.filters = filters
        self.k = k
        self.result: AnswerResult | None = None

    def stream(self) -> Iterator[str]:
        a, q = self.a, self.question
        t_start = time.perf_counter()
        timings: dict[str, float] = {}
        language = detect_language(q)
        notices: list[str] = []
        if find_pii(q) or looks_confidential(q):
            notices.append(CONFIDENTIAL_NOTICE[language])
        # The question itself only with CHIZAI_DEBUG_LOG_TEXT: logs are kept longer and wider than tickets.
        log.debug("question (%s, %d earlier turns): %s", language, len(self.history), shown(q, a.settings))

        def finish(answer: str, refused: str | None, citations: list[Citation], decision: Any, engine: str,
                   grounded: float, support: float, query: str, hits: list[Hit]) -> None:
            timings["total_ms"] = (time.perf_counter() - t_start) * 1000
            log.debug("answered by %s (refused: %s, support %.2f) in %.0f ms", engine, refused, support, timings["total_ms"])
            self.result = AnswerResult(
                question=q, query=query, answer=answer, citations=citations,
                handoff=_handoff_view(decision), engine=engine, language=language, grounded_ratio=grounded,
                support=support, refused=refused, notices=notices, timings_ms={k: round(v, 1) for k, v in timings.items()},
                retrieved=[_hit_view(h) for h in hits],
            )

        if is_injection(q):
            text = REFUSALS["injection"][language]
            yield text
            finish(text, "injection", [], None, "guard", 0.0, 0.0, q, [])
            return
        standalone = rewrite_follow_up(q, self.history)
        query = expand_query(standalone)
        hits = a.retriever.search(query, k=self.k or a.settings.top_k, filters=self.filters, timings=timings)
        # English questions are judged on their Japanese expansion: the corpus has no English words to match.
        support = support_of(query[len(standalone) :] if query != standalone else query, hits)
        decision = a.policy.decide(
            q, self.history, support=support, categories=[h.chunk.metadata.get("category", "") for h in hits[:3]],
            prefecture=self.prefecture,
        )
        if not decision.bot_may_answer:
            text = REFUSALS["with-person"][language]
            yield text
            finish(text, "with-person", [], decision, "guard", 0.0, support, query, hits)
            return
        if is_off_topic(q) and (support < a.settings.min_support or is_off_topic(q, strict=True)):
            text = REFUSALS["out-of-scope"][language]
            yield text
            finish(text, "out-of-scope", [], None, "guard", 0.0, support, query, [])
            return
        if support < a.settings.min_support:
            text = REFUSALS["no-support"][language] + "\n\n" + DISCLAIMER[language]
            yield text
            finish(text, "no-support", [], decision, "guard", 0.0, support, query, hits)
            return

        passages = [Passage(n=i + 1, hit=h) for i, h in enumerate(hits)]
        engine = a.engine(self.engine_name)
        if engine.name == "openai" and notices and not self.consent_remote:
            engine = a.engine("extractive")
            notices.append("外部のAIには送信せず、資料の抜粋でお答えします。 / Not sent to the remote model without consent.")
        allowed = allowed_set(p.hit.chunk.metadata.get("url") for p in passages)
        t0 = time.perf_counter()
        raw = ""
        first = True

        def generated() -> Iterator[str]:
            nonlocal raw
            for piece in engine.stream(q, passages, language):
                raw += piece
                yield piece

        for piece in filter_link_stream(generated(), allowed, language):
            if first:
                timings["first_token_ms"] = (time.perf_counter() - t_start) * 1000
                first = False
            yield piece
        timings["generate_ms"] = (time.perf_counter() - t0) * 1000
        keep = frozenset(LEAD.values())
        verification = verify_answer(raw, passages, keep=keep, question=q)
        body, used_engine = verification.text, engine.name
        grounded = verification.grounded_ratio
        # A model answer must be mostly grounded and say something: a lone copied heading is not an answer.
        substance = len(MARKER.sub("", body).strip())
        if engine.name != "extractive" and (grounded < 0.6 or verification.sentences < 1 or substance < 20):
            fallback = "".join(a.engine("extractive").stream(q, passages, language))
            verification = verify_answer(fallback, passages, keep=keep)
            body, used_engine, grounded = verification.text, f"{engine.name}→extractive", verification.grounded_ratio
        cited = sorted({int(n) for n in MARKER.findall(body)})
        by_n = {p.n: p for p in passages}
        next_steps = _next_steps(a.retriever, [by_n[n] for n in cited if n in by_n][:2], body)
        parts = [body]
        if next_steps:
            parts.append(f"**{NEXT_STEPS[language]}**\n" + "\n".join(next_steps))
            cited = sorted(set(cited) | {int(n) for n in MARKER.findall("\n".join(next_steps))})
        parts.append(DISCLAIMER[language])
        answer, _ = filter_links("\n\n".join(parts), allowed, language)
        citations = [_citation(by_n[n]) for n in cited if n in by_n]
        finish(answer, None, citations, decision, used_engine, grounded, support, query, hits)


def _next_steps(retriever: HybridRetriever, passages: list[Passage], body: str) -> list[str]:
    """Bullets from the cited documents' 次にやること sections, cited with the document's passage number.

    They are quoted without verification, so lines that address the assistant are screened out here too.
    """
    steps: list[str] = []
    seen_docs: set[str] = set()
    for passage in passages:
        if passage.hit.chunk.doc_id in seen_docs:
            continue
        seen_docs.add(passage.hit.chunk.doc_id)
        for text in retriever.catalog.section_texts(passage.hit.chunk.doc_id, "次に"):
            for line in sentences(strip_instructions(text)):
                if REMOVED in line:
                    continue
                if len(line) >= 8 and len(steps) < 3 and line not in body and all(line not in s for s in steps):
                    steps.append(f"- {line} [{passage.n}]")
        if len(steps) >= 3:
            break
    return steps


def _citation(p: Passage) -> Citation:
    c = p.hit.chunk
    return Citation(
        n=p.n, doc_id=c.doc_id, title=c.title, source=c.source, url=c.metadata.get("url"), page=c.page,
        page_label=c.page_label, section=c.section, publisher=c.metadata.get("publisher"), quote=c.text,
    )


def _hit_view(h: Hit) -> dict[str, Any]:
    c = h.chunk
    return {"doc_id": c.doc_id, "source": c.source, "page": c.page, "section": c.section, "score": round(h.score, 4)}


def _handoff_view(decision: Any) -> dict[str, Any]:
    if decision is None:
        return {"recommended": False, "reason": None, "reason_ja": "", "urgency": None, "topics": [], "windows": []}
    d = decision.to_dict()
    return {
        "recommended": d["recommended"],
        "reason": d.get("reason"),
        "reason_ja": d.get("reason_ja", ""),
        "urgency": d.get("urgency"),
        "topics": d.get("topics", []),
        "triggers": d.get("triggers", []),
        "facts": d.get("facts", {}),
        "windows": [
            {k: w.get(k) for k in ("id", "name", "url", "organisation", "scope", "why", "list_url")} for w in d.get("windows", [])
        ],
    }
