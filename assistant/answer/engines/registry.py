"""Which engine answers: the configured one, built on first use; the extractive engine is always there."""

from __future__ import annotations

from assistant.answer.engines.base import AnswerEngine
from assistant.answer.engines.chat import (
    ChatModelEngine,
    local_available,
    local_chat_model,
    openai_chat_model,
)
from assistant.answer.engines.extractive import ExtractiveEngine
from chizai.settings import Settings


class Engines:
    def __init__(self, settings: Settings, engines: dict[str, AnswerEngine] | None = None) -> None:
        self.settings = settings
        self._engines: dict[str, AnswerEngine] = dict(engines or {})
        self._engines.setdefault("extractive", ExtractiveEngine(settings.cite_score_ratio))

    def _remote_configured(self) -> bool:
        return bool(self.settings.llm_base_url and self.settings.llm_model)

    def available(self) -> list[str]:
        names = set(self._engines)
        if self._remote_configured():
            names.add("openai")
        if local_available(self.settings):
            names.add("local")
        return sorted(names)

    def get(self, name: str | None = None) -> AnswerEngine:
        name = name or self.settings.engine
        if name == "auto":
            # Ordered by the eval report (evals/baselines): a remote model when configured, else the verified
            # extractive engine; the small local model is opt-in because it scored below extractive.
            name = "openai" if self._remote_configured() else "extractive"
        if name not in self._engines:
            if name == "openai":
                self._engines[name] = ChatModelEngine(openai_chat_model(self.settings), "openai")
            elif name == "local":
                self._engines[name] = ChatModelEngine(
                    local_chat_model(self.settings), "local", budget=self.settings.local_prompt_chars
                )
            else:
                raise ValueError(f"unknown engine {name!r}")
        return self._engines[name]
