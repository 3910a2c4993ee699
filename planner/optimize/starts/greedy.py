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


class _Purchases:
    """Step 2: the cheapest waves per Gbps, just in time, within budget, unit caps and slots.

    ``cap`` (Gbps per corridor and year) grows in place as waves are bought; ``units`` per
    upgrade row. Min-cost has no budget (``budgeted`` False): money never limits a purchase.
    """

    def __init__(self, m: Model, cap: np.ndarray, budgeted: bool) -> None:
        s, sc = m.sets, m.scenario
        up, cor, T = s.upgrades, s.corridors, len(s.years)
        self.years, self.yi = s.years, {y: i for i, y in enumerate(s.years)}
        self.cap, self.units = cap, np.zeros(len(up))
        self.W = cor["max_waves_per_fiber_pair"].to_numpy(float)
        self.slots = np.repeat(cor["free_slots"].to_numpy(float)[:, None], T, axis=1)
        self.spare = cor["spare_fiber_pairs"].to_numpy(float).copy()
        self.left = sc.budget_usd_total if budgeted else math.inf
        caps = (budgeted and sc.budget_usd_per_year) or [math.inf] * T
        self.per_year = dict(zip(s.years, caps, strict=True))
        self.used: dict = {}
        self.rows = {}  # e -> (wave rows sorted by cost per Gbps, pair rows sorted by cost)
        for e, g in up.groupby("e"):
            w = g[g["kind"] == "wave"]
            w = w.assign(per=w["unit_capex_usd"] / w["capacity_gbps"]).sort_values(["per", "year"])
            p = g[g["kind"] == "fiber_pair"].sort_values(["unit_capex_usd", "year"])
            self.rows[int(e)] = (w.index.to_numpy(), p.index.to_numpy())
        self.yr = up["year"].to_numpy(int)
        self.live = up["in_service_year"].to_numpy(int)
        self.gb = up["capacity_gbps"].to_numpy(float)
        self.cost = up["unit_capex_usd"].to_numpy(float)
        self.cap_units = up["max_units"].to_numpy(float)
        self.key = list(zip(up["e"].to_numpy(int), up["option_id"], strict=True))

    def buy(self, r: int, n: float) -> float:
        """Buy up to n units of row r within budget and unit caps; return units bought."""
        n = min(n, self.cap_units[r] - self.used.get(self.key[r], 0.0))
        money = min(self.left, self.per_year[self.yr[r]])
        if self.cost[r] > 0 and math.isfinite(money):
            n = min(n, math.floor(money / self.cost[r] + 1e-9))
        if n <= 0:
            return 0.0
        self.units[r] += n
        self.used[self.key[r]] = self.used.get(self.key[r], 0.0) + n
        self.left -= n * self.cost[r]
        self.per_year[self.yr[r]] -= n * self.cost[r]
        return n

    def cover(self, e: int, y: int, need: float) -> None:
        """Buy waves on corridor ``e`` in service by ``y`` for ``need`` Gbps, cheapest per Gbps
        first, lighting spare pairs in service by then when slots run out."""
        waves, pairs = self.rows[e]
        live, slots = self.live, self.slots
        for r in waves:
            if live[r] > y or need <= 1e-9:
                continue
            t1 = self.yi[live[r]]
            n = math.ceil(need / self.gb[r] - 1e-9)
            free = slots[e, t1:].min()
            for pr in pairs:
                if free >= n:
                    break
                if live[pr] <= live[r] and self.spare[e] >= 1 and self.buy(pr, 1.0):
                    self.spare[e] -= 1
                    slots[e, self.yi[live[pr]] :] += self.W[e]
                    free = slots[e, t1:].min()
            got = self.buy(r, min(n, max(free, 0.0)))
            slots[e, t1:] -= got
            self.cap[e, t1:] += got * self.gb[r]
            need -= got * self.gb[r]

    def run(self, load: np.ndarray, u: float, cand: np.ndarray) -> np.ndarray:
        """Year by year, corridors by largest shortfall first; units per upgrade row."""
        for ti, y in enumerate(self.years):
            short = load[:, ti] / u - self.cap[:, ti]
            for e in np.argsort(-short, kind="stable"):
                if short[e] > 1e-9 and not cand[e] and int(e) in self.rows:
                    self.cover(int(e), y, short[e])
        return self.units


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
    u, T, cor = sc.max_utilization, len(s.years), s.corridors
    yi = {y: i for i, y in enumerate(s.years)}
    cap = np.repeat(cor["installed_capacity_gbps"].to_numpy(float)[:, None], T, axis=1)
    cand = cor["is_candidate"].to_numpy()
    load, edges = _shortest_loads(m, cand, yi)
    units = _Purchases(m, cap, budgeted).run(load, u, cand)
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
    x[s.upgrades["col"].to_numpy(int)] = units
    capex = float((units * s.upgrades["unit_capex_usd"].to_numpy(float)).sum())
    pen = sc.unserved_penalty_usd_per_gbps
    w = routing_usd_per_gbps_ms(m)
    obj = capex + pen * float(slack.sum()) + w * routing
    info.update(greedy_objective=float(obj), greedy_seconds=time.perf_counter() - t0)
    return {v: float(x[i]) for i, v in enumerate(m.columns)}, info
