"""The consultation windows directory (``windows.yaml``) and how windows are ranked for one decision."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.handoff.reasons import Category, Reason
from chizai.text.normalize import nfkc

log = logging.getLogger(__name__)

HANDLES_JA: dict[str, str] = {
    "explicit-request": "担当者に直接相談できます",
    "dispute": "警告書・訴訟などの紛争の相談に対応しています",
    "incident": "侵害・漏えいなど実際に起きた事案の相談に対応しています",
    "deadline": "期限のある案件の相談に対応しています",
    "legal-judgment": "個別の事案の判断（専門家による確認）に対応しています",
    "no-support": "幅広い相談を受け付けています",
    "general": "知財の一般的な相談を受け付けています",
}


class Window(BaseModel):
    """One human consultation window from ``windows.yaml`` (unknown keys are ignored so the file may grow)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    name: str
    organisation: str = ""
    topics: list[str] = Field(default_factory=list)
    handles: list[str] = Field(default_factory=list)
    who: str | None = None
    cost: str | None = None
    url: str | None = None
    phone: str | None = None
    scope: str = "nationwide"
    prefectures: str | list[str] | None = None
    list_url: str | None = None
    description: str = ""

    @field_validator("topics", "handles", mode="before")
    @classmethod
    def _none_to_list(cls, v: Any) -> Any:
        return [] if v is None else v

    @field_validator("phone", mode="before")
    @classmethod
    def _phone_to_str(cls, v: Any) -> Any:
        return None if v is None else str(v)

    def serves(self, prefecture: str | None) -> bool:
        """False only when the window lists specific prefectures and the user's is not among them."""
        if prefecture is None or not isinstance(self.prefectures, list):
            return True
        return prefecture in self.prefectures

    @property
    def is_network(self) -> bool:
        """A network of local offices (e.g. one per prefecture): point to its official list, not a guess."""
        return self.scope == "prefecture" and (self.prefectures == "all" or self.prefectures is None)


def load_windows(path: Path | str) -> list[Window]:
    """Windows from a YAML file with a top-level ``windows:`` list; a missing file yields [] and a warning."""
    path = Path(path)
    if not path.exists():
        log.warning("windows file %s not found; handoff decisions will carry no windows", path)
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = data.get("windows", []) if isinstance(data, dict) else data
    return [Window.model_validate(item) for item in items or []]



class WindowRecommendation(BaseModel):
    """A window as shown to the user and put on the consultation sheet."""

    id: str
    name: str
    url: str | None = None
    organisation: str = ""
    scope: str = "nationwide"
    why: str = ""
    list_url: str | None = None
    phone: str | None = None
    cost: str | None = None
    score: float = 0.0



@dataclass
class WindowRanker:
    """Ranks the windows of the directory for a decision's reasons and topics (see :meth:`rank_windows`)."""

    windows: list[Window]
    reasons: dict[str, Reason]
    categories: dict[str, Category]
    window_requires_reason: dict[str, set[str]] = field(default_factory=dict)
    window_hints: dict[str, list[Any]] = field(default_factory=dict)
    max_windows: int = 5
    min_window_score: float = 2.0

    def _cover_topics(
        self, picked: list[tuple[float, int, Window, str, bool]], topic_scores: Sequence[tuple[str, float]]
    ) -> list[tuple[float, int, Window, str, bool]]:
        """Make sure each clear topic (score ≥ 1, top 3) has one of its specialist windows in the shortlist.

        Without this a dispute about goods exported to China lists five dispute windows and no overseas one.
        """
        top = picked[: self.max_windows]
        rest = picked[self.max_windows :]
        for cid, s in list(topic_scores)[:3]:
            cat = self.categories.get(cid)
            if cat is None or cid == "support" or s < 1.0 or not cat.prefer_windows:
                continue
            if any(t[2].id in cat.prefer_windows for t in top):
                continue
            candidate = next((t for t in rest if t[2].id in cat.prefer_windows), None)
            if candidate is None:
                continue
            rest.remove(candidate)
            if len(top) >= self.max_windows:
                # drop the weakest window the user did not name
                drop = next((t for t in reversed(top) if not t[4]), None)
                if drop is None:
                    continue
                top.remove(drop)
            top.append(candidate)
        return top

    def rank_windows(
        self,
        reasons: Sequence[str],
        topic_scores: Sequence[tuple[str, float]],
        question: str = "",
        prefecture: str | None = None,
    ) -> list[WindowRecommendation]:
        """Windows by: handles the reason (+3), preferred for the reason (+2), covers the topic (≤+3),
        preferred for the topic, topic words in the question, general intake (+0.5), local office
        (+0.5 for a network, +3 for a window dedicated to the prefecture).

        A window the user named (弁理士 → jpaa) is listed first.
        """
        norm = nfkc(question)
        scored: list[tuple[float, int, Window, str, bool]] = []
        for idx, w in enumerate(self.windows):
            if not w.serves(prefecture):
                continue
            named = any(rx.search(norm) for rx in self.window_hints.get(w.id, ()))
            required = self.window_requires_reason.get(w.id)
            if required and not named and not required & set(reasons):
                continue
            why: list[str] = []
            score = self._reason_score(w, reasons, topic_scores, why)
            if named:
                score += 2.0
                why.append("ご質問で名前が挙がった相談先です")
            score += self._topic_score(w, topic_scores, norm, why)
            if "general" in w.handles:
                score += 0.5
            if w.cost and "無料" in w.cost:
                why.append("相談無料")
            score += _place_score(w, prefecture, why)
            scored.append((score, idx, w, "。".join(why) + ("。" if why else ""), named))

        picked = [t for t in scored if t[0] >= self.min_window_score]
        if not picked:  # nothing specific: the general intake windows
            picked = [t for t in scored if "general" in t[2].handles]
        # The user named it (弁理士, 税関 …): it comes first whatever the score.
        picked.sort(key=lambda t: (not t[4], -t[0], t[1]))
        picked = self._cover_topics(picked, topic_scores)
        return [
            WindowRecommendation(
                id=w.id,
                name=w.name,
                url=w.url,
                organisation=w.organisation,
                scope=w.scope,
                why=why,
                list_url=w.list_url if (w.is_network or w.list_url) else None,
                phone=w.phone,
                cost=w.cost,
                score=round(score, 2),
            )
            for score, _, w, why, _named in picked[: self.max_windows]
        ]

    def _reason_score(
        self, w: Window, reasons: Sequence[str], topic_scores: Sequence[tuple[str, float]], why: list[str]
    ) -> float:
        """Handles the reason (+3, the first reason fully, the others at 0.6) and preferred for it (+2).

        A specialist (e.g. overseas only) that handles "legal-judgment" is not the place for an unrelated contract
        question: handles count fully only for windows on topic or broad ones."""
        window_cats = [t for t in w.topics if t in self.categories]
        on_topic = any(c in window_cats for c, _ in topic_scores)
        broad = len(window_cats) >= 3 and not topic_scores
        relevance = 1.0 if (on_topic or broad or not window_cats) else 0.5
        score = 0.0
        for i, code in enumerate(reasons):
            rw = 1.0 if i == 0 else 0.6
            reason = self.reasons.get(code)
            if reason is None:
                continue
            hit = next((h for h in reason.handles if h in w.handles), None)
            if hit:
                score += 3 * rw * relevance
                if HANDLES_JA.get(hit) and HANDLES_JA[hit] not in why:
                    why.append(HANDLES_JA[hit])
            if w.id in reason.prefer_windows:
                score += 2 * rw
        return score

    def _topic_score(self, w: Window, topic_scores: Sequence[tuple[str, float]], norm: str, why: list[str]) -> float:
        """Covers the topic (≤ +3), preferred for it (≤ +2), topic words of the window in the question (≤ +2)."""
        topic_part, prefer_part = 0.0, 0.0
        covered: list[str] = []
        for rank, (cid, s) in enumerate(topic_scores):
            tw = min(1.0, s) * (1.0 if rank == 0 else 0.7)
            if cid in w.topics:
                topic_part += 2 * tw
                if cid in self.categories and cid != "support":
                    covered.append(self.categories[cid].label_ja)
            if cid in self.categories and w.id in self.categories[cid].prefer_windows:
                prefer_part += tw
        words = [t for t in w.topics if t not in self.categories and len(t) >= 2 and t in norm]
        if covered:
            why.append("分野: " + "、".join(covered[:2]))
        if words:
            why.append("関連: " + "、".join(f"「{t}」" for t in words[:2]))
        return min(topic_part, 3.0) + min(prefer_part, 2.0) + min(len(words), 2)


def _place_score(w: Window, prefecture: str | None, why: list[str]) -> float:
    """A window dedicated to the user's prefecture (+3) beats a nationwide one; a network has an office there (+0.5)."""
    if prefecture and isinstance(w.prefectures, list) and prefecture in w.prefectures:
        why.append(f"{prefecture}で利用できます")
        return 3.0
    if w.is_network:
        why.append(f"{prefecture}の窓口は公式の一覧ページで確認できます" if prefecture else "お近くの窓口は公式の一覧ページで確認できます")
        return 0.5 if prefecture else 0.0
    return 0.0
