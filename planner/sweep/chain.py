"""Budget chain: one model, one live HiGHS session, budgets solved in ascending order.

Why: runs of a budget sweep differ only in the budget rows' right-hand side. Solved as
independent runs, each builds the same model, runs the same start heuristics and searches
from scratch, and a run that stops early can return a plan worse than a smaller budget's
(measured: 3 of 10 on the shipped network). The chain builds the model once, solves the
smallest budget, then for each larger budget moves the budget rows' right-hand side on the
live session and re-solves from the previous plan. That plan stays feasible when the budget
grows, so HiGHS starts from it and can only improve on it: a larger budget's objective is
never worse than a smaller budget's.

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

import time
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from planner.config import Scenario
from planner.optimize import build_model, extract, marginal_values
from planner.optimize.model import OBJ_SCALE, Model
from planner.optimize.solve import SolveResult, served_gap_stop, set_objective_offset
from planner.optimize.starts import initial_plan
from planner.options import PlanOptions
from planner.solver.highs import Session, run_mip
from planner.tables import Inputs, Plan


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


def set_budget(m: Model, sc: Scenario, s: Session | None) -> None:
    """Budget rows of ``m`` (PuLP) and of the live session ``s`` to ``sc``'s budget."""
    scale = m.meta["budget_scale"]
    rhs = [sc.budget_usd_total * scale]
    cons = m.family("budget")
    if sc.budget_usd_per_year is not None:
        cons += m.family("budget_year")
        rhs += [b * scale for b in sc.budget_usd_per_year]
    for con, r in zip(cons, rhs, strict=True):
        con.constant = -float(r)  # PuLP keeps ``expr - rhs <= 0``
    if s is not None:
        s.set_rhs(s.row_index(cons), np.asarray(rhs, dtype=float))
    m.scenario = sc


def _better(s: Session, heuristic: np.ndarray, previous: np.ndarray, info: dict) -> np.ndarray:
    """The cheaper start (solver objective): this budget's heuristic plan or the smaller
    budget's plan (feasible here too, so the chain never starts worse than its neighbour)."""
    lp = s.h.getLp()
    cost = np.asarray(lp.col_cost_, dtype=float)
    if float(cost @ previous) <= float(cost @ heuristic):
        info["heuristic_used"] = "smaller_budget_plan"
        return previous
    return heuristic


def _result(m: Model, out, sc: Scenario, info: dict, offset: float, secs: float) -> SolveResult:
    """The chain step's outcome in USD, as :func:`planner.optimize.solve.solve` reports it."""
    cfg = sc.solver
    bound = None if out.best_bound is None else out.best_bound / OBJ_SCALE + offset
    return SolveResult(
        cfg.name, out.status, out.objective / OBJ_SCALE + offset, bound, out.mip_gap, secs,
        out.load_seconds, sc.seed, cfg.threads, cfg.time_limit_s, cfg.mip_gap, out.raw_status,
        start_info=dict(info),
    )  # fmt: skip


def plan_chain(
    inputs: Inputs,
    demand: pd.DataFrame,
    scenarios: Sequence[Scenario],
    options: PlanOptions | None = None,
) -> Iterator[Plan]:
    """Plans for ``scenarios`` (same but for the budget), yielded in ascending budget order.

    Every budget starts from the better of its own heuristic plan (:func:`~planner.optimize.
    starts.initial_plan`, as a run alone would) and the previous budget's plan on the live
    session: never worse than the run alone's start, never worse than the neighbour.
    """
    o = options or PlanOptions()
    order = sorted(scenarios, key=lambda sc: sc.budget_usd_total)
    m = build_model(inputs, demand, order[-1], formulation=o.formulation, objective=o.objective)
    s: Session | None = None
    offset = 0.0
    for sc in order:
        t = time.perf_counter()
        set_budget(m, sc, s)
        cfg = sc.solver
        start_d, info, left = initial_plan(m, cfg)  # this budget's own heuristic start
        if s is None:
            offset = set_objective_offset(m, info)
            s = Session.from_pulp(m.prob, mip=True, threads=cfg.threads, seed=sc.seed)
        info["objective_offset_usd"] = offset
        start = np.array([start_d.get(v, 0.0) for v in s.variables], dtype=float)
        if s.has_solution():  # the smaller budget's plan, when it is the better start
            start = _better(s, start, s.col_values(), info)
        out = run_mip(
            s, mip_gap=cfg.mip_gap, time_limit_s=left, start=start,
            stop=served_gap_stop(m, cfg, info), obj_scale=OBJ_SCALE,
        )  # fmt: skip
        for v, x in zip(s.variables, s.col_values(), strict=True):
            v.varValue = float(x)
        res = _result(m, out, sc, info, offset, time.perf_counter() - t)
        marg = marginal_values(m, cfg.time_limit_s, cfg.threads) if o.marginals else None
        yield extract(m, res, marg)
