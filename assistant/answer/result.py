"""What one answered question leaves behind: the answer, its citations and the handoff decision, as plain data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.answer.engines.base import Passage
from assistant.handoff import HandoffDecision
from assistant.retrieval.hybrid import Hit


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

    @classmethod
    def of(cls, p: Passage) -> Citation:
        """Built from retrieval metadata only: what a model wrote never decides where a citation points."""
        c = p.hit.chunk
        return cls(
            n=p.n, doc_id=c.doc_id, title=c.title, source=c.source, url=c.metadata.get("url"), page=c.page,
            page_label=c.page_label, section=c.section, publisher=c.metadata.get("publisher"), quote=c.text,
        )


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


def hit_view(h: Hit) -> dict[str, Any]:
    c = h.chunk
    return {"doc_id": c.doc_id, "source": c.source, "page": c.page, "section": c.section, "score": round(h.score, 4)}


def handoff_view(decision: HandoffDecision | None) -> dict[str, Any]:
    """The part of a decision the UI, the CLI and the evals read (windows without their scores)."""
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
