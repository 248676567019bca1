"""Peak resident memory of this process, per phase.

psutil is not a dependency: Linux exposes the high-water mark as ``VmHWM`` in ``/proc/self/status`` and lets a
process reset it by writing ``5`` to ``/proc/self/clear_refs``, so each phase gets its own peak. Elsewhere we fall
back to ``resource.getrusage`` (the lifetime peak, which cannot be reset).
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kb(key: str) -> int | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _ru_maxrss_mb() -> float:
    value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return value / (1024 * 1024) if sys.platform == "darwin" else value / 1024  # bytes on macOS, KiB on Linux


def reset_peak() -> bool:
    """Start a new peak-RSS window; False when the platform cannot (the peak then covers the whole process)."""
    try:
        _CLEAR_REFS.write_text("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float:
    """Peak RSS since the last successful ``reset_peak()`` (or since the process started)."""
    kb = _status_kb("VmHWM")
    return kb / 1024 if kb is not None else _ru_maxrss_mb()


def rss_mb() -> float:
    kb = _status_kb("VmRSS")
    return kb / 1024 if kb is not None else _ru_maxrss_mb()


def method() -> str:
    if _status_kb("VmHWM") is not None:
        return (
            "VmHWM from /proc/self/status, reset per phase via /proc/self/clear_refs (psutil not installed)"
        )
    return "resource.getrusage ru_maxrss (lifetime peak; psutil not installed)"


class PeakTracker:
    """Per-phase peaks plus the lifetime peak of the process (a reset also lowers ru_maxrss on Linux)."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}
        self.lifetime = peak_rss_mb()

    def start(self) -> None:
        self.lifetime = max(self.lifetime, peak_rss_mb())
        reset_peak()

    def stop(self, phase: str) -> float:
        peak = peak_rss_mb()
        self.phases[phase] = round(peak, 1)
        self.lifetime = max(self.lifetime, peak)
        return peak

    def process_peak(self) -> float:
        return round(max(self.lifetime, peak_rss_mb()), 1)
