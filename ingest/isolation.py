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
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

from ingest.loaders import load_file, unexpected_error
from ingest.model import LoadedDocument, LoadError


class LoadTimeout(LoadError):
    """A file took longer to read than the per-file limit (``CHIZAI_LOAD_TIMEOUT_S``)."""


Reader = Callable[[Path, str, int], LoadedDocument]


def _serve(requests: Connection, answers: Connection, load: Reader) -> None:
    """Worker loop: read (path, source, max_bytes), answer ("ok", document) or ("error", one-line reason).

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
        result: tuple[str, object]
        try:
            result = ("ok", load(Path(path), source, max_bytes))
        except LoadError as exc:
            result = ("error", str(exc))
        except BaseException as exc:  # noqa: BLE001 - anything else is reported, the worker lives on
            result = ("error", unexpected_error(exc))
        try:
            answers.send(result)
        except Exception as exc:  # noqa: BLE001 - e.g. a document that cannot be pickled
            answers.send(("error", unexpected_error(exc)))


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
        self._proc: subprocess.Popen[bytes] | None = None
        self._requests: Connection | None = None
        self._answers: Connection | None = None

    @property
    def isolated(self) -> bool:
        return self.timeout_s > 0

    def load(self, path: Path, source: str, max_bytes: int) -> LoadedDocument:
        if not self.isolated:
            return self.reader(path, source, max_bytes)
        requests, answers = self._worker()
        try:
            requests.send((str(path), source, max_bytes))
            ready = answers.poll(self.timeout_s)
        except (OSError, EOFError):
            ready = False
        if not ready:
            alive = self._proc is not None and self._proc.poll() is None
            code = self._stop(kill=True)
            if alive:
                raise LoadTimeout(
                    f"時間切れ / timed out: reading took longer than {self.timeout_s:g} s (CHIZAI_LOAD_TIMEOUT_S)"
                )
            raise LoadError(f"読み込み処理が異常終了しました / the reader crashed (exit code {code})")
        try:
            status, value = answers.recv()
        except (EOFError, OSError):
            code = self._stop(kill=True)
            raise LoadError(f"読み込み処理が異常終了しました / the reader crashed (exit code {code})") from None
        if status == "ok":
            return value
        raise LoadError(value)

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
