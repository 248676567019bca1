"""The local LLM's first token, idle and beside a busy core (measured only where ``make llm`` installed it).

Two clocks per question: the model's own first token (from the engine's call to its first text piece: prompt
processing) and the first verified sentence on screen (``first_token_ms`` of the answer, from the question). The
prompt is what the local engine sends (the best passages trimmed to the question, ``engines/trim.py``); its
system prompt was evaluated when the model loaded and stays in the KV cache. Different questions idle and busy, so
no question finds its own prompt still cached.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from assistant.answer.engines.base import Passage
from assistant.answer.engines.chat import ChatModelEngine, build_messages, local_available, local_chat_model
from assistant.container import build_assistant
from bench.contention import busy_core
from bench.machine import load_average
from chizai.settings import Settings

IDLE = ("営業秘密として守られる条件は？", "商標登録の費用はいくらですか？", "特許を出願する前に気をつけることは？")
BUSY = ("意匠登録とは何ですか？", "職務発明の規程は必要ですか？", "海外で商標を守るにはどうすればよいですか？")


class TimedEngine(ChatModelEngine):
    """The local engine, noting the seconds to its first piece and the size of each prompt."""

    def __init__(self, engine: ChatModelEngine) -> None:
        super().__init__(engine.model, "local", engine.budget)
        self.records: list[dict[str, Any]] = []

    def stream(self, question: str, passages: list[Passage], language: str) -> Iterator[str]:
        llm = self.model._model()  # type: ignore[attr-defined]
        prompt = "".join(str(m.content) for m in build_messages(question, passages, language, self.budget))
        system = str(build_messages(question, [], language)[0].content)
        record = {"prompt_tokens": len(llm.tokenize(prompt.encode())), "system_tokens": len(llm.tokenize(system.encode()))}
        t0 = time.perf_counter()
        for piece in super().stream(question, passages, language):
            record.setdefault("model_first_token_s", round(time.perf_counter() - t0, 2))
            yield piece
        record["threads"] = getattr(self.model, "threads_used", None)
        self.records.append(record)


def _ask(assistant: Any, engine: TimedEngine, questions: tuple[str, ...]) -> list[dict[str, Any]]:
    out = []
    for question in questions:
        load = load_average()
        result = assistant.answer(question, engine="local")
        out.append({"question": question, **engine.records[-1], "load_average": load, "engine": result.engine,
                    "first_verified_sentence_s": round(result.timings_ms.get("first_token_ms", 0) / 1000, 2)})  # fmt: skip
    return out


def local_first_token(corpus: Settings) -> dict[str, Any]:
    if not local_available(corpus):
        return {"available": False, "why": "llama-cpp-python or the GGUF is missing: run `make llm`"}
    engine = TimedEngine(ChatModelEngine(local_chat_model(corpus), "local", corpus.local_prompt_chars))
    assistant = build_assistant(corpus, engines={"local": engine})
    t0 = time.perf_counter()
    engine.model._model()  # type: ignore[attr-defined]  # load, and evaluate the system prompt once
    loaded = round(time.perf_counter() - t0, 1)
    idle = _ask(assistant, engine, IDLE)
    with busy_core():
        busy = _ask(assistant, engine, BUSY)
    return {"available": True, "load_and_system_prompt_s": loaded, "prompt_chars": corpus.local_prompt_chars,
            "idle": idle, "one_core_busy": busy}  # fmt: skip
