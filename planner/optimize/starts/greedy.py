"""A fast plan without any LP: shortest paths, just-in-time purchases, greedy routing.

Why: on large networks (10k+ pairs) a single LP takes longer than a planner's time limit, so
the LP-guided start (:mod:`planner.optimize.starts.rounding`) may not finish and the solver would
be left with "buy nothing". This plan takes seconds at any size and is what an engineer
would sketch by hand:

1. load every pair's demand on its shortest admissible path over existing corridors;
2. year by year, corridors by largest shortfall first: buy the cheapest wave per Gbps that
   is in service by then (lighting a spare pair when slots run out) until the corridor
   carries its load at ``max_utilization`` or the budget (total / per year) or caps run out;
3. route each pair-year over its paths in order, as much as the residual capacity allows;
   the rest is unserved.

It is feasible for the model (max-served, path formulation) and is given to the solver when
it beats the LP-guided start, or when that one did not finish. Under min-cost (no budget,
every Gbps served) the same steps buy what the shortest paths need without a budget; the plan
is offered only when it serves everything (min-cost has no unserved demand). Why: on
Cogentco, all pairs, min-cost, neither HiGHS nor the LP-guided start finished an LP within
120 s, and the run ended with no plan at all.
"""

from __future__ import annotations

import math
import time

import numpy as np

from planner.optimize.model import Model
from planner.optimize.objective import routing_usd_per_gbps_ms


def _shortest_loads(m: Model, cand: np.ndarray, yi: dict) -> tuple[np.ndarray, dict]:
    """Load per (corridor, year) if each pair took its shortest path over existing corridors;
    and the corridors of every path."""
    s, T = m.sets, len(m.sets.years)
    cor = s.corridors
    pe = s.path_edges
    on_route = np.zeros(len(s.paths), dtype=bool)
    on_route[pe.loc[cand[pe["e"].to_numpy(int)], "path_id"].to_numpy(int)] = True
    paths = s.paths[~on_route[s.paths["path_id"].to_numpy(int)]]
    first = paths.sort_values(["pair_id", "rank"]).drop_duplicates("pair_id")
    edges = {
        p: np.asarray(es, dtype=np.int64) for p, es in pe.groupby("path_id")["e"].agg(list).items()
    }
    load = np.zeros((len(cor), T))
    d = s.demand.merge(first[["pair_id", "path_id"]], on="pair_id")
    for pid, y, q in zip(d["path_id"], d["year"], d["demand_gbps"], strict=True):
        load[edges[pid], yi[y]] += q

    return load, edges


def _route(m: Model, resid: np.ndarray, edges: dict, yi: dict):
    """Each pair-year over its paths in order within residual capacity ``resid`` (changed).

    Returns the column values with the flows set, the latency-weighted Gbps and the demand.
    """
    s = m.sets
    dem = s.demand.reset_index(drop=True)
    flows = m.flows
    fcol = {
        (p, k, y): c
        for p, k, y, c in zip(
            flows["pair_id"], flows["path_id"], flows["year"], flows["col"], strict=True
        )
    }
    by_pair = {p: g["path_id"].to_numpy(int) for p, g in s.paths.groupby("pair_id")}
    lat = s.paths.set_index("path_id")["latency_ms"]
    x = np.zeros(len(m.columns))
    routing = 0.0
    for p, y, q in zip(dem["pair_id"], dem["year"], dem["demand_gbps"], strict=True):
        ti, rest = yi[y], q
        for k in by_pair.get(p, ()):
            if rest <= 1e-9:
                break
            es = edges[k]
            f = min(rest, float(resid[es, ti].min()))
            if f > 1e-9:
                resid[es, ti] -= f
                x[fcol[(p, k, y)]] = f
                routing += f * lat[k]
                rest -= f
    return x, routing, dem


def greedy_start(m: Model) -> tuple[dict, dict]:
    """``({variable: value}, info)``; empty dict when not applicable (arc formulation; under
    min-cost also when the shortest paths cannot carry every Gbps)."""
    t0 = time.perf_counter()
    info: dict = {}
    if m.formulation != "path":
        return {}, info
    budgeted = m.objective_mode == "max-served"
    for f in (m.sets.upgrades, m.sets.builds):  # committed purchases: the LP start keeps them
        if "min_units" in f.columns and (f["min_units"] > 0).any():
            return {}, info
    s, sc = m.sets, m.scenario
    years, u = s.years, sc.max_utilization
    T, cor = len(years), s.corridors
    yi = {y: i for i, y in enumerate(years)}
    cap = np.repeat(cor["installed_capacity_gbps"].to_numpy(float)[:, None], T, axis=1)
    cand = cor["is_candidate"].to_numpy()
    W = cor["max_waves_per_fiber_pair"].to_numpy(float)
    slots = np.repeat(cor["free_slots"].to_numpy(float)[:, None], T, axis=1)  # free slots
    spare = cor["spare_fiber_pairs"].to_numpy(float).copy()

    load, edges = _shortest_loads(m, cand, yi)

    # 2. purchases, just in time
    up = s.upgrades
    units = np.zeros(len(up))
    left = {"total": sc.budget_usd_total if budgeted else math.inf}
    caps = (budgeted and sc.budget_usd_per_year) or [math.inf] * T
    per_year = dict(zip(years, caps, strict=True))
    used: dict = {}
    rows = {}  # e -> (wave rows sorted by cost per Gbps, pair rows sorted by cost)
    for e, g in up.groupby("e"):
        w = g[g["kind"] == "wave"]
        w = w.assign(per=w["unit_capex_usd"] / w["capacity_gbps"]).sort_values(["per", "year"])
        p = g[g["kind"] == "fiber_pair"].sort_values(["unit_capex_usd", "year"])
        rows[int(e)] = (w.index.to_numpy(), p.index.to_numpy())
    yr = up["year"].to_numpy(int)
    live = up["in_service_year"].to_numpy(int)
    gb = up["capacity_gbps"].to_numpy(float)
    cost = up["unit_capex_usd"].to_numpy(float)
    cap_units = up["max_units"].to_numpy(float)
    key = list(zip(up["e"].to_numpy(int), up["option_id"], strict=True))

    def buy(r: int, n: float) -> float:
        """Buy up to n units of row r within budget and unit caps; return units bought."""
        n = min(n, cap_units[r] - used.get(key[r], 0.0))
        money = min(left["total"], per_year[yr[r]])
        if cost[r] > 0 and math.isfinite(money):
            n = min(n, math.floor(money / cost[r] + 1e-9))
        if n <= 0:
            return 0.0
        units[r] += n
        used[key[r]] = used.get(key[r], 0.0) + n
        left["total"] -= n * cost[r]
        per_year[yr[r]] -= n * cost[r]
        return n

    for ti, y in enumerate(years):
        short = load[:, ti] / u - cap[:, ti]
        for e in np.argsort(-short, kind="stable"):
            if short[e] <= 1e-9 or cand[e] or int(e) not in rows:
                continue
            waves, pairs = rows[int(e)]
            need = short[e]
            for r in waves:
                if live[r] > y or need <= 1e-9:
                    continue
                t1 = yi[live[r]]
                n = math.ceil(need / gb[r] - 1e-9)
                free = slots[e, t1:].min()
                for pr in pairs:  # light pairs in service by then if slots run out
                    if free >= n:
                        break
                    if live[pr] <= live[r] and spare[e] >= 1 and buy(pr, 1.0):
                        spare[e] -= 1
                        slots[e, yi[live[pr]] :] += W[e]
                        free = slots[e, t1:].min()
                got = buy(r, min(n, max(free, 0.0)))
                slots[e, t1:] -= got
                cap[e, t1:] += got * gb[r]
                need -= got * gb[r]

    x, routing, dem = _route(m, u * cap, edges, yi)
    us = m.unserved
    served = np.zeros(len(dem))
    fl = m.flows.merge(dem.reset_index()[["index", "pair_id", "year"]], on=["pair_id", "year"])
    np.add.at(served, fl["index"].to_numpy(int), x[fl["col"].to_numpy(int)])
    slack = np.clip(us["demand_gbps"].to_numpy(float) - served, 0.0, None)
    if not budgeted and slack.sum() > 1e-6 * max(1.0, float(us["demand_gbps"].sum())):
        info.update(greedy_rejected="min-cost: the shortest paths cannot carry every Gbps")
        return {}, info
    has = us["col"].to_numpy(int) >= 0
    x[us["col"].to_numpy(int)[has]] = slack[has]
    x[up["col"].to_numpy(int)] = units
    capex = float((units * cost).sum())
    pen = sc.unserved_penalty_usd_per_gbps
    w = routing_usd_per_gbps_ms(m)
    obj = capex + pen * float(slack.sum()) + w * routing
    info.update(greedy_objective=float(obj), greedy_seconds=time.perf_counter() - t0)
    return {v: float(x[i]) for i, v in enumerate(m.columns)}, info
