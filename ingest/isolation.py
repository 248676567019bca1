"""Reading untrusted files with a deadline: a parser that hangs or crashes costs one file, never the ingest run.

PDF, HTML and XML parsers can spin on a crafted or corrupt file (a loop in a broken xref table, regex backtracking
on a pathological line) or die in C code. Python cannot interrupt a thread stuck in C, so :class:`IsolatedLoader`
runs :func:`ingest.loaders.load_file` in a worker process that is reused from file to file and killed when a
file takes longer than the limit; the file then fails with a one-line reason, and the next file gets a fresh
worker. With a limit of 0, files are read in-process without a deadline.

The worker is a fresh interpreter (``python -m ingest.isolation``), neither forked nor started by
multiprocessing's spawn: the ingest job runs inside processes full of threads (Chroma, tqdm monitors, Streamlit),
and a fork copies whatever lock another thread held at that moment (a forked reader deadlocked inside pypdf in
the test suite), while spawn re-runs the caller's ``__main__`` script, which under Streamlit is the app page. It
costs about a second once per run, since the worker is reused. Requests and answers are pickled over its
stdin/stdout; whatever a library prints goes to stderr.

Reading ahead: :meth:`IsolatedLoader.expect` names the file the caller will load next; as soon as the current
file's answer arrives, the worker starts on it, so parsing the next file overlaps embedding this one. The
deadline of a file counts from the moment the worker got it.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

from ingest.loaders import load_file, unexpected_error
from ingest.model import LoadedDocument, LoadError
from ingest.stages import take_tally


class LoadTimeout(LoadError):
    """A file took longer to read than the per-file limit (``CHIZAI_LOAD_TIMEOUT_S``)."""


Reader = Callable[[Path, str, int], LoadedDocument]
Request = tuple[str, str, int]  # path, source, max_bytes


def _serve(requests: Connection, answers: Connection, load: Reader) -> None:
    """Worker loop: read (path, source, max_bytes), answer ("ok", document, stage seconds) or ("error", reason).

    Only the parent holds the other ends of the pipes, so recv() sees EOF and the worker ends when the ingest
    process dies, even by SIGKILL.
    """
    while True:
        try:
            request = requests.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        path, source, max_bytes = request
        result: tuple[object, ...]
        try:
            result = ("ok", *_timed_load(load, Path(path), source, max_bytes))
        except LoadError as exc:
            result = ("error", str(exc))
        except BaseException as exc:  # noqa: BLE001 - anything else is reported, the worker lives on
            result = ("error", unexpected_error(exc))
        try:
            answers.send(result)
        except Exception as exc:  # noqa: BLE001 - e.g. a document that cannot be pickled
            answers.send(("error", unexpected_error(exc)))


def _timed_load(load: Reader, path: Path, source: str, max_bytes: int) -> tuple[LoadedDocument, dict[str, float]]:
    """The document and where its load time went (``load`` in all, ``normalise`` of it: see ingest.stages)."""
    take_tally()
    t0 = time.perf_counter()
    doc = load(path, source, max_bytes)
    return doc, {"load": time.perf_counter() - t0, **take_tally()}


def _reader_ref(reader: Reader) -> str:
    module, name = getattr(reader, "__module__", None), getattr(reader, "__qualname__", "")
    if not module or module == "__main__" or "<" in name:
        raise ValueError(f"the file reader must be importable by name, not {reader!r}")
    return f"{module}:{name}"


def _import_reader(ref: str) -> Reader:
    module, _, name = ref.partition(":")
    obj: object = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj  # type: ignore[return-value]


def _worker_main(ref: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business; it kills us if needed
    requests = Connection(os.dup(0), writable=False)
    answers = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # prints from parsers must never corrupt the answers
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    _serve(requests, answers, _import_reader(ref))


class IsolatedLoader:
    """``load(path, source, max_bytes)`` like :func:`load_file`, with a per-file time limit in seconds.

    ``reader`` must be importable by its module path (the worker is spawned and imports it); the default is the
    project's loaders.
    """

    def __init__(self, timeout_s: float, reader: Reader = load_file) -> None:
        self.timeout_s = float(timeout_s)
        self.reader = reader
        self.last_timing: dict[str, float] = {}  # of the last load: "load" seconds, of which "normalise"
        self._proc: subprocess.Popen[bytes] | None = None
        self._requests: Connection | None = None
        self._answers: Connection | None = None
        self._sent: tuple[Request, float] | None = None  # the request the worker is on, and since when
        self._next: Request | None = None

    @property
    def isolated(self) -> bool:
        return self.timeout_s > 0

    def expect(self, path: Path | None, source: str = "", max_bytes: int = 0) -> None:
        """The file the caller will load after the current one (None: no other): the worker starts on it as soon
        as it has answered the current one."""
        self._next = (str(path), source, max_bytes) if path is not None and self.isolated else None

    def load(self, path: Path, source: str, max_bytes: int) -> LoadedDocument:
        if not self.isolated:
            doc, self.last_timing = _timed_load(self.reader, path, source, max_bytes)
            return doc
        request: Request = (str(path), source, max_bytes)
        if self._sent is not None and self._sent[0] != request:
            self._receive()  # read ahead for a file the caller skipped: wait for it and drop it
        if self._sent is None:
            self._send(request)
        status, value, timing = self._receive()
        if status == "ok":
            self.last_timing = timing
            return value  # type: ignore[return-value]
        raise (LoadTimeout if status == "timeout" else LoadError)(value)

    def _send(self, request: Request) -> None:
        requests, _ = self._worker()
        with contextlib.suppress(OSError):  # the worker died: _receive reports it
            requests.send(request)
        self._sent = (request, time.monotonic())

    def _receive(self) -> tuple[str, object, dict[str, float]]:
        """The answer to the request in flight, within its deadline; then the expected file goes to the worker."""
        assert self._sent is not None and self._answers is not None
        request, since = self._sent
        self._sent = None
        try:
            ready = self._answers.poll(max(0.0, self.timeout_s - (time.monotonic() - since)))
        except (OSError, EOFError):
            ready = False
        if not ready:
            alive = self._proc is not None and self._proc.poll() is None
            code = self._stop(kill=True)
            if alive:
                return "timeout", f"時間切れ / timed out: reading took longer than {self.timeout_s:g} s (CHIZAI_LOAD_TIMEOUT_S)", {}
            return "error", f"読み込み処理が異常終了しました / the reader crashed (exit code {code})", {}
        try:
            status, value, *timing = self._answers.recv()
        except (EOFError, OSError):
            code = self._stop(kill=True)
            return "error", f"読み込み処理が異常終了しました / the reader crashed (exit code {code})", {}
        if self._next is not None and self._next != request:
            self._send(self._next)
        self._next = None
        return status, value, (timing[0] if timing else {})

    def _worker(self) -> tuple[Connection, Connection]:
        if self._proc is None or self._proc.poll() is not None or self._requests is None or self._answers is None:
            self._stop(kill=True)
            # The caller's import path (tests, a user's own reader module) must work in the worker too.
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
            proc = subprocess.Popen(
                [sys.executable, "-m", "ingest.isolation", _reader_ref(self.reader)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
            )
            assert proc.stdin is not None and proc.stdout is not None
            self._requests = Connection(os.dup(proc.stdin.fileno()), readable=False)
            self._answers = Connection(os.dup(proc.stdout.fileno()), writable=False)
            proc.stdin.close()
            proc.stdout.close()
            self._proc = proc
        return self._requests, self._answers

    def _stop(self, kill: bool = False) -> int | None:
        """End the worker (politely unless ``kill``); returns its exit code."""
        proc, requests, answers = self._proc, self._requests, self._answers
        self._proc, self._requests, self._answers = None, None, None
        kill = kill or self._sent is not None  # busy reading ahead for nobody: no reason to wait for it
        self._sent = None
        if requests is not None:
            if not kill:
                with contextlib.suppress(OSError):
                    requests.send(None)
            requests.close()  # EOF for the worker in any case
        if answers is not None:
            answers.close()
        if proc is None:
            return None
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(0 if kill else 2)
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        return proc.returncode

    def close(self) -> None:
        self._stop()

    def __enter__(self) -> IsolatedLoader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    _worker_main(sys.argv[1])
