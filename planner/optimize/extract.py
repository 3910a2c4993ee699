"""Turn a solved model into the plan tables and ``summary.json`` (see docs/architecture.md).

Why tables are recomputed from the rounded integer decisions: capacity, CapEx and budget use
are then exactly what a planner would buy, and ``planner verify`` can re-derive every number
from ``upgrades.csv`` and the inputs without the solver.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from planner.optimize.bounds import served_gap, served_upper_bound
from planner.optimize.formulations import arc
from planner.optimize.model import Model
from planner.optimize.money import leases_table, money_summary, money_table
from planner.optimize.objective import plain_objective, routing_usd_per_gbps_ms
from planner.optimize.solve import SolveResult
from planner.plan_schema import PlanSummary
from planner.tables import PLAN_TABLES, Plan

FLOW_TOL_GBPS = 1e-6


def column_values(m: Model) -> np.ndarray:
    return np.array([0.0 if v.varValue is None else v.varValue for v in m.columns], dtype=float)


def upgrades_table(m: Model, x: np.ndarray) -> tuple[pd.DataFrame, float]:
    """Bought units (rounded) and builds; returns (table, max integrality deviation)."""
    up = m.sets.upgrades
    if len(up):  # lease contracts go to leases.csv (planner.optimize.money)
        up = up[up["kind"] != "lease"]
    raw = x[up["col"].to_numpy(int)] if len(up) else np.zeros(0)
    units = np.rint(raw)
    dev = float(np.max(np.abs(raw - units))) if len(raw) else 0.0
    u = up.assign(units=units.astype(np.int64))
    u = u[u["units"] > 0]
    ut = pd.DataFrame(
        {
            "corridor_id": u["corridor_id"],
            "option_id": u["option_id"],
            "kind": u["kind"],
            "year": u["year"].astype(int),
            "in_service_year": u["in_service_year"].astype(int),
            "units": u["units"],
            "added_gbps": u["units"] * u["capacity_gbps"],
            "capex_usd": u["units"] * u["unit_capex_usd"],
            "committed_units": u["min_units"].astype(float) if "min_units" in u else 0.0,
        }
    )
    bl = m.sets.builds
    braw = x[bl["col"].to_numpy(int)] if len(bl) else np.zeros(0)
    bb = np.rint(braw)
    dev = max(dev, float(np.max(np.abs(braw - bb))) if len(braw) else 0.0)
    b = bl[bb > 0]
    bt = pd.DataFrame(
        {
            "corridor_id": b["corridor_id"],
            "option_id": b["option_id"],
            "kind": "new_build",
            "year": b["year"].astype(int),
            "in_service_year": b["in_service_year"].astype(int),
            "units": 1,
            "added_gbps": b["capacity_gbps"].astype(float),
            "capex_usd": b["capex_usd"].astype(float),
            "committed_units": b["min_units"].astype(float) if "min_units" in b else 0.0,
        }
    )
    parts = [t for t in (bt, ut) if len(t)]
    out = pd.concat(parts, ignore_index=True) if parts else bt.iloc[0:0]
    out = out.sort_values(["year", "corridor_id", "option_id"]).reset_index(drop=True)
    return out[list(PLAN_TABLES["upgrades"])], dev


def corridor_flows(m: Model, x: np.ndarray) -> pd.DataFrame:
    """Total flow per (corridor row ``e``, year) from the flow variables (not the routing)."""
    f = m.flows
    if m.formulation == "path":
        inc = f[["path_id", "year", "col"]].merge(m.sets.path_edges, on="path_id")
        inc["gbps"] = x[inc["col"].to_numpy(int)]
    else:
        inc = f[["e", "year", "col"]].assign(gbps=x[f["col"].to_numpy(int)])
    return inc.groupby(["e", "year"], as_index=False)["gbps"].sum()


def capacity_table(
    m: Model, upgrades: pd.DataFrame, flows: pd.DataFrame, leases: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Capacity, flow and utilisation for every existing corridor and every built route."""
    cor, years = m.sets.corridors, m.sets.years
    built = set(upgrades.loc[upgrades["kind"] == "new_build", "corridor_id"])
    keep = cor[~cor["is_candidate"] | cor["corridor_id"].isin(built)]
    grid = keep[
        ["e", "corridor_id", "site_a", "site_b", "installed_capacity_gbps", "is_candidate"]
    ].merge(pd.DataFrame({"year": years}), how="cross")
    add = upgrades[["corridor_id", "in_service_year", "added_gbps"]].merge(
        pd.DataFrame({"year": years}), how="cross"
    )
    add = add[add["in_service_year"] <= add["year"]]
    if leases is not None and len(leases):  # leased Gbps while the contract runs
        ls = leases[["corridor_id", "in_service_year", "end_year", "added_gbps"]].merge(
            pd.DataFrame({"year": years}), how="cross"
        )
        ls = ls[(ls["in_service_year"] <= ls["year"]) & (ls["year"] <= ls["end_year"])]
        add = pd.concat([add, ls.drop(columns="end_year")], ignore_index=True)
    add = add.groupby(["corridor_id", "year"], as_index=False)["added_gbps"].sum()
    g = grid.merge(add, on=["corridor_id", "year"], how="left").merge(
        flows, on=["e", "year"], how="left"
    )
    cap = g["installed_capacity_gbps"] + g["added_gbps"].fillna(0.0)
    flow = g["gbps"].fillna(0.0).clip(lower=0.0)
    util = np.where(cap > 0, flow / cap.where(cap > 0, 1.0), np.where(flow > 0, np.inf, 0.0))
    out = pd.DataFrame(
        {
            "corridor_id": g["corridor_id"],
            "year": g["year"].astype(int),
            "capacity_gbps": cap,
            "flow_gbps": flow,
            "utilization": util,
            "site_a": g["site_a"],
            "site_b": g["site_b"],
            "is_new_route": g["is_candidate"].astype(bool),
        }
    )
    return out.sort_values(["corridor_id", "year"]).reset_index(drop=True)


def unserved_table(m: Model, x: np.ndarray) -> pd.DataFrame:
    us = m.unserved
    col = us["col"].to_numpy(int)
    slack = np.where(col >= 0, x[np.maximum(col, 0)], 0.0)
    dem = us["demand_gbps"].to_numpy(float)
    slack = np.clip(slack, 0.0, dem)
    slack[slack < FLOW_TOL_GBPS] = 0.0
    p = m.sets.pairs.set_index("pair_id")
    pid = us["pair_id"].to_numpy()
    return pd.DataFrame(
        {
            "site_a": p.loc[pid, "site_a"].to_numpy(),
            "site_b": p.loc[pid, "site_b"].to_numpy(),
            "year": us["year"].astype(int).to_numpy(),
            "demand_gbps": dem,
            "served_gbps": dem - slack,
            "unserved_gbps": slack,
            "pair_class": p.loc[pid, "pair_class"].to_numpy(),
            "latency_limit_ms": p.loc[pid, "latency_limit_ms"].to_numpy(float),
            "best_latency_ms": p.loc[pid, "best_latency_ms"].to_numpy(float),
            "no_admissible_path": (p.loc[pid, "n_paths"].to_numpy() == 0)
            if m.formulation == "path"
            else ~np.isfinite(p.loc[pid, "best_latency_ms"].to_numpy()),
        }
    )


def routing_table(m: Model, x: np.ndarray, unserved: pd.DataFrame) -> pd.DataFrame:
    cols = list(PLAN_TABLES["routing"])
    lat = m.sets.corridors.set_index("corridor_id")["latency_ms"]
    if m.formulation == "path":
        f = m.flows.assign(gbps=x[m.flows["col"].to_numpy(int)])
        f = f[f["gbps"] > FLOW_TOL_GBPS].merge(
            m.sets.paths[["path_id", "corridor_ids", "latency_ms"]], on="path_id"
        )
    else:
        served = m.unserved[["pair_id", "year"]].assign(
            served_gbps=unserved["served_gbps"].to_numpy()
        )
        f = arc.routing(m, x[m.flows["col"].to_numpy(int)], served)
        f["latency_ms"] = [float(sum(lat[c] for c in p)) for p in f["corridor_ids"]]
    if not len(f):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    p = m.sets.pairs.set_index("pair_id")
    out = pd.DataFrame(
        {
            "site_a": p.loc[f["pair_id"], "site_a"].to_numpy(),
            "site_b": p.loc[f["pair_id"], "site_b"].to_numpy(),
            "year": f["year"].astype(int).to_numpy(),
            "path": [";".join(c) for c in f["corridor_ids"]],
            "gbps": f["gbps"].to_numpy(float),
            "latency_ms": f["latency_ms"].to_numpy(float),
        }
    )
    return out.sort_values(["site_a", "site_b", "year", "latency_ms", "path"]).reset_index(
        drop=True
    )


def _pricing_warning(info: dict) -> str:
    """Why the plan holds for its path set only. Why say it: on Kdl (754 sites) pricing
    stopped at its old 2,000-path cap and the plan bought 9x the capacity that routes
    outside the set need (``reports/bench/targets.md``)."""
    why = info.get("pricing_skipped") or (
        f"stopped after {info.get('paths_priced', 0):,} new paths"
        f" in {info.get('pricing_rounds', 0)} rounds (work bound)"
    )
    return (
        f"path pricing did not converge ({why}): the plan and its gap hold for the candidate"
        " paths only; routes outside them may need less capacity (no all-paths bound)"
    )


def summary(
    m: Model,
    res: SolveResult,
    ups: pd.DataFrame,
    uns: pd.DataFrame,
    deviation: float,
    marg_info: dict,
) -> dict:
    """summary.json of a solved model: solver outcome, money, demand served, model size."""
    warn = list(m.warnings)
    if res.solver_status == "time_limit_feasible":
        warn.append(
            f"time limit {res.time_limit_s:g} s hit: best plan found, gap {res.mip_gap:.2%}"
        )
    if res.start_info.get("path_pricing_converged") is False:
        warn.append(_pricing_warning(res.start_info))
    if res.start_info.get("mip_gap_stop_off"):
        warn.append(
            "the least unserved demand every plan must leave (the unlimited-money LP floor) "
            "was not computed (its LP did not finish within the start's work): the objective "
            "keeps the penalty of demand no plan can serve, so mip_gap "
            f"({res.mip_gap:.2%}) is relative to all of it and the solver was not let stop "
            "on it; read served_gap, or raise solver.time_limit_s"
        )
    late = res.start_info.get("solver_ended_late_s")
    if late is not None:
        warn.append(
            f"HiGHS had not stopped {late:g} s after its time limit (a search phase without a "
            "clock check); the planner ended it: plan and bound are the last it reported"
        )
    fields = {
        **_solver_fields(m, res),
        **_money_fields(m, ups),
        **_served_fields(m, res, uns),
        **_size_fields(m),
        "integrality_max_deviation": deviation,
        **{k: v for k, v in m.meta.items() if k.startswith("penalty_")},
        **res.start_info,
        **marg_info,
        "warnings": warn,
    }  # later keys win, as before: start_info may refine earlier fields
    return PlanSummary(**fields).as_dict()


def _solver_fields(m: Model, res: SolveResult) -> dict:
    """Status, objective, bound, gap and times: what every optimisation result must state."""
    return {
        "solver": res.solver,
        "solver_status": res.solver_status,
        "solver_raw_status": res.raw_status,
        "objective": res.objective,
        "best_bound": res.best_bound,
        "mip_gap": res.mip_gap,
        "mip_gap_target": res.mip_gap_target,
        "time_limit_s": res.time_limit_s,
        "time_limit_hit": res.solver_status == "time_limit_feasible",
        "solve_seconds": res.solve_seconds,
        "load_seconds": res.load_seconds,
        "build_seconds": m.build_seconds,
        "sets_seconds": m.sets.seconds.get("sets", 0.0),
        "paths_seconds": m.sets.seconds.get("paths", 0.0),
        "threads": res.threads,
        "seed": res.seed,
        "formulation": m.formulation,
        "objective_mode": m.objective_mode,
    }


def _money_fields(m: Model, ups: pd.DataFrame) -> dict:
    """Budget, CapEx per year and the objective's parts (CapEx, penalty, routing, OpEx)."""
    sc, years = m.scenario, m.sets.years
    by_year = ups.groupby("year")["capex_usd"].sum()
    parts = {
        k: float(sum(v.varValue * a for v, a in e.items() if v.varValue is not None))
        for k, e in m.objective_terms.items()
    }
    return {
        "scenario": sc.name,
        "start_year": years[0],
        "years": years,
        "budget_usd_total": sc.budget_usd_total,
        "budget_usd_per_year": sc.budget_usd_per_year,
        "budget_applied": m.objective_mode == "max-served",
        "capex_usd_total": float(ups["capex_usd"].sum()),
        "capex_usd_by_year": {str(y): float(by_year.get(y, 0.0)) for y in years},
        "unserved_penalty_usd_per_gbps": sc.unserved_penalty_usd_per_gbps,
        "routing_usd_per_gbps_ms": routing_usd_per_gbps_ms(m),
        "routing_tiebreak_max_usd": m.meta.get("routing_tiebreak_max_usd"),
        "objective_capex_usd": parts.get("capex", 0.0),
        "objective_penalty_usd": parts.get("penalty", 0.0),
        "objective_routing_usd": parts.get("routing", 0.0),
        "objective_opex_usd": parts.get("opex", 0.0),
    }


def _served_fields(m: Model, res: SolveResult, uns: pd.DataFrame) -> dict:
    """Demand served, the bound on what any plan could serve, pairs no path can carry."""
    dem_yrs = float(uns["demand_gbps"].sum())
    uns_yrs = float(uns["unserved_gbps"].sum())
    last = uns[uns["year"] == m.sets.years[-1]]
    floor = float(res.start_info.get("unserved_floor_gbps_years") or 0.0)
    served_ub = served_upper_bound(m, res.best_bound, floor, dem_yrs)
    lacking = uns[uns["no_admissible_path"]].drop_duplicates(["site_a", "site_b"])
    return {
        "demand_gbps_final_year": float(last["demand_gbps"].sum()),
        "served_gbps_final_year": float(last["served_gbps"].sum()),
        "unserved_gbps_final_year": float(last["unserved_gbps"].sum()),
        "demand_gbps_years": dem_yrs,
        "unserved_gbps_years": uns_yrs,
        "served_fraction": 1.0 if dem_yrs <= 0 else (dem_yrs - uns_yrs) / dem_yrs,
        "served_fraction_upper_bound": served_ub,
        "served_gap": served_gap(dem_yrs, uns_yrs, served_ub),
        **_served_all_paths(m, res, floor, dem_yrs, uns_yrs),
        "pairs_without_admissible_path": [
            {
                "site_a": r.site_a,
                "site_b": r.site_b,
                "pair_class": r.pair_class,
                "best_latency_ms": r.best_latency_ms if math.isfinite(r.best_latency_ms) else None,
                "latency_limit_ms": r.latency_limit_ms,
            }
            for r in lacking.itertuples()
        ],
    }


def _served_all_paths(
    m: Model, res: SolveResult, floor: float, dem_yrs: float, uns_yrs: float
) -> dict:
    """The served-share bound and gap read off the all-paths LP bound (path model, pricing
    converged). Why: ``served_gap`` holds for the paths the model considered; a plan routed
    on a path outside them could serve more, and a planner needs the statement that holds
    for every route too."""
    ap = res.start_info.get("all_paths_bound_usd")
    if ap is None or m.formulation != "path" or not plain_objective(m):
        return {}  # survivability: the bound limits a weighted loss, not unserved alone
    # the floor is the path set's; over every path it may be lower: do not use it here
    ub = served_upper_bound(m, ap, 0.0, dem_yrs)
    if ub is None:
        return {}
    return {
        "served_fraction_upper_bound_all_paths": ub,
        "served_gap_all_paths": served_gap(dem_yrs, uns_yrs, ub),
    }


def _size_fields(m: Model) -> dict:
    """Model size (what the solver saw)."""
    sc = m.scenario
    return {
        "max_utilization": sc.max_utilization,
        "k_paths": sc.k_paths,
        "n_variables": len(m.prob.variables()),
        "n_integer_variables": int(len(m.sets.upgrades) + len(m.sets.builds)),
        "n_constraints": len(m.prob._constraints),
        "n_pairs": int(len(m.sets.pairs)),
        "n_paths": int(len(m.sets.paths)),
    }


def extract(m: Model, res: SolveResult, marginals: tuple[pd.DataFrame, dict] | None) -> Plan:
    """Plan tables + summary from the solved model (integers rounded, tiny flows dropped)."""
    x = column_values(m)
    ups, dev = upgrades_table(m, x)
    flows = corridor_flows(m, x)
    cap = capacity_table(m, ups, flows, leases_table(m, x))
    uns = unserved_table(m, x)
    rt = routing_table(m, x, uns)
    if marginals is None:
        mv = pd.DataFrame({c: pd.Series(dtype=object) for c in PLAN_TABLES["marginal_values"]})
        info: dict = {}
    else:
        mv, info = marginals
    sm = summary(m, res, ups, uns, dev, info)
    leases = leases_table(m, x)
    money, after = money_table(ups, leases, m.scenario)
    sm.update(money_summary(money, leases, after, m.scenario))
    sm = PlanSummary.model_validate(sm).as_dict()
    return Plan(
        upgrades=ups,
        capacity=cap,
        unserved=uns,
        routing=rt,
        marginal_values=mv,
        summary=sm,
        leases=leases,
        money=money,
    )
