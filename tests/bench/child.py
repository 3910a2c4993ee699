"""Run one bench case in a child process and read the JSON line it prints last; table cells.

Why a child per case: ``ru_maxrss`` is then that case's peak, and a case that crashes or is
killed becomes a row with its error instead of ending the whole benchmark.
"""

from __future__ import annotations

import json
import math
import resource
import subprocess
import sys
from pathlib import Path


def run_json(cmd: list[str], cwd: Path, on_error: dict) -> dict:
    """The child's last stdout line as a dict, or ``on_error`` plus its last stderr line."""
    p = subprocess.run([sys.executable, *cmd], capture_output=True, text=True, cwd=cwd)
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        err = (p.stderr.strip().splitlines() or ["no output"])[-1][:120]
        return {**on_error, "error": err}


def peak_mib() -> float:
    """Peak RSS of this process plus the largest of its finished children (MiB).

    Why the sum: a big MIP runs in a child process (``planner.solver.guard``) while this one
    keeps the model; both are resident at once, so this process's own peak understates it.
    The sum of two peaks is an upper bound of the peak of the sum.
    """
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return (own + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


def fmt(x, spec: str = ".1f") -> str:
    """A table cell: ``-`` for missing, ``inf`` for non-finite, else ``format(x, spec)``."""
    if x is None:
        return "-"
    if isinstance(x, float) and not math.isfinite(x):
        return "inf"
    return format(x, spec)
