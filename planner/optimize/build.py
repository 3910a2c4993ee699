"""Build the model: the recipe, the objective and the pre-solve checks.

Recipe (:func:`build`): copy the index frames the model numbers
(:func:`~planner.optimize.model.own_sets`), decisions, unserved slack, the formulation's flows
(:mod:`planner.optimize.formulations`), the shared constraint families
(:mod:`planner.optimize.constraints`), the objective. The :class:`Model` keeps the capacity
expression of each (corridor, year), so a ``hook(model)`` can add constraints between
:func:`build` and :func:`planner.optimize.solve.solve` (survivability, issue 7).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pulp

from planner.config import Scenario
from planner.errors import InputError, Problem
from planner.optimize.constraints import (
    define_budget,
    define_capacity_expressions,
    define_capacity_rows,
    define_slots,
    define_unit_caps,
    define_unserved,
    define_variables,
)
from planner.optimize.cumulative import add_cumulative_columns
from planner.optimize.formulations import arc, path
from planner.optimize.lease_sets import unit_price_usd
from planner.optimize.leases import cost_expressions, define_lease_rows
from planner.optimize.model import FORMULATIONS, OBJ_SCALE, OBJECTIVES, Model, own_sets
from planner.optimize.objective import tiebreak_costs
from planner.optimize.sets import IndexSets


def define_objective(m: Model, flow_cost: np.ndarray) -> None:
    """penalty x unserved Gbps-years + CapEx + tiny routing tie-break (see module maths).

    ``objective_terms`` are in USD; the problem's objective is their sum x ``OBJ_SCALE``.
    """
    capex, opex = cost_expressions(m)  # discounted; opex: lease fees (None without leases)
    us = m.unserved[m.unserved["col"] >= 0]
    pen = m.expression(us["col"], np.full(len(us), m.scenario.unserved_penalty_usd_per_gbps))
    routing = m.expression(m.flows["col"], flow_cost)
    m.objective_terms = {"capex": capex, "penalty": pen, "routing": routing}
    if opex is not None:
        m.objective_terms["opex"] = opex
    obj = pulp.LpAffineExpression()
    for part in m.objective_terms.values():
        obj.addInPlace(part)
    m.prob.setObjective(obj * OBJ_SCALE)


def check_servable(m: Model) -> None:
    """min-cost must serve everything: pairs without an admissible path are an input error."""
    p = m.sets.pairs
    lacking = (
        p[p["n_paths"] == 0] if m.formulation == "path" else p[~np.isfinite(p["best_latency_ms"])]
    )
    if not len(lacking) or m.objective_mode != "min-cost":
        return
    probs = []
    for r in lacking.head(20).itertuples():
        best = (
            "no route at all"
            if not np.isfinite(r.best_latency_ms)
            else (f"best path {r.best_latency_ms:.2f} ms")
        )
        probs.append(
            Problem(
                "<demand>",
                f"min-cost must serve every pair: {r.site_a}-{r.site_b} ({r.pair_class}) has no "
                f"admissible path ({best}, limit {r.latency_limit_ms:g} ms); use max-served "
                "or raise latency_ms_max",
            )
        )
    raise InputError(probs)


def check_penalty(m: Model) -> None:
    """Does the penalty dominate CapEx? Compare it with each pair's cheapest Gbps of capacity.

    Per corridor: the cheapest option (or route build) per *usable* Gbps, ``unit price /
    (capacity_gbps x max_utilization)`` (a lease contract: upfront plus fees over its term);
    per pair: the cheapest of its paths, summing its
    corridors. If that exceeds the penalty per Gbps-year, the model may rather leave the
    pair's demand unserved than buy capacity, even with budget left: warn.
    """
    if m.objective_mode != "max-served" or m.formulation != "path" or not len(m.sets.paths):
        return
    u, pen = m.scenario.max_utilization, m.scenario.unserved_penalty_usd_per_gbps
    up, bl = m.sets.upgrades, m.sets.builds
    per = pd.concat(
        [
            pd.DataFrame({"e": up["e"], "usd": unit_price_usd(up) / (up["capacity_gbps"] * u)}),
            pd.DataFrame({"e": bl["e"], "usd": bl["capex_usd"] / (bl["capacity_gbps"] * u)}),
        ]
    )
    per = per[np.isfinite(per["usd"].astype(float))].groupby("e")["usd"].min()
    cost = np.full(len(m.sets.corridors), np.inf)
    cost[per.index.to_numpy(int)] = per.to_numpy(float)
    pe = m.sets.path_edges.assign(usd=cost[m.sets.path_edges["e"].to_numpy(int)])
    path_cost = pe.groupby("path_id")["usd"].sum()
    p = m.sets.paths[["pair_id", "path_id"]].assign(
        usd=path_cost.reindex(m.sets.paths["path_id"]).to_numpy()
    )
    pair = p.groupby("pair_id")["usd"].min()
    finite = pair[np.isfinite(pair)]
    worst = float(finite.max()) if len(finite) else 0.0
    m.meta["penalty_worst_pair_usd_per_gbps"] = worst
    m.meta["penalty_dominance_ratio"] = pen / worst if worst > 0 else None
    over = finite[finite > pen]
    if len(over):
        r = m.sets.pairs.set_index("pair_id").loc[over.idxmax()]
        m.warnings.append(
            f"unserved penalty {pen:,.0f} USD per Gbps-year is below the cheapest capacity "
            f"for {len(over)} pairs (worst {r['site_a']}-{r['site_b']}: {over.max():,.0f} USD "
            "per usable Gbps): they may stay unserved with budget left; raise "
            "unserved_penalty_usd_per_gbps"
        )


def build(
    sets: IndexSets, scenario: Scenario, *, formulation: str = "path", objective: str | None = None
) -> Model:
    """Assemble the whole model; no solving here (``hook(model)`` may add rows next).

    ``sets`` is not modified: the model numbers its own copies of the decision frames.
    """
    if formulation not in FORMULATIONS:
        raise InputError(Problem("<formulation>", f"got {formulation!r}, expected {FORMULATIONS}"))
    mode = objective or scenario.objective
    if mode not in OBJECTIVES:
        raise InputError(Problem("<objective>", f"got {mode!r}, expected {OBJECTIVES}"))
    t0 = time.perf_counter()
    prob = pulp.LpProblem("dci_plan", pulp.LpMinimize)
    m = Model(prob, own_sets(sets), scenario, formulation, mode)
    m.warnings = list(sets.warnings)
    check_servable(m)
    define_variables(m)
    define_unserved(m)
    flows, flow_trip, flow_latency = (path if formulation == "path" else arc).define_flows(m)
    m.flows = flows
    define_capacity_rows(m, flow_trip)
    define_capacity_expressions(m)
    define_slots(m)
    define_unit_caps(m)
    if mode == "max-served":
        define_budget(m)
    define_lease_rows(m)
    if scenario.solver.cumulative:  # units bought by year t, to branch on (issue 14)
        add_cumulative_columns(m)
    define_objective(m, tiebreak_costs(m, flow_latency))
    check_penalty(m)
    m.build_seconds = time.perf_counter() - t0
    return m
