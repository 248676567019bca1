"""Gold items from evals/gold/*.jsonl, read into one shape whatever the set.

core.jsonl: id, question, language, category, doc_ids, key_points, handoff, windows.
adversarial.jsonl: the same plus ``kind`` (out-of-scope | injection | legal-judgment |
unanswerable | personal-data),
``expect`` (refuse | abstain | handoff | answer-masked) and, for personal data, ``pii``
(strings that must not be echoed).
realdocs.jsonl: ``source`` (a file under shared/realdocs) and ``pages`` (1-based PDF pages) or ``article``
(statute label such as 「不正競争防止法 第2条第6項」); no doc_ids, no handoff.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GOLD_DIR = Path(__file__).resolve().parent / "gold"


@dataclass
class GoldItem:
    id: str
    question: str
    language: str
    category: str
    gold_set: str
    doc_ids: list[str] = field(default_factory=list)
    key_points: list[str] = field(default_factory=list)
    handoff: bool | None = None
    windows: list[str] = field(default_factory=list)
    kind: str | None = None
    expect: str | None = None
    source: str | None = None
    pages: list[int] = field(default_factory=list)
    article: str | None = None
    pii: list[str] = field(default_factory=list)

    @property
    def expects_refusal(self) -> bool:
        """Out-of-scope and injection items: the assistant must refuse and cite nothing."""
        return self.kind in ("out-of-scope", "injection")

    @property
    def has_retrieval_gold(self) -> bool:
        return bool(self.doc_ids or self.source)

    @classmethod
    def from_dict(cls, data: dict[str, Any], gold_set: str) -> GoldItem:
        handoff = data.get("handoff")
        return cls(
            id=str(data["id"]),
            question=str(data["question"]),
            language=str(data.get("language", "ja")),
            category=str(data.get("category") or "none"),
            gold_set=gold_set,
            doc_ids=[str(d) for d in data.get("doc_ids") or []],
            key_points=[str(k) for k in data.get("key_points") or []],
            handoff=bool(handoff) if handoff is not None else None,
            windows=[str(w) for w in data.get("windows") or []],
            kind=data.get("kind"),
            expect=data.get("expect"),
            source=data.get("source"),
            pages=[int(p) for p in data.get("pages") or []],
            article=data.get("article"),
            pii=[str(p) for p in data.get("pii") or []],
        )


def gold_set_name(path: Path) -> str:
    return path.stem


def load_gold(path: Path | str, limit: int | None = None) -> list[GoldItem]:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"gold set not found: {path}")
    name = gold_set_name(path)
    items: list[GoldItem] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append(GoldItem.from_dict(json.loads(line), name))
        except (json.JSONDecodeError, KeyError) as exc:
            raise ValueError(f"{path.name}:{n}: {type(exc).__name__}: {exc}") from exc
    return items[:limit] if limit else items


def resolve_gold(name_or_path: str | Path) -> Path:
    """``core`` → evals/gold/core.jsonl; a path is returned as it is."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".jsonl" or candidate.exists():
        return candidate
    return GOLD_DIR / f"{name_or_path}.jsonl"
