"""A HiGHS MIP in a child process the planner can stop: a time limit that holds on big models.

Why: HiGHS checks its clock (and asks its interrupt callbacks) between the phases of its
search, not inside every one. Measured (Cogentco, all 16,110 pairs, 445k columns, 300 s,
HiGHS 1.15.1): in some runs HiGHS reached its fifth root separation round before the limit
and started its central-rounding heuristic, a line search from the root LP towards the
analytic centre that fixes the 2,806 integer columns one at a time and propagates the
objective (445k cost terms) after each fix. No clock check and no callback runs in there:
those runs went on 10-17 minutes past the limit at 3.9 GB, and nothing in the process could
stop them. Models of at least :data:`GUARD_MIN_COLUMNS` columns are therefore solved in a
child process that sends each improving solution and each new bound to the parent as HiGHS
finds them; a child still running :func:`grace_s` after its limit is ended, and the run
reports the last plan and bound it sent (``time_limit_feasible``; the raw status says the
planner stopped HiGHS, and how late).

The same plan as in one process whenever HiGHS stops by itself: the child gets the same model
arrays, options, seed and start. The child is a fresh ``python`` running :func:`child_main` (not a
multiprocessing spawn, which re-runs the caller's main script in the child when it has no
``if __name__ == "__main__"`` guard: measured, the whole Cogentco pipeline ran twice and the
parent then hung writing to a child that had died). The job goes in on its stdin, which stays
open: a child whose parent dies sees it close and exits. Messages come back on a pipe of their
own. A plain subprocess may also be started from a daemonic process (a Dask worker), where
multiprocessing refuses children.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import math
import os
import pickle
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection

import highspy
import numpy as np
import pulp

from planner.errors import SolverError
from planner.solver.highs import Session, pulp_lp, run_mip, solve_mip, sparse_lp
from planner.solver.outcome import MipOutcome

#: Models with at least this many columns solve in a guarded child. Below it HiGHS's
#: unchecked phases take seconds (the central rounding scales with integer columns x
#: objective terms), and a child would cost its start-up (~1-2 s) for nothing.
GUARD_MIN_COLUMNS = 100_000


def grace_s(limit_s: float) -> float:
    """How long after its limit a child may still report before it is ended: HiGHS's usual
    stop takes a second or two (its limit already covers the model hand-over), so this is
    room for a busy machine, not for HiGHS (5 s + 5 %, at most a minute)."""
    return min(60.0, 5.0 + 0.05 * limit_s)


def guard_applies(n_columns: int) -> bool:
    """Solve in a guarded child? Big enough. (Also in daemonic processes such as Dask's
    workers: the child is a plain subprocess, and it exits when its parent does.)"""
    return n_columns >= GUARD_MIN_COLUMNS


def release_freed_memory() -> None:
    """Hand the heap this process has freed back to the OS (glibc keeps it for reuse).

    Why: in one process HiGHS's search reused what the start heuristics' LPs had freed; in
    a child it cannot, so the parent's kept-but-free heap would count twice."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to hand back
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _arrays(lp: highspy.HighsLp) -> dict:
    """A ``HighsLp`` as plain arrays (pickled to the child; HiGHS objects are not)."""
    a = lp.a_matrix_
    return {
        "cost": np.asarray(lp.col_cost_), "col_lower": np.asarray(lp.col_lower_),
        "col_upper": np.asarray(lp.col_upper_), "row_lower": np.asarray(lp.row_lower_),
        "row_upper": np.asarray(lp.row_upper_), "start": np.asarray(a.start_),
        "index": np.asarray(a.index_), "value": np.asarray(a.value_),
        "integer": np.array([t == highspy.HighsVarType.kInteger for t in lp.integrality_]),
        "offset": float(lp.offset_),
    }  # fmt: skip


def _lp(d: dict) -> highspy.HighsLp:
    keys = ("cost", "col_lower", "col_upper", "row_lower", "row_upper", "start", "index", "value")
    lp = sparse_lp(*(d[k] for k in keys), rowwise=True)
    kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
    lp.integrality_ = [kinds[int(b)] for b in d["integer"]]
    lp.offset_ = d["offset"]
    return lp


@dataclass
class Job:
    """What the child solves: the model, HiGHS's settings, the start and the stop rule."""

    model: dict
    threads: int
    seed: int
    mip_gap: float
    time_limit_s: float
    start: np.ndarray | None
    stop: Callable[[float, float], bool] | None = None
    obj_scale: float = 1.0
    #: ``time.monotonic()`` when the solve began in the parent: the limit covers the hand-over
    #: too (the clock is system-wide, the same in both processes)
    began: float = 0.0


def _start_child(job: Job, target: str) -> tuple[subprocess.Popen, Connection | None]:
    """Start the child (:func:`child_main`) with ``job`` on its stdin (kept open: the
    child exits when it closes); None for the connection if the child died while reading."""
    r, w = os.pipe()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    main = "import sys; from planner.solver.guard import child_main; child_main(sys.argv[1:])"
    cmd = [sys.executable, "-c", main, str(w), target]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, pass_fds=(w,), env=env)
    os.close(w)
    conn = Connection(r)
    try:
        pickle.dump(job, proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        proc.stdin.flush()
    except OSError:  # a broken pipe: the child died while reading
        conn.close()
        proc.wait()
        return proc, None
    return proc, conn


def _close(proc: subprocess.Popen, conn: Connection | None) -> None:
    with contextlib.suppress(OSError):
        proc.stdin.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(30)
    if conn is not None:
        conn.close()


def child_main(argv: list[str]) -> None:
    """The child (``argv``: FD module:name): read the job from stdin, answer on file descriptor
    FD; exit at once when stdin closes (the parent is gone or gave up). Ends with
    ``os._exit``: the stdin watcher is still reading, and nothing else needs cleaning up."""
    code = 0
    try:
        conn = Connection(int(argv[0]))
        job = pickle.load(sys.stdin.buffer)
        threading.Thread(target=_exit_when_orphaned, daemon=True).start()
        module, name = argv[1].split(":")
        getattr(importlib.import_module(module), name)(conn, job)
    except BaseException:  # noqa: BLE001 (said on stderr; the parent sees no result)
        traceback.print_exc()
        code = 1
    sys.stderr.flush()
    os._exit(code)


def _exit_when_orphaned() -> None:
    sys.stdin.buffer.read()  # returns at EOF: the parent closed stdin or died
    os._exit(1)


def run_job(conn, job: Job) -> None:
    """Child process: solve ``job`` (:func:`~planner.solver.highs.run_mip`, as a live session
    would); send ``("solution", x)`` and ``("bound", dual)`` while HiGHS runs, then
    ``("done", outcome, x)`` or ``("error", text)``."""
    try:
        s = Session.from_lp(_lp(job.model), "MIP", threads=job.threads, seed=job.seed)
        is_mip = bool(job.model["integer"].any())
        job.model = {}  # HiGHS has its copy: the arrays would stay for the whole search
        conn.send(("started",))
        last = [math.nan]

        def stop(primal: float, dual: float) -> bool:  # each new bound to the parent first
            if dual != last[0]:
                last[0] = dual
                conn.send(("bound", float(dual)))
            return job.stop is not None and bool(job.stop(primal, dual))

        left = max(0.05 * job.time_limit_s, job.time_limit_s - (time.monotonic() - job.began))
        out = run_mip(
            s, mip_gap=job.mip_gap, time_limit_s=left, start=job.start, stop=stop,
            obj_scale=job.obj_scale, on_solution=lambda x: conn.send(("solution", x)),
            is_mip=is_mip,
        )  # fmt: skip
        conn.send(("done", out, s.col_values()))
    except Exception as exc:  # noqa: BLE001 (the parent turns it into a SolverError)
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


@dataclass
class _Seen:
    """What the parent has heard from the child so far."""

    started: bool = False
    x: np.ndarray | None = None
    dual: float = -math.inf
    final: tuple | None = None

    def take(self, msg: tuple) -> None:
        if msg[0] == "started":
            self.started = True
        elif msg[0] == "solution":
            self.x = msg[1]
        elif msg[0] == "bound":
            self.dual = msg[1]
        else:
            self.final = msg


def _listen(conn: Connection, proc: subprocess.Popen, deadline: float) -> _Seen:
    """Messages from the child until it reports its end, dies, or the deadline passes."""
    seen = _Seen()
    while seen.final is None:
        left = deadline - time.perf_counter()
        if left <= 0:
            break
        if conn.poll(min(left, 1.0)):
            try:
                seen.take(conn.recv())
            except EOFError:  # the child is gone without a last word
                break
        elif proc.poll() is not None:
            break
    return seen


def _ended_outcome(seen: _Seen, cost: np.ndarray, offset: float, why: str) -> MipOutcome:
    """The outcome of a child that did not report its end: its last plan and bound."""
    if seen.x is None:
        return MipOutcome("no_solution", why, math.inf, None, math.inf, 0.0)
    obj = float(cost @ seen.x + offset)
    bound = seen.dual if math.isfinite(seen.dual) else None
    gap = math.inf if bound is None else max(0.0, obj - bound) / max(abs(obj), 1e-9)
    return MipOutcome("time_limit_feasible", why, obj, bound, gap, 0.0)


def solve_guarded(
    prob: pulp.LpProblem,
    *,
    mip_gap: float,
    threads: int,
    time_limit_s: float,
    seed: int,
    start: dict,
    stop: Callable[[float, float], bool] | None = None,
    obj_scale: float = 1.0,
    target: str = "planner.solver.guard:run_job",
) -> MipOutcome:
    """:func:`~planner.solver.highs.solve_mip` in a child process ended at the limit + grace.

    Values land in the variables' ``varValue`` (as PuLP's solve leaves them). ``target``: the
    child's function as ``module:name`` (tests give one that does not stop).
    """
    t, began = time.perf_counter(), time.monotonic()
    lp, variables = pulp_lp(prob, mip=True)
    model = _arrays(lp)
    del lp
    x0 = np.array([start.get(v, 0.0) for v in variables], dtype=float) if start else None
    cost, offset = model["cost"], model["offset"]  # to price a plan the child left behind
    job = Job(model, threads, seed, mip_gap, time_limit_s, x0, stop, obj_scale, began)
    proc, conn = _start_child(job, target)
    del job, model
    release_freed_memory()
    load_s = time.perf_counter() - t
    seen: _Seen | None = None
    try:
        deadline = t + time_limit_s + grace_s(time_limit_s)
        seen = _Seen() if conn is None else _listen(conn, proc, deadline)
        late = time.perf_counter() - t - time_limit_s
    finally:  # also on Ctrl-C: the child must not go on alone
        if proc.poll() is None and (seen is None or seen.final is None):
            proc.kill()
        _close(proc, conn)
    if seen.final is None and not seen.started and late <= 0:
        # the child never got going (e.g. planner not importable there): solve here, unguarded
        common = dict(mip_gap=mip_gap, threads=threads, time_limit_s=time_limit_s, seed=seed)
        return solve_mip(prob, **common, start=start, stop=stop, obj_scale=obj_scale)
    out, x = _what_came_back(seen, proc, late, time_limit_s, cost, offset)
    out.load_seconds = load_s
    if x is not None:
        for v, val in zip(variables, x.tolist(), strict=True):
            v.varValue = val
    return out


def _what_came_back(
    seen: _Seen, proc: subprocess.Popen, late: float, limit: float, cost, offset: float
) -> tuple[MipOutcome, np.ndarray | None]:
    """The child's own outcome and plan, or, if it was ended or died, its last plan and bound."""
    if seen.final is not None and seen.final[0] == "error":
        raise SolverError(f"HiGHS failed in its process: {seen.final[1]}")
    if seen.final is not None:
        return seen.final[1], seen.final[2]
    why = (
        f"Time limit reached (HiGHS had not stopped {late:.0f} s after its {limit:g} s limit; "
        "the planner ended it and kept its last plan)"
        if late > 0
        else f"HiGHS's process ended without a result (exit code {proc.returncode})"
    )
    out = _ended_outcome(seen, cost, offset, why)
    out.ended_late_s = late if late > 0 else None
    return out, seen.x
