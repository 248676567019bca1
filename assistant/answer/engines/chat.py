"""LLM engines through LangChain's chat-model interface: any OpenAI-compatible endpoint, or a local GGUF model.

The model sees the passages as quoted, numbered data; whatever it writes is verified against them afterwards.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from assistant.answer.engines.base import Passage
from assistant.answer.engines.trim import trim_passages
from chizai.settings import Settings
from chizai.text.sentences import END_OR_NEWLINE

QUOTE = '"""'
PROMPTS = Path(__file__).resolve().parent.parent / "prompts"


def render_passages(passages: list[Passage], limit: int = 700, texts: list[str] | None = None) -> str:
    """Numbered, quoted passages; ``texts`` replaces their texts (trimmed for the local model)."""
    blocks = []
    for i, p in enumerate(passages):
        c = p.hit.chunk
        where = f" p.{c.page}" if c.page else (f" {p.section}" if p.section else "")
        text = texts[i] if texts is not None else p.text
        text = text if len(text) <= limit else text[:limit] + "…"
        text = text.replace(QUOTE, "”””")  # passages cannot close their own quotation
        head = f"[{p.n}] {p.title}{where}".replace("\n", " ").replace(QUOTE, "”””")
        blocks.append(f"{head}\n{QUOTE}\n{text}\n{QUOTE}")
    return "\n\n".join(blocks)


def system_prompt(language: str) -> str:
    return (PROMPTS / f"system_{'en' if language == 'en' else 'ja'}.txt").read_text(encoding="utf-8")


def build_messages(question: str, passages: list[Passage], language: str, budget: int | None = None) -> list[BaseMessage]:
    """System and user message; with a ``budget`` (characters) only the best passages, trimmed to the question."""
    texts = None
    if budget is not None:
        trimmed = trim_passages(question, passages, budget)
        passages, texts = [p for p, _ in trimmed], [t for _, t in trimmed]
    user = (PROMPTS / "user.txt").read_text(encoding="utf-8")
    rendered = render_passages(passages, texts=texts)
    return [SystemMessage(system_prompt(language)), HumanMessage(user.format(passages=rendered, question=question.replace(">>>", "＞＞＞")))]


class ChatModelEngine:
    """An engine around a chat model; ``budget`` trims the passages it reads (see engines.trim)."""

    def __init__(self, model: BaseChatModel, name: str, budget: int | None = None) -> None:
        self.model = model
        self.name = name
        self.budget = budget

    def stream(self, question: str, passages: list[Passage], language: str) -> Iterator[str]:
        for chunk in self.model.stream(build_messages(question, passages, language, self.budget)):
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
    system_prompt: str | None = None  # evaluated once at load, so its KV cache is reused (see _warm)
    threads_used: int = 0  # of the last generation (see _fit_threads)
    _llm: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp-local"

    def _model(self) -> Any:
        if self._llm is None:
            from llama_cpp import Llama

            self._llm = Llama(model_path=self.model_path, n_ctx=self.n_ctx, n_threads=self.n_threads, verbose=False)
            self._warm()
        return self._llm

    def _fit_threads(self) -> None:
        """Use ``n_threads`` only when that many cores are free right now, else one. llama.cpp splits every matrix
        product statically over its threads; with one core taken by another process, two threads read 11–13 prompt
        tokens/s where one read 19–23 (measured at load 6–7), so a busy machine gets one thread."""
        threads = self.n_threads if free_cores() >= self.n_threads - 0.5 else 1
        ctx = getattr(self._model(), "_ctx", None)
        if ctx is not None and hasattr(ctx, "set_n_threads"):
            ctx.set_n_threads(threads, threads)
        self.threads_used = threads

    def _warm(self) -> None:
        """Evaluate the fixed system prompt once, right after loading. llama.cpp keeps the tokens it evaluated last
        in its KV cache and re-evaluates only what differs, and the chat template puts the system prompt first:
        from the first question on, only the passages and the question are read (~200 tokens, ~2 s, saved)."""
        if self.system_prompt:
            system = {"role": "system", "content": self.system_prompt}
            self._llm.create_chat_completion(messages=[system, {"role": "user", "content": ""}], max_tokens=1, seed=self.seed)

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
            self._fit_threads()
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


def free_cores(sample_s: float = 0.1) -> float:
    """Idle CPUs over the next ``sample_s`` seconds (from /proc/stat); the CPU count where that cannot be read."""
    def idle_total() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return fields[3] + fields[4], sum(fields)

    try:
        idle0, total0 = idle_total()
        time.sleep(sample_s)
        idle1, total1 = idle_total()
    except (OSError, ValueError, IndexError):
        return float(os.cpu_count() or 1)
    return (os.cpu_count() or 1) * (idle1 - idle0) / max(1, total1 - total0)


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
        model_path=str(path), temperature=settings.llm_temperature, max_tokens=settings.llm_max_tokens, n_threads=2,
        system_prompt=system_prompt("ja"),
    )
