"""The consultation sheet (相談シート) an advisor receives when the assistant hands a case over.

It saves the user from telling the story twice: the question in their own words, the facts, what the assistant
already said (with sources), why a person is needed and where to go. Personal data is masked unless the user
consented to sharing it, because the sheet leaves the assistant.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from pydantic import BaseModel, Field

from assistant.handoff.decision import HandoffDecision
from assistant.handoff.facts import Facts, extract_facts
from assistant.handoff.pii import KIND_JA, looks_confidential, mask_pii, pii_kinds
from assistant.handoff.windows import WindowRecommendation

JST = timezone(timedelta(hours=9), "JST")
MAX_ANSWER_CHARS = 1500
MAX_EARLIER_MESSAGES = 5

URGENCY_LONG_JA: dict[str, str] = {
    "high": "高（至急の対応が必要です）",
    "medium": "中（早めの対応が望まれます）",
    "low": "低（通常の順番で対応できます）",
}


class Citation(BaseModel):
    title: str
    url: str | None = None


class ConsultationSheet(BaseModel):
    """Everything an advisor needs to call the user back, in one place."""

    question: str = Field(description="相談内容（本人の言葉、同意がなければ個人情報をマスク）")
    earlier_messages: list[str] = Field(default_factory=list, description="それ以前の本人の発言（古い順）")
    facts: Facts = Field(default_factory=Facts)
    answer: str = Field("", description="アシスタントがこれまでに回答した内容")
    citations: list[Citation] = Field(default_factory=list)
    reason: str | None = None
    reason_ja: str = ""
    triggers: list[str] = Field(default_factory=list)
    urgency: str | None = None
    topics: list[str] = Field(default_factory=list)
    windows: list[WindowRecommendation] = Field(default_factory=list)
    consent: bool = False
    pii_masked: bool = Field(False, description="個人情報をマスクしたか")
    pii_found: list[str] = Field(default_factory=list, description="見つかった個人情報の種類")
    confidential_notes: list[str] = Field(default_factory=list)
    created_at: datetime = Field(default_factory=lambda: datetime.now(JST))

    def to_json(self, indent: int | None = 2) -> str:
        """JSON with Japanese kept readable (not \\u-escaped) for advisors and ticket systems."""
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, indent=indent)

    def to_markdown(self) -> str:
        """A readable Japanese sheet; headings are fixed so advisors find things in the same place."""
        created = self.created_at.astimezone(JST).strftime("%Y-%m-%d %H:%M")
        lines: list[str] = ["# 相談シート（知財フロント）", "", f"作成日時: {created}（日本時間）"]
        if self.pii_masked:
            kinds = "・".join(KIND_JA.get(k, k) for k in self.pii_found)
            lines.append(f"※ ご本人の同意がないため、個人情報（{kinds}）は伏せ字にしています。")
        elif self.consent and self.pii_found:
            lines.append("※ ご本人の同意を得て、連絡先などの個人情報をそのまま記載しています。")
        lines += ["", "## 相談内容", "", *_quote(self.question)]
        if self.earlier_messages:
            lines += ["", "それまでのご本人の発言（古い順）:"]
            lines += [f"- {_one_line(m)}" for m in self.earlier_messages]
        if self.confidential_notes:
            lines += ["", "注意（技術情報・営業秘密の可能性）:"]
            lines += [f"- {n}" for n in self.confidential_notes]

        f = self.facts
        lines += [
            "",
            "## 事実関係",
            "",
            f"- 業種: {'、'.join(f.industry) if f.industry else '（記載なし）'}",
            f"- 所在地（都道府県）: {f.prefecture or '（記載なし）'}",
            f"- 期限: {f.deadline or '（記載なし）'}",
            f"- 企業規模: {f.company_size or '（記載なし）'}",
        ]
        lines += [f"- {k}: {v}" for k, v in f.other.items()]

        lines += ["", "## これまでの回答", ""]
        lines += _quote(self.answer) if self.answer else ["（まだ回答していません）"]
        if self.citations:
            lines += ["", "参照した資料:"]
            lines += [f"- [{c.title}]({c.url})" if c.url else f"- {c.title}" for c in self.citations]

        lines += ["", "## 担当者が必要な理由", "", self.reason_ja or "（記載なし）"]
        if self.triggers:
            lines.append("")
            lines.append("判断の根拠: " + "、".join(f"「{t}」" for t in self.triggers))

        lines += ["", "## 緊急度", "", URGENCY_LONG_JA.get(self.urgency or "", "（判定なし）")]

        lines += ["", "## 推奨窓口", ""]
        if not self.windows:
            lines.append("（該当する窓口はありません）")
        for i, w in enumerate(self.windows, 1):
            org = f"（{w.organisation}）" if w.organisation else ""
            lines.append(f"{i}. **{w.name}**{org}")
            if w.why:
                lines.append(f"   - 理由: {w.why}")
            if w.url:
                lines.append(f"   - URL: {w.url}")
            if w.list_url and w.list_url != w.url:
                lines.append(f"   - 地域の窓口一覧: {w.list_url}")
            if w.phone:
                lines.append(f"   - 電話: {w.phone}")
            if w.cost:
                lines.append(f"   - 費用: {w.cost}")
        return "\n".join(lines) + "\n"


def _quote(text: str) -> list[str]:
    return [f"> {line}" if line else ">" for line in text.strip().splitlines()] or [">"]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _citation(item: Any) -> Citation:
    """Accept dicts, pydantic models or objects with ``title``/``url`` (retrieval hits differ by engine)."""
    if isinstance(item, Citation):
        return item
    if isinstance(item, Mapping):
        data = item
    elif hasattr(item, "model_dump"):
        data = item.model_dump()
    else:
        data = {"title": getattr(item, "title", str(item)), "url": getattr(item, "url", None)}
    title = (
        data.get("title") or data.get("source_title") or data.get("doc_id") or data.get("id") or "（無題）"
    )
    return Citation(title=str(title), url=data.get("url"))


def build_sheet(
    question: str,
    history: Sequence[Mapping[str, Any]] = (),
    answer_text: str = "",
    citations: Sequence[Any] = (),
    decision: HandoffDecision | None = None,
    facts: Facts | Mapping[str, Any] | None = None,
    consent: bool = False,
) -> ConsultationSheet:
    """Build the sheet; ``facts`` given by the caller override what was read from the conversation.

    Without ``consent`` every free-text field is masked (phone → 090-****-****, address → 市区町村まで …).
    """
    user_turns = [
        m.get("content", m.get("text", "")) for m in history or () if m.get("role", "user") == "user"
    ]
    user_turns = [t for t in user_turns if isinstance(t, str) and t.strip()]
    base = decision.facts if decision is not None else extract_facts([question, *reversed(user_turns)])
    merged = base.merged(facts)

    everything = "\n".join([question, *user_turns, answer_text])
    found = pii_kinds(everything)

    def clean(text: str) -> str:
        return text if consent else mask_pii(text)

    earlier = [clean(t) for t in user_turns[-MAX_EARLIER_MESSAGES:]]
    answer = answer_text.strip()
    if len(answer) > MAX_ANSWER_CHARS:
        answer = answer[:MAX_ANSWER_CHARS].rstrip() + " …（以下省略）"
    if not consent:
        merged = merged.model_copy(
            update={
                "deadline": mask_pii(merged.deadline) if merged.deadline else None,
                "company_size": mask_pii(merged.company_size) if merged.company_size else None,
                "other": {k: mask_pii(v) for k, v in merged.other.items()},
            }
        )
    return ConsultationSheet(
        question=clean(question),
        earlier_messages=earlier,
        facts=merged,
        answer=clean(answer),
        citations=[_citation(c) for c in citations],
        reason=decision.reason if decision else None,
        reason_ja=decision.reason_ja if decision else "",
        triggers=[clean(t) for t in decision.triggers] if decision else [],
        urgency=decision.urgency if decision else None,
        topics=list(decision.topics) if decision else [],
        windows=list(decision.windows) if decision else [],
        consent=consent,
        pii_masked=bool(found) and not consent,
        pii_found=found,
        confidential_notes=looks_confidential("\n".join([question, *user_turns])),
    )


__all__ = ["Citation", "ConsultationSheet", "build_sheet"]
