"""Run one bench case in a child process and read the JSON line it prints last; table cells.

Why a child per case: ``ru_maxrss`` is then that case's peak, and a case that crashes or is
killed becomes a row with its error instead of ending the whole benchmark.
"""

from __future__ import annotations

import json
import math
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


def fmt(x, spec: str = ".1f") -> str:
    """A table cell: ``-`` for missing, ``inf`` for non-finite, else ``format(x, spec)``."""
    if x is None:
        return "-"
    if isinstance(x, float) and not math.isfinite(x):
        return "inf"
    return format(x, spec)
