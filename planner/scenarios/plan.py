"""Plan one set of upgrades for many joint demand scenarios (``demand: {mode: scenarios}``).

Objectives (``demand.objective``):

* ``chance``: little CapEx such that every Gbps is served in at least ``serve_share`` of the
  ``n_scenarios`` scenarios (no budget, like ``min-cost``). A heuristic built from MIPs of the
  ordinary size: (1) the plan for every pair's ``demand_quantile`` (the per-pair plan); every
  scenario is routed on its capacity (least unserved, then cheapest corridors:
  :func:`scenario_loads`), which gives each scenario's load on every corridor and year (a
  scenario it cannot carry is put whole on its routing split instead). Scenario selection:
  give up, greedily, the ``N - ceil(share N)`` scenarios whose removal lowers the cost of the
  per-corridor peak loads most (:func:`drop_scenarios`). (2) Plans for P50 demand plus ``u x
  capacity >= q-quantile of the kept scenarios' load`` on every corridor and year
  (:func:`add_load_targets`), first at q = 1 (every kept scenario keeps the routing it had: a
  sufficient condition; for scenarios the per-pair plan carries, never more than its usable
  capacity), then
  bisection on q (``search_steps``) keeping the cheapest plan whose capacity, routed per
  scenario (:mod:`planner.scenarios.routing`), still carries at least ``serve_share`` of the
  in-sample scenarios. A shared corridor is thus sized for what the scenarios put on it
  together, not for the sum of per-pair quantiles. Why not the extensive form (one MIP with
  every scenario's flows) here: with 4-16 scenarios in one MIP on the shipped network HiGHS
  did not return a better plan than its start within minutes (measured); it serves
  ``expected`` / ``cvar`` on a few representatives, and a Benders decomposition is future
  work. ``chance_method: exact`` (:mod:`planner.scenarios.exact`) solves the extensive form
  with scenario-selection binaries on small models. ``holdout_share``: see
  :func:`plan_chance`.
* ``expected`` / ``cvar``: within the scenario's budget, least CapEx + penalty x the expected
  (or CVaR at ``cvar_alpha``) unserved Gbps-years. The N scenarios are reduced to
  ``representatives`` by cost-weighted demand: equal-probability bins of the score, each
  represented by its median scenario and weighted by its share.

The plan tables (routing, unserved) are those of the first scenario in the MIP; the summary's
``demand_scenarios`` says what was planned for and how it went (in-sample share served).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pulp

from planner.config import MAX_USD, Scenario
from planner.forecast.joint import JointModel, scenario_frame
from planner.forecast.models import z_score
from planner.optimize import build, extract, solve
from planner.optimize.constraints import capacity_triplets
from planner.optimize.model import OBJ_SCALE
from planner.optimize.pricing import price_paths
from planner.optimize.sets import IndexSets, index_sets
from planner.scenarios.exact import union_sets
from planner.scenarios.extensive import add_scenario, set_scenario_objective
from planner.scenarios.hose import site_hoses, worst_loads
from planner.scenarios.risk import (
    capacity_matrix,
    evaluate_draws,
    joint_model,
    pair_sets,
    to_pairs,
)
from planner.scenarios.routing import RoutingLP, add_plan_paths
from planner.tables import Inputs, Plan
from planner.units import usd_text


@dataclass
class ScenarioPlan:
    plan: Plan
    scenarios: pd.DataFrame  # the in-sample scenarios (long table)


def pair_cost_weights(sets: IndexSets, utilization: float) -> np.ndarray:
    """Per pair (``sets.pairs`` order): USD of a usable Gbps on its cheapest path.

    Why: a scenario is expensive when demand is high on pairs whose Gbps are expensive; the
    sum of demand alone would treat a metro pair like a cross-country one.
    """
    cost = corridor_cost(sets, utilization)
    pe = sets.path_edges.assign(usd=cost[sets.path_edges["e"].to_numpy(int)])
    path_cost = pe.groupby("path_id")["usd"].sum()
    p = sets.paths[["pair_id", "path_id"]].assign(
        usd=path_cost.reindex(sets.paths["path_id"]).to_numpy()
    )
    pair = p.groupby("pair_id")["usd"].min()
    w = np.ones(len(sets.pairs))
    w[pair.index.to_numpy(int)] = np.maximum(pair.to_numpy(float), 1e-9)
    return w


def scores(demand: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Cost-weighted demand of each scenario (``(S, P, Y)`` demand, sets order)."""
    return np.einsum("spy,p->s", demand, weights)


def reduce_scenarios(score: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``k`` representatives (indices) and their probabilities: equal-count bins of the score,
    each represented by its median member (deterministic: ties by index)."""
    order = np.argsort(score, kind="stable")
    bins = np.array_split(order, min(k, len(order)))
    reps = np.array([b[len(b) // 2] for b in bins])
    prob = np.array([len(b) for b in bins], float) / len(order)
    return reps, prob


def _long(model: JointModel, draws: np.ndarray, s: int) -> pd.DataFrame:
    return scenario_frame(model, draws[s : s + 1]).drop(columns="scenario")


def _union_model(
    inputs: Inputs, model: JointModel, draws: np.ndarray, members: list[int], sc: Scenario
):
    """The ordinary model of the first member, on the pairs (and paths) of *every* member."""
    sets = union_sets(inputs, model, draws[members], sc)
    info: dict = {}
    if sc.solver.path_pricing:
        sets, info = price_paths(sets, sc, "max-served")
    m = build(sets, sc, objective="max-served")
    m.meta["pricing"] = info
    return m


def _solve_extensive(
    inputs: Inputs,
    model: JointModel,
    draws: np.ndarray,
    members: list[int],
    weights: np.ndarray,
    scenario: Scenario,
    penalty: float,
    *,
    cvar_alpha: float | None = None,
    start: pd.DataFrame | None = None,
    time_limit_s: float | None = None,
) -> Plan:
    """The extensive-form MIP over ``members`` (scenario indices), solved and extracted."""
    anchor_w = weights[0] * (1e-3 if cvar_alpha is not None else 1.0)
    solver = scenario.solver.model_copy(
        update={"served_gap": None, "time_limit_s": time_limit_s or scenario.solver.time_limit_s}
    )
    sc = scenario.model_copy(
        update={"unserved_penalty_usd_per_gbps": penalty * anchor_w, "solver": solver}
    )
    m = _union_model(inputs, model, draws, members, sc)
    m.meta["skip_greedy_start"] = len(members) > 1
    slacks = [m.unserved]
    for j, s in enumerate(members[1:], start=1):
        slacks.append(add_scenario(m, _long(model, draws, s), f"s{j}"))
    set_scenario_objective(m, slacks, weights, penalty, cvar_alpha)
    res = solve(m, sc.solver, sc.seed, start)
    p = extract(m, res, None)
    p.summary.update(
        served_fraction_upper_bound=None,
        served_gap=None,
        unserved_penalty_usd_per_gbps=scenario.unserved_penalty_usd_per_gbps,
    )
    return p


def _deterministic(
    inputs: Inputs,
    model: JointModel,
    dem: np.ndarray,
    sc: Scenario,
    start,
    time_limit_s: float,
    targets: pd.DataFrame | None = None,
    paths_of: pd.DataFrame | None = None,
) -> Plan:
    """The ordinary MIP for one (pairs x years) demand matrix, unlimited budget; with
    ``targets`` (``corridor_id, year, load_gbps``) also ``u x capacity >= load`` rows;
    ``paths_of``: an earlier plan's routing, whose paths join the candidates."""
    solver = sc.solver.model_copy(update={"served_gap": None, "time_limit_s": time_limit_s})
    sc = sc.model_copy(update={"solver": solver})
    long = scenario_frame(model, dem[None]).drop(columns="scenario")
    sets = add_plan_paths(index_sets(inputs, long, sc), paths_of)
    info: dict = {}
    if solver.path_pricing:
        sets, info = price_paths(sets, sc, "max-served")
    m = build(sets, sc, objective="max-served")
    m.meta["pricing"] = info
    if targets is not None and len(targets):
        add_load_targets(m, targets, sc.unserved_penalty_usd_per_gbps)
    res = solve(m, solver, sc.seed, start)
    p = extract(m, res, None)
    p.summary.update(served_fraction_upper_bound=None, served_gap=None)
    return p


def routing_matrix(sets: IndexSets, routing: pd.DataFrame) -> np.ndarray:
    """(Y, P, E) share of each pair's Gbps on each corridor under a plan's routing; pairs the
    plan did not route use their shortest admissible path."""
    years, n_p, n_e = sets.years, len(sets.pairs), len(sets.corridors)
    a = np.zeros((len(years), n_p, n_e))
    idx = pd.Index(sets.corridors["corridor_id"])
    pid = sets.pairs.set_index(["site_a", "site_b"])["pair_id"]
    r = routing[routing["gbps"] > 0]
    key = pd.MultiIndex.from_frame(r[["site_a", "site_b"]].astype(str))
    p = pid.reindex(key).to_numpy()
    tot = r.groupby(["site_a", "site_b", "year"])["gbps"].transform("sum").to_numpy(float)
    t = pd.Index(years).get_indexer(r["year"].astype(int))
    ok = ~np.isnan(p) & (t >= 0)
    for pi, ti, path, share in zip(
        p[ok].astype(int),
        t[ok],
        r["path"].to_numpy()[ok],
        (r["gbps"].to_numpy(float) / tot)[ok],
        strict=True,
    ):
        e = idx.get_indexer([c for c in str(path).split(";") if c])
        a[ti, pi, e[e >= 0]] += share
    first = sets.paths.sort_values(["pair_id", "rank"]).drop_duplicates("pair_id")
    fe = first[["pair_id", "path_id"]].merge(sets.path_edges, on="path_id")
    for ti in range(len(years)):
        unrouted = a[ti].sum(axis=1) == 0
        sel = fe[unrouted[fe["pair_id"].to_numpy(int)]]
        a[ti, sel["pair_id"].to_numpy(int), sel["e"].to_numpy(int)] = 1.0
    return a


def scenario_loads(
    sets: IndexSets, first: Plan, dem: np.ndarray, sc: Scenario, cost: np.ndarray
) -> np.ndarray:
    """(S, E, Y) Gbps each scenario puts on each corridor when routed on the per-pair plan's
    capacity (least unserved, then cheapest corridors): a routing every scenario the per-pair
    plan carries really has, so its loads never exceed that plan's usable capacity."""
    s = add_plan_paths(sets, first.routing)
    lp = RoutingLP(s, capacity_matrix(s, first.capacity), sc.max_utilization, 1, cost)
    out = np.zeros((dem.shape[0], len(s.corridors), dem.shape[2]))
    short = np.zeros(dem.shape[0], bool)
    for t in range(dem.shape[2]):
        for i in range(dem.shape[0]):
            lost, out[i, :, t] = lp.route(dem[i, :, t], t)
            short[i] |= bool(lost.any())
    if short.any():  # not carried by the per-pair plan: its whole demand on that plan's split
        split = routing_matrix(sets, first.routing)  # (Y, P, E)
        out[short] = np.einsum("spy,ype->sey", dem[short], split)
    return out


def drop_scenarios(load: np.ndarray, cost: np.ndarray, n_drop: int) -> list[int]:
    """Greedy scenario selection: give up, one at a time, the scenario whose removal lowers the
    cost of the per-corridor peak loads most (``load``: (S, E, Y); ``cost``: USD per Gbps)."""
    keep = np.ones(load.shape[0], bool)
    dropped: list[int] = []
    for _ in range(n_drop):
        live = load[keep]
        srt = np.sort(live, axis=0)
        top, second = srt[-1], srt[-2] if len(live) > 1 else np.zeros_like(srt[-1])
        gain = ((live == top) * (top - second) * cost[None, :, None]).sum(axis=(1, 2))
        best = int(np.flatnonzero(keep)[int(np.argmax(gain))])
        keep[best] = False
        dropped.append(best)
    return sorted(dropped)


def add_load_targets(m, targets: pd.DataFrame, penalty: float) -> None:
    """``u x capacity[e, t] + short >= load``: capacity for the peak load the kept scenarios
    put on each corridor; ``short`` (Gbps, penalised like unserved demand) keeps the model
    feasible when slots or unit caps cannot reach the target."""
    cor, years, u = m.sets.corridors, m.sets.years, m.scenario.max_utilization
    t = targets.merge(cor[["corridor_id", "e", "installed_capacity_gbps"]], on="corridor_id")
    t = t[t["load_gbps"] > u * t["installed_capacity_gbps"] + 1e-6].reset_index(drop=True)
    t["ti"] = pd.Index(years).get_indexer(t["year"])
    short = m.add_columns("short_", len(t), 0, None)
    cap = capacity_triplets(m)
    g = cap.merge(t[["e", "ti"]].reset_index().rename(columns={"index": "r"}), on=["e", "ti"])
    row = np.r_[g["r"].to_numpy(int), np.arange(len(t))]
    col = np.r_[g["col"].to_numpy(int), short]
    coef = np.r_[u * g["coef"].to_numpy(float), np.ones(len(t))]
    rhs = t["load_gbps"].to_numpy(float) - u * t["installed_capacity_gbps"].to_numpy(float)
    m.add_rows("load_target", t[["corridor_id", "year"]], row, col, coef,
               pulp.LpConstraintGE, rhs)  # fmt: skip
    m.meta["skip_greedy_start"] = True
    pen = m.expression(short, np.full(len(t), penalty))
    m.objective_terms["load_short"] = pen
    obj = pulp.LpAffineExpression()
    for part in m.objective_terms.values():
        obj.addInPlace(part)
    m.prob.setObjective(obj * OBJ_SCALE)


def keep_paths(plan: Plan, earlier: pd.DataFrame) -> Plan:
    """Add to ``plan.routing``, at 0 Gbps, the paths of ``earlier`` routing that the plan's
    capacity has: the scenario routings the plan was sized for rely on them, and
    ``planner risk`` reads the candidate paths from ``routing.csv``."""
    have = set(plan.capacity["corridor_id"].astype(str))
    pairs = plan.unserved[["site_a", "site_b"]].drop_duplicates()
    e = earlier.merge(pairs, on=["site_a", "site_b"])
    ok = e["path"].astype(str).str.split(";").map(lambda c: set(c) <= have)
    e = e[ok.to_numpy(bool)].assign(gbps=0.0)
    key = ["site_a", "site_b", "year", "path"]
    e = e[~e.set_index(key).index.isin(plan.routing.set_index(key).index)]
    plan.routing = pd.concat([plan.routing, e], ignore_index=True)
    return plan


def _quantile_plan(inputs: Inputs, model: JointModel, unlimited: Scenario) -> Plan:
    """The per-pair plan (the ordinary plan for every pair's ``demand_quantile``)."""
    z = float(z_score(unlimited.demand_quantile))
    pq = np.where(model.zero, 0.0, np.exp(model.mu + z * model.sigma))
    return _deterministic(inputs, model, pq, unlimited, None, unlimited.solver.time_limit_s)


def plan_hose(
    inputs: Inputs, model: JointModel, draws: np.ndarray, scenario: Scenario, log=None
) -> tuple[Plan, dict]:
    """``mode: hose`` (see :mod:`planner.scenarios.hose`)."""
    unlimited = scenario.model_copy(
        update={"budget_usd_total": MAX_USD, "budget_usd_per_year": None}
    )
    sets, pos = pair_sets(inputs, model, scenario)
    first = _quantile_plan(inputs, model, unlimited)
    share = routing_matrix(sets, first.routing)
    sites, hose = site_hoses(sets, to_pairs(draws, pos, len(sets.pairs)), scenario.demand_quantile)
    cap = np.full((len(sets.pairs), len(sets.years)), np.inf)
    if scenario.demand.hose_pair_cap:
        z = float(z_score(scenario.demand_quantile))
        pq = np.where(model.zero, 0.0, np.exp(model.mu + z * model.sigma))
        cap = to_pairs(pq[None], pos, len(sets.pairs))[0]
    worst = worst_loads(sets, share, hose, sites, cap)
    targets = pd.DataFrame(
        {
            "corridor_id": np.repeat(sets.corridors["corridor_id"].to_numpy(), len(sets.years)),
            "year": np.tile(sets.years, len(sets.corridors)),
            "load_gbps": worst.ravel(),
        }
    )
    p50 = np.where(model.zero, 0.0, np.exp(model.mu))
    plan = _deterministic(inputs, model, p50, unlimited, first.upgrades,
                          scenario.solver.time_limit_s, targets, first.routing)  # fmt: skip
    plan = keep_paths(plan, first.routing)
    if log:
        log(f"per-pair plan {usd_text(first.summary['capex_usd_total'])}; hose plan "
            f"{usd_text(plan.summary['capex_usd_total'])}")  # fmt: skip
    info = {
        "method": "worst hose matrix per corridor under the quantile plan's routing",
        "hose_pair_cap": scenario.demand.hose_pair_cap,
        "hose_gbps_final_year": {s: float(h) for s, h in zip(sites, hose[:, -1], strict=True)},
        "quantile_plan_capex_usd": first.summary["capex_usd_total"],
    }
    return plan, info


#: safety margins on the corridor-load targets tried, in order, when a held-out validation
#: set is not served in ``serve_share`` at the kept scenarios' peak loads
MARGINS = (0.05, 0.1, 0.2, 0.4, 0.8)


def plan_chance(
    inputs: Inputs, model: JointModel, draws: np.ndarray, scenario: Scenario, log=None
) -> tuple[Plan, dict]:
    """``objective: chance`` (see the module docstring).

    With ``holdout_share`` h, the first ``N - round(h N)`` scenarios are sized for (loads,
    scenario selection) and the sizing level is judged on the last ``round(h N)`` only:
    a plan fitted to its scenarios serves fresh ones less often than its own, and the held-out
    ones are fresh to it. When even the peak loads leave the held-out share short, the targets
    are raised by a safety margin (``MARGINS``) until it is met (or the margins run out).
    """
    lv = _ChanceLevels(inputs, model, draws, scenario)
    best, best_served, steps = lv.search()
    first = lv.first
    if log:
        log(f"per-pair plan {usd_text(first.summary['capex_usd_total'])}; corridor-load "
            f"quantile search: " + ", ".join(f"q={q:.3f}{f' +{m:.0%}' if m else ''} "
                                             f"{usd_text(c)} {sv:.0%}"
                                             for q, m, c, sv in steps))  # fmt: skip
    info = {
        "method": "corridor-load quantiles of the kept scenarios under the quantile plan's "
        "routing, the level searched so routing per scenario serves serve_share "
        + ("of the held-out scenarios" if lv.n_val else "in-sample"),
        "given_up": lv.dropped,
        "quantile_plan_capex_usd": first.summary["capex_usd_total"],
        "load_quantile_search": [
            {"q": q, "margin": m, "capex_usd": c, "judged_served_share": sv}
            for q, m, c, sv in steps
        ],
        "first_solve_seconds": first.summary["solve_seconds"],
        "holdout_scenarios": lv.n_val,
        "holdout_served_share": best_served if lv.n_val else None,
    }
    return best, info


class _ChanceLevels:
    """The chance heuristic's state: the per-pair quantile plan, the in-sample corridor loads
    under its routing, the scenarios given up, and the plan at a load level (:meth:`at`)."""

    def __init__(
        self, inputs: Inputs, model: JointModel, draws: np.ndarray, scenario: Scenario
    ) -> None:
        self.inputs, self.model, self.scenario = inputs, model, scenario
        dc, n = scenario.demand, draws.shape[0]
        self.unlimited = scenario.model_copy(
            update={"budget_usd_total": MAX_USD, "budget_usd_per_year": None}
        )
        self.sets, self.pos = pair_sets(inputs, model, scenario)
        self.p50 = np.where(model.zero, 0.0, np.exp(model.mu))
        self.first = _quantile_plan(inputs, model, self.unlimited)
        self.n_val = min(n - 1, int(round(dc.holdout_share * n)))
        n_fit = n - self.n_val
        dem = to_pairs(draws[:n_fit], self.pos, len(self.sets.pairs))  # (S, P, Y)
        cost = corridor_cost(self.sets, scenario.max_utilization)
        self.load = scenario_loads(self.sets, self.first, dem, scenario, cost)
        n_drop = n_fit - max(1, math.ceil(dc.serve_share * n_fit - 1e-9))
        self.dropped = drop_scenarios(self.load, cost, n_drop)
        self.keep = np.setdiff1d(np.arange(n_fit), self.dropped)
        self.judged = draws[n_fit:] if self.n_val else draws
        self.cor_ids = np.repeat(
            self.sets.corridors["corridor_id"].to_numpy(), len(self.sets.years)
        )
        self.yrs = np.tile(self.sets.years, len(self.sets.corridors))

    def at(self, q: float, margin: float, start) -> tuple[Plan, float]:
        """The plan for (1 + margin) x the q-quantile (over the kept scenarios) of every
        corridor's load, and the share of the judged scenarios it carries (routing per
        scenario)."""
        peak = np.quantile(self.load[self.keep], q, axis=0, method="higher") * (1.0 + margin)
        targets = pd.DataFrame(
            {"corridor_id": self.cor_ids, "year": self.yrs, "load_gbps": peak.ravel()}
        )
        sc = self.scenario
        p = _deterministic(self.inputs, self.model, self.p50, self.unlimited, start,
                           sc.solver.time_limit_s, targets, self.first.routing)  # fmt: skip
        p = keep_paths(p, self.first.routing)
        lost = _lost(self.sets, self.pos, p, self.judged, sc)
        return p, float((lost.sum(axis=(1, 2)) <= 0).mean())

    def search(self) -> tuple[Plan, float, list[tuple[float, float, float, float]]]:
        """Peak loads first (raised by the margins while the judged share is short), then a
        bisection on the load quantile for the cheapest plan that still serves the share."""
        dc = self.scenario.demand
        need = dc.serve_share - 1e-9
        best, best_served = self.at(1.0, 0.0, self.first.upgrades)  # every kept scenario fits
        steps = [(1.0, 0.0, best.summary["capex_usd_total"], best_served)]
        for margin in MARGINS if self.n_val and best_served < need else ():
            best, best_served = self.at(1.0, margin, best.upgrades)
            steps.append((1.0, margin, best.summary["capex_usd_total"], best_served))
            if best_served >= need:
                break
        lo, hi = 0.5, 1.0
        for _ in range(dc.search_steps if best_served >= need and steps[-1][1] == 0 else 0):
            mid = (lo + hi) / 2
            p, served = self.at(mid, 0.0, best.upgrades)
            steps.append((mid, 0.0, p.summary["capex_usd_total"], served))
            if served >= need and p.summary["capex_usd_total"] <= best.summary["capex_usd_total"]:
                best, best_served, hi = p, served, mid
            else:
                lo = mid
        return best, best_served, steps


def corridor_cost(sets: IndexSets, utilization: float) -> np.ndarray:
    """USD per usable Gbps of each corridor's cheapest option (0 where nothing can be bought)."""
    up, bl = sets.upgrades, sets.builds
    per = pd.concat(
        [
            pd.DataFrame(
                {"e": up["e"], "usd": up["unit_capex_usd"] / (up["capacity_gbps"] * utilization)}
            ),
            pd.DataFrame(
                {"e": bl["e"], "usd": bl["capex_usd"] / (bl["capacity_gbps"] * utilization)}
            ),
        ]
    )
    per = per[np.isfinite(per["usd"].astype(float))].groupby("e")["usd"].min()
    cost = np.zeros(len(sets.corridors))
    cost[per.index.to_numpy(int)] = per.to_numpy(float)
    return cost


def _lost(sets: IndexSets, pos: np.ndarray, plan: Plan, draws: np.ndarray, sc: Scenario):
    """(S, P_model, Y) unserved Gbps of ``draws`` on the plan's capacity."""
    s = add_plan_paths(sets, plan.routing)
    lost = evaluate_draws(
        s, capacity_matrix(s, plan.capacity), to_pairs(draws, pos, len(s.pairs)), sc
    )
    out = np.zeros_like(draws)
    ok = pos >= 0
    out[:, ok, :] = lost[:, pos[ok], :]
    return out


def plan_expected(
    inputs: Inputs, model: JointModel, draws: np.ndarray, scenario: Scenario
) -> tuple[Plan, dict]:
    """``objective: expected | cvar`` over reduced scenarios, within the budget."""
    dc = scenario.demand
    sets, pos = pair_sets(inputs, model, scenario)
    score = scores(
        to_pairs(draws, pos, len(sets.pairs)), pair_cost_weights(sets, scenario.max_utilization)
    )
    reps, prob = reduce_scenarios(score, dc.representatives)
    alpha = dc.cvar_alpha if dc.objective == "cvar" else None
    plan = _solve_extensive(
        inputs, model, draws, [int(r) for r in reps], prob, scenario,
        scenario.unserved_penalty_usd_per_gbps, cvar_alpha=alpha,
    )  # fmt: skip
    info = {"scenarios_in_mip": [int(r) for r in reps], "weights": prob.tolist()}
    return plan, info


def plan_scenarios(
    inputs: Inputs, forecast_df: pd.DataFrame, scenario: Scenario, log=None
) -> ScenarioPlan:
    """Sample the in-sample scenarios, plan for them, and state how the plan does on them."""
    t0 = time.perf_counter()
    dc = scenario.demand
    seed = scenario.seed if dc.seed is None else dc.seed
    model = joint_model(inputs, forecast_df, scenario)
    draws = model.draw(dc.n_scenarios, seed)
    if dc.mode == "hose":
        plan, info = plan_hose(inputs, model, draws, scenario, log)
    elif dc.objective == "chance" and dc.chance_method == "exact":
        from planner.scenarios.exact import plan_chance_exact

        plan, info = plan_chance_exact(inputs, model, draws, scenario, log)
    elif dc.objective == "chance":
        plan, info = plan_chance(inputs, model, draws, scenario, log)
    else:
        plan, info = plan_expected(inputs, model, draws, scenario)
    sets, pos = pair_sets(inputs, model, scenario)
    lost = _lost(sets, pos, plan, draws, scenario).sum(axis=(1, 2))
    plan.summary["demand_scenarios"] = {
        "mode": dc.mode,
        "objective": dc.objective,
        "n_scenarios": dc.n_scenarios,
        "seed": int(seed),
        "serve_share": dc.serve_share if dc.objective == "chance" else None,
        "chance_method": dc.chance_method if dc.objective == "chance" else None,
        "cvar_alpha": dc.cvar_alpha if dc.objective == "cvar" else None,
        "common_loading": model.common,
        "driver_loading": model.driver_loading,
        "in_sample_served_share": float((lost <= 0).mean()),
        "in_sample_unserved_gbps_years_mean": float(lost.mean()),
        "seconds": time.perf_counter() - t0,
        **info,
    }
    _state_bound_scope(plan.summary, dc.mode, dc.objective, _exact(dc))
    if dc.mode == "hose" or dc.objective == "chance":
        plan.summary.setdefault("warnings", []).append(NO_BUDGET_NOTE.format(what=_what(dc)))
    return ScenarioPlan(plan, scenario_frame(model, draws))


#: chance and hose plans buy the least CapEx for their guarantee: the budget plays no part
NO_BUDGET_NOTE = (
    "{what}: least CapEx for the guarantee, budget_usd_total is not used (a budget sweep "
    "repeats the same plan; sweep serve_share or the demand quantile instead)"
)


def _what(dc) -> str:
    return "demand.mode: hose" if dc.mode == "hose" else "demand.objective: chance"


#: what the solver's status, bound and gap of a scenario plan refer to
SCENARIO_BOUND_NOTE = (
    "demand {what}: solver status, bound and gap are those of the last sizing MIP{rows}; the "
    "plan as a whole is not proven optimal for the {what} problem (no bound against it)"
)


#: what they refer to for the exact chance MIP (a bound for the problem itself)
EXACT_BOUND_NOTE = (
    "demand scenarios (chance, exact): solver status, bound and gap are those of the exact "
    "chance-constrained MIP over the {n} in-sample scenarios and the candidate paths"
)


def _exact(dc) -> bool:
    return dc.mode == "scenarios" and dc.objective == "chance" and dc.chance_method == "exact"


def _state_bound_scope(summary: dict, mode: str, objective: str, exact: bool = False) -> None:
    """Say what the bound of a scenario plan means, and drop the all-paths bound.

    Why: root-LP pricing priced the ordinary model before the scenario rows (load targets, other
    scenarios' flows) were added; its all-paths bound belongs to that model, and a gap against it
    (99.9 % on a shipped chance plan) would be a number about another problem.
    """
    summary.pop("all_paths_bound_usd", None)
    summary.pop("all_paths_gap", None)
    if exact:
        n = (summary.get("demand_scenarios") or {}).get("n_scenarios")
        summary.setdefault("warnings", []).append(EXACT_BOUND_NOTE.format(n=n))
        return
    what = "hose" if mode == "hose" else f"scenarios ({objective})"
    rows = " (with the corridor-load targets)" if mode == "hose" or objective == "chance" else ""
    if mode == "scenarios" and objective != "chance":
        rows = " (the extensive form over the representative scenarios)"
    summary.setdefault("warnings", []).append(SCENARIO_BOUND_NOTE.format(what=what, rows=rows))
