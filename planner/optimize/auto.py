"""The ``auto`` formulation (the default): path model, then, for min-cost where the arc model
solves the same problem and is small, the arc model started from the path plan.

Why (issue 14, target 5): the path model routes on k shortest paths plus the paths root-LP
pricing adds. Pricing makes the *LP* bound valid for every path, but the integer optimum can
need a path the LP never uses (``tests/data/sndlib/trap12.txt``: the LP routes on a big cheap
per-unit module, the integer optimum on a long detour of small modules; the path model pays
50, the optimum is 16, and it reported "optimal, gap 0" over its path set). The arc model
(multi-commodity flow by source) routes over every path, so its plan and bound are exact, but
on its own it finds good plans slowly (a 20-node grid: 16 % gap after 30 s where the path
model had a 7 % gap and a cheaper plan). Together: the path model finds a good plan fast, the
arc model starts from it (never worse, :mod:`planner.optimize.starts.previous`) and proves or
improves it with a bound valid for all paths (``bound_scope: all_paths``).

When the arc stage runs: objective min-cost, no hook (survivability adds its own rows), every
pair's latency limit at least the sum of all corridor latencies (then no simple path is over a
limit and the arc model, which has no latency limits, is the same problem), and at most
:data:`ARC_MAX_FLOW_COLUMNS` arc flow columns. Otherwise ``auto`` is the path formulation.
Max-served keeps the path model: there the budget binds and latency limits matter.
Where a second core is free, the arc model alone races the two stages from the start
(:mod:`planner.optimize.race`).
"""

from __future__ import annotations

import dataclasses
import time

import pandas as pd

from planner.config import Scenario
from planner.optimize.build import build
from planner.optimize.model import Model
from planner.optimize.sets import IndexSets, index_sets
from planner.optimize.solve import SolveResult, raise_bound, solve
from planner.tables import Inputs

#: arc models with more flow columns (sources x 2 x corridors x years) are not tried: a size
#: bound so the second stage stays a small share of memory and time
ARC_MAX_FLOW_COLUMNS = 300_000
#: share of the time limit the path stage gets when the arc stage follows
PATH_TIME_SHARE = 0.5


def arc_flow_columns(m: Model | IndexSets) -> int:
    """Flow columns the arc model of these sets (or ``m``'s) would have."""
    s = m.sets if isinstance(m, Model) else m
    srcs = s.demand.merge(s.pairs[["pair_id", "site_a"]], on="pair_id")
    commodities = len(srcs[["site_a", "year"]].drop_duplicates())
    return 2 * len(s.corridors) * commodities


def latency_can_bind(s: IndexSets) -> bool:
    """A pair with demand has a latency limit below the latency of all corridors together,
    so some route may be inadmissible (models without paths, arc or blocks, cannot say)."""
    total = float(s.corridors["latency_ms"].sum())
    used = s.pairs[s.pairs["pair_id"].isin(s.demand["pair_id"])]
    return bool(len(used)) and float(used["latency_limit_ms"].min()) < total


def arc_stage_reason(m: Model, hook_given: bool) -> str | None:
    """Why the arc stage does *not* run for this path model (None: it runs)."""
    return arc_reason(m.objective_mode, m.sets, hook_given)


def arc_reason(mode: str, sets: IndexSets, hook_given: bool) -> str | None:
    """:func:`arc_stage_reason` from the objective and index sets (with or without paths:
    the pairs, corridors and demand decide), before any model is built."""
    if mode != "min-cost":
        return "max-served keeps the path model"
    if hook_given:
        return "a hook adds rows to the path model"
    if latency_can_bind(sets):
        return "latency limits can bind (the arc model has none)"
    n = arc_flow_columns(sets)
    if n > ARC_MAX_FLOW_COLUMNS:
        return f"arc model too large ({n} flow columns > {ARC_MAX_FLOW_COLUMNS})"
    return None


def path_stage_solver(scenario: Scenario):
    """Solver settings of the path stage: its share of the time limit."""
    cfg = scenario.solver
    return cfg.model_copy(update={"time_limit_s": PATH_TIME_SHARE * cfg.time_limit_s})


def arc_stage(
    inputs: Inputs,
    demand: pd.DataFrame,
    scenario: Scenario,
    objective: str | None,
    start_upgrades: pd.DataFrame,
    path_res: SolveResult,
    seconds_used: float,
    race=None,
) -> tuple[Model, SolveResult]:
    """The arc model, started from the path plan's purchases, for the time left (``race``:
    the arc model alone on the second core, :class:`~planner.optimize.race.ArcRace`: its
    proof stops this MIP, and the two share plans)."""
    t = time.perf_counter()
    sets = index_sets(inputs, demand, scenario, paths=False)
    m = build(sets, scenario, formulation="arc", objective=objective)
    if race is not None:
        race.attach(m)
    cfg = scenario.solver
    left = max(0.1 * cfg.time_limit_s, cfg.time_limit_s - seconds_used)
    res = solve(m, cfg.model_copy(update={"time_limit_s": left}), scenario.seed, start_upgrades)
    res.solve_seconds += seconds_used
    # the plan's start is the path stage's (a user's --start is judged there); the arc stage
    # starts from the path plan, or in a race from the second core's plan where that is
    # cheaper (arc_stage_start says which)
    first = ("heuristic", "greedy", "start_plan", "unserved_floor", "lp_relaxation", "bridges")
    res.start_info["arc_stage_start"] = res.start_info.get("heuristic_used")
    res.start_info.update({k: v for k, v in path_res.start_info.items() if k.startswith(first)})
    res.start_info["formulation_choice"] = (
        f"auto: path (objective {path_res.objective:,.6g}, "
        f"{path_res.solver_status}), then arc from its plan ({time.perf_counter() - t:.1f} s)"
    )
    res.start_info["path_stage_objective_usd"] = path_res.objective
    _keep_path_bound(res, path_res)
    return m, res


def _keep_path_bound(res: SolveResult, path_res: SolveResult) -> None:
    """The path stage's all-paths bound where it is above the arc stage's own: both hold for
    the same problem (measured on the shipped min-cost case at 60 s: 845.2M from the path
    stage's linked LP against the arc MIP's 777.7M to 838.3M, which depends on its time)."""
    ap = path_res.start_info.get("all_paths_bound_usd")
    if ap is None or res.best_bound is None:
        return
    offset = res.start_info.get("objective_offset_usd") or 0.0
    raise_bound(res, ap, offset, res.start_info, "path_stage_all_paths")


def proven_on_every_path(m: Model, res: SolveResult, scenario: Scenario) -> bool:
    """The path stage's plan is within the gap target (plus the latency tie-break, which a
    bound on CapEx alone leaves out) of a bound for every admissible path, e.g. the Benders
    master's (:mod:`planner.optimize.benders`): the arc stage, the same problem, could only
    spend the time left. Measured on Ion (min-cost, 60 s): proven in the path stage in
    seconds, then the arc stage ended on its limit at a 15.6 % gap."""
    gap = res.start_info.get("all_paths_gap")
    tiebreak = (m.meta.get("routing_tiebreak_max_usd") or 0.0) / max(abs(res.objective), 1e-9)
    return gap is not None and gap <= scenario.solver.mip_gap + tiebreak + 1e-12


def with_choice(res: SolveResult, reason: str) -> SolveResult:
    """The path result, saying why ``auto`` stayed with the path model."""
    info = {**res.start_info, "formulation_choice": f"auto: path ({reason})"}
    return dataclasses.replace(res, start_info=info)
