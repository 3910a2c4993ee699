"""Budget chain: one model, one live HiGHS session, budgets solved in ascending order.

Why: runs of a budget sweep differ only in the budget rows' right-hand side. Solved as
independent runs, each builds the same model, runs the same start heuristics and searches
from scratch, and a run that stops early can return a plan worse than a smaller budget's
(measured: 3 of 10 on the shipped network). The chain builds the model once, solves the
smallest budget, then for each larger budget moves the budget rows' right-hand side on the
live session and re-solves from the previous plan. That plan stays feasible when the budget
grows, so HiGHS starts from it and can only improve on it: a larger budget's objective is
never worse than a smaller budget's.

Starts (measured on the shipped network, ``reports/bench/sweep.md``): each budget is offered
the cheapest of (1) its own heuristic start, as a run alone computes it but without the
sub-MIP (:func:`planner.sweep.ahead.own_start`), (2) the smaller budget's plan and (3) that
plan plus an LP-guided fill of the extra money
(:mod:`planner.sweep.fill`): the own start wins on large budgets, the fill on the middle
ones, where the own start was up to 5 % worse than the fill and HiGHS spent its time limit
improving it. The smaller budget's plan is read from the session *before* the budget rows
change: HiGHS forgets its solution when a row bound changes (until 2026-12-06 the chain
asked after the edit, so the neighbour was never offered and monotonicity was luck).
The own starts and the marginal LPs do not depend on the MIP, so a helper process on the
second core computes them ahead of the chain (:mod:`planner.sweep.ahead`): the own start of
budget ``i + 1`` and the marginals of budget ``i`` while budget ``i + 1`` is searched.

Budget rows are scaled once, relative to the largest budget (``planner.optimize.model.
budget_scale``), so every right-hand side of the chain is at most ``BUDGET_ROW_RHS``.
The PuLP rows get the same right-hand side as the live rows, so the start heuristics,
the marginal LPs and the plan extraction read the budget being solved.

A chained run keeps the run hash of the same run solved alone: both are valid plans of the
same (inputs, scenario, budget); the chain's is at least as good as its smaller neighbour's.
Each budget still stops at the scenario's served gap or time limit (a safety net; the
served-gap stop is reached by work, so an unhurried machine gives the same plans).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

import numpy as np
import pandas as pd

from planner.config import Scenario
from planner.optimize import extract
from planner.optimize.model import OBJ_SCALE, Model
from planner.optimize.solve import (
    SolveResult,
    own_bound_scope,
    report_all_paths,
    served_gap_stop,
    set_objective_offset,
    solver_mip_gap,
)
from planner.options import PlanOptions
from planner.solver.highs import Session, run_mip
from planner.sweep.ahead import AHEAD, Ahead, own_start, plan_marginals
from planner.sweep.allpaths import ChainBounds
from planner.sweep.budgets import _budget_rhs, chain_model, set_budget
from planner.sweep.fill import NeighbourFill
from planner.tables import Inputs, Plan

#: Share of the time limit the neighbour fill may use, as a work budget (:mod:`planner.
#: optimize.work`). It runs between two MIPs, but a smaller share cost more than it saved
#: (measured, shipped network, 20 s per budget: 0.15 gave worse starts and 172 s, 0.3 139 s).
FILL_TIME_SHARE = 0.3


#: HiGHS's ``mip_heuristic_effort`` on the chain's session (default 0.05). Why: what keeps
#: the middle budgets from the served-gap stop is the incumbent, not the bound (measured,
#: shipped network, 20 s per budget: 400 and 533 $M ended on the time limit at 1.3 % served
#: gap with 0.05 and stopped at 0.88 % and 0.98 % with 0.25, in two runs). A HiGHS option:
#: deterministic, the same on a busy machine.
MIP_HEURISTIC_EFFORT = 0.25


def chainable(scenarios: Sequence[Scenario], options: PlanOptions) -> bool:
    """Can these runs share one live model? Same scenario up to the budget, max-served."""
    if len(scenarios) < 2:
        return False

    def key(sc: Scenario) -> dict:
        d = sc.model_dump(mode="json")
        for k in ("name", "budget_usd_total", "budget_usd_per_year"):
            d.pop(k, None)
        return d

    first = scenarios[0]
    mode = options.objective or first.objective
    plain = first.survivability == "none" and not options.full_survivability
    return plain and mode == "max-served" and all(key(s) == key(first) for s in scenarios)


def _result(
    m: Model, out, sc: Scenario, info: dict, offset: float, gap: float, secs: float
) -> SolveResult:
    """The chain step's outcome in USD, as :func:`planner.optimize.solve.solve` reports it."""
    cfg = sc.solver
    bound = None if out.best_bound is None else out.best_bound / OBJ_SCALE + offset
    return SolveResult(
        cfg.name, out.status, out.objective / OBJ_SCALE + offset, bound, out.mip_gap, secs,
        out.load_seconds, sc.seed, cfg.threads, cfg.time_limit_s, gap, out.raw_status,
        start_info=dict(info),
    )  # fmt: skip


def plan_chain(
    inputs: Inputs,
    demand: pd.DataFrame,
    scenarios: Sequence[Scenario],
    options: PlanOptions | None = None,
    *,
    ahead: bool | None = None,
) -> Iterator[Plan]:
    """Plans for ``scenarios`` (same but for the budget), yielded in ascending budget order.

    Every budget starts from the better of its own heuristic plan (:func:`~planner.optimize.
    starts.initial_plan`, as a run alone would but for the sub-MIP, which the MIP on the live
    session does the work of) and the previous budget's plan: never worse than the neighbour.
    ``ahead``: compute the heuristic starts and the marginal LPs in a helper process on the
    second core (:mod:`planner.sweep.ahead`; the same plans); default: when there are two
    cores or more.
    """
    o = options or PlanOptions()
    order = sorted(scenarios, key=lambda sc: sc.budget_usd_total)
    if ahead is None:
        ahead = (os.cpu_count() or 1) >= 2
    helper = Ahead(inputs, demand, order, o) if ahead else None
    try:
        yield from _chain(chain_model(inputs, demand, order, o), order, o, helper)
    finally:
        if helper is not None:
            helper.close()


class _Starts:
    """Each budget's candidate starts: its own heuristic plan (helper process or here), the
    smaller budget's plan and that plan plus the LP-guided fill; the cheapest is offered."""

    def __init__(self, m: Model, helper: Ahead | None) -> None:
        self.m, self.helper = m, helper
        self.fill: NeighbourFill | None = None

    def own(self, i: int, sc: Scenario) -> tuple[dict[str, float], dict]:
        if self.helper is not None and i > 0:  # budget 0: here, while the helper starts up
            try:
                got = self.helper.start(i).result()
                self.helper.prefetch(i + AHEAD)  # later budgets' starts while this one is searched
                return got
            except BrokenProcessPool:  # e.g. a script without a main guard: go on here
                self.helper = None
        return own_start(self.m, sc)

    def best(self, s: Session, sc: Scenario, own: np.ndarray, prev: np.ndarray | None,
             info: dict) -> np.ndarray:  # fmt: skip
        """The cheapest (solver objective) of ``own``, ``prev`` and ``prev`` + fill."""
        if prev is None:
            return own
        cfg = sc.solver
        cost = np.asarray(s.h.getLp().col_cost_, dtype=float)
        cands = [
            (float(cost @ own), 0, own, None),
            (float(cost @ prev), 1, prev, "smaller_budget_plan"),
        ]
        if self.fill is None:
            self.fill = NeighbourFill(self.m, FILL_TIME_SHARE * cfg.time_limit_s, cfg.threads)
        self.fill.set_rhs(np.asarray(_budget_rhs(self.m, sc), dtype=float))
        y, _finfo = self.fill.fill(prev)
        if y is not None:
            cands.append((float(cost @ y), 2, y, "smaller_budget_plan_lp_fill"))
        _, _, x, name = min(cands, key=lambda c: (c[0], c[1]))
        if name is not None:
            info["heuristic_used"] = name
        return x


def _chain(m: Model, order: list[Scenario], o: PlanOptions, helper: Ahead | None):
    """The budgets in order on one live MIP session; each plan yielded once its marginal LPs
    are in (so the helper computes them while the next budget is searched)."""
    s: Session | None = None
    starts = _Starts(m, helper)
    bounds = ChainBounds(m, order, o.objective)  # here when there is no helper
    offset, stop_off, names, pending = 0.0, None, [], None
    prev: np.ndarray | None = None  # the smaller budget's plan (read before the edit: HiGHS
    # forgets its solution when a row bound changes)
    for i, sc in enumerate(order):
        t = time.perf_counter()
        set_budget(m, sc, s)
        cfg = sc.solver
        start_n, info = starts.own(i, sc)
        if s is None:
            offset = set_objective_offset(m, info)
            stop_off = info.get("mip_gap_stop_off")  # the first budget's offset, for every one
            s = Session.from_pulp(m.prob, mip=True, threads=cfg.threads, seed=sc.seed)
            names = [v.name for v in s.variables]
            s.h.setOptionValue("mip_heuristic_effort", MIP_HEURISTIC_EFFORT)
        info.update(objective_offset_usd=offset, mip_gap_stop_off=stop_off)
        info["bound_scope"] = own_bound_scope(m)
        gap = solver_mip_gap(cfg, info)
        own = np.array([start_n.get(n, 0.0) for n in names], dtype=float)
        start = starts.best(s, sc, own, prev, info)
        left = max(0.05 * cfg.time_limit_s, cfg.time_limit_s - (time.perf_counter() - t))
        out = run_mip(
            s, mip_gap=gap, time_limit_s=left, start=start,
            stop=served_gap_stop(m, cfg, info), obj_scale=OBJ_SCALE,
        )  # fmt: skip
        x = prev = s.col_values().copy()
        res = _result(m, out, sc, info, offset, gap, time.perf_counter() - t)
        after = None
        if starts.helper is not None:
            after = starts.helper.after(i, names, x, o.marginals)
        if pending is not None:
            yield _finish(m, o, names, bounds, *pending)
        pending = (i, sc, res, x, after, offset, gap)
    if pending is not None:
        yield _finish(m, o, names, bounds, *pending)


def _finish(m: Model, o: PlanOptions, names: list[str], bounds: ChainBounds, i: int,
            sc: Scenario, res: SolveResult, x: np.ndarray, after: Future | None,
            offset: float, gap: float) -> Plan:  # fmt: skip
    """The plan of budget ``sc`` from its columns ``x`` (the model's PuLP side is set back
    to that budget and plan; the live session is left as it is), with its marginal values
    and its all-paths bound, reported as a run alone reports it."""
    mv = fields = None
    if after is not None:
        try:
            mv, fields = after.result()
        except BrokenProcessPool:
            after = None
    if after is None:
        mv = plan_marginals(m, sc, names, x) if o.marginals else None
        fields = bounds.bound(i)
    res.start_info.update(fields)
    report_all_paths(res, offset, gap)
    set_budget(m, sc, None)
    val = dict(zip(names, x.tolist(), strict=True))
    for v in m.prob.variables():
        v.varValue = val.get(v.name, 0.0)
    return extract(m, res, mv)
