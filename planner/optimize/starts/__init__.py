"""MIP starts: a feasible plan before the solver starts, so a time limit always leaves one.

Three candidates, the best offered to the solver (:func:`initial_plan`): the greedy plan
(:mod:`.greedy`), LP-guided rounding (:mod:`.rounding`) and, when re-planning, an earlier
plan's purchases (:mod:`.previous`); else the all-unserved plan. In a race (:mod:`planner.
optimize.race`) the other side's newest plan of the same model is judged beside them.
"""

from __future__ import annotations

import math
import time

import pandas as pd

from planner.config import SolverConfig
from planner.optimize.cumulative import complete_start
from planner.optimize.model import OBJ_SCALE, PLAN_SHARE, Model
from planner.optimize.starts.greedy import greedy_start
from planner.optimize.starts.previous import previous_plan_start
from planner.optimize.starts.rounding import rounding_plan
from planner.optimize.starts.submip import SUBMIP_TIME_SHARE, submip_start
from planner.optimize.starts.trim import TRIM_TIME_SHARE, trim_start


def start_solution(m: Model) -> dict:
    """All decisions 0, all demand unserved: feasible in max-served mode (no-op otherwise)."""
    if m.objective_mode != "max-served":
        return {}
    us = m.unserved[m.unserved["col"] >= 0]
    cv = m.columns
    start = {v: 0.0 for v in m.prob.variables()}
    for c, d in zip(us["col"], us["demand_gbps"], strict=True):
        start[cv[c]] = float(d)
    return start


#: Share of the time limit the start heuristic may use (it is usually far below), as a work
#: budget (:mod:`planner.optimize.work`), so the start never depends on machine load.
HEURISTIC_TIME_SHARE = 0.3


def initial_plan(
    m: Model,
    cfg: SolverConfig,
    start_upgrades: pd.DataFrame | None = None,
    *,
    submip: bool = True,
) -> tuple[dict, dict, float]:
    """MIP start (the best of the greedy, the LP-rounding and, if given, an earlier plan's
    purchases; else all-unserved) and the solver time left (s). ``submip``: improve it by
    the sub-MIP (a budget chain does not: see :func:`planner.sweep.ahead.own_start`)."""
    t = time.perf_counter()
    # a hook's own columns (scenario plans: flows of further scenarios) are not in the greedy
    # plan, which would then be offered although it breaks their rows
    greedy, ginfo = ({}, {}) if m.meta.get("skip_greedy_start") else greedy_start(m)
    # a nominal share, turned into simplex work by the heuristics: no clock shapes the start
    share = HEURISTIC_TIME_SHARE * cfg.time_limit_s
    start, info, rounder = rounding_plan(m, share, cfg.threads)
    info.update(ginfo)
    lp_obj = info.get("heuristic_objective", math.inf) if start else math.inf
    prev: dict = {}
    if start_upgrades is not None:
        prev, pinfo = previous_plan_start(m, start_upgrades, share, cfg.threads)
        info.update(pinfo)
    prev_obj = info.get("start_plan_objective", math.inf) if prev else math.inf
    own, own_obj = benders_start(m, share, cfg.threads, info)
    g_obj = ginfo["greedy_objective"] if greedy else math.inf
    shared, s_obj = shared_start(m, info)
    if shared and s_obj < min(prev_obj, lp_obj, g_obj, own_obj):
        start, info["heuristic_used"] = shared, "race_other_side"
    elif prev and prev_obj <= min(lp_obj, g_obj, own_obj):  # never worse than a given start
        # what the given purchases were: an earlier plan, or one the caller made (bridges)
        start, info["heuristic_used"] = prev, m.meta.get("start_upgrades_name", "previous_plan")
    elif own and own_obj <= min(lp_obj, g_obj):
        start, info["heuristic_used"] = own, "benders"
    elif greedy and g_obj < lp_obj:
        start, info["heuristic_used"] = greedy, "greedy"
    elif start:
        info["heuristic_used"] = "lp_rounding"
    else:
        start, info["heuristic_used"] = start_solution(m), "none"
    if rounder is not None and info["heuristic_used"] != "none":
        # the same served demand for less CapEx, on the rounding's live LP (work-bounded)
        trimmed, tinfo = trim_start(rounder, start, TRIM_TIME_SHARE * cfg.time_limit_s)
        info.update(tinfo)
        if trimmed is not None:
            start = trimmed
            info["heuristic_used"] += "+trim"
        # a MIP where the LP relaxation and the start disagree, from the start (work-bounded)
        share = SUBMIP_TIME_SHARE if submip else 0.0
        better, sinfo = submip_start(rounder, start, share * cfg.time_limit_s, cfg.threads)
        info.update(sinfo)
        if better is not None:
            start = better
            info["heuristic_used"] += "+submip"
    del rounder  # its HiGHS copy of the model is freed before the solver loads its own
    # the solver gets the time left (at least 5 %): only whether it hits its limit depends on
    # the clock, and a run that does says so in its status
    left = max(0.05 * cfg.time_limit_s, cfg.time_limit_s - (time.perf_counter() - t))
    return complete_start(m, start), info, left


def benders_start(m: Model, share: float, threads: int, info: dict) -> tuple[dict, float]:
    """The Benders master's plan (:mod:`planner.optimize.benders`, ``m.meta``), its flows
    re-optimised like an earlier plan's, and its objective (inf without one). Judged beside
    a user's start, not instead of it: its paths are in the model either way."""
    ups = m.meta.get("benders_start")
    if ups is None:
        return {}, math.inf
    own, oinfo = previous_plan_start(m, ups, share, threads)
    obj = oinfo.get("start_plan_objective") if own else None
    info["benders_start_objective"] = obj
    return own, math.inf if obj is None else obj


def shared_start(m: Model, info: dict) -> tuple[dict, float]:
    """The newest plan of this model the race's other side posted (``m.meta[PLAN_SHARE]``),
    if it is feasible here, and its objective (USD; inf without one)."""
    share = m.meta.get(PLAN_SHARE)
    if share is None:
        return {}, math.inf
    variables = m.prob.variables()
    x = share.latest([v.name for v in variables])
    if x is None:
        return {}, math.inf
    start = {v: float(val) for v, val in zip(variables, x, strict=True)}
    if not start_is_feasible(m, start, tol=1e-5):  # as the race's final plan (race.adopt)
        info["race_other_side_start"] = "not feasible here"
        return {}, math.inf
    obj = m.prob.objective
    usd = (sum(a * start[v] for v, a in obj.items()) + obj.constant) / OBJ_SCALE
    info["race_other_side_start_objective"] = usd
    return start, usd


def start_is_feasible(m: Model, start: dict, tol: float = 1e-6) -> bool:
    """Does the start satisfy every row (including rows a hook added)? Bounds too."""
    for v in m.prob.variables():
        x = start.get(v, 0.0)
        if (v.lowBound is not None and x < v.lowBound - tol) or (
            v.upBound is not None and x > v.upBound + tol
        ):
            return False
    for c in m.prob.constraints():
        lhs = sum(a * start.get(v, 0.0) for v, a in c.items()) + c.constant
        slack = tol * (1.0 + abs(c.constant))
        if (c.sense <= 0 and lhs > slack) or (c.sense >= 0 and lhs < -slack):
            return False
    return True
