r"""Search the lumpy decisions with waves continuous, then round the waves: after a MIP that
ran out of time, a better plan and a tighter bound.

Why: the integrality that makes the shipped scenarios hard is not the waves' but the fiber
pairs' (1.5-2.5 M USD for 40-64 wave slots) and the route builds' (16-62 M USD). Measured on
the base scenario (2026-12-07, path model, HiGHS 1.15, one thread), the optimum with only
some column classes integer:

==============================  =====================  =========================
integer                         objective (e12 USD)    note
==============================  =====================  =========================
none (LP)                       17.69
waves                           17.70-17.79            60 s, not closed
route builds                    18.40                  optimal in 6 s
fiber pairs and route builds    18.52-18.59            90 s, not closed
all (the model)                 bound 18.45 after 60 s incumbent 18.74 (planner)
==============================  =====================  =========================

So nearly all of the LP's gap is in the lumpy columns, and the full MIP's tree, which also
branches on 740 wave columns, hardly moves its bound after the root (18.44 at 15 s, 18.45
at 60 s) and did not improve the planner's start in 60 s. The same MIP with the waves
continuous is a relaxation of the model, so its bound holds for every plan, and HiGHS's
root there is higher (18.50 after 6 s, 18.52 after 50 nodes); in one run alone its sub-MIP
heuristics found lumpy decisions whose plans serve more (after 45 s: 18.59 with waves
continuous, 18.60 after the waves are rounded, where the 60 s MIP's plan is 18.74).
Shipped min-cost: the waves-continuous bound of the path model reaches 867.6 M USD after
120 s, the full MIP's 861.3 M, the all-paths bound 845.2 M; that bound holds for the path
set only, and the arc model's root (valid for every path) was below 845.2 M, so min-cost
runs the search without the bound step (below).

The search, on the MIP's plan:

1. the bound: that relaxed MIP's root (cuts, no heuristics, no branching; at most
   :data:`BOUND_SHARE` of the time left), a relaxation of the model, so its dual bound holds
   for every plan;
2. the lumpy decisions: a local search on the LP with the waves continuous and the fiber
   pairs and builds fixed, moving one unit at a time (one fewer, to the year before or
   after, one more) while that LP gets cheaper (:func:`local_search`; work-bounded, so the
   same plan gives the same moves). HiGHS's own heuristics on the relaxed MIP found nothing
   in 20-28 s on the base scenario; these moves take its relaxed objective from 18.682e12
   to 18.593e12 in one sweep (8 s), mostly by dropping fiber pairs whose money buys more
   waves elsewhere;
3. the waves: with those fixed, the LP dive of the rounding start (:meth:`~planner.
   optimize.starts.rounding.Rounder.dive`, work-bounded) gives a plan, and a MIP over the
   waves alone (its 740 integer columns instead of 1,039) improves it for the time left.

Measured on the base scenario, 60 s, no served-gap stop (2026-12-07): plan 18.7395e12 ->
18.589e12, bound 18.50e12 (the full MIP's) -> 18.506e12, MIP gap 1.8 % -> 0.62 %.

Min-cost (every Gbps served): the search runs in the arc stage of ``auto`` (the path stage,
whose plan starts it, keeps its whole time: :func:`lumpy_share`) and on path-only models. There
rounding the waves down strands demand, so the dive's fallback (the rest rounded up, then the
slot repair) fails where the moves have used the wave slots up; the waves of each move's LP
are therefore rounded up at once (:func:`_round_up_waves`), and the waves MIP starts from the
cheapest plan found. Shipped min-cost (``bench_mincost`` settings, 2026-12-07): 60 s, plan
925.3 -> 922.1 M USD (gap 8.65 % -> 8.34 %, 3 moves); 600 s, 907.1 -> 894.0 M (6.7 % ->
5.33 %, 20 moves, the same plan in two runs); the bound (845-846 M) is unchanged.

The plan replaces the MIP's only if it is cheaper and passes every row of the model; the
relaxation's bound is reported where it is above the MIP's (``bound_source:
waves_relaxed``). It runs only on a MIP that stopped on its time limit (max-served: without
a served-gap stop), in time kept back from that MIP (:func:`lumpy_share`), so a max-served run
with a served-gap stop (``make run``, the shipped scenarios) or a run that stops on its gap
is unchanged. Like the MIP before it, what the time-limited parts (the bound's root, the waves
MIP) reach depends on the machine; the run says so in its status.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import pulp

from planner.config import SolverConfig
from planner.optimize.model import OBJ_SCALE, Model
from planner.optimize.objective import plain_objective
from planner.optimize.starts import start_is_feasible
from planner.optimize.starts.lns import MIN_COLUMNS as LNS_MIN_COLUMNS
from planner.optimize.starts.rounding import WAVES_UNTIL, Rounder
from planner.optimize.starts.submip import MAX_COLUMNS
from planner.optimize.work import WorkMeter
from planner.solver.highs import Session

#: Share of the time limit kept back from the MIP for the search. On the base scenario at
#: 60 s: ~34 s, of which the relaxed root ~6-10 s, the local search its work (15 nominal s),
#: the waves MIP the rest; the full MIP's plan and bound hardly move after its root.
LUMPY_TIME_SHARE = 0.6
#: The relaxed MIP for the bound: its root only (cuts; ~6 s on the base scenario, whose
#: bound then is 18.510e12 against the full MIP's 18.50e12 after 60 s), at most this share
#: of the time left.
BOUND_NODES = 1
BOUND_SHARE = 0.3
#: Work (nominal seconds, a share of the time limit) of the local search on the lumpy
#: decisions, and its sweeps at most. Measured, base scenario, from the 60 s MIP's plan: the
#: relaxed objective 18.682e12 -> 18.593e12 after one sweep (337 LPs, 8 s), 18.569e12 after
#: two, 18.567e12 after three; HiGHS's own heuristics on the relaxed MIP found nothing in
#: 20-28 s there.
SEARCH_SHARE = 0.25
MAX_SWEEPS = 3
#: Work (a share of the time limit) for rounding up the waves after each move (min-cost,
#: :func:`_round_up_waves`), apart from the moves' own.
ROUND_SHARE = 0.1
#: Node limit of the waves MIP (lumpy columns fixed), and its gap: a search for a cheaper
#: plan, not a proof (at the run's 1 % it stopped at once). Measured on the base scenario,
#: the 60 s MIP's plan with its own fiber pairs and builds: 18.7395e12 -> 18.7004e12.
WAVE_NODES = 500
WAVE_GAP = 1e-4
#: Nominal seconds (turned into simplex work) for rounding the waves: at most this, and at
#: most this share of the time limit (the arc stage of a 60 s min-cost run has ~25 s).
DIVE_SECONDS = 10.0
DIVE_SHARE = 0.35
#: The relaxed MIP is not started with less time than this left (s).
MIN_SECONDS = 2.0
#: Larger models (:data:`~planner.optimize.starts.submip.MAX_COLUMNS`, the sub-MIP start's
#: limit) are left alone: the search holds three more copies of the model, and its LPs get
#: slow (the shipped min-cost arc model has 20,151 columns).
#: ``Model.meta`` key: a min-cost path stage whose plan starts the arc stage (planner.
#: optimize.auto), where the search does not run.
ARC_FOLLOWS = "arc_stage_follows"


def lumpy_share(m: Model, cfg: SolverConfig) -> float:
    """Share of the time limit to keep back from the MIP for the search (0: it does not
    apply: not HiGHS, other terms in the objective, a hook's columns, no lumpy or no wave
    columns, a model the LNS searches instead, or a min-cost path stage the arc stage
    follows).

    Why not the path stage of ``auto`` (``m.meta[ARC_FOLLOWS]``): it is time-limited and
    its plan starts the arc stage, so the time taken from its MIP changed the final plan from
    run to run (shipped min-cost, 60 s: 921.6 and 975.2 M USD in two runs, 925.3 before);
    the arc stage runs the search instead. Why not max-served with a served-gap stop
    (``solver.served_gap``, the shipped scenarios'): such a run is done once the plan is
    within that gap, which the MIP usually reaches given its whole time; with 60 % of it
    kept back, the 1,067 M USD run of the shipped 10-budget sweep missed it, and the search
    then took it from 32.5 s to 66.8 s for a plan serving 0.29 % more. (Min-cost has no
    served-gap stop.)
    """
    if cfg.name != "highs" or m.meta.get(ARC_FOLLOWS):
        return 0.0
    if m.objective_mode == "max-served" and cfg.served_gap is not None:
        return 0.0
    if not plain_objective(m) or m.meta.get("skip_greedy_start"):
        return 0.0
    if m.objective_mode == "max-served" and len(m.columns) >= LNS_MIN_COLUMNS:
        return 0.0  # the LNS searches those (min-cost has none)
    if len(m.columns) >= MAX_COLUMNS:
        return 0.0
    kind = m.sets.upgrades["kind"] if len(m.sets.upgrades) else None
    if kind is None or not (kind == "wave").any():
        return 0.0
    lumpy = int((kind == "fiber_pair").sum()) + len(m.sets.builds)
    return LUMPY_TIME_SHARE if lumpy else 0.0


def lumpy_after_mip(
    m: Model, cfg: SolverConfig, seed: int, deadline: float, start_info: dict
) -> tuple[bool, float | None]:
    """The search on the MIP's plan (the variables' ``varValue``).

    Returns ``(improved, bound)``: ``improved`` when the values were replaced by a cheaper
    plan; ``bound`` the relaxation's dual bound in solver units (None without one). Its
    fields land in ``start_info``.
    """
    t = time.perf_counter()
    if deadline - t < MIN_SECONDS:
        start_info["lumpy_skipped"] = "no time left"
        return False, None
    r = Rounder(m, SEARCH_SHARE * cfg.time_limit_s, cfg.threads)  # the LP, rows added included
    bound = None
    # max-served only: a min-cost run has a bound for every path from before its MIP (the
    # path stage's linked LP or Benders master), and the relaxed root was below it (shipped
    # min-cost, arc stage: 837.6 M USD in 3.3 s at 60 s, 840.4 M in 30 s at 600 s, against
    # 845.2 M and 846.5 M): its time goes to the search instead
    if m.objective_mode == "max-served":
        bound = _relaxed_bound(m, r, cfg, seed, BOUND_SHARE * (deadline - t))
    inc = np.zeros(r.lp.h.getNumCol())
    for v in m.prob.variables():
        inc[v.index] = float(v.varValue or 0.0)
    inc_obj = float(pulp.value(m.prob.objective))
    tol = 1e-9 * max(abs(inc_obj), 1.0)
    info: dict = {"lumpy_objective_before": inc_obj / OBJ_SCALE}
    if bound is not None:
        info["lumpy_relaxed_bound"] = bound / OBJ_SCALE
    best = _Best(inc_obj, inc, np.round(inc[r.icol]))
    on_move = None
    if r.min_cost:  # see _round_up_waves
        meter = WorkMeter(ROUND_SHARE * cfg.time_limit_s, r.work.size)
        on_move = lambda c, x: best.offer(_round_up_waves(r, c, x, meter))  # noqa: E731
    config, relaxed, moves = local_search(r, best.config, deadline, on_move)
    info.update(lumpy_moves=moves, lumpy_work_share=r.work.share)
    if math.isfinite(relaxed):
        info["lumpy_relaxed_objective"] = relaxed / OBJ_SCALE
    if moves and not r.min_cost:  # other fiber pairs or builds: waves rounded by the dive
        # (min-cost: each move's were rounded up already; the dive found no plan there in 7
        # of 9 shipped min-cost runs measured, after 3-12 s)
        r.work = WorkMeter(min(DIVE_SECONDS, DIVE_SHARE * cfg.time_limit_s), r.work.size)
        best.offer(_round_waves(r, config))
    left = deadline - time.perf_counter()
    best.offer(_waves_mip(m, r, cfg, seed, best.config, best.values, left), best.config)
    improved = False
    if best.objective < inc_obj - tol:
        values = {v: float(best.values[v.index]) for v in m.prob.variables()}
        if start_is_feasible(m, values):  # every row and bound, as the MIP's plan
            for v in m.prob.variables():
                v.varValue = values[v]
            improved = True
            info["lumpy_objective_after"] = best.objective / OBJ_SCALE
    info["lumpy_improved"] = improved
    info["lumpy_seconds"] = time.perf_counter() - t
    start_info.update(info)
    return improved, bound


def local_search(
    r: Rounder,
    config: np.ndarray,
    deadline: float,
    on_move: Callable[[np.ndarray, np.ndarray], None] | None = None,
) -> tuple[np.ndarray, float, int]:
    """Fiber pairs and builds moved one unit at a time while the LP with the waves
    continuous (and those fixed) gets cheaper: ``(config, its LP objective, moves made)``.

    ``config``: integer values on ``r.icol``. Moves, tried column by column in model order,
    the first that improves is kept: one unit fewer, one unit moved to the year before or
    after (same corridor and option), one unit more. Bounded by the rounder's work (each
    trial is a warm LP re-solve), so the same inputs give the same moves; the deadline is
    a safety net only. ``on_move(config, x)`` after each move kept (``x``: its LP's column
    values).
    """
    is_lumpy = r.pair | r.build
    lumpy = np.flatnonzero(is_lumpy)
    best = _relaxed_value(r, config, lumpy)
    moves = 0
    for _ in range(MAX_SWEEPS):
        found = False
        for j in lumpy:
            for move in _moves(r, config, lumpy, j):
                trial = config.copy()
                for k, d in move:
                    trial[k] += d
                if not r.fits_budget(np.where(is_lumpy, trial, 0.0)):
                    continue
                val = _relaxed_value(r, trial, lumpy)
                if r.work.exhausted or time.perf_counter() > deadline:
                    return config, best, moves
                if val < best - 1e-9 * max(abs(best), 1.0):
                    config, best, moves, found = trial, val, moves + 1, True
                    if on_move is not None:
                        on_move(config, r.lp.col_values())
                    break
        if not found:
            break
    return config, best, moves


def _moves(r: Rounder, config: np.ndarray, lumpy: np.ndarray, j: int) -> list[list]:
    """The one-unit moves of column ``j``: fewer, to an adjacent year, more."""
    out: list[list] = []
    if config[j] >= 1:
        out.append([(j, -1)])
        same = lumpy[(r.group[lumpy] == r.group[j]) & (np.abs(r.year[lumpy] - r.year[j]) == 1)]
        out += [[(j, -1), (int(k), 1)] for k in same]
    if config[j] + 1 <= r.ub[j]:
        out.append([(j, 1)])
    return out


def _relaxed_value(r: Rounder, config: np.ndarray, lumpy: np.ndarray) -> float:
    """LP objective with ``lumpy`` columns fixed at ``config`` and the waves continuous."""
    lo, hi = np.zeros(len(r.icol)), r.ub.copy()
    lo[lumpy] = hi[lumpy] = config[lumpy]
    y = r.run(lo, hi)
    return r.objective if y is not None and r.lp.optimal else math.inf


def _relaxed_bound(
    m: Model, r: Rounder, cfg: SolverConfig, seed: int, seconds: float
) -> float | None:
    """Dual bound (solver units) of the model with its wave columns continuous (lease
    contracts stay whole): its root (cuts included; no heuristics, no branching), within
    ``seconds``."""
    s = Session.from_pulp(m.prob, mip=True, threads=cfg.threads, seed=seed)
    waves = m.sets.upgrades["kind"].to_numpy() == "wave"  # r.icol: upgrades, then builds
    s.set_integer(r.icol[: r.n_u][waves], integer=False)
    for k, v in {
        "mip_max_nodes": BOUND_NODES,
        "time_limit": float(max(seconds, MIN_SECONDS)),
        "mip_rel_gap": float(cfg.mip_gap),
        "mip_heuristic_effort": 0.0,
    }.items():
        s.h.setOptionValue(k, v)
    s.h.run()
    bound = float(s.h.getInfo().mip_dual_bound)
    return bound if math.isfinite(bound) else None


def _waves_mip(
    m: Model,
    r: Rounder,
    cfg: SolverConfig,
    seed: int,
    config: np.ndarray,
    start: np.ndarray | None,
    seconds: float,
) -> tuple[float, np.ndarray] | None:
    """The model with the lumpy columns fixed at ``config``'s (values on ``r.icol``), from
    ``start`` (column values of a plan with that configuration): (objective, column values)
    or None."""
    if seconds < MIN_SECONDS:
        return None
    s = Session.from_pulp(m.prob, mip=True, threads=cfg.threads, seed=seed)
    h = s.h
    lumpy = r.pair | r.build
    cols = r.icol[lumpy].astype(np.int32)
    vals = np.round(config[lumpy])
    h.changeColsBounds(len(cols), cols, vals, vals)
    if start is not None:
        h.setSolution(len(start), np.arange(len(start), dtype=np.int32), start)
    for k, v in {
        "mip_max_nodes": WAVE_NODES,
        "time_limit": float(seconds),
        "mip_rel_gap": WAVE_GAP,  # a search for a better plan, not a proof
    }.items():
        h.setOptionValue(k, v)
    h.run()
    info = h.getInfo()
    if info.primal_solution_status != 2:
        return None
    return float(info.objective_function_value), np.asarray(h.getSolution().col_value, float)


def _round_waves(r: Rounder, config: np.ndarray) -> tuple[float, np.ndarray, np.ndarray] | None:
    """Fiber pairs and builds of ``config`` (values on ``r.icol``) fixed, the waves rounded
    by the LP dive, flows re-optimised: ``(objective, column values, integers)`` or None."""
    lumpy = r.pair | r.build
    lo, hi = np.zeros(len(r.icol)), r.ub.copy()
    lo[lumpy] = hi[lumpy] = np.round(config[lumpy])
    ints = r.dive(lo, hi, r.wave, until=WAVES_UNTIL)  # the rest of its work: the flows' LP
    if ints is None:
        return None
    return r.finish(ints)


class _Best:
    """The cheapest plan found: solver objective, column values and its fiber pairs and
    builds (``config``: values on the rounder's integer columns, which the waves MIP fixes)."""

    def __init__(self, objective: float, values: np.ndarray, config: np.ndarray) -> None:
        self.objective, self.values, self.config = objective, values, config

    def offer(self, got: tuple | None, config: np.ndarray | None = None) -> None:
        """``got``: ``(objective, values)`` with ``config``, or ``(objective, values,
        integers)`` as :meth:`Rounder.finish` returns them; kept where cheaper."""
        if got is None or got[0] >= self.objective:
            return
        self.objective, self.values = got[0], got[1]
        self.config = np.asarray(got[2] if config is None else config, dtype=float).copy()


def _round_up_waves(
    r: Rounder, config: np.ndarray, x: np.ndarray, meter: WorkMeter
) -> tuple | None:
    """Min-cost: the waves of ``x``, the LP with ``config``'s fiber pairs and builds fixed,
    rounded up by units in service (:meth:`Rounder.round_up`), flows re-optimised within the
    work of ``meter`` (its own, so the moves keep theirs): a plan or None.

    Why after every move there: rounding down strands demand, so the dive's fallback (the
    rest of the waves rounded up, then the slot repair) fails where the search has used the
    wave slots up, which is what it does (shipped min-cost: the final configuration's dive
    found no plan in 7 of 9 runs at 60-600 s, while at 60 s the configuration after the first
    move rounds
    up to 922.3 M USD against the MIP's 925.3 M). One LP per move kept."""
    lo, hi = np.zeros(len(r.icol)), r.ub.copy()
    lumpy = r.pair | r.build
    lo[lumpy] = hi[lumpy] = np.round(config[lumpy])
    ints = r.round_up(x, lo, hi)
    if ints is None:
        return None
    search, r.work = r.work, meter
    try:
        return r.finish(ints)
    finally:
        r.work = search
