"""MIP start from an earlier plan's purchases, so re-planning never comes back worse."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.optimize.model import OBJ_SCALE, Model
from planner.optimize.starts.rounding import Rounder


def previous_plan_start(
    m: Model, upgrades: pd.DataFrame, time_limit_s: float, threads: int = 1
) -> tuple[dict, dict]:
    """MIP start from an earlier plan's purchases (``upgrades.csv``), flows re-optimised.

    Why: re-planning with more time or a larger budget should never come back worse than the
    plan already in hand; HiGHS then only has to improve it. Purchases are matched on
    (corridor, option, year) for upgrades and (route, year) for builds; those the model has no
    decision for (other years, options, routes) are dropped and counted. A start that breaks
    the budget, a cap or the slots after :func:`repair` is rejected (``{}``), not trimmed; so
    is, under min-cost (no budget, every Gbps served), one whose purchases cannot carry all
    the demand. ``start_plan_rejected`` says why.
    """
    info: dict = {}
    if not len(upgrades):
        return {}, info
    up, bl = m.sets.upgrades, m.sets.builds
    key = ["corridor_id", "option_id", "year"]
    want = upgrades.assign(
        corridor_id=upgrades["corridor_id"].astype(str),
        option_id=upgrades["option_id"].astype(str),
        year=upgrades["year"].astype(int),
        units=upgrades["units"].astype(float),
    )
    is_build = want["kind"].astype(str) == "new_build"
    if "term_years" in want.columns and "term_years" in up.columns:
        # lease contracts of one offer, corridor and year differ by their term
        key = [*key, "term_years"]
        want["term_years"] = pd.to_numeric(want["term_years"], errors="coerce").fillna(0)
        want["term_years"] = want["term_years"].astype(int)
    w_up = want[~is_build].groupby(key, as_index=False)["units"].sum()
    u = up[key].astype({"corridor_id": str, "option_id": str}).reset_index(drop=True)
    if "term_years" in key:
        u["term_years"] = u["term_years"].fillna(0).astype(int)
    u = u.merge(w_up, on=key, how="left")
    units = u["units"].fillna(0.0).to_numpy(float)
    w_bl = want[is_build][["corridor_id", "year"]].assign(units=1.0).drop_duplicates()
    built = np.zeros(len(bl))
    if len(bl) and len(w_bl):
        b = bl[["corridor_id", "year"]].astype({"corridor_id": str}).reset_index(drop=True)
        b = b.merge(w_bl, on=["corridor_id", "year"], how="left")
        built = b["units"].fillna(0.0).to_numpy(float)
    info["start_plan_units_unmatched"] = int(
        round(w_up["units"].sum() - units.sum() + len(w_bl) - built.sum())
    )
    r = Rounder(m, time_limit_s, threads)
    ints = np.maximum(np.r_[units, built], r.lb)  # committed purchases stay
    spend = (ints - r.lb) * r.cost  # the budgets count only new spend
    sc = m.scenario
    caps = [(np.ones(len(ints), bool), sc.budget_usd_total)] + [
        (r.year == y, cap)
        for y, cap in zip(m.sets.years, sc.budget_usd_per_year or [], strict=False)
    ]
    budgeted = m.objective_mode == "max-served"
    if budgeted and any(spend[sel].sum() > cap * (1 + 1e-9) + 1e-6 for sel, cap in caps):
        info["start_plan_rejected"] = "over the budget"
        return {}, info
    best = r.finish(ints)
    if best is None:
        info["start_plan_rejected"] = (
            "infeasible for this model (caps, slots or its work limit)"
            if budgeted
            else "its purchases cannot carry all the demand (min-cost serves every Gbps)"
        )
        return {}, info
    obj, y, ints = best
    y[r.icol] = ints
    info["start_plan_objective"] = obj / OBJ_SCALE
    return {v: float(y[v.index]) for v in m.prob.variables()}, info
