"""Reading ahead in the isolation worker: the next file is parsed while this one is embedded, within its deadline."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ingest.isolation import IsolatedLoader, LoadTimeout
from tests.ingest.hanging_loader import load_and_mark

MB = 1024 * 1024


def _file(folder: Path, name: str, text: str = "知的財産の説明です。") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _started(path: Path, within: float = 20.0) -> bool:
    marker = path.with_name(path.name + ".started")
    deadline = time.monotonic() + within
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return marker.exists()


def test_the_expected_file_is_read_while_the_caller_works(tmp_path):
    a, b = _file(tmp_path, "a.txt", "一つ目の文書です。"), _file(tmp_path, "b.txt", "二つ目の文書です。")
    with IsolatedLoader(30, load_and_mark) as loader:
        loader.expect(b, "b.txt", MB)
        assert loader.load(a, "a.txt", MB).sections[0].text == "一つ目の文書です。"
        assert _started(b)  # nobody asked for b yet: the worker began on it by itself
        assert loader.load(b, "b.txt", MB).sections[0].text == "二つ目の文書です。"
        assert loader.last_timing["load"] > 0 and "normalise" in loader.last_timing


def test_a_file_read_ahead_but_skipped_is_dropped(tmp_path):
    a, b, c = (_file(tmp_path, f"{n}.txt", f"{n}の文書です。") for n in "abc")
    with IsolatedLoader(30, load_and_mark) as loader:
        loader.expect(b, "b.txt", MB)
        loader.load(a, "a.txt", MB)
        assert loader.load(c, "c.txt", MB).sections[0].text == "cの文書です。"


def test_the_deadline_of_a_file_read_ahead_counts_from_when_the_worker_got_it(tmp_path):
    a, hang, after = _file(tmp_path, "a.txt"), _file(tmp_path, "hang.txt", "x"), _file(tmp_path, "z.txt")
    with IsolatedLoader(2.0, load_and_mark) as loader:
        loader.expect(hang, "hang.txt", MB)
        loader.load(a, "a.txt", MB)
        assert _started(hang)
        time.sleep(1.5)  # the caller is busy with a.txt meanwhile
        started = time.monotonic()
        with pytest.raises(LoadTimeout):
            loader.load(hang, "hang.txt", MB)
        assert time.monotonic() - started < 1.5
        assert loader.load(after, "z.txt", MB).sections[0].text == "知的財産の説明です。"
