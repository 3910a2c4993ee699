"""RINS-style sub-MIP: a small MIP around the start, where the LP and the start disagree.

Why: on large networks (Kdl, Cogentco) the MIP solver spends its time on the root LP of the
whole model and returns the start, or stops well above the LP bound; the start (rounded,
trimmed) buys whole waves where the LP relaxation bought fractions. Relaxation induced
neighbourhood search (Danna, Rothberg and Le Pape 2005): every integer decision on which the
LP relaxation's optimum and the start agree is fixed there, and a MIP over the rest (the
corridors and years the LP fills fractionally, with all flows free) is solved from the start.
When HiGHS's presolve does not make that MIP small (a quarter of the model), the flows and
unserved columns on which the LP and the start agree are fixed as well (most paths carry
nothing in both), else no sub-MIP runs. It is bounded by work, never by the clock, so the
same inputs give the same plan on a busy machine: in effect by its node limit (the simplex
iterations of the work budget, :mod:`planner.optimize.work`, are checked at HiGHS's interrupt
points, but highspy 1.15 reports no iteration count inside a MIP callback: -1, measured). Its
answer is checked against every row and bound of the full model (as :mod:`.trim` does) and
kept only when cheaper.
"""

from __future__ import annotations

import time

import numpy as np

from planner.optimize.model import OBJ_SCALE
from planner.optimize.starts.rounding import Rounder
from planner.optimize.starts.trim import Plan, Trimmer
from planner.optimize.work import WorkMeter, iteration_limit
from planner.solver.highs import INF, Session, sparse_lp

#: Share of the time limit (nominal seconds, turned into work) the sub-MIP may use.
SUBMIP_TIME_SHARE = 0.1
#: Branch-and-bound nodes of the sub-MIP (work, not time: the same on a busy machine).
MAX_NODES = 50
#: An integer column is fixed where the LP value and the start's are this close.
AGREE_TOL = 1e-6
#: No sub-MIP when its presolved model keeps more than this share of the full model's rows +
#: columns: its root LP would cost about what the full model's does (base scenario: ~8 s).
MAX_PRESOLVED_SHARE = 0.25
#: ... unless it is this small anyway (rows + columns after presolve)
SMALL = 2000
#: No sub-MIP on models with more columns (Cogentco, 445k: a run with it did not finish in
#: 14 min and passed 3.9 GB; Kdl, 49k, runs it in ~2 s)
MAX_COLUMNS = 100_000
#: When the integers alone leave too large a model: also fix the continuous columns (flows,
#: unserved demand) where the LP and the start agree (most paths carry nothing in both).
FIX_FLOWS = True
#: No sub-MIP when fewer than this share of the integer columns can be fixed: that MIP is
#: as hard as the full one, which the solver is about to run anyway.
MIN_FIXED_SHARE = 0.5


def relaxation_values(r: Rounder) -> np.ndarray | None:
    """The LP relaxation's optimum, re-solved on ``r``'s live LP from its stored basis (a
    few iterations: only bounds moved since) within ``r``'s work; None if out of work."""
    basis = r.m.meta.get("lp_relaxation_basis")
    if basis is not None:
        r.lp.set_basis(basis)
    return r.run(np.zeros(len(r.icol)), r.ub)


def sub_mip(tr: Trimmer, fixed: np.ndarray, y: np.ndarray, threads: int) -> Session:
    """The full model with the columns ``fixed`` (a mask over all columns) held at ``y``, as
    a HiGHS MIP."""
    r = tr.r
    lo, hi = tr.col_lo.copy(), tr.col_hi.copy()
    lo[fixed] = hi[fixed] = y[fixed]
    lo, hi = np.where(np.isfinite(lo), lo, -INF), np.where(np.isfinite(hi), hi, INF)
    a = tr.A
    lp = sparse_lp(tr.cost, lo, hi, tr.row_lo, tr.row_hi, a.indptr, a.indices, a.data)
    lp.offset_ = tr.offset
    s = Session.from_lp(
        lp,
        "sub-MIP",
        threads=threads,
        mip_max_nodes=MAX_NODES,
        mip_rel_gap=0.0,
    )
    s.set_integer(r.icol)
    return s


def pairs_through(tr: Trimmer, free: np.ndarray) -> np.ndarray:
    """Columns (mask) of the pair-years some of whose flow can use a corridor with a free
    integer decision (``free``: mask over the integer columns): their flows on every path
    and their unserved demand. Demand rows are the rows of the unserved columns."""
    r, A = tr.r, tr.A
    out = np.zeros(A.shape[1], bool)
    if tr.cap_rows is None or not free.any():
        return out
    corridors = np.unique(r.e[free])
    rows, cells = tr.cap_rows
    hot = np.zeros(A.shape[0], bool)
    hot[rows[np.isin(cells // tr.T, corridors)]] = True
    csr = A.tocsr()
    flows = np.zeros(A.shape[1], bool)
    flows[csr[np.flatnonzero(hot)].indices] = True
    flows[r.icol] = False
    demand_rows = np.zeros(A.shape[0], bool)
    demand_rows[A[:, tr.us_cols].indices] = True
    rows_of_flows = np.zeros(A.shape[0], bool)
    rows_of_flows[A[:, np.flatnonzero(flows)].indices] = True
    out[csr[np.flatnonzero(rows_of_flows & demand_rows)].indices] = True
    out[r.icol] = False
    return out


def neighbourhood(
    tr: Trimmer, fixed: np.ndarray, y: np.ndarray, threads: int, info: dict
) -> Session | None:
    """The sub-MIP of ``fixed`` if presolve makes it small enough, else None (why in info)."""
    s = sub_mip(tr, fixed, y, threads)
    size = tr.A.shape[0] + tr.A.shape[1]
    reduced = s.presolved_size()
    info["submip_presolved_share"] = round(reduced / max(1, size), 6)
    if reduced > SMALL and reduced > MAX_PRESOLVED_SHARE * size:
        info["submip_skipped"] = "too_large"
        return None
    info.pop("submip_skipped", None)
    return s


def run_bounded(s: Session, max_iterations: int) -> int:
    """Solve the sub-MIP, interrupted once its simplex iterations pass ``max_iterations``
    (HiGHS applies ``simplex_iteration_limit`` to LPs only, ERGO-Code/HiGHS#1814). highspy
    1.15 reports the count as -1 in MIP callbacks, so the node limit is what bounds the
    sub-MIP there; kept for versions that report it. Returns the iterations spent."""

    def interrupt(e) -> None:
        e.data_in.user_interrupt = bool(e.data_out.simplex_iteration_count > max_iterations)

    s.h.cbMipInterrupt.subscribe(interrupt)
    try:
        s.h.run()
    finally:
        s.h.cbMipInterrupt.unsubscribe(interrupt)
    return int(s.h.getInfo().simplex_iteration_count)


def submip_plan(
    r: Rounder, y: np.ndarray, seconds: float, threads: int = 1
) -> tuple[Plan | None, dict]:
    """A cheaper plan than the feasible column values ``y`` from the sub-MIP (None if none)
    and info. ``seconds``: nominal allowance, turned into work (LP iterations, nodes)."""
    info: dict = {}
    if len(y) > MAX_COLUMNS:
        info["submip_skipped"] = "model_too_large"
        return None, info
    tr = Trimmer(r)
    first = tr.plan(y, np.round(y[r.icol]))
    if first is None:
        return None, info
    r.work = WorkMeter(seconds, r.work.size)
    tr.hold(None)
    x = relaxation_values(r)
    if x is None:
        info["submip_skipped"] = "out_of_work"
        return None, info
    inc = first[2]
    fix = np.abs(x[r.icol] - inc) <= AGREE_TOL
    info["submip_fixed_share"] = round(float(fix.mean()) if len(fix) else 1.0, 6)
    if fix.all() or fix.mean() < MIN_FIXED_SHARE:
        info["submip_skipped"] = "nothing_free" if fix.all() else "too_few_fixed"
        return None, info
    fixed = np.zeros(len(y), bool)
    fixed[r.icol[fix]] = True
    s = neighbourhood(tr, fixed, first[1], threads, info)
    y0 = first[1]
    agree = fixed | (np.abs(x - y0) <= AGREE_TOL * (1.0 + np.abs(y0)))
    if s is None and FIX_FLOWS:  # the flows (and unserved) the LP and the start share too,
        near = agree & ~pairs_through(tr, ~fix)  # but the pairs through free corridors
        info["submip_fixed_columns_share"] = round(float(near.mean()), 6)
        s = neighbourhood(tr, near, y0, threads, info)
    if s is None and FIX_FLOWS:  # every column the LP and the start agree on
        info["submip_fixed_columns_share"] = round(float(agree.mean()), 6)
        s = neighbourhood(tr, agree, y0, threads, info)
    if s is None:
        return None, info
    s.h.setSolution(len(first[1]), np.arange(len(first[1]), dtype=np.int32), first[1])
    size = info["submip_presolved_share"] * (tr.A.shape[0] + tr.A.shape[1])
    info["submip_iterations"] = run_bounded(s, iteration_limit(r.work.budget - r.work.spent, size))
    info["submip_status"] = s.status_text()
    info["submip_nodes"] = int(s.h.getInfo().mip_node_count)
    best = None
    if s.has_solution():
        got = s.col_values()
        best = tr.plan(got, np.round(got[r.icol]))
    info["submip_objective_before"] = first[0] / OBJ_SCALE
    if not tr.cheaper(best, first):
        return None, info
    info["submip_objective_after"] = best[0] / OBJ_SCALE
    return best, info


def submip_start(
    r: Rounder, start: dict, seconds: float, threads: int = 1
) -> tuple[dict | None, dict]:
    """:func:`submip_plan` on a start ``{variable: value}``: the improved start, or None."""
    return on_start(r, start, submip_plan, seconds, threads, "submip_seconds")


def on_start(r: Rounder, start: dict, improve, seconds: float, threads: int, timer: str):
    """``improve(r, y, seconds, threads)`` (a column vector in, ``(best, info)`` out) on a
    start ``{variable: value}``: the improved start or None, and info with ``timer``."""
    y = np.zeros(r.lp.h.getNumCol())
    for v, val in start.items():
        y[v.index] = val
    t = time.perf_counter()
    best, info = improve(r, y, seconds, threads)
    info[timer] = time.perf_counter() - t  # reported only: work bounds the search
    if best is None:
        return None, info
    return {v: float(best[1][v.index]) for v in r.m.prob.variables()}, info
