"""Optional LLM judge: faithfulness (to the cited passages) and correctness (against the
gold key points), 1–5.

Uses the chat model behind ``Assistant.engine(name)`` when that is a ``ChatModelEngine``;
reported separately from
the deterministic metrics because a small local model is a noisy judge.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage

from evals.metrics.summary import mean

SYSTEM = (
    "You grade answers of a Japanese IP help desk. Reply with one JSON object only, no prose: "
    '{"faithfulness": 1-5, "correctness": 1-5, "reason": "<short>"}. '
    "faithfulness: every claim of the answer is supported by the passages (5) … mostly unsupported (1). "
    "correctness: the answer covers the reference points and answers the question (5) … "
    "wrong or off-topic (1)."
)
TEMPLATE = (
    "Question:\n{question}\n\nReference points:\n{points}\n\nPassages:\n{passages}\n\nAnswer:\n{answer}\n"
)
_JSON = re.compile(r"\{.*?\}", re.S)


def judge_model(assistant: Any, name: str) -> tuple[Any | None, str | None]:
    """(chat model, None) or (None, why the judge is skipped)."""
    from assistant.answer.engines.chat import ChatModelEngine

    if name not in assistant.available_engines():
        return None, f"judge skipped: engine {name!r} is not available here (no LLM configured or installed)"
    try:
        engine = assistant.engine(name)
    except Exception as exc:  # noqa: BLE001 - a judge that cannot load is a note, not a failed run
        return None, f"judge skipped: engine {name!r} could not be loaded: {exc}"
    if not isinstance(engine, ChatModelEngine):
        return None, f"judge skipped: engine {name!r} is not an LLM"
    return engine.model, None


def parse_scores(text: str) -> dict[str, Any] | None:
    match = _JSON.search(text or "")
    if not match:
        return None
    try:
        data = json.loads(match.group(0))
    except json.JSONDecodeError:
        return None
    out: dict[str, Any] = {}
    for key in ("faithfulness", "correctness"):
        try:
            value = int(data.get(key))
        except (TypeError, ValueError):
            return None
        if not 1 <= value <= 5:
            return None
        out[key] = value
    out["reason"] = str(data.get("reason", ""))[:200]
    return out


def judge_one(
    model: Any, question: str, key_points: Sequence[str], passages: Sequence[str], answer: str
) -> dict[str, Any] | None:
    prompt = TEMPLATE.format(
        question=question,
        points="\n".join(f"- {p}" for p in key_points) or "(none)",
        passages="\n\n".join(f"[{i + 1}] {p[:600]}" for i, p in enumerate(passages)) or "(none)",
        answer=answer[:2000],
    )
    reply = model.invoke([SystemMessage(SYSTEM), HumanMessage(prompt)])
    content = reply.content if isinstance(reply.content, str) else "".join(map(str, reply.content))
    return parse_scores(content)


def summarise_judgements(judged: Sequence[dict[str, Any] | None]) -> dict[str, Any]:
    valid = [j for j in judged if j]
    return {
        "n": len(judged),
        "parsed": len(valid),
        "faithfulness": mean(j["faithfulness"] for j in valid),
        "correctness": mean(j["correctness"] for j in valid),
    }
