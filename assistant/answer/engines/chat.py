"""LLM engines through LangChain's chat-model interface: any OpenAI-compatible endpoint, or a local GGUF model.

The model sees the passages as quoted, numbered data; whatever it writes is verified against them afterwards.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from assistant.answer.engines.base import Passage
from chizai.settings import Settings
from chizai.text.sentences import END_OR_NEWLINE

QUOTE = '"""'
PROMPTS = Path(__file__).resolve().parent.parent / "prompts"


def render_passages(passages: list[Passage], limit: int = 700) -> str:
    blocks = []
    for p in passages:
        c = p.hit.chunk
        where = f" p.{c.page}" if c.page else (f" {p.section}" if p.section else "")
        text = p.text if len(p.text) <= limit else p.text[:limit] + "…"
        text = text.replace(QUOTE, "”””")  # passages cannot close their own quotation
        head = f"[{p.n}] {p.title}{where}".replace("\n", " ").replace(QUOTE, "”””")
        blocks.append(f"{head}\n{QUOTE}\n{text}\n{QUOTE}")
    return "\n\n".join(blocks)


def build_messages(question: str, passages: list[Passage], language: str) -> list[BaseMessage]:
    system = (PROMPTS / f"system_{'en' if language == 'en' else 'ja'}.txt").read_text(encoding="utf-8")
    user = (PROMPTS / "user.txt").read_text(encoding="utf-8")
    return [
        SystemMessage(system),
        HumanMessage(user.format(passages=render_passages(passages), question=question.replace(">>>", "＞＞＞"))),
    ]


class ChatModelEngine:
    def __init__(self, model: BaseChatModel, name: str) -> None:
        self.model = model
        self.name = name

    def stream(self, question: str, passages: list[Passage], language: str) -> Iterator[str]:
        for chunk in self.model.stream(build_messages(question, passages, language)):
            text = chunk.content if isinstance(chunk.content, str) else "".join(map(str, chunk.content))
            if text:
                yield text


def openai_chat_model(settings: Settings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    if not settings.llm_base_url or not settings.llm_model:
        raise RuntimeError("CHIZAI_LLM_BASE_URL と CHIZAI_LLM_MODEL を設定してください / set CHIZAI_LLM_BASE_URL and CHIZAI_LLM_MODEL")
    return ChatOpenAI(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key or "not-needed",
        temperature=settings.llm_temperature,
        max_tokens=settings.llm_max_tokens,
        timeout=settings.llm_timeout_s,
        max_retries=1,
    )


def default_local_model_path(settings: Settings) -> Path:
    return settings.llm_model_path or settings.data_dir / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


class LlamaCppChatModel(BaseChatModel):
    """A local GGUF model via llama-cpp-python (installed by ``make llm``); ChatML template from the GGUF."""

    model_path: str
    n_ctx: int = 4096
    n_threads: int = 2
    temperature: float = 0.1
    max_tokens: int = 700
    repeat_penalty: float = 1.1  # the 1.5B model falls into loops of one sentence without it
    seed: int = 0  # fixed: the same question and passages give the same answer, in the app and in the evals
    _llm: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp-local"

    def _model(self) -> Any:
        if self._llm is None:
            from llama_cpp import Llama

            self._llm = Llama(model_path=self.model_path, n_ctx=self.n_ctx, n_threads=self.n_threads, verbose=False)
        return self._llm

    @staticmethod
    def _convert(messages: list[BaseMessage]) -> list[dict[str, str]]:
        roles = {"system": "system", "human": "user", "ai": "assistant"}
        return [{"role": roles.get(m.type, "user"), "content": str(m.content)} for m in messages]

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any
    ) -> ChatResult:
        text = "".join(chunk.message.content for chunk in self._stream(messages, stop, run_manager, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(text))])

    def _stream(
        self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        loop = _LoopGuard()
        with self._lock:  # one generation at a time per loaded model
            for part in self._model().create_chat_completion(
                messages=self._convert(messages),
                temperature=self.temperature,
                max_tokens=self.max_tokens,
                repeat_penalty=self.repeat_penalty,
                seed=self.seed,
                stop=stop,
                stream=True,
            ):
                delta = part["choices"][0]["delta"].get("content") or ""
                if delta:
                    if run_manager:
                        run_manager.on_llm_new_token(delta)
                    yield ChatGenerationChunk(message=AIMessageChunk(content=delta))
                    if loop.repeated(delta):
                        break  # closing the stream stops generation: no minutes spent on a loop


class _LoopGuard:
    """Notices a small model writing a sentence it already wrote, the start of a loop up to ``max_tokens``."""

    def __init__(self, min_chars: int = 10) -> None:
        self.min_chars = min_chars
        self.pending = ""
        self.seen: set[str] = set()

    def repeated(self, delta: str) -> bool:
        self.pending += delta
        *done, self.pending = END_OR_NEWLINE.split(self.pending)
        for sentence in done:
            key = re.sub(r"\s+|\[\d+\]|^[-*・\d.]+", "", sentence)
            if len(key) < self.min_chars:
                continue
            if key in self.seen:
                return True
            self.seen.add(key)
        return False


def local_available(settings: Settings) -> bool:
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return False
    return default_local_model_path(settings).exists()


def local_chat_model(settings: Settings) -> BaseChatModel:
    path = default_local_model_path(settings)
    if not path.exists():
        raise RuntimeError(f"ローカルモデルがありません / no local model at {path}: `make llm` を実行してください")
    return LlamaCppChatModel(
        model_path=str(path), temperature=settings.llm_temperature, max_tokens=settings.llm_max_tokens, n_threads=2
    )
