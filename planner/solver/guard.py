"""A HiGHS MIP in a child process the planner can stop: a time limit that holds on big models.

Why: HiGHS checks its clock (and asks its interrupt callbacks) between the phases of its
search, not inside every one. Measured (Cogentco, all 16,110 pairs, 445k columns, 300 s,
HiGHS 1.15.1): in some runs HiGHS reached its fifth root separation round before the limit
and started its central-rounding heuristic, a line search from the root LP towards the
analytic centre that fixes the 2,806 integer columns one at a time and propagates the
objective (445k cost terms) after each fix. No clock check and no callback runs in there:
those runs went on 10-17 minutes past the limit at 3.9 GB, and nothing in the process could
stop them. Models of at least :data:`GUARD_MIN_COLUMNS` columns are therefore solved in a
spawned child that sends each improving solution and each new bound to the parent as HiGHS
finds them; a child still running :func:`grace_s` after its limit is ended, and the run
reports the last plan and bound it sent (``time_limit_feasible``; the raw status says the
planner stopped HiGHS, and how late).

The same plan as in one process whenever HiGHS stops by itself: the child gets the same model
arrays, options, seed and start. Not used where a process may not have children (a daemonic
Dask worker): the MIP then runs in the process, as below the size threshold.
"""

from __future__ import annotations

import math
import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass

import highspy
import numpy as np
import pulp

from planner.errors import SolverError
from planner.solver.highs import (
    mip_outcome,
    new_highs,
    pass_model,
    pulp_lp,
    solve_mip,
    sparse_lp,
)
from planner.solver.outcome import MipOutcome

#: Models with at least this many columns solve in a guarded child. Below it HiGHS's
#: unchecked phases take seconds (the central rounding scales with integer columns x
#: objective terms), and a child would cost its start-up (~1-2 s) for nothing.
GUARD_MIN_COLUMNS = 100_000


def grace_s(limit_s: float) -> float:
    """How long after its limit a child may still report before it is ended: its start-up
    (model hand-over) plus HiGHS's usual stop (seconds), with room on a busy machine."""
    return 10.0 + 0.1 * limit_s


def guard_applies(n_columns: int) -> bool:
    """Solve in a guarded child? Big enough, and this process may have children."""
    return n_columns >= GUARD_MIN_COLUMNS and not multiprocessing.current_process().daemon


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
    #: seconds the parent spent before handing over (the limit covers the load too)
    spent_s: float = 0.0


def run_job(conn, job: Job) -> None:
    """Child process: solve ``job``; send ``("solution", x)`` and ``("bounds", p, d)`` while
    HiGHS runs, then ``("done", outcome, x)`` or ``("error", text)``."""
    try:
        t = time.perf_counter()
        h = new_highs(job.threads, job.seed, mip_rel_gap=float(job.mip_gap))
        pass_model(h, _lp(job.model), "MIP")
        conn.send(("started",))
        if job.start is not None:
            h.setSolution(len(job.start), np.arange(len(job.start), dtype=np.int32), job.start)
        fired: list[bool] = []
        last = [math.nan, math.nan]

        def interrupt(e) -> None:
            p, d = float(e.data_out.mip_primal_bound), float(e.data_out.mip_dual_bound)
            if [p, d] != last:
                last[:] = [p, d]
                conn.send(("bounds", p, d))
            if job.stop is not None and (fired or job.stop(p, d)):
                fired[:] = [True]
                e.data_in.user_interrupt = True

        def improving(e) -> None:
            conn.send(("solution", np.asarray(e.data_out.mip_solution, dtype=float)))

        h.cbMipInterrupt.subscribe(interrupt)
        h.cbMipImprovingSolution.subscribe(improving)
        spent = job.spent_s + time.perf_counter() - t
        h.setOptionValue("time_limit", max(0.05 * job.time_limit_s, job.time_limit_s - spent))
        h.run()
        out = mip_outcome(h, bool(fired), job.obj_scale, bool(job.model["integer"].any()), spent)
        conn.send(("done", out, np.asarray(h.getSolution().col_value, dtype=float)))
    except Exception as exc:  # noqa: BLE001 (the parent turns it into a SolverError)
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


@dataclass
class _Seen:
    """What the parent has heard from the child so far."""

    started: bool = False
    x: np.ndarray | None = None
    primal: float = math.inf
    dual: float = -math.inf
    final: tuple | None = None

    def take(self, msg: tuple) -> None:
        if msg[0] == "started":
            self.started = True
        elif msg[0] == "solution":
            self.x = msg[1]
        elif msg[0] == "bounds":
            self.primal, self.dual = msg[1], msg[2]
        else:
            self.final = msg


def _listen(conn, proc, deadline: float) -> _Seen:
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
        elif not proc.is_alive():
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
    target: Callable = run_job,
) -> MipOutcome:
    """:func:`~planner.solver.highs.solve_mip` in a child process ended at the limit + grace.

    Values land in the variables' ``varValue`` (as PuLP's solve leaves them). ``target``: the
    child's function (tests give one that does not stop).
    """
    t = time.perf_counter()
    lp, variables = pulp_lp(prob, mip=True)
    model = _arrays(lp)
    del lp
    x0 = np.array([start.get(v, 0.0) for v in variables], dtype=float) if start else None
    cost, offset = model["cost"], model["offset"]  # to price a plan the child left behind
    ctx = multiprocessing.get_context("spawn")
    recv, send = ctx.Pipe(duplex=False)
    job = Job(model, threads, seed, mip_gap, time_limit_s, x0, stop, obj_scale)
    job.spent_s = time.perf_counter() - t
    proc = ctx.Process(target=target, args=(send, job), daemon=True, name="planner-mip")
    proc.start()
    send.close()
    del job, model
    load_s = time.perf_counter() - t
    seen = _listen(recv, proc, t + time_limit_s + grace_s(time_limit_s))
    late = time.perf_counter() - t - time_limit_s
    if proc.is_alive() and seen.final is None:
        proc.kill()
    proc.join(30)
    recv.close()
    if seen.final is None and not seen.started and late <= 0:
        # no child (e.g. a script read from stdin cannot be spawned): solve here, unguarded
        common = dict(mip_gap=mip_gap, threads=threads, time_limit_s=time_limit_s, seed=seed)
        return solve_mip(prob, **common, start=start, stop=stop, obj_scale=obj_scale)
    if seen.final is not None and seen.final[0] == "error":
        raise SolverError(f"HiGHS failed in its process: {seen.final[1]}")
    if seen.final is not None:
        out, x = seen.final[1], seen.final[2]
    else:
        why = (
            f"Time limit reached (HiGHS had not stopped {late:.0f} s after its "
            f"{time_limit_s:g} s limit; the planner ended it and kept its last plan)"
            if late > 0
            else f"HiGHS's process ended without a result (exit code {proc.exitcode})"
        )
        out, x = _ended_outcome(seen, cost, offset, why), seen.x
    out.load_seconds = load_s
    if x is not None:
        for v, val in zip(variables, x.tolist(), strict=True):
            v.varValue = val
    return out
