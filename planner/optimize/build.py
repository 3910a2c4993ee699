"""Build the PuLP model from whole index sets (see the maths in ``planner.optimize``).

Why triplets: every constraint family is assembled as sparse (row, column, coefficient) arrays
with pandas/numpy joins over the index-set frames, then turned into one
``LpAffineExpression`` per row from zipped slices. No expression is grown term by term in
nested loops, so building stays a small fraction of solving at every size (see the bench).

The :class:`Model` keeps the PuLP problem, the index sets, every variable by column number and
the capacity expression of each (corridor, year), so a ``hook(model)`` can add constraints
between :func:`build` and :func:`planner.optimize.solve.solve` (survivability, issue 7).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pulp

from planner.config import Scenario
from planner.errors import InputError, Problem
from planner.optimize.sets import IndexSets

#: Tie-break routing cost, USD per Gbps per ms of path latency per year. Small enough never to
#: outweigh a purchase (1 Tbps over 50 ms for 5 years: 250 USD), large enough for the solver to
#: prefer the lower-latency path when capacity is free, which makes routing deterministic.
ROUTING_USD_PER_GBPS_MS = 1e-3

#: The solver sees the objective in thousands of USD and the budget rows in millions: costs of
#: 1e5-6e7 USD and a 1e7 USD penalty made HiGHS warn about "excessively large costs" and slowed
#: its LPs. Reported values (objective, bound, duals) are converted back to USD.
OBJ_SCALE = 1e-3
BUDGET_SCALE = 1e-6
#: Budget rows are scaled so the total budget reads ``BUDGET_ROW_RHS`` to the solver. Why not
#: a fixed 1e-6: HiGHS allows a row violation of ~1e-6 in solver units, so a budget in $M could
#: be overrun by ~$1, and a small budget (tests, what-ifs in $k) became a row below tolerance
#: that the solver overran by percents. Relative scaling caps the overrun at ~1e-10 x budget.
BUDGET_ROW_RHS = 1e4


def budget_scale(budget_usd_total: float, cheapest_usd: float = 0.0) -> float:
    """Factor USD -> solver units for budget rows.

    Relative to the budget, but never to less than the cheapest purchase: a budget below it
    buys nothing anyway, and scaling by a near-zero budget ($1e-11 in a property test) made
    coefficients of 1e16, which HiGHS refuses to load (limit 1e15). ``BUDGET_SCALE`` when
    both are zero.
    """
    ref = max(budget_usd_total, cheapest_usd)
    return BUDGET_ROW_RHS / ref if ref > 0 else BUDGET_SCALE


FORMULATIONS = ("path", "arc")
OBJECTIVES = ("max-served", "min-cost")


@dataclass
class Model:
    """A built model: the PuLP problem plus the frames that index its variables and rows."""

    prob: pulp.LpProblem
    sets: IndexSets
    scenario: Scenario
    formulation: str
    objective_mode: str
    #: every variable by column number (``col`` columns in the frames below point here)
    columns: list[pulp.LpVariable] = field(default_factory=list)
    #: path: ``pair_id, path_id, year, col``; arc: ``source, e, direction, year, col``
    flows: pd.DataFrame | None = None
    #: ``pair_id, year, demand_gbps, col`` (col = -1 when there is no slack variable)
    unserved: pd.DataFrame | None = None
    #: row family -> frame of row keys with the constraint ``name``
    rows: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: (corridor_id, year) -> capacity in Gbps as an expression of the decisions
    capacity: dict[tuple[str, int], pulp.LpAffineExpression] = field(default_factory=dict)
    #: objective parts: ``capex``, ``penalty``, ``routing``
    objective_terms: dict[str, pulp.LpAffineExpression] = field(default_factory=dict)
    build_seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    #: formulation-specific extras (arc: ``nodes``) and pre-solve checks (``penalty_*``)
    meta: dict = field(default_factory=dict)

    def add_columns(
        self, prefix: str, n: int, low: float | np.ndarray, up, cat: str = pulp.LpContinuous
    ) -> np.ndarray:
        """Create ``n`` variables named ``{prefix}{i}``; return their column numbers."""
        start = len(self.columns)
        lows = np.broadcast_to(np.asarray(low, dtype=float), (n,)).tolist()
        ups = [None] * n if up is None else np.broadcast_to(np.asarray(up, float), (n,)).tolist()
        add = self.prob.add_variable
        self.columns.extend(
            add(f"{prefix}{i}", lo, hi, cat) for i, lo, hi in zip(range(n), lows, ups, strict=True)
        )
        return np.arange(start, start + n, dtype=np.int64)

    def expression(self, cols, coefs, constant: float = 0.0) -> pulp.LpAffineExpression:
        cv = self.columns
        return pulp.LpAffineExpression(
            [(cv[c], float(a)) for c, a in zip(cols, coefs, strict=True)], constant=constant
        )

    def add_rows(
        self,
        family: str,
        keys: pd.DataFrame,
        row: np.ndarray,
        col: np.ndarray,
        coef: np.ndarray,
        sense: int,
        rhs: np.ndarray,
        *,
        merge_duplicates: bool = False,
    ) -> pd.DataFrame:
        """Add one constraint per row of ``keys`` from (row, col, coef) triplets.

        Rows with no terms are dropped (a violated empty row raises: it is a modelling error).
        Returns ``keys`` with the constraint ``name`` (also stored in ``self.rows[family]``).
        """
        row = np.asarray(row, dtype=np.int64)
        col = np.asarray(col, dtype=np.int64)
        coef = np.asarray(coef, dtype=float)
        rhs = np.asarray(rhs, dtype=float)
        if merge_duplicates and len(row):
            t = pd.DataFrame({"r": row, "c": col, "a": coef}).groupby(["r", "c"]).sum()
            row = t.index.get_level_values(0).to_numpy()
            col = t.index.get_level_values(1).to_numpy()
            coef = t["a"].to_numpy()
        order = np.lexsort((col, row))
        row, col, coef = row[order], col[order], coef[order]
        starts = np.searchsorted(row, np.arange(len(keys) + 1))
        cv = np.empty(len(self.columns), dtype=object)
        cv[:] = self.columns
        var = cv[col]
        names: list[str | None] = []
        ok = True
        add = self.prob.addConstraint
        for r in range(len(keys)):
            a, b = starts[r], starts[r + 1]
            if a == b:
                names.append(None)
                v = 0.0 - rhs[r]
                ok &= (
                    v <= 1e-9
                    if sense == pulp.LpConstraintLE
                    else (v >= -1e-9 if sense == pulp.LpConstraintGE else abs(v) <= 1e-9)
                )
                continue
            name = f"{family}_{r}"
            expr = pulp.LpAffineExpression(zip(var[a:b].tolist(), coef[a:b].tolist(), strict=True))
            add(pulp.LpConstraint(expr, sense, name, float(rhs[r])))
            names.append(name)
        if not ok:
            raise RuntimeError(f"empty {family} row cannot be satisfied (modelling error)")
        out = keys.reset_index(drop=True).assign(name=names)
        out = out[out["name"].notna()].reset_index(drop=True)
        self.rows[family] = out
        return out

    def constraint(self, name: str) -> pulp.LpConstraint | None:
        return self.prob.get_constraint_by_name(name)

    def capacity_gbps(self, corridor_id: str, year: int) -> pulp.LpAffineExpression:
        """Capacity of a corridor in a year (Gbps) as an expression of the decisions."""
        return self.capacity[(corridor_id, year)]


# ---------------------------------------------------------------------------------------
# capacity and upgrade logic, shared by both formulations


def _in_service(dec: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Decision rows crossed with every year they are in service: columns + ``ti``."""
    if not len(dec):
        return dec.assign(ti=pd.Series(dtype=np.int64))
    yrs = pd.DataFrame({"ti": np.arange(len(years)), "_y": years})
    x = dec.merge(yrs, how="cross")
    return x[x["_y"] >= x["in_service_year"]].drop(columns="_y")


def define_variables(m: Model) -> None:
    """Integer units[e, o, t] (bounded by the unit cap) and binary build[c, t]."""
    up, bl = m.sets.upgrades, m.sets.builds
    up["col"] = m.add_columns("x", len(up), 0, up["max_units"].to_numpy(float), pulp.LpInteger)
    bl["col"] = m.add_columns("b", len(bl), 0, 1, pulp.LpInteger)


def capacity_triplets(m: Model) -> pd.DataFrame:
    """``e, ti, col, coef``: Gbps each decision adds to capacity[e, t] once in service."""
    up = _in_service(m.sets.upgrades, m.sets.years)
    bl = _in_service(m.sets.builds, m.sets.years)
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
    up = _in_service(m.sets.upgrades, years)
    bl = _in_service(m.sets.builds, years)
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
    keys = pd.DataFrame({"e": np.repeat(cor["e"].to_numpy(), T), "year": np.tile(years, len(cor))})
    rhs = np.repeat(cor["free_slots"].to_numpy(float), T)
    m.add_rows(
        "slots",
        keys,
        trip["e"].to_numpy(int) * T + trip["ti"].to_numpy(int),
        trip["col"],
        trip["coef"],
        pulp.LpConstraintLE,
        rhs,
    )


def define_unit_caps(m: Model) -> None:
    """Cumulative caps: units per (corridor, option); spare pairs; pairs only once built."""
    up, cor, years = m.sets.upgrades, m.sets.corridors, m.sets.years
    if len(up):
        k = (
            up.groupby(["e", "option_id"], sort=True)
            .agg(n=("col", "size"), cap=("max_units", "first"))
            .reset_index()
        )
        k = k[k["n"] > 1].reset_index(drop=True)
        k["r"] = np.arange(len(k))
        t = up.merge(k[["e", "option_id", "r"]], on=["e", "option_id"])
        m.add_rows(
            "units",
            k[["e", "option_id"]],
            t["r"],
            t["col"],
            np.ones(len(t)),
            pulp.LpConstraintLE,
            k["cap"],
        )
    pairs = up[up["kind"] == "fiber_pair"]
    ex = pairs[~cor["is_candidate"].to_numpy()[pairs["e"].to_numpy(int)]] if len(pairs) else pairs
    if len(ex):
        k = ex.groupby("e").size().rename("n").reset_index()
        k = k[k["n"] > 1].reset_index(drop=True)
        k["r"] = np.arange(len(k))
        t = ex.merge(k[["e", "r"]], on="e")
        m.add_rows(
            "spare",
            k[["e"]],
            t["r"],
            t["col"],
            np.ones(len(t)),
            pulp.LpConstraintLE,
            cor["spare_fiber_pairs"].to_numpy(float)[k["e"].to_numpy(int)],
        )
    bl = m.sets.builds
    if len(bl):
        cand = bl.groupby("e").size().rename("n").reset_index()
        cand["r"] = np.arange(len(cand))
        t = bl.merge(cand[["e", "r"]], on="e")
        m.add_rows(
            "build_once",
            cand[["e"]],
            t["r"],
            t["col"],
            np.ones(len(t)),
            pulp.LpConstraintLE,
            np.ones(len(cand)),
        )
        # pairs on a new route: in service by t <= spare pairs x built by t
        T = len(years)
        c_e = cand["e"].to_numpy(int)
        p_in = _in_service(pairs[cor["is_candidate"].to_numpy()[pairs["e"].to_numpy(int)]], years)
        b_in = _in_service(bl, years)
        pos = {e: i for i, e in enumerate(c_e)}
        spare = cor["spare_fiber_pairs"].to_numpy(float)
        row = np.r_[
            p_in["e"].map(pos).to_numpy(int) * T + p_in["ti"].to_numpy(int),
            b_in["e"].map(pos).to_numpy(int) * T + b_in["ti"].to_numpy(int),
        ]
        col = np.r_[p_in["col"].to_numpy(int), b_in["col"].to_numpy(int)]
        coef = np.r_[np.ones(len(p_in)), -spare[b_in["e"].to_numpy(int)]]
        keys = pd.DataFrame({"e": np.repeat(c_e, T), "year": np.tile(years, len(c_e))})
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
    m.add_rows(
        "budget",
        pd.DataFrame({"scope": ["total"]}),
        np.zeros(len(cols)),
        cols,
        cost * scale,
        pulp.LpConstraintLE,
        [sc.budget_usd_total * scale],
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
            np.asarray(sc.budget_usd_per_year, dtype=float) * scale,
        )


def define_unserved(m: Model) -> None:
    """Slack per (pair, year) with demand: 0 <= unserved <= demand (max-served only)."""
    u = m.sets.demand.copy()
    if m.objective_mode == "max-served":
        u["col"] = m.add_columns("s", len(u), 0, u["demand_gbps"].to_numpy(float))
    else:
        u["col"] = -1
    m.unserved = u


def define_capacity_rows(m: Model, flow_trip: pd.DataFrame) -> None:
    """flow on e in t <= max_utilization x capacity[e, t], for every (e, t) that carries flow.

    ``flow_trip``: ``e, ti, col, coef`` of flow variables (coef 1).
    """
    cor, years, u = m.sets.corridors, m.sets.years, m.scenario.max_utilization
    T = len(years)
    cap = capacity_triplets(m)
    has_flow = np.zeros(len(cor) * T, dtype=bool)
    has_flow[flow_trip["e"].to_numpy(int) * T + flow_trip["ti"].to_numpy(int)] = True
    row = np.r_[
        flow_trip["e"].to_numpy(int) * T + flow_trip["ti"].to_numpy(int),
        cap["e"].to_numpy(int) * T + cap["ti"].to_numpy(int),
    ]
    col = np.r_[flow_trip["col"].to_numpy(int), cap["col"].to_numpy(int)]
    coef = np.r_[flow_trip["coef"].to_numpy(float), -u * cap["coef"].to_numpy(float)]
    sel = has_flow[row]
    keys = pd.DataFrame(
        {
            "e": np.repeat(cor["e"].to_numpy(), T),
            "corridor_id": np.repeat(cor["corridor_id"], T),
            "year": np.tile(years, len(cor)),
        }
    )
    rhs = u * np.repeat(cor["installed_capacity_gbps"].to_numpy(float), T)
    m.add_rows("capacity", keys, row[sel], col[sel], coef[sel], pulp.LpConstraintLE, rhs)


def define_objective(m: Model, flow_cost: np.ndarray) -> None:
    """penalty x unserved Gbps-years + CapEx + tiny routing tie-break (see module maths).

    ``objective_terms`` are in USD; the problem's objective is their sum x ``OBJ_SCALE``.
    """
    from planner.optimize.objective import tiebreak_costs  # weights from the data's costs

    flow_cost = tiebreak_costs(m, flow_cost)
    capex = capex_expression(m)
    us = m.unserved[m.unserved["col"] >= 0]
    pen = m.expression(us["col"], np.full(len(us), m.scenario.unserved_penalty_usd_per_gbps))
    routing = m.expression(m.flows["col"], flow_cost)
    m.objective_terms = {"capex": capex, "penalty": pen, "routing": routing}
    obj = pulp.LpAffineExpression()
    for part in (capex, pen, routing):
        obj.addInPlace(part)
    m.prob.setObjective(obj * OBJ_SCALE)


def plain_objective(m: Model) -> bool:
    """Only CapEx, unserved penalty and routing in the objective (no hook added terms)."""
    return set(m.objective_terms) <= {"capex", "penalty", "routing"}


def unserved_lower_bound(m: Model, bound_usd: float | None, floor_gbps_years: float) -> float:
    """Least unserved Gbps-years of any plan within the budget, read off an objective bound.

    objective = CapEx + penalty x unserved + routing >= bound, with CapEx <= budget and
    routing <= its largest possible value, so unserved >= (bound - budget - routing_max) /
    penalty; also >= the unlimited-money LP floor. The inverse of :func:`define_objective`.
    Only the floor when a hook added other penalties (survivability's protection shortfall):
    the bound then limits their weighted sum, not unserved demand alone.
    """
    u_lb = floor_gbps_years
    if plain_objective(m) and bound_usd is not None and math.isfinite(bound_usd):
        dem = float(m.unserved.loc[m.unserved["col"] >= 0, "demand_gbps"].sum())
        w = m.meta.get("routing_usd_per_gbps_ms", ROUTING_USD_PER_GBPS_MS)
        routing_max = w * dem * float(m.sets.corridors["latency_ms"].sum())
        pen = m.scenario.unserved_penalty_usd_per_gbps
        u_lb = max(u_lb, (bound_usd - m.scenario.budget_usd_total - routing_max) / pen)
    return u_lb


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

    Per corridor: the cheapest option (or route build) per *usable* Gbps, ``unit capex /
    (capacity_gbps x max_utilization)``; per pair: the cheapest of its paths, summing its
    corridors. If that exceeds the penalty per Gbps-year, the model may rather leave the
    pair's demand unserved than buy capacity, even with budget left: warn.
    """
    if m.objective_mode != "max-served" or m.formulation != "path" or not len(m.sets.paths):
        return
    u, pen = m.scenario.max_utilization, m.scenario.unserved_penalty_usd_per_gbps
    up, bl = m.sets.upgrades, m.sets.builds
    per = pd.concat(
        [
            pd.DataFrame({"e": up["e"], "usd": up["unit_capex_usd"] / (up["capacity_gbps"] * u)}),
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
    """Assemble the whole model; no solving here (``hook(model)`` may add rows next)."""
    from planner.optimize import arc, pathflow

    if formulation not in FORMULATIONS:
        raise InputError(Problem("<formulation>", f"got {formulation!r}, expected {FORMULATIONS}"))
    mode = objective or scenario.objective
    if mode not in OBJECTIVES:
        raise InputError(Problem("<objective>", f"got {mode!r}, expected {OBJECTIVES}"))
    t0 = time.perf_counter()
    m = Model(pulp.LpProblem("dci_plan", pulp.LpMinimize), sets, scenario, formulation, mode)
    m.warnings = list(sets.warnings)
    check_servable(m)
    define_variables(m)
    define_unserved(m)
    flows, flow_trip, flow_cost = (pathflow if formulation == "path" else arc).define_flows(m)
    m.flows = flows
    define_capacity_rows(m, flow_trip)
    define_capacity_expressions(m)
    define_slots(m)
    define_unit_caps(m)
    if mode == "max-served":
        define_budget(m)
    define_objective(m, flow_cost)
    check_penalty(m)
    m.build_seconds = time.perf_counter() - t0
    return m
