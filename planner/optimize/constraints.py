"""Constraint families shared by both formulations: capacity, slots, unit caps, budget.

Why triplets: every family is assembled as sparse (row, column, coefficient) arrays with
pandas/numpy joins over the index-set frames, then turned into one ``LpAffineExpression`` per
row from zipped slices (:meth:`~planner.optimize.model.Model.add_rows`). No expression is grown
term by term in nested loops, so building stays a small fraction of solving at every size.
Rows over (corridor, year) use :func:`~planner.optimize.model.grid_keys` /
:func:`~planner.optimize.model.grid_row`, never hand-computed offsets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pulp

from planner.optimize.leases import committed_capex
from planner.optimize.model import Model, budget_scale, grid_keys, grid_row, in_service


def define_variables(m: Model) -> None:
    """Integer units[e, o, t] (bounded by the unit cap) and binary build[c, t]."""
    up, bl = m.sets.upgrades, m.sets.builds
    # committed purchases (planner.optimize.leases) are lower bounds
    up_lo = up["min_units"].to_numpy(float) if "min_units" in up.columns else 0
    bl_lo = bl["min_units"].to_numpy(float) if "min_units" in bl.columns else 0
    up["col"] = m.add_columns("x", len(up), up_lo, up["max_units"].to_numpy(float), pulp.LpInteger)
    bl["col"] = m.add_columns("b", len(bl), bl_lo, 1, pulp.LpInteger)


def capacity_triplets(m: Model) -> pd.DataFrame:
    """``e, ti, col, coef``: Gbps each decision adds to capacity[e, t] once in service."""
    up = in_service(m.sets.upgrades, m.sets.years)
    bl = in_service(m.sets.builds, m.sets.years)
    cols = ["e", "ti", "col", "capacity_gbps"]
    t = pd.concat([up[cols], bl[cols]], ignore_index=True).rename(columns={"capacity_gbps": "coef"})
    return t[t["coef"] != 0]


def define_capacity_expressions(m: Model) -> pd.DataFrame:
    """Fill ``m.capacity[(corridor, year)]`` = installed + added Gbps in service by then."""
    cor, years = m.sets.corridors, m.sets.years
    trip = capacity_triplets(m).sort_values(["e", "ti", "col"])
    groups = {k: g for k, g in trip.groupby(["e", "ti"], sort=False)}
    for e, cid, inst in zip(
        cor["e"], cor["corridor_id"], cor["installed_capacity_gbps"], strict=True
    ):
        for ti, y in enumerate(years):
            g = groups.get((e, ti))
            if g is None:
                m.capacity[(cid, y)] = pulp.LpAffineExpression(constant=float(inst))
            else:
                m.capacity[(cid, y)] = m.expression(g["col"], g["coef"], float(inst))
    return trip


def define_slots(m: Model) -> None:
    """Waves in service <= free slots + slots of pairs lit (and of the route once built)."""
    cor, years = m.sets.corridors, m.sets.years
    T = len(years)
    up = in_service(m.sets.upgrades, years)
    bl = in_service(m.sets.builds, years)
    waves = up[up["kind"] == "wave"]
    has_waves = np.zeros(len(cor), dtype=bool)
    has_waves[waves["e"].unique().astype(int)] = True
    W = cor["max_waves_per_fiber_pair"].to_numpy()
    pairs = up[up["kind"] == "fiber_pair"]
    parts = [
        pd.DataFrame({"e": waves["e"], "ti": waves["ti"], "col": waves["col"], "coef": 1.0}),
        pd.DataFrame(
            {
                "e": pairs["e"],
                "ti": pairs["ti"],
                "col": pairs["col"],
                "coef": -W[pairs["e"].to_numpy(int)].astype(float),
            }
        ),
    ]
    if len(bl):
        used = cor["build_waves"].to_numpy()[bl["e"].to_numpy(int)]
        parts.append(
            pd.DataFrame(
                {
                    "e": bl["e"],
                    "ti": bl["ti"],
                    "col": bl["col"],
                    "coef": -(W[bl["e"].to_numpy(int)] - used).astype(float),
                }
            )
        )
    trip = pd.concat(parts, ignore_index=True)
    trip = trip[has_waves[trip["e"].to_numpy(int)]]
    keys = grid_keys(cor, years)
    rhs = np.repeat(cor["free_slots"].to_numpy(float), T)
    m.add_rows(
        "slots",
        keys,
        grid_row(trip["e"], trip["ti"], years),
        trip["col"],
        trip["coef"],
        pulp.LpConstraintLE,
        rhs,
    )


def define_unit_caps(m: Model) -> None:
    """Cumulative caps: units per (corridor, option); spare pairs; pairs only once built."""
    up, cor, years = m.sets.upgrades, m.sets.corridors, m.sets.years
    if len(up):  # lease contracts: concurrent caps instead (planner.optimize.leases)
        own = up[up["kind"] != "lease"]
        m.add_sum_rows("units", own, ["e", "option_id"], "max_units", min_terms=2)
    pairs = up[up["kind"] == "fiber_pair"]
    ex = pairs[~cor["is_candidate"].to_numpy()[pairs["e"].to_numpy(int)]] if len(pairs) else pairs
    if len(ex):
        spare = cor["spare_fiber_pairs"].to_numpy(float)
        m.add_sum_rows("spare", ex, ["e"], lambda k: spare[k["e"].to_numpy(int)], min_terms=2)
    bl = m.sets.builds
    if len(bl):
        cand = m.add_sum_rows("build_once", bl, ["e"], 1.0)
        # pairs on a new route: in service by t <= spare pairs x built by t
        c_e = cand["e"].to_numpy(int)
        p_in = in_service(pairs[cor["is_candidate"].to_numpy()[pairs["e"].to_numpy(int)]], years)
        b_in = in_service(bl, years)
        pos = {e: i for i, e in enumerate(c_e)}
        spare = cor["spare_fiber_pairs"].to_numpy(float)
        row = np.r_[
            grid_row(p_in["e"].map(pos), p_in["ti"], years),
            grid_row(b_in["e"].map(pos), b_in["ti"], years),
        ]
        col = np.r_[p_in["col"].to_numpy(int), b_in["col"].to_numpy(int)]
        coef = np.r_[np.ones(len(p_in)), -spare[b_in["e"].to_numpy(int)]]
        keys = grid_keys(cand, years)
        has_pairs = np.isin(keys["e"], p_in["e"].unique())
        sel = has_pairs[row]
        m.add_rows(
            "route_pairs",
            keys,
            row[sel],
            col[sel],
            coef[sel],
            pulp.LpConstraintLE,
            np.zeros(len(keys)),
        )


def capex_expression(m: Model, year: int | None = None) -> pulp.LpAffineExpression:
    up, bl = m.sets.upgrades, m.sets.builds
    if year is not None:
        up, bl = up[up["year"] == year], bl[bl["year"] == year]
    return m.expression(
        np.r_[up["col"].to_numpy(int), bl["col"].to_numpy(int)],
        np.r_[up["unit_capex_usd"].to_numpy(float), bl["capex_usd"].to_numpy(float)],
    )


def define_budget(m: Model) -> None:
    """Total CapEx over the horizon <= budget; optional per-year caps (max-served only)."""
    sc = m.scenario
    up, bl = m.sets.upgrades, m.sets.builds
    cols = np.r_[up["col"].to_numpy(int), bl["col"].to_numpy(int)]
    cost = np.r_[up["unit_capex_usd"].to_numpy(float), bl["capex_usd"].to_numpy(float)]
    yr = np.r_[up["year"].to_numpy(int), bl["year"].to_numpy(int)]
    positive = cost[cost > 0]
    cheapest = float(positive.min()) if len(positive) else 0.0
    scale = m.meta["budget_scale"] = budget_scale(sc.budget_usd_total, cheapest)
    # the budgets count only new spend: committed purchases are added to both sides
    done, done_by_year = committed_capex(m)
    m.add_rows(
        "budget",
        pd.DataFrame({"scope": ["total"]}),
        np.zeros(len(cols)),
        cols,
        cost * scale,
        pulp.LpConstraintLE,
        [(sc.budget_usd_total + done) * scale],
    )
    if sc.budget_usd_per_year is not None:
        keys = pd.DataFrame({"year": m.sets.years})
        m.add_rows(
            "budget_year",
            keys,
            yr - m.sets.start_year,
            cols,
            cost * scale,
            pulp.LpConstraintLE,
            (np.asarray(sc.budget_usd_per_year, dtype=float) + done_by_year) * scale,
        )


def define_unserved(m: Model) -> None:
    """Slack per (pair, year) with demand: 0 <= unserved <= demand (max-served only)."""
    u = m.sets.demand.copy()
    if m.objective_mode == "max-served":
        u["col"] = m.add_columns("s", len(u), 0, u["demand_gbps"].to_numpy(float))
    else:
        u["col"] = -1
    m.unserved = u


def define_capacity_rows(m: Model, flow_trip: pd.DataFrame, family: str = "capacity") -> None:
    """flow on e in t <= max_utilization x capacity[e, t], for every (e, t) that carries flow.

    ``flow_trip``: ``e, ti, col, coef`` of flow variables (coef 1); ``family``: the row family
    (the extensive form adds one per demand scenario against the same capacity).
    """
    cor, years, u = m.sets.corridors, m.sets.years, m.scenario.max_utilization
    T = len(years)
    cap = capacity_triplets(m)
    has_flow = np.zeros(len(cor) * T, dtype=bool)
    has_flow[grid_row(flow_trip["e"], flow_trip["ti"], years)] = True
    row = np.r_[
        grid_row(flow_trip["e"], flow_trip["ti"], years),
        grid_row(cap["e"], cap["ti"], years),
    ]
    col = np.r_[flow_trip["col"].to_numpy(int), cap["col"].to_numpy(int)]
    coef = np.r_[flow_trip["coef"].to_numpy(float), -u * cap["coef"].to_numpy(float)]
    sel = has_flow[row]
    keys = grid_keys(cor, years, "corridor_id")
    rhs = u * np.repeat(cor["installed_capacity_gbps"].to_numpy(float), T)
    m.add_rows(family, keys, row[sel], col[sel], coef[sel], pulp.LpConstraintLE, rhs)
