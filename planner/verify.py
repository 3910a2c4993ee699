"""Independent re-check of a written plan: every constraint, from the CSV files, no solver.

Why independent: a bug in the model builder (a missing row, a wrong coefficient) would be
invisible if we checked the solver's own answer against the same model. This module re-reads
``DIR/inputs/*.csv``, ``DIR/scenario.yaml`` and the plan tables, recomputes unit costs and
capacities with its own code, and checks capacity, utilisation, budget, lead times, unit caps,
wave slots, spare pairs, path continuity and latency, and demand = served + unserved.

It imports nothing from ``planner.optimize`` nor ``planner.network`` on purpose: its own
corridor table (:func:`_corridors`) and unit costs (:func:`_unit_cost`) are a second reading
of the inputs, so a drift in the shared network view shows up as a failed check instead of
being copied into both sides (tests/test_layers.py keeps it that way).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.config import Scenario
from planner.io.plan import read_plan
from planner.io.run import read_demand, read_run_inputs
from planner.plan_schema import PlanSummary
from planner.schema import DEFAULT_WAVE_GBPS, FIBER_LATENCY_MS_PER_KM
from planner.tables import Inputs, Plan
from planner.verify_leases import (
    check_committed,
    check_lease_rows,
    check_money,
    lease_gbps,
    spend_by_year,
)

GBPS_ABS, GBPS_REL = 1e-3, 1e-6
USD_ABS, USD_REL = 0.01, 1e-9
MAX_LINES_PER_CHECK = 20


@dataclass
class VerifyResult:
    checks: int = 0
    violations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def check(self, what: str, ok, labels) -> None:
        """Count one check per row; record a line per failing row (capped)."""
        ok = np.asarray(ok, dtype=bool)
        labels = list(labels)
        self.checks += int(ok.size)
        bad = np.flatnonzero(~ok)
        for i in bad[:MAX_LINES_PER_CHECK]:
            self.violations.append(f"{what}: {labels[i]}")
        if len(bad) > MAX_LINES_PER_CHECK:
            self.violations.append(f"{what}: ... and {len(bad) - MAX_LINES_PER_CHECK} more")


def _close(a, b, abs_tol: float, rel: float) -> np.ndarray:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.abs(a - b) <= abs_tol + rel * np.maximum(np.abs(a), np.abs(b))


def _le(a, b, abs_tol: float, rel: float) -> np.ndarray:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a <= b + abs_tol + rel * np.abs(b)


def _corridors(inputs) -> pd.DataFrame:
    """Existing corridors and candidate routes with the parameters the checks need.

    Deliberately not :func:`planner.network.corridor_table`: see the module docstring.
    """
    c = inputs.corridors
    iw = (
        c["installed_waves"]
        .astype("Float64")
        .fillna(np.ceil(c["installed_capacity_gbps"] / DEFAULT_WAVE_GBPS))
        .astype(float)
    )
    ex = pd.DataFrame(
        {
            "corridor_id": c["corridor_id"].astype(str),
            "site_a": c["site_a"],
            "site_b": c["site_b"],
            "distance_km": c["distance_km"].astype(float),
            "latency_ms": c["distance_km"] * FIBER_LATENCY_MS_PER_KM
            + c["extra_latency_ms"].fillna(0.0),
            "installed_gbps": c["installed_capacity_gbps"].astype(float),
            "free_slots": np.maximum(c["max_waves_per_fiber_pair"] * c["lit_fiber_pairs"] - iw, 0),
            "W": c["max_waves_per_fiber_pair"].astype(float),
            "spare": c["spare_fiber_pairs"].astype(float),
            "route": False,
        }
    )
    r = inputs.candidate_routes
    nr = pd.DataFrame(
        {
            "corridor_id": r["route_id"].astype(str),
            "site_a": r["site_a"],
            "site_b": r["site_b"],
            "distance_km": r["distance_km"].astype(float),
            "latency_ms": r["distance_km"].astype(float) * FIBER_LATENCY_MS_PER_KM,
            "installed_gbps": 0.0,
            "free_slots": 0.0,
            "W": r["max_waves_per_fiber_pair"].astype(float),
            "spare": r["fiber_pairs"].astype(float) - 1,
            "route": True,
        }
    )
    return pd.concat([ex, nr], ignore_index=True).set_index("corridor_id")


def _unit_cost(opt: pd.Series, km: float, years: int) -> float:
    reach = opt["reach_km"]
    regen = math.floor(km / reach) if pd.notna(reach) and reach > 0 else 0
    base = opt["capex_fixed_usd"] + opt["capex_per_km_usd"] * km + opt["regen_capex_usd"] * regen
    return float(base * (1 + opt["price_change_per_year"]) ** years)


def _check_upgrades(res, up, cor, inputs, sc) -> pd.DataFrame:
    """Per-row checks of upgrades.csv; returns rows with the option's parameters attached."""
    opts = inputs.upgrade_options.set_index("option_id")
    routes = inputs.candidate_routes.set_index("route_id")
    lab = [f"{r.corridor_id} {r.option_id} {r.year}" for r in up.itertuples()]
    known = up["corridor_id"].isin(cor.index) & up["option_id"].isin(opts.index)
    res.check("upgrades: known corridor and option", known, lab)
    up = up[known.to_numpy()].copy()
    lab = [f"{r.corridor_id} {r.option_id} {r.year}" for r in up.itertuples()]
    o = opts.loc[up["option_id"]]
    only = o["corridor_id"].to_numpy()
    applies = pd.isna(only) | (only == up["corridor_id"].to_numpy())
    is_build = (o["kind"] == "new_build").to_numpy()
    route = cor.loc[up["corridor_id"], "route"].to_numpy()
    res.check("upgrades: option applies to corridor", applies & (~is_build | route), lab)
    res.check("upgrades: kind matches option", (o["kind"].to_numpy() == up["kind"].to_numpy()), lab)
    res.check("upgrades: year in horizon", up["year"].isin(sc.years), lab)
    units = up["units"].to_numpy(float)
    res.check(
        "upgrades: units are positive integers",
        (units > 0) & (units == np.round(units)) & (~is_build | (units == 1)),
        lab,
    )
    lead = o["lead_time_years"].to_numpy(float)
    for i, (cid, b) in enumerate(zip(up["corridor_id"], is_build, strict=True)):
        if b and cid in routes.index and pd.notna(routes.at[cid, "lead_time_years"]):
            lead[i] = float(routes.at[cid, "lead_time_years"])
    res.check(
        "upgrades: in_service_year = year + lead time",
        up["in_service_year"].to_numpy(float) == up["year"].to_numpy(float) + lead,
        lab,
    )
    res.check(
        "upgrades: added_gbps = units x option capacity",
        _close(up["added_gbps"], units * o["capacity_gbps"].to_numpy(float), GBPS_ABS, GBPS_REL),
        lab,
    )
    cost = []
    for (_, r), (_, oo) in zip(up.iterrows(), o.iterrows(), strict=True):
        km = cor.at[r["corridor_id"], "distance_km"]
        unit = _unit_cost(oo, km, int(r["year"]) - sc.start_year)
        if oo["kind"] == "new_build" and r["corridor_id"] in routes.index:
            given = routes.at[r["corridor_id"], "build_capex_usd"]
            if pd.notna(given):
                unit = float(given) * (1 + oo["price_change_per_year"]) ** (
                    int(r["year"]) - sc.start_year
                )
        cost.append(unit * r["units"])
    res.check(
        "upgrades: capex_usd = units x unit cost", _close(up["capex_usd"], cost, USD_ABS, 1e-6), lab
    )
    return up.assign(cap_units=o["max_units_per_corridor"].to_numpy(float))


def _check_caps(res, up, cor, sc) -> None:
    """Unit caps, spare pairs, route built once, wave slots per year."""
    g = up.groupby(["corridor_id", "option_id"]).agg(n=("units", "sum"), cap=("cap_units", "first"))
    res.check(
        "caps: units per corridor and option <= max_units_per_corridor",
        g["n"] <= g["cap"],
        [f"{c} {o}: {r.n:g} > {r.cap:g}" for (c, o), r in g.iterrows()],
    )
    builds = up[up["kind"] == "new_build"]
    nb = builds.groupby("corridor_id").size()
    res.check(
        "caps: a route is built at most once",
        nb <= 1,
        [f"{c} built {n} times" for c, n in nb.items()],
    )
    built_at = builds.groupby("corridor_id")["in_service_year"].min()
    pairs = up[up["kind"] == "fiber_pair"].groupby("corridor_id")["units"].sum()
    sp = cor.loc[pairs.index, "spare"]
    res.check(
        "caps: fiber pairs <= spare pairs",
        pairs <= sp,
        [f"{c}: {n:g} > {s:g}" for c, n, s in zip(pairs.index, pairs, sp, strict=True)],
    )
    for cid in sorted(set(up["corridor_id"])):
        r = cor.loc[cid]
        u = up[up["corridor_id"] == cid]
        for y in sc.years:
            live = u[u["in_service_year"] <= y]
            waves = live.loc[live["kind"] == "wave", "units"].sum()
            npairs = live.loc[live["kind"] == "fiber_pair", "units"].sum()
            built = bool(r["route"]) and cid in built_at.index and built_at[cid] <= y
            if r["route"]:
                used = 0
                b = builds[builds["corridor_id"] == cid]
                if len(b):
                    used = min(r["W"], math.ceil(b["added_gbps"].iloc[0] / DEFAULT_WAVE_GBPS))
                slots = (r["W"] - used) * built + r["W"] * npairs
                res.check(
                    "caps: route upgrades only once built",
                    [built or len(live) == 0],
                    [f"{cid} {y}: upgrades in service before the route"],
                )
            else:
                slots = r["free_slots"] + r["W"] * npairs
            res.check(
                "caps: waves in service <= wave slots",
                [waves <= slots + 1e-9],
                [f"{cid} {y}: {waves:g} waves > {slots:g} slots"],
            )


def _check_paths(res, rt, cor, pairs_limit, formulation) -> pd.DataFrame:
    """Routing paths: known corridors, connected from site_a to site_b, latency and limit."""
    rows = []
    for r in rt.itertuples():
        ids = str(r.path).split(";")
        ok, node, seen, lat = True, r.site_a, {r.site_a}, 0.0
        for c in ids:
            if c not in cor.index:
                ok = False
                break
            a, b = cor.at[c, "site_a"], cor.at[c, "site_b"]
            if node not in (a, b):
                ok = False
                break
            node = b if node == a else a
            ok &= node not in seen
            seen.add(node)
            lat += cor.at[c, "latency_ms"]
        rows.append((ok and node == r.site_b, lat))
    lab = [f"{r.site_a}-{r.site_b} {r.year} {r.path}" for r in rt.itertuples()]
    res.check(
        "routing: path is a loop-free chain of corridors from site_a to site_b",
        [o for o, _ in rows],
        lab,
    )
    lat = np.array([x for _, x in rows], dtype=float)
    res.check(
        "routing: latency_ms = sum of corridor latencies",
        _close(rt["latency_ms"], lat, 1e-6, 1e-9),
        lab,
    )
    res.check("routing: gbps >= 0", rt["gbps"].to_numpy(float) >= 0, lab)
    if formulation == "path":
        lim = [pairs_limit.get((r.site_a, r.site_b), math.inf) for r in rt.itertuples()]
        res.check(
            "routing: path latency within the pair class limit", lat <= np.asarray(lim) + 1e-9, lab
        )
    return rt


def verify_plan(plan_dir: str | os.PathLike) -> VerifyResult:
    """Re-check every constraint of the plan in ``plan_dir``; see the module docstring."""
    d = Path(plan_dir)
    plan = read_plan(d)
    inputs, sc = read_run_inputs(d)
    dem = read_demand(d / "demand.csv") if (d / "demand.csv").is_file() else None
    res = check_plan(plan, inputs, sc, dem)
    if dem is None:
        res.notes.append("no demand.csv in the plan folder: demand totals checked internally only")
    return res


def check_plan(
    plan: Plan, inputs: Inputs, sc: Scenario, demand: pd.DataFrame | None = None
) -> VerifyResult:
    """The checks of :func:`verify_plan` on in-memory tables (sweeps and tests use this)."""
    sm = PlanSummary.read(plan.summary)
    res = VerifyResult()
    formulation = sm.formulation or "path"
    mode = sm.objective_mode or sc.objective
    cor = _corridors(inputs)
    up = _check_upgrades(res, plan.upgrades.copy(), cor, inputs, sc)
    _check_caps(res, up, cor, sc)
    cap, lab = _check_capacity(res, plan, up, cor, sc)
    _check_routing(res, plan, inputs, cor, cap, lab, sc, formulation)
    us = _check_unserved(res, plan, mode, demand, sc)
    _check_totals(res, sm, up, us, mode, sc, plan)
    check_lease_rows(res, plan.leases, inputs, sc)
    check_committed(res, plan, inputs)
    check_money(res, plan, sc, mode)
    if sm.solver_status != "optimal":
        res.notes.append(f"solver_status {sm.solver_status}: gap {sm.mip_gap}")
    return res


def _check_capacity(res: VerifyResult, plan: Plan, up, cor, sc) -> tuple[pd.DataFrame, list]:
    """capacity = installed + added in service; flow <= u x capacity; utilisation."""
    cap = plan.capacity
    lab = [f"{r.corridor_id} {r.year}" for r in cap.itertuples()]
    known = cap["corridor_id"].isin(cor.index).to_numpy()
    res.check("capacity: known corridor", known, lab)
    cap = cap[known]
    lab = [f"{r.corridor_id} {r.year}" for r in cap.itertuples()]
    add = [
        up.loc[
            (up["corridor_id"] == r.corridor_id) & (up["in_service_year"] <= r.year), "added_gbps"
        ].sum()
        + lease_gbps(plan.leases, r.corridor_id, r.year)
        for r in cap.itertuples()
    ]
    expect = cor.loc[cap["corridor_id"], "installed_gbps"].to_numpy() + np.asarray(add, float)
    res.check(
        "capacity: capacity_gbps = installed + upgrades in service",
        _close(cap["capacity_gbps"], expect, GBPS_ABS, GBPS_REL),
        lab,
    )
    u = sc.max_utilization
    res.check(
        f"capacity: flow_gbps <= {u:g} x capacity_gbps",
        _le(cap["flow_gbps"], u * expect, GBPS_ABS, GBPS_REL),
        lab,
    )
    util = np.where(expect > 0, cap["flow_gbps"] / np.where(expect > 0, expect, 1), 0.0)
    res.check(
        "capacity: utilization = flow / capacity",
        _close(np.where(expect > 0, cap["utilization"], 0.0), util, 1e-6, 1e-6),
        lab,
    )
    return cap, lab


def _check_routing(res: VerifyResult, plan: Plan, inputs, cor, cap, lab, sc, formulation) -> None:
    """Paths continuous and within latency limits; corridor flow = routed Gbps."""
    rt = plan.routing
    pc = inputs.sites.set_index("site_id")["kind"]
    limits = {}
    for r in plan.unserved[["site_a", "site_b"]].drop_duplicates().itertuples():
        n_ai = (pc.get(r.site_a) == "ai_campus") + (pc.get(r.site_b) == "ai_campus")
        cls = ("general", "ai_inference", "ai_training")[int(n_ai)]
        limits[(r.site_a, r.site_b)] = sc.latency_ms_max.get(cls, math.inf)
    _check_paths(res, rt, cor, limits, formulation)
    inc = rt.assign(corridor_id=rt["path"].astype(str).str.split(";")).explode("corridor_id")
    on = inc.groupby(["corridor_id", "year"])["gbps"].sum()
    key = pd.MultiIndex.from_frame(cap[["corridor_id", "year"]])
    routed = on.reindex(key).fillna(0.0).to_numpy()
    if formulation == "path":
        res.check(
            "capacity: flow_gbps = sum of routed gbps over the corridor",
            _close(cap["flow_gbps"], routed, GBPS_ABS, GBPS_REL),
            lab,
        )
    else:  # a flow decomposition may leave flow on cycles out of the paths
        res.check(
            "capacity: routed gbps over the corridor <= flow_gbps",
            _le(routed, cap["flow_gbps"], GBPS_ABS, GBPS_REL),
            lab,
        )
    missing = sorted(set(on.index) - set(key))
    res.check(
        "routing: every corridor used is in capacity.csv (built, in the horizon)",
        [not missing],
        [f"{missing[:5]}"],
    )


def _check_unserved(res: VerifyResult, plan: Plan, mode: str, demand, sc) -> pd.DataFrame:
    """demand = served + unserved; served = routed; min-cost serves everything."""
    rt = plan.routing
    us = plan.unserved
    lab = [f"{r.site_a}-{r.site_b} {r.year}" for r in us.itertuples()]
    res.check(
        "unserved: demand = served + unserved, all >= 0",
        _close(us["demand_gbps"], us["served_gbps"] + us["unserved_gbps"], GBPS_ABS, GBPS_REL)
        & (us["served_gbps"] >= -GBPS_ABS)
        & (us["unserved_gbps"] >= 0),
        lab,
    )
    served = (
        rt.groupby(["site_a", "site_b", "year"])["gbps"]
        .sum()
        .reindex(pd.MultiIndex.from_frame(us[["site_a", "site_b", "year"]]))
        .fillna(0.0)
        .to_numpy()
    )
    res.check(
        "unserved: served_gbps = sum of routed gbps",
        _close(us["served_gbps"], served, GBPS_ABS, GBPS_REL),
        lab,
    )
    if mode == "min-cost":
        res.check("unserved: min-cost serves all demand", us["unserved_gbps"] <= GBPS_ABS, lab)
    if demand is not None:
        _check_demand_source(res, demand, us, sc)

    return us


def _check_totals(res: VerifyResult, sm: PlanSummary, up, us, mode: str, sc, plan) -> None:
    """Budget (total and per year) and the summary's totals against the tables.

    CapEx includes lease upfront fees; the budgets count only new (not committed) spend."""
    capex_y, committed_y, _ = spend_by_year(plan, sc.years)
    capex = float(capex_y.sum())
    by_year = pd.Series(capex_y, index=sc.years)
    new = capex - float(committed_y.sum())
    if mode == "max-served":
        res.check(
            "budget: total capex <= budget_usd_total",
            [new <= sc.budget_usd_total + USD_ABS + USD_REL * sc.budget_usd_total],
            [f"{new:,.2f} > {sc.budget_usd_total:,.2f}"],
        )
        if sc.budget_usd_per_year is not None:
            spent = [float(v) for v in capex_y - committed_y]
            res.check(
                "budget: capex per year <= budget_usd_per_year",
                _le(spent, sc.budget_usd_per_year, USD_ABS, USD_REL),
                [
                    f"{y}: {s:,.2f} > {b:,.2f}"
                    for y, s, b in zip(sc.years, spent, sc.budget_usd_per_year, strict=True)
                ],
            )
    res.check(
        "summary: capex_usd_total = sum of upgrades",
        _close([_num(sm.capex_usd_total)], [capex], USD_ABS, 1e-9),
        [f"{sm.capex_usd_total} != {capex}"],
    )
    by = sm.capex_usd_by_year or {}
    res.check(
        "summary: capex_usd_by_year = upgrades per year",
        [abs(float(by.get(str(y), 0.0)) - float(by_year.get(y, 0.0))) <= USD_ABS for y in sc.years],
        [str(y) for y in sc.years],
    )
    dem, uns = us["demand_gbps"].sum(), us["unserved_gbps"].sum()
    frac = 1.0 if dem <= 0 else (dem - uns) / dem
    last = us[us["year"] == sc.years[-1]]
    res.check(
        "summary: served_fraction, final-year demand and unserved",
        _close(
            [
                _num(sm.served_fraction),
                _num(sm.demand_gbps_final_year),
                _num(sm.unserved_gbps_final_year),
            ],
            [frac, last["demand_gbps"].sum(), last["unserved_gbps"].sum()],
            1e-6,
            1e-6,
        ),
        ["served_fraction", "demand_gbps_final_year", "unserved_gbps_final_year"],
    )


def _num(v: float | None) -> float:
    return math.nan if v is None else float(v)


def _check_demand_source(res: VerifyResult, dem: pd.DataFrame, us: pd.DataFrame, sc) -> None:
    """unserved.csv demand = the run's demand table, every pair-year with demand present."""
    dem = dem[dem["year"].isin(sc.years) & (dem["demand_gbps"] > 0)]
    dem = dem.groupby(["site_a", "site_b", "year"], as_index=False)["demand_gbps"].sum()
    key = ["site_a", "site_b", "year"]
    j = dem.merge(us[[*key, "demand_gbps"]], on=key, how="outer", suffixes=("", "_plan"))
    lab = [f"{r.site_a}-{r.site_b} {r.year}" for r in j.itertuples()]
    res.check(
        "unserved: demand_gbps = the run's demand table",
        _close(j["demand_gbps"].fillna(-1), j["demand_gbps_plan"].fillna(-2), GBPS_ABS, GBPS_REL),
        lab,
    )
