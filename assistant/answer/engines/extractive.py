"""The extractive engine: an answer made of the passages' own sentences, led by the one that answers the question.

No model can invent anything here, which makes it the safe default on machines without an LLM and the fallback
when an LLM's answer fails verification. A list of the most similar sentences is a search result, not an answer,
so the engine composes: one 結論 sentence that carries what was asked for (a number for いくら/いつまで, a window
for どこに, a clear statement for 〜できますか), then a few supporting points, every one cited. A misconception
bullet (「『X』→ Y」) is quoted only as its correction Y.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.answer.engines.base import Passage
from assistant.messages import CONCLUSION, LEAD, POINTS, REMOVED
from assistant.retrieval.asks import Asks, asks
from chizai.text.normalize import nfkc
from chizai.text.sentences import sentences
from chizai.text.terms import content_terms

_DEPENDENT_START = ("逆に", "また", "ただし", "なお", "さらに", "一方", "そのため", "このため", "その", "これ", "それ", "「")
_MISCONCEPTION = re.compile(r"^「[^」]{1,120}」\s*(?:→|⇒)\s*")
_LABEL = re.compile(r"^[^。：:「」()（）]{1,16}[：:]\s*(?=\S)")  # 「棚卸しの機会に：…」: a bullet's bold label
_LEAD_SECTIONS = ("概要", "ポイント", "結論", "要点", "まとめ")
# Sentences about the article itself, not about the question: 「ここでは…を説明します」「別の記事で扱い」.
_META = re.compile(r"この記事|本記事|ここでは|この資料|別の記事|記事で扱|で扱います|を説明します|を整理します|を紹介します|を見ていきます")
# What carries the asked-for element, by question kind (checked on the candidate sentence).
_ELEMENT: dict[str, re.Pattern[str]] = {
    "cost": re.compile(r"\d[\d,.]*\s*(円|万円|億円|%|％|割)|無料|有料|費用|手数料|料金|補助率|半額|負担|減免|安く|罰金"),
    "amount": re.compile(r"\d[\d,.]*\s*(円|万円|億円|%|％|割|年|か月|ヶ月|日|件|人|倍|以下|以上)"),
    "deadline": re.compile(r"\d+\s*(年|か月|ヶ月|カ月|日|週間|時間)|期限|期間|以内|まで|存続|経過|過ぎ"),
    "where": re.compile(r"窓口|相談|センター|支援拠点|特許庁|INPIT|JETRO|弁理士|弁護士|税関|警察|商工会|よろず|協会|機構|省|庁"),
    "steps": re.compile(r"まず|次に|手順|流れ|提出|申請|出願し|確認し|準備|行います|進め"),
    "requirements": re.compile(r"要件|条件|必要|満たす|対象|当たる|該当"),
    "definition": re.compile(r"とは|をいう|のこと|制度です|仕組み|ものです|指します|意味"),
    "comparison": re.compile(r"違い|一方|に対し|比べ|どちら|異なり|異なる|のに対して"),
    "yes-no": re.compile(r"(でき|必要|不要|あり|ある|なり|なる|守られ|認められ|され|使え|かかり|要り)(ます|ません|です|る|ない)"),
}
MAX_POINTS = 4
KEYWORD_WEIGHT = 0.4
MAX_DOCS = 3  # quoted documents: the best one, and a second only where it adds to the answer


@dataclass
class Candidate:
    text: str
    n: int
    rank: int  # 0 = the best passage
    base: float
    lead: float


def _candidates(question: str, passages: list[Passage], kind: Asks) -> list[Candidate]:
    q_terms = content_terms(question)
    element = _ELEMENT.get(kind)
    out: list[Candidate] = []
    docs = list(dict.fromkeys(p.hit.chunk.doc_id for p in passages))[:MAX_DOCS]
    for passage in passages:
        if passage.hit.chunk.doc_id not in docs:
            continue
        rank = docs.index(passage.hit.chunk.doc_id)
        section = passage.hit.chunk.section or ""
        keywords = [nfkc(str(k)).lower() for k in passage.hit.chunk.metadata.get("keywords") or [] if len(str(k)) >= 2]
        for raw in sentences(passage.text):
            text = _LABEL.sub("", _MISCONCEPTION.sub("", raw))  # a misconception only as its correction
            if text.startswith(("#", REMOVED)) or len(text) < 8 or text.endswith(("：", ":")):
                continue
            terms = content_terms(text)
            if not terms:
                continue
            # the document's own keywords mark the facts it is about (秘密管理性, 追納 …): worth quoting
            normal = nfkc(text)
            key_facts = min(sum(k in normal.lower() for k in keywords), 3)
            base = (len(terms & q_terms) + 0.1 + KEYWORD_WEIGHT * key_facts) * (1.0 if 15 <= len(text) <= 160 else 0.6)
            if text.startswith(_DEPENDENT_START):
                base *= 0.5  # needs its neighbour to be understood
            if _META.search(text):
                base *= 0.3
            if "誤解" in section and not _MISCONCEPTION.match(raw):
                base *= 0.5  # a misconception section's other sentences restate the myth
            lead = base * (1.5 if element and element.search(normal) else 1.0)
            lead *= 1.3 if any(s in section for s in _LEAD_SECTIONS) else 1.0
            lead *= 1.5 if rank == 0 else 1.0
            out.append(Candidate(text if text.endswith(("。", ".", "！", "？")) else text + "。", passage.n, rank, base, lead))
    return out


def _distinct(chosen: list[Candidate], candidate: Candidate) -> bool:
    terms = content_terms(candidate.text)
    return all(len(terms & content_terms(c.text)) / max(len(terms), 1) <= 0.7 for c in chosen)


def compose_answer(question: str, passages: list[Passage], score_ratio: float = 0.0) -> list[Candidate]:
    """The conclusion first, then up to ``MAX_POINTS`` supporting sentences (best passage first).

    Passages whose retrieval score is below ``score_ratio`` × the best one are not quoted: they are mostly
    neighbouring topics, and citing them sends readers to the wrong document.
    """
    best = max((p.hit.score for p in passages), default=0.0)
    strong = [p for p in passages if p.hit.score >= score_ratio * best]
    candidates = _candidates(question, strong, asks(question))
    if not candidates:
        return []
    conclusion = max(candidates, key=lambda c: (c.lead, -c.rank))
    chosen = [conclusion]
    for c in sorted(candidates, key=lambda c: (c.rank, -c.base)):
        if len(chosen) > MAX_POINTS:
            break
        if c is conclusion or (c.rank > 0 and c.base < 1) or not _distinct(chosen, c):
            continue
        chosen.append(c)
    return chosen


class ExtractiveEngine:
    name = "extractive"

    def __init__(self, score_ratio: float = 0.6) -> None:
        self.score_ratio = score_ratio

    def stream(self, question: str, passages: list[Passage], language: str) -> Iterator[str]:
        chosen = compose_answer(question, passages, self.score_ratio)
        if not chosen:
            return
        if language == "en":
            yield LEAD["en"] + "\n\n"
        conclusion, points = chosen[0], chosen[1:]
        yield f"{CONCLUSION[language]}\n{conclusion.text[:-1]}[{conclusion.n}]{conclusion.text[-1]}\n\n"
        if points:
            yield POINTS[language] + "\n"
            for c in points:
                yield f"- {c.text[:-1]}[{c.n}]{c.text[-1]}\n"
