r"""Path column generation at the root LP: price new admissible paths on the LP duals.

Why: the path formulation routes each pair on its ``k_paths`` shortest admissible paths only,
so its LP bound and MIP gap belong to that restricted model (issue 14: SNDlib atlanta
min-cost reported "optimal, gap 0" 1.65 % above the true optimum). Pricing makes the LP
bound valid for *every* admissible path: a path P of pair p in year t has reduced cost

.. math:: \bar c_{Pt} = \epsilon\,lat(P) - \sum_{e \in P} y^{cap}_{et} - y^{dem}_{pt}

(solver units; HiGHS duals, ``y^{cap} \le 0`` on the ``<=`` capacity rows). A capacity row
the model lacks (no path used the corridor that year) has dual 0. The cheapest path per
pair-year under the pair's latency limit is a resource-constrained shortest path: one
label-setting search per (source site, year) on the corridor graph, edge weight
:math:`\epsilon\,lat_e - y^{cap}_{et} \ge 0`, resource latency. Every path with negative
reduced cost joins the LP (all its demand years), the LP is re-solved warm
(:meth:`~planner.solver.highs.Session.add_cols`), until nothing prices out; the paths that
carry flow at that LP optimum join the index sets (dropping the others keeps that
optimum, so the bound, and keeps the MIP small). Then node cut-set rows, which hold on
every path (:mod:`planner.optimize.nodecuts`), are added and the LP priced again, for the
bound only. Bounded by
work (rounds, columns, labels), never by the clock. The MIP is then built from the
enlarged index sets; its own bound is still that of the enlarged (restricted) model, the
converged LP bound is the one valid for all paths (``all_paths_bound_usd``).
"""

from __future__ import annotations

import dataclasses
import heapq
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from planner.config import Scenario
from planner.optimize.build import build
from planner.optimize.constraints import capacity_triplets
from planner.optimize.costcuts import budget_share
from planner.optimize.model import OBJ_SCALE, Model
from planner.optimize.nodecuts import NodeCuts
from planner.optimize.sets import IndexSets
from planner.solver.highs import INF, Session

#: pricing rounds (LP, price, add columns) at most
MAX_ROUNDS = 30
#: new paths over all rounds at most (a work bound; reaching it means "not converged"): at
#: most 60k more flow columns over a 5-year horizon. Was 2,000: Kdl (754 sites, 3,000
#: pairs) prices 5,111 paths to converge, and its plan over the 2,000 was 9x dearer
MAX_NEW_PATHS = 12_000
#: labels the searches of one round may create together; past it the round stops pricing
#: (then "not converged"): a work bound for large networks, where Pareto fronts grow. Each
#: search stops once no open destination can price out (:func:`label_search`)
MAX_LABELS_PER_ROUND = 2_000_000
#: path models with more flow columns are not priced: a work bound. Measured (2026-12-06,
#: shared 2-core machine): base 5.6k columns 1.5 s, Geant2012 16k 1.2 s, Cogentco 362k 343 s
#: (13 rounds, LP bound moved by 1e-6)
MAX_FLOW_COLUMNS = 60_000
#: a path prices out when its reduced cost is below -(ABS + REL x |demand dual|)
RC_TOL_ABS = 1e-7
RC_TOL_REL = 1e-7


@dataclasses.dataclass
class Duals:
    """Per-year edge weights (solver units per Gbps) and demand duals of one LP optimum."""

    #: ``[e, ti]``: epsilon x latency - capacity dual
    edge: np.ndarray
    #: (pair_id, year) -> demand-row dual
    demand: dict[tuple[int, int], float]


def lp_duals(m: Model, sess: Session, extra_rows: dict[tuple[int, int], int]) -> Duals:
    """Read the duals of the demand and capacity rows (added rows in ``extra_rows``)."""
    y = sess.row_duals()
    T = len(m.sets.years)
    yi = {yr: i for i, yr in enumerate(m.sets.years)}
    cap = np.zeros((len(m.sets.corridors), T))
    keys = m.rows["capacity"]
    rows = sess.row_index(m.family("capacity"))
    cap[keys["e"].to_numpy(int), keys["year"].map(yi).to_numpy(int)] = y[rows]
    for (e, ti), r in extra_rows.items():
        cap[e, ti] = y[r]
    w = m.meta["routing_usd_per_gbps_ms"] * OBJ_SCALE
    lat = m.sets.corridors["latency_ms"].to_numpy(float)
    edge = w * lat[:, None] - cap
    dk = m.rows["demand"]
    dy = y[sess.row_index(m.family("demand"))]
    keys = zip(dk["pair_id"], dk["year"], dy, strict=True)
    return Duals(edge, {(int(p), int(t)): float(v) for p, t, v in keys})


def label_search(
    adj: dict[str, list[tuple[str, int, float, float]]],
    src: str,
    weight: np.ndarray,
    limit: float,
    budget: int,
    targets: dict[str, tuple[float, float]] | None = None,
    *,
    first: bool = False,
) -> tuple[dict[str, list[tuple[float, float, tuple[int, ...]]]] | None, int]:
    """Pareto labels (cost, latency, corridors) at every site reachable within ``limit`` ms,
    and the labels made.

    Label setting in cost order with (cost, latency) dominance; ``None`` past ``budget``.
    ``targets`` (destination -> (latency limit, cost cap)): stop once the popped cost exceeds
    every open destination's cap (labels leave the heap in cost order, so no later path to
    it is cheaper than its cap: it cannot price out); with ``first``, a destination closes
    at its first label within its latency limit (the cheapest admissible path; only that one
    is wanted). Why: without a stop every search ran over the whole network within the
    latency limit, and on Kdl (754 sites) a pricing round ran out of its label budget, so
    pricing never converged and the all-paths bound was never proven.
    """
    done: dict[str, list[tuple[float, float, tuple[int, ...]]]] = {}
    heap: list[tuple[float, float, str, tuple[int, ...]]] = [(0.0, 0.0, src, ())]
    open_ = dict(targets) if targets is not None else None
    cap = max((c for _, c in open_.values()), default=-INF) if open_ is not None else INF
    made = 0
    while heap:
        c, lat, v, path = heapq.heappop(heap)
        if c > cap:
            break
        front = done.setdefault(v, [])
        if any(fl <= lat + 1e-12 for _, fl, _ in front):  # cheaper-or-equal & faster exists
            continue
        front.append((c, lat, path))
        if first and open_ is not None and v in open_ and lat <= open_[v][0] + 1e-9:
            del open_[v]
            cap = max((cc for _, cc in open_.values()), default=-INF)
        for nxt, e, lat_e, _ in adj.get(v, []):
            nl = lat + lat_e
            if nl > limit + 1e-9:
                continue
            heapq.heappush(heap, (c + max(0.0, float(weight[e])), nl, nxt, (*path, e)))
            made += 1
            if made > budget:
                return None, made
    return done, made


def admissible(labels: dict, dst: str, limit_ms: float) -> list:
    """The Pareto labels (cost, latency, corridors) at ``dst`` within the latency limit."""
    return [lb for lb in labels.get(dst, []) if lb[1] <= limit_ms + 1e-9]


def cost_caps(g: pd.DataFrame, duals: Duals, year: int) -> dict[str, tuple[float, float]]:
    """Destination -> (latency limit, cost cap) for :func:`label_search` over the pair-years
    ``g`` of one source site (``pair_id, site_b, latency_limit_ms``): a path prices out only
    if it costs less than its pair-year's demand dual (a little slack for rounding)."""
    y = np.array([duals.demand[(int(p), int(year))] for p in g["pair_id"]], dtype=float)
    caps = y + RC_TOL_ABS + 1e-9 * np.abs(y)
    dst, lim = g["site_b"], g["latency_limit_ms"]
    return {str(d): (float(t), float(c)) for d, t, c in zip(dst, lim, caps, strict=True)}


def adjacency(m: Model) -> dict[str, list[tuple[str, int, float, float]]]:
    """Site -> (neighbour, corridor row e, latency ms, 0) in both directions, row order."""
    cor = m.sets.corridors
    adj: dict[str, list[tuple[str, int, float, float]]] = {}
    for e, a, b, lat in zip(cor["e"], cor["site_a"], cor["site_b"], cor["latency_ms"], strict=True):
        adj.setdefault(str(a), []).append((str(b), int(e), float(lat), 0.0))
        adj.setdefault(str(b), []).append((str(a), int(e), float(lat), 0.0))
    return adj


def search_inputs(m: Model) -> tuple[dict, np.ndarray, pd.DataFrame, dict[int, int]]:
    """What a pricing round searches over: adjacency, corridor ids by row, the demand
    pair-years with their ends and latency limits, year -> index."""
    s = m.sets
    pairs = s.pairs.set_index("pair_id")
    dem = s.demand.merge(pairs[["site_a", "site_b", "latency_limit_ms"]], on="pair_id")
    cid = s.corridors["corridor_id"].astype(str).to_numpy()
    return adjacency(m), cid, dem, {yr: i for i, yr in enumerate(s.years)}


def cheapest_paths(
    inputs: tuple,
    weight: np.ndarray,
    caps: Callable[[pd.DataFrame, int], dict],
    budget: int | None = None,
) -> tuple[dict[tuple[int, int], tuple | None], bool]:
    """Per (pair, year) the cheapest admissible label ``(cost, latency, corridors)`` under
    ``weight[e, ti]`` among those within the pair's cap (``caps(group, year)``, as for
    :func:`label_search`; None: no path within it); complete?

    ``inputs``: :func:`search_inputs`. One label search per (source site, year), so a
    site's pairs share it; all share one label ``budget`` (default: a pricing round's), and
    the pair-years of a search that ran out of it are missing from the result.
    """
    adj, _, dem, yi = inputs
    out: dict[tuple[int, int], tuple | None] = {}
    complete, budget = True, MAX_LABELS_PER_ROUND if budget is None else budget
    for (src, year), g in dem.groupby(["site_a", "year"], sort=True):
        limit = float(g["latency_limit_ms"].max())
        labels, made = label_search(
            adj, str(src), weight[:, yi[year]], limit, budget, caps(g, int(year)), first=True
        )
        budget -= made
        if labels is None:
            complete = False
            continue
        for p, dst, lim in zip(g["pair_id"], g["site_b"], g["latency_limit_ms"], strict=True):
            ok = admissible(labels, str(dst), lim)
            out[(int(p), int(year))] = min(ok, key=lambda lb: (lb[0], lb[1])) if ok else None
    return out, complete


def price(
    m: Model, duals: Duals, have: set[tuple[int, tuple[str, ...]]]
) -> tuple[list[tuple[int, tuple[str, ...], float]], bool]:
    """Paths with negative reduced cost: ``(pair_id, corridor ids, latency ms)``; complete?"""
    inputs = search_inputs(m)
    _, cid, _, yi = inputs
    best, complete = cheapest_paths(inputs, duals.edge, lambda g, t: cost_caps(g, duals, t))
    found: dict[tuple[int, tuple[str, ...]], float] = {}
    for (p, year), label in best.items():
        if label is None:
            continue
        _, lat, path = label
        y = duals.demand[(p, year)]
        exact = float(duals.edge[list(path), yi[year]].sum())
        ids = tuple(str(cid[e]) for e in path)
        if exact - y < -(RC_TOL_ABS + RC_TOL_REL * abs(y)) and (p, ids) not in have:
            found.setdefault((p, ids), lat)
    return [(p, ids, lat) for (p, ids), lat in sorted(found.items())], complete


class LiveColumns:
    """Adds priced paths as flow columns (and missing capacity rows) to the live LP."""

    def __init__(self, m: Model, sess: Session) -> None:
        self.m, self.sess = m, sess
        yi = {yr: i for i, yr in enumerate(m.sets.years)}
        self.yi = yi
        dk = m.rows["demand"]
        dr = sess.row_index(m.family("demand"))
        self.demand_row = {
            (int(p), int(t)): int(r) for p, t, r in zip(dk["pair_id"], dk["year"], dr, strict=True)
        }
        ck = m.rows["capacity"]
        cr = sess.row_index(m.family("capacity"))
        self.cap_row = {
            (int(e), yi[int(t)]): int(r) for e, t, r in zip(ck["e"], ck["year"], cr, strict=True)
        }
        self.extra_rows: dict[tuple[int, int], int] = {}
        self.cap = capacity_triplets(m).groupby(["e", "ti"])
        cor = m.sets.corridors
        self.eid = dict(zip(cor["corridor_id"].astype(str), cor["e"], strict=True))
        self.demand = m.sets.demand.groupby("pair_id")
        #: HiGHS column of the first added column; the added path of each added column
        self.base = len(sess.variables)
        self.col_path: list[tuple[int, tuple[str, ...]]] = []

    def row(self, e: int, ti: int) -> int:
        """Capacity row of (e, year), created (flow-free) if the model had none."""
        if (e, ti) in self.cap_row:
            return self.cap_row[(e, ti)]
        u = self.m.scenario.max_utilization
        inst = float(self.m.sets.corridors["installed_capacity_gbps"].to_numpy(float)[e])
        try:
            g = self.cap.get_group((e, ti))
            cols = np.array([self.m.columns[c].index for c in g["col"]], dtype=np.int64)
            vals = -u * g["coef"].to_numpy(float)
        except KeyError:
            cols, vals = np.zeros(0, dtype=np.int64), np.zeros(0)
        r = self.sess.add_row(-INF, u * inst, cols, vals)
        self.cap_row[(e, ti)] = self.extra_rows[(e, ti)] = r
        return r

    def add(self, paths: list[tuple[int, tuple[str, ...], float]]) -> int:
        """One column per (new path, demand year); returns the number of columns."""
        w = self.m.meta["routing_usd_per_gbps_ms"] * OBJ_SCALE
        cost, up, starts, index = [], [], [0], []
        for p, ids, lat in paths:
            d = self.demand.get_group(p)
            for t, gbps in zip(d["year"], d["demand_gbps"], strict=True):
                ti, es = self.yi[int(t)], [int(self.eid[c]) for c in ids]
                rows = [self.demand_row[(p, int(t))]] + [self.row(e, ti) for e in es]
                rows += self.more_rows(p, int(t), es)
                cost.append(w * lat)
                self.col_path.append((p, ids))
                up.append(float(gbps))
                index.extend(rows)
                starts.append(len(index))
        n = len(cost)
        st = np.array(starts, dtype=np.int64)
        self.sess.add_cols(cost, np.zeros(n), up, st[:-1], np.array(index), np.ones(len(index)))
        return n

    def more_rows(self, pair: int, year: int, corridors: list[int]) -> list[int]:
        """Further rows a path column of ``pair`` in ``year`` enters (none here)."""
        return []

    def used(self) -> set[tuple[int, tuple[str, ...]]]:
        """Added paths carrying flow in the last LP optimum."""
        x = self.sess.col_values()[self.base :]
        return {k for k, v in zip(self.col_path, x, strict=True) if v > 1e-9}


def extend_sets(sets: IndexSets, new: list[tuple[int, tuple[str, ...], float]]) -> IndexSets:
    """The index sets with the priced paths appended (ranks after each pair's own)."""
    if not new:
        return sets
    old = sets.paths
    add = pd.DataFrame(new, columns=["pair_id", "corridor_ids", "latency_ms"])
    add["hops"] = add["corridor_ids"].map(len)
    n_old = old.groupby("pair_id").size()
    add["rank"] = add["pair_id"].map(n_old).fillna(0).astype(np.int64) + add.groupby(
        "pair_id"
    ).cumcount().astype(np.int64)
    start = int(old["path_id"].max()) + 1 if len(old) else 0
    add["path_id"] = np.arange(start, start + len(add), dtype=np.int64)
    paths = pd.concat([old, add[list(old.columns)]], ignore_index=True)
    paths = paths.sort_values(["pair_id", "rank"], kind="stable").reset_index(drop=True)
    idx = sets.corridors.set_index("corridor_id")["e"]
    pe = add[["path_id", "corridor_ids"]].explode("corridor_ids")
    pe = pd.DataFrame(
        {
            "path_id": pe["path_id"].to_numpy(dtype=np.int64),
            "e": pe["corridor_ids"].map(idx).to_numpy(dtype=np.int64),
        }
    )
    edges = pd.concat([sets.path_edges, pe], ignore_index=True)
    pairs = sets.pairs.copy()
    pairs["n_paths"] = pairs["pair_id"].map(paths.groupby("pair_id").size()).fillna(0)
    pairs["n_paths"] = pairs["n_paths"].astype(np.int64)
    return dataclasses.replace(sets, paths=paths, path_edges=edges, pairs=pairs)


class Pricer:
    """The path model's LP, live, priced to the end; again after its right-hand sides change.

    Why live: a budget chain (:mod:`planner.sweep.allpaths`) needs the all-paths bound at
    each budget, and from the last budget's columns and rows a few rounds re-price it.
    Paths and node cut rows from earlier calls stay: more columns and valid rows keep the LP
    a relaxation of the whole problem, so each converged optimum still bounds every plan.
    """

    def __init__(self, sets: IndexSets, scenario: Scenario, objective: str | None) -> None:
        # an LP: cumulative columns (planner.optimize.cumulative) add nothing to it but other
        # optimal duals, so the priced paths would depend on that switch
        lp_solver = scenario.solver.model_copy(update={"cumulative": False})
        self.m = build(sets, scenario.model_copy(update={"solver": lp_solver}), formulation="path",
                       objective=objective)  # fmt: skip
        self.sess = Session.from_pulp(
            self.m.prob, threads=scenario.solver.threads, seed=scenario.seed
        )
        self.live = LiveColumns(self.m, self.sess)
        p = self.m.sets.paths
        self.have = set(zip(p["pair_id"].astype(int), p["corridor_ids"].map(tuple), strict=True))
        self.cuts = NodeCuts(self.m, self.sess)

    def price(self) -> tuple[list[tuple[int, tuple[str, ...], float]], set, dict]:
        """Price until nothing prices out (then node cut rows, and again) or a work bound;
        returns the paths added by this call, those carrying flow at the first converged
        optimum, and the summary fields."""
        m, sess, live, cuts = self.m, self.sess, self.live, self.cuts
        new_all: list[tuple[int, tuple[str, ...], float]] = []
        rounds, bounds, proven, keep = 0, [], [], set()
        while rounds < MAX_ROUNDS and sess.run():
            rounds += 1
            bounds.append(sess.objective / OBJ_SCALE)
            new, complete = price(m, lp_duals(m, sess, live.extra_rows), self.have)
            if not new:
                if not complete:
                    break
                if not proven:  # the MIP's paths: those of the LP without cut rows, as before
                    keep = live.used()
                proven.append(bounds[-1])  # priced to the end: bounds every path
                if not cuts.add():
                    break
                continue
            room = MAX_NEW_PATHS - len(new_all)
            if room <= 0:
                break
            new = new[:room]
            live.add(new)
            self.have.update((p, ids) for p, ids, _ in new)
            new_all.extend(new)
        converged = bool(proven)
        info = {
            "path_pricing_converged": converged,
            "paths_priced": len(new_all),
            "pricing_rounds": rounds,
            "pricing_lp_bound_before_usd": bounds[0] if bounds else None,
            # rows only tighten the LP: the last LP priced to the end is the highest valid bound
            "all_paths_bound_usd": max(proven) if converged else None,
            "all_paths_lp_bound_usd": proven[0] if converged else None,
            "all_paths_cut_rows": cuts.rows,
            "all_paths_cut_rounds": cuts.rounds,
            "all_paths_grown_rows": cuts.grown_rows,
            "pricing_lp_budget_share": budget_share(m, sess) if converged else None,
        }
        return new_all, keep, info


def too_big_to_price(sets: IndexSets) -> str | None:
    """Why the path model is not priced (more than :data:`MAX_FLOW_COLUMNS` flow columns: a
    work bound), or None."""
    n_paths = sets.pairs.set_index("pair_id")["n_paths"]
    columns = int(sets.demand["pair_id"].map(n_paths).fillna(0).sum())
    if columns > MAX_FLOW_COLUMNS:
        return f"{columns} flow columns > {MAX_FLOW_COLUMNS} (work bound)"
    return None


def price_paths(
    sets: IndexSets, scenario: Scenario, objective: str | None = None
) -> tuple[IndexSets, dict]:
    """Column generation on the path model's LP; returns (enlarged sets, summary fields).

    The tie-break weight of the first model is kept in the returned sets, so the LP priced
    here and the MIP built from the result have the same objective.
    """
    t0 = time.perf_counter()
    skip = too_big_to_price(sets)
    if skip is not None:
        return sets, {
            "path_pricing_converged": False,
            "paths_added": 0,
            "pricing_rounds": 0,
            "pricing_skipped": skip,
        }
    pr = Pricer(sets, scenario, objective)
    new_all, keep, info = pr.price()
    if info["path_pricing_converged"]:  # unused columns change neither the LP optimum nor
        new_all = [n for n in new_all if (n[0], n[1]) in keep]  # its bound: a smaller MIP
    out = extend_sets(sets, new_all)
    out = dataclasses.replace(out, routing_usd_per_gbps_ms=pr.m.meta["routing_usd_per_gbps_ms"])
    info["paths_added"] = len(new_all)
    info["pricing_seconds"] = time.perf_counter() - t0
    return out, info
