"""Run one bench case in a child process and read the JSON line it prints last; table cells.

Why a child per case: ``ru_maxrss`` is then that case's peak, and a case that crashes or is
killed becomes a row with its error instead of ending the whole benchmark.
"""

from __future__ import annotations

import contextlib
import json
import math
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path


def run_json(cmd: list[str], cwd: Path, on_error: dict) -> dict:
    """The child's last stdout line as a dict, or ``on_error`` plus its last stderr line."""
    p = subprocess.run([sys.executable, *cmd], capture_output=True, text=True, cwd=cwd)
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        err = (p.stderr.strip().splitlines() or ["no output"])[-1][:120]
        return {**on_error, "error": err}


def _rss_kib(pid: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next((int(x.split()[1]) for x in f if x.startswith("VmRSS:")), 0)
    except (OSError, ValueError):
        return 0


def _children() -> list[str]:
    out: list[str] = []
    for task in Path("/proc/self/task").glob("*/children"):
        with contextlib.suppress(OSError):  # the thread ended meanwhile
            out += task.read_text().split()
    return out


class _Sampler:
    """RSS of this process plus its children, every 0.5 s, in a daemon thread: the peak of
    the sum while a MIP child runs beside the planner (``planner.solver.guard``)."""

    def __init__(self) -> None:
        self.peak_kib = 0
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            now = _rss_kib("self") + sum(_rss_kib(c) for c in _children())
            self.peak_kib = max(self.peak_kib, now)
            time.sleep(0.5)


_SAMPLER = _Sampler() if Path("/proc/self/task").exists() else None


def peak_mib() -> float:
    """Peak RSS of this process together with its children (MiB).

    Why the children: a big MIP runs in a child process (``planner.solver.guard``) while this
    one keeps the model; both are resident at once. The sampled peak of the sum (0.5 s
    apart), at least this process's own exact peak.
    """
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return max(own, _SAMPLER.peak_kib if _SAMPLER is not None else 0) / 1024


def fmt(x, spec: str = ".1f") -> str:
    """A table cell: ``-`` for missing, ``inf`` for non-finite, else ``format(x, spec)``."""
    if x is None:
        return "-"
    if isinstance(x, float) and not math.isfinite(x):
        return "inf"
    return format(x, spec)
