"""Objects created once per server process (``st.cache_resource``), shared by every session and
page.

Each cache is keyed by the settings it depends on, so a test (or an operator) pointing ``CHIZAI_*``
at another data directory gets new objects instead of stale ones. Failures are not cached: a missing
index raises again on the next run, so the chat starts working as soon as ``python -m ingest`` (or
the コーパス page) has built one.
"""

from __future__ import annotations

import contextlib
import gc
import json
import threading
import time
from collections.abc import Iterator

import streamlit as st

from assistant import container
from assistant.answer.pipeline import Assistant
from assistant.answer.result import AnswerResult
from assistant.handoff import HandoffPolicy, Window
from assistant.tickets import AdvisorAuth, TicketStore
from chizai.index.catalog_base import IndexMismatchError
from chizai.index.vector_store import VectorStoreUnavailable
from chizai.settings import Settings, get_settings

INDEX_MISSING_JA = (
    "回答に使う索引がまだありません。管理者の方は `python -m ingest` を実行するか、"
    "担当者ログイン後の「コーパス」ページで取り込みを実行してください。"
)


def settings() -> Settings:
    """The process's settings from the environment, with the process-wide choices applied (cheap, idempotent)."""
    built = get_settings()
    container.configure_process(built)
    return built


def _index_key(s: Settings) -> tuple[str, ...]:
    return (
        str(s.data_dir.resolve()),
        s.embedder,
        s.chroma_url or "",
        s.index_url or "",
        s.collection,
        str(s.resolved_windows_file),
    )


@st.cache_resource(show_spinner=False)
def _policy(windows_file: str) -> HandoffPolicy:
    return container.build_policy(settings())


def policy() -> HandoffPolicy:
    return _policy(str(settings().resolved_windows_file))


_heap_frozen = threading.Event()


def freeze_startup_heap() -> None:
    """Hide everything alive once the app is loaded from the cyclic garbage collector, once per process.

    Streamlit runs a full ``gc.collect(2)`` after every script run (``runner.postScriptGC``). With chromadb,
    langchain, pydantic, Sudachi and the model loaded that is ~190k long-lived objects, 100–250 ms of held GIL per
    rerun, which ``make load`` showed as the largest single cost with 20 users. Frozen objects are still freed by
    reference counting; only the per-run garbage is scanned from then on.
    """
    if _heap_frozen.is_set():
        return
    _heap_frozen.set()
    gc.collect()
    gc.freeze()


@st.cache_resource(show_spinner="知財フロントを準備しています（初回のみ数秒かかります）…")
def _assistant(key: tuple[str, ...]) -> Assistant:
    built = container.build_assistant(settings(), policy=policy())
    built.observers.append(_observe)
    freeze_startup_heap()
    return built


_run = threading.local()  # Streamlit runs each script run in a thread of its own
_profile_lock = threading.Lock()


def _observe(result: AnswerResult) -> None:
    _run.answer = dict(result.timings_ms)


@contextlib.contextmanager
def profiled_run() -> Iterator[None]:
    """With ``CHIZAI_PROFILE_PATH``, one JSON line per script run: its wall and CPU time and, when it answered,
    the answer's stage timings. ``make load`` sets it and reports where a rerun's time goes (answering vs
    drawing the page), which is how work that need not run on every rerun gets found."""
    path = settings().profile_path
    if path is None:
        yield
        return
    _run.answer = None
    t0, cpu0 = time.perf_counter(), time.thread_time()
    try:
        yield
    finally:
        record = {"run_ms": round((time.perf_counter() - t0) * 1000, 1),
                  "run_cpu_ms": round((time.thread_time() - cpu0) * 1000, 1), "answer": _run.answer}  # fmt: skip
        with _profile_lock, path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")


def assistant() -> tuple[Assistant | None, str | None]:
    """The shared assistant, or None and a Japanese explanation of why it cannot answer yet."""
    try:
        return _assistant(_index_key(settings())), None
    except FileNotFoundError:
        return None, INDEX_MISSING_JA
    except (IndexMismatchError, VectorStoreUnavailable) as exc:
        return None, f"索引を開けません: {exc}"


def reset_assistant() -> None:
    """Forget the assistant (after a re-ingest) so the next question opens the new index."""
    _assistant.clear()


@st.cache_resource(show_spinner=False, max_entries=4)
def _categories(key: tuple[str, ...], last_run: float) -> dict[str, str]:
    built = _assistant(key)
    return {d["doc_id"]: d["metadata"].get("category", "") for d in built.retriever.catalog.documents()}


def doc_categories(built: Assistant) -> dict[str, str]:
    """Category of every document, read once per index version (an ingest run, even another process's, makes a
    new one). Reading every document's metadata took 10–24 ms of held GIL on each answer."""
    last = built.retriever.catalog.last_run() or {}
    return _categories(_index_key(settings()), float(last.get("finished_at") or 0.0))


@st.cache_resource(show_spinner=False)
def _store(url: str) -> TicketStore:
    return container.build_store(settings())


def store() -> TicketStore:
    return _store(settings().resolved_database_url)


@st.cache_resource(show_spinner=False)
def _auth(url: str) -> AdvisorAuth:
    return container.build_auth(_store(url))


def auth() -> AdvisorAuth:
    return _auth(settings().resolved_database_url)


@st.cache_resource(show_spinner=False)
def ingest_lock() -> threading.Lock:
    """One re-ingest at a time per process (two advisors pressing the button together)."""
    return threading.Lock()


def windows_by_id() -> dict[str, Window]:
    return {w.id: w for w in policy().windows}


def window_name(window_id: str) -> str:
    w = windows_by_id().get(window_id)
    return w.name if w else window_id


def category_labels() -> dict[str, str]:
    return {cid: c.label_ja for cid, c in policy().categories.items()}


def category_label(category: str | None) -> str:
    if not category:
        return "（未分類）"
    return category_labels().get(category, category)


def advisor_names() -> dict[str, str]:
    """Advisor accounts as ``username → 表示名``: the only people a ticket can be assigned to."""
    return {a.username: a.display_name or a.username for a in auth().list_advisors()}


def advisor_label(username: str, names: dict[str, str]) -> str:
    """「山田 太郎（yamada）」: how a selection or a trail names an advisor (the username alone if unknown)."""
    return f"{names[username]}（{username}）" if username in names else username
