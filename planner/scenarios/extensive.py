"""Extensive form: one set of upgrades, flows and unserved demand per demand scenario.

Why on top of the ordinary model: the first scenario is the model :func:`planner.optimize.build`
makes (decisions, slots, caps, budget, its own flows and unserved slack); every further
scenario adds only its flow columns, slack, demand rows and capacity rows against the same
``capacity[e, t]`` expressions, so what we buy and when is shared and routing is chosen per
scenario. The objective is then rebuilt: CapEx + the first scenario's routing tie-break +
a penalty per unserved Gbps-year weighted per scenario, and optionally the CVaR of the
scenarios' unserved Gbps-years (Rockafellar-Uryasev: ``eta + sum_s w_s u_s / (1 - alpha)``,
``u_s >= unserved_s - eta``, ``u_s >= 0``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pulp

from planner.optimize.constraints import define_capacity_rows
from planner.optimize.model import OBJ_SCALE, Model, flow_triplets


def scenario_demand(m: Model, demand: pd.DataFrame) -> pd.DataFrame:
    """``pair_id, year, demand_gbps`` (> 0) of a ``site_a, site_b, year, demand_gbps`` frame
    on the model's pairs (pairs the model does not know are dropped: they have no paths)."""
    p = m.sets.pairs[["pair_id", "site_a", "site_b"]]
    d = demand.merge(p, on=["site_a", "site_b"])
    d = d[(d["demand_gbps"] > 0) & d["year"].isin(m.sets.years)]
    return (
        d[["pair_id", "year", "demand_gbps"]]
        .sort_values(["pair_id", "year"])
        .reset_index(drop=True)
    )


def add_scenario(m: Model, demand: pd.DataFrame, tag: str) -> pd.DataFrame:
    """Flows, slack, demand rows and capacity rows of one more scenario; returns its slack
    frame ``pair_id, year, demand_gbps, col``."""
    s = m.sets
    d = scenario_demand(m, demand)
    d["r"] = np.arange(len(d))
    f = d.merge(s.paths[["pair_id", "path_id"]], on="pair_id")
    f = f.sort_values(["pair_id", "year", "path_id"], kind="stable").reset_index(drop=True)
    f["col"] = m.add_columns(f"f{tag}_", len(f), 0, f["demand_gbps"].to_numpy(float))
    d["col"] = m.add_columns(f"s{tag}_", len(d), 0, d["demand_gbps"].to_numpy(float))
    m.add_pair_year_rows(
        f"demand_{tag}", d, [(f["r"], f["col"]), (d["r"], d["col"])], "demand_gbps"
    )
    inc = f[["path_id", "year", "col"]].merge(s.path_edges, on="path_id")
    trip = flow_triplets(inc["e"], inc["year"], inc["col"], s.years)
    define_capacity_rows(m, trip, f"capacity_{tag}")
    return d[["pair_id", "year", "demand_gbps", "col"]]


def set_scenario_objective(
    m: Model,
    slacks: list[pd.DataFrame],
    weights: np.ndarray,
    penalty_usd: float,
    cvar_alpha: float | None = None,
) -> None:
    """CapEx + routing tie-break + ``penalty_usd`` x (weighted unserved, or its CVaR).

    ``slacks[0]`` is the base model's own slack (``m.unserved``). With ``cvar_alpha``, the
    weighted mean stays in the objective at 1e-3 of the penalty (a tie-break among plans of
    equal CVaR).
    """
    w = np.asarray(weights, float)
    mean_w = 1e-3 if cvar_alpha is not None else 1.0
    parts = []
    for ws, sl in zip(w, slacks, strict=True):
        sl = sl[sl["col"] >= 0]
        parts.append(m.expression(sl["col"], np.full(len(sl), penalty_usd * ws * mean_w)))
    pen = pulp.LpAffineExpression()
    for p in parts:
        pen.addInPlace(p)
    if cvar_alpha is not None:
        eta = m.add_columns("cvar_eta", 1, 0, None)[0]
        u = m.add_columns("cvar_u", len(slacks), 0, None)
        rows, cols, coefs = [], [], []
        for i, sl in enumerate(slacks):
            c = sl.loc[sl["col"] >= 0, "col"].to_numpy(int)
            rows += [i] * (len(c) + 2)
            cols += [*c.tolist(), int(eta), int(u[i])]
            coefs += [1.0] * len(c) + [-1.0, -1.0]
        m.add_rows(
            "cvar",
            pd.DataFrame({"scenario": np.arange(len(slacks))}),
            np.array(rows),
            np.array(cols),
            np.array(coefs),
            pulp.LpConstraintLE,
            np.zeros(len(slacks)),
        )
        cv = np.r_[1.0, w / (1.0 - cvar_alpha)] * penalty_usd
        pen.addInPlace(m.expression(np.r_[eta, u], cv))
    m.objective_terms["penalty"] = pulp.LpAffineExpression()
    m.objective_terms["scenarios"] = pen  # not a plain objective: no served-gap stop, no reroute
    obj = pulp.LpAffineExpression()
    for part in m.objective_terms.values():
        obj.addInPlace(part)
    m.prob.setObjective(obj * OBJ_SCALE)
