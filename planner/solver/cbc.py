"""CBC: PuLP's bundled binary through ``COIN_CMD``, with a wall-clock watchdog.

Why a watchdog: CBC ignores its time limit while preprocessing and solving the root LP; the
planner promises a result within ``solver.time_limit_s``. Statuses are read from CBC's log
(PuLP maps a time-limited run with an incumbent to "Optimal").
"""

from __future__ import annotations

import math
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pulp
from pulp.apis.coin_api import pulp_cbc_path

from planner.solver.outcome import MipOutcome

_CBC_RESULT = re.compile(r"^Result - (.*)$", re.M)
_CBC_OBJ = re.compile(r"^Objective value:\s+(\S+)", re.M)
_CBC_BOUND = re.compile(r"^Lower bound:\s+(\S+)", re.M)
_CBC_GAP = re.compile(r"^Gap:\s+(\S+)", re.M)
_CBC_WALL = re.compile(r"Wallclock seconds\):\s+(\S+)")


#: CBC ignores its time limit while preprocessing and solving the root LP (minutes on big
#: models); the watchdog interrupts it (SIGINT: CBC stops and writes its best solution) this
#: long after the limit, then kills it.
CBC_GRACE_S = 10.0

_WATCHDOG = """
import signal, subprocess, sys
p = subprocess.Popen([{cbc!r}] + sys.argv[1:])
try:
    sys.exit(p.wait(timeout={limit!r}))
except subprocess.TimeoutExpired:
    p.send_signal(signal.SIGINT)
    try:
        sys.exit(p.wait(timeout={grace!r}))
    except subprocess.TimeoutExpired:
        p.kill()
        sys.exit(p.wait() or 1)
"""


def cbc_watchdog(work: str, limit_s: float) -> str:
    """An executable in ``work`` that runs PuLP's CBC but enforces the wall-clock limit."""
    path = os.path.join(work, "cbc_watchdog")
    grace = max(CBC_GRACE_S, 0.1 * limit_s)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(f"#!{sys.executable}\n")
        fh.write(
            _WATCHDOG.format(cbc=os.path.abspath(pulp_cbc_path), limit=limit_s + grace, grace=grace)
        )
    os.chmod(path, 0o755)
    return path


def _num(rx: re.Pattern, text: str) -> float | None:
    found = rx.findall(text)
    if not found:
        return None
    try:
        return float(found[-1])
    except ValueError:
        return None


def solve_cbc(
    prob: pulp.LpProblem,
    *,
    mip_gap: float,
    threads: int,
    time_limit_s: float,
    seed: int,
    start: dict,
) -> MipOutcome:
    """CBC through PuLP with the watchdog; objective and bound in solver units.

    No served-gap rule: CBC has no interrupt callback here.
    """
    t = time.perf_counter()
    for v, x in start.items():
        v.setInitialValue(x, check=False)
    work = tempfile.mkdtemp(prefix="cbc_")
    log = os.path.join(work, "cbc.log")
    failed = None
    try:
        solver = pulp.COIN_CMD(
            path=cbc_watchdog(work, time_limit_s),
            msg=False,
            gapRel=mip_gap,
            timeLimit=time_limit_s,
            threads=threads if threads > 1 else None,
            warmStart=bool(start),
            logPath=log,
            options=[f"randomCbcSeed {int(seed) % 2_147_483_647}"],
        )
        with _offset_column(prob):
            try:
                prob.solve(solver)
            except pulp.PulpSolverError as e:  # killed by the watchdog, or crashed
                failed = str(e)
                prob.status = pulp.LpStatusNotSolved
                prob.sol_status = pulp.LpSolutionNoSolutionFound
        secs = time.perf_counter() - t
        text = ""
        if os.path.exists(log):
            with open(log, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return _outcome(prob, text, failed, secs)


@contextmanager
def _offset_column(prob: pulp.LpProblem) -> Iterator[None]:
    """PuLP's MPS writer drops the objective constant: carry it on a column fixed at 1 while
    CBC runs, and put the objective back as it was afterwards."""
    obj_expr = prob.objective
    const = obj_expr.constant if obj_expr is not None else 0.0
    if not const:
        yield
        return
    one = prob.add_variable("objective_offset", 1, 1)
    one.setInitialValue(1, check=False)
    obj_expr.constant = 0.0
    obj_expr[one] = const
    try:
        yield
    finally:
        del obj_expr[one]
        obj_expr.constant = const
        prob._variables.remove(one)
        prob._variable_ids.pop(one.hash, None)


def _outcome(prob: pulp.LpProblem, text: str, failed: str | None, secs: float) -> MipOutcome:
    """Status, objective, bound and gap from PuLP's status and CBC's log text."""
    res = _CBC_RESULT.search(text)
    raw = res.group(1).strip() if res else pulp.LpStatus[prob.status]
    if failed is not None:
        raw = f"CBC stopped without a solution ({failed.strip()[:80]})"
    obj = pulp.value(prob.objective)
    bound = _num(_CBC_BOUND, text)
    gap = _num(_CBC_GAP, text)
    wall = _num(_CBC_WALL, text)
    if prob.status == pulp.LpStatusInfeasible or "infeasible" in raw.lower():
        status = "infeasible"
    elif prob.sol_status == pulp.LpSolutionOptimal or raw.lower().startswith("optimal"):
        status = "optimal"
    elif prob.sol_status == pulp.LpSolutionIntegerFeasible or (
        "stopped" in raw.lower() and obj is not None
    ):
        status = "time_limit_feasible"
    else:
        status = "no_solution"
    if bound is None and status == "optimal" and obj is not None:
        bound = obj  # CBC prints no bound line when it proves optimality
    if obj is not None and bound is not None:  # CBC prints its gap with 2 decimals only
        gap = max(0.0, obj - bound) / max(abs(obj), 1e-9)
    elif gap is None:
        gap = 0.0 if status == "optimal" else math.inf
    load = max(0.0, secs - wall) if wall is not None else 0.0
    return MipOutcome(status, raw, float(obj) if obj is not None else math.nan, bound, gap, load)
