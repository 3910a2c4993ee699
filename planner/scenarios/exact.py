"""Exact chance-constrained plan: the extensive form with scenario-selection binaries.

``demand: {objective: chance, chance_method: exact}``. One MIP over all ``N`` in-sample
scenarios (:mod:`planner.scenarios.extensive`: shared purchases, routing and unserved slack
per scenario) plus a binary ``z_s`` per scenario (1: scenario ``s`` must be served in full):

    sum_s z_s >= ceil(serve_share N)
    sum_{pairs, years} unserved_s + M_s z_s <= M_s        (M_s: scenario s's total demand)

and least CapEx (no budget, like ``min-cost``; unserved demand of a scenario given up costs
nothing). Why next to the heuristic (:func:`planner.scenarios.plan.plan_chance`): the heuristic
is not proven optimal, and on small models this MIP says how far it is (its bound is a valid
bound for the chance problem over these scenarios and the candidate paths). It grows with
N x flows, and the big-M rows make the LP bound weak: for small models and for measuring.

Path pricing is off here: the scenario routings of the MIP and of the in-sample check
(:mod:`planner.scenarios.routing`) then use the same candidate paths.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pulp

from planner.config import MAX_USD, Scenario
from planner.errors import SolverError
from planner.forecast.joint import JointModel, scenario_frame
from planner.optimize import build, extract, solve
from planner.optimize.model import Model
from planner.optimize.sets import IndexSets, index_sets
from planner.scenarios.extensive import add_scenario, set_scenario_objective
from planner.tables import Inputs, Plan
from planner.units import usd_text

#: a selection binary further than this from 0 or 1 is not a plan (see :func:`_check_binaries`)
BINARY_TOL = 1e-6


def union_sets(inputs: Inputs, model: JointModel, draws: np.ndarray, sc: Scenario) -> IndexSets:
    """The index sets of scenario 0's demand on the pairs (and paths) of every scenario in
    ``draws``: a pair idle in the first scenario still needs its paths for the others."""
    union = scenario_frame(model, draws.max(axis=0)[None]).drop(columns="scenario")
    sets = index_sets(inputs, union, sc)
    pid = sets.pairs.set_index(["site_a", "site_b"])["pair_id"]
    first = scenario_frame(model, draws[:1]).drop(columns="scenario")
    first = first[first["demand_gbps"] > 0]
    key = pd.MultiIndex.from_frame(first[["site_a", "site_b"]])
    sets.demand = pd.DataFrame(
        {
            "pair_id": pid.reindex(key).to_numpy(np.int64),
            "year": first["year"].to_numpy(int),
            "demand_gbps": first["demand_gbps"].to_numpy(float),
        }
    ).sort_values(["pair_id", "year"], ignore_index=True)
    return sets


def add_selection(m: Model, slacks: list[pd.DataFrame], need: int) -> np.ndarray:
    """The binaries ``z_s`` and their rows (module docstring); returns the z columns."""
    n = len(slacks)
    z = m.add_columns("chance_z_", n, 0, 1, pulp.LpInteger)
    rows, cols, coefs, big = [], [], [], np.zeros(n)
    for s, sl in enumerate(slacks):
        sl = sl[sl["col"] >= 0]
        big[s] = float(sl["demand_gbps"].sum())
        c = sl["col"].to_numpy(int)
        rows += [s] * (len(c) + 1)
        cols += [*c.tolist(), int(z[s])]
        coefs += [1.0] * len(c) + [big[s]]
    keys = pd.DataFrame({"scenario": np.arange(n)})
    m.add_rows("chance_served", keys, np.array(rows), np.array(cols), np.array(coefs),
               pulp.LpConstraintLE, big)  # fmt: skip
    m.add_rows("chance_share", pd.DataFrame({"row": [0]}), np.zeros(n, int), z,
               np.ones(n), pulp.LpConstraintGE, np.array([float(need)]))  # fmt: skip
    return z


def _check_binaries(m: Model, z: np.ndarray) -> np.ndarray:
    """The selection as 0/1, or SolverError: a returned start that only relaxes the binaries
    (the time limit ran out before HiGHS found a plan) is not a chance plan."""
    v = np.array([m.columns[c].varValue or 0.0 for c in z], float)
    if np.abs(v - np.round(v)).max(initial=0.0) > BINARY_TOL:
        raise SolverError(
            "exact chance MIP: no integer plan within solver.time_limit_s (raise it, use fewer "
            "scenarios, or chance_method: heuristic)"
        )
    return np.round(v).astype(int)


def plan_chance_exact(
    inputs: Inputs, model: JointModel, draws: np.ndarray, scenario: Scenario, log=None
) -> tuple[Plan, dict]:
    """``objective: chance, chance_method: exact`` (module docstring)."""
    dc, n = scenario.demand, draws.shape[0]
    need = max(1, math.ceil(dc.serve_share * n - 1e-9))
    solver = scenario.solver.model_copy(update={"served_gap": None, "path_pricing": False})
    sc = scenario.model_copy(
        update={"budget_usd_total": MAX_USD, "budget_usd_per_year": None, "solver": solver}
    )
    m = build(union_sets(inputs, model, draws, sc), sc, objective="max-served")
    m.meta["skip_greedy_start"] = True  # the greedy plan knows nothing of the other scenarios
    slacks = [m.unserved]
    for s in range(1, n):
        long = scenario_frame(model, draws[s : s + 1]).drop(columns="scenario")
        slacks.append(add_scenario(m, long, f"s{s}"))
    set_scenario_objective(m, slacks, np.zeros(n), 0.0)  # CapEx only: given-up demand is free
    z = add_selection(m, slacks, need)
    # no penalty in this objective: the solver's offset for demand no plan can serve (penalty
    # x the LP's unserved floor, planner.optimize.solve) must be 0, or the gap is on nonsense
    m.scenario = m.scenario.model_copy(update={"unserved_penalty_usd_per_gbps": 0.0})
    res = solve(m, sc.solver, sc.seed, None)
    chosen = _check_binaries(m, z)
    p = extract(m, res, None)
    p.summary.update(
        served_fraction_upper_bound=None,
        served_gap=None,
        unserved_penalty_usd_per_gbps=scenario.unserved_penalty_usd_per_gbps,
    )
    if log:
        log(f"exact chance MIP over {n} scenarios (>= {need} served): "
            f"{usd_text(p.summary['capex_usd_total'])}, {res.solver_status}, "
            f"gap {res.mip_gap:.2%}")  # fmt: skip
    info = {
        "method": "exact chance-constrained MIP (extensive form, scenario-selection binaries)",
        "scenarios_required": need,
        "given_up": [int(s) for s in np.flatnonzero(chosen == 0)],
        "exact_best_bound_usd": res.best_bound,
        "exact_mip_gap": res.mip_gap,
        "exact_solver_status": res.solver_status,
    }
    return p, info
