"""``streamlit run app.py`` on a free 127.0.0.1 port for the browser test and the load test.

Its own process group, so stopping it also stops anything the app started; healthy on entry, stopped on exit,
and the tail of its log in the error when it dies or never becomes healthy.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import REPO
from tests.servers import free_port

HOST = "127.0.0.1"
__all__ = ["HOST", "free_port", "streamlit_server"]


def _tail(log_path: Path) -> str:
    return log_path.read_text(errors="replace")[-3000:]


@contextlib.contextmanager
def streamlit_server(
    env: dict[str, str], log_path: Path, port: int, timeout: float = 120, cmd: list[str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run the app with the complete environment ``env``; output goes to ``log_path``. ``cmd`` replaces the
    plain ``streamlit run`` (e.g. ``make run PORT=…``, which ingests and migrates first)."""
    cmd = cmd or [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.address", HOST,
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{_tail(log_path)}")
            try:
                with urllib.request.urlopen(f"http://{HOST}:{port}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit not healthy after {timeout:g} s:\n{_tail(log_path)}") from None
                time.sleep(0.3)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
