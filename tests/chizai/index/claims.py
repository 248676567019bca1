"""What every catalog's per-document claims must do, checked against a real catalog of either backend."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

from chizai.index.catalog_base import Catalog
from tests.conftest import REPO


def check_claims(catalog: Catalog, open_in_child: str) -> None:
    """Threads take turns on one document; another document stays free; a claim held by another process blocks
    until that process is killed. ``open_in_child`` is Python that binds ``c`` to the same catalog."""
    order: list[str] = []

    def worker(name: str) -> None:
        with catalog.claim("doc-a"):
            order.append(f"{name}+")
            time.sleep(0.2)
            order.append(f"{name}-")

    threads = [threading.Thread(target=worker, args=(n,)) for n in "xy"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert order in (["x+", "x-", "y+", "y-"], ["y+", "y-", "x+", "x-"])
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import time\n{open_in_child}\nwith c.claim('doc-a'):\n"
         "    print('held', flush=True)\n    time.sleep(60)\n"],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with catalog.claim("doc-b"):
            pass
        got = threading.Event()
        waiter = threading.Thread(target=lambda: (catalog.claim("doc-a").__enter__(), got.set()), daemon=True)
        waiter.start()
        assert not got.wait(1.0), "a claim held by another process was granted"
    finally:
        holder.kill()
        holder.wait()
    assert got.wait(10), "the killed holder's claim was not released"
