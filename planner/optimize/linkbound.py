r"""A tighter all-paths bound: the priced LP with build-linking rows.

Why: the all-paths bound (:mod:`planner.optimize.pricing`) is the path model's LP optimum
over every admissible path, and that LP builds *fractions* of candidate routes: a route costs
$16-62M and carries 12.8 Tbps from the day it is in service, so 7 % of a route buys ~900 Gbps
for 7 % of its price. No plan can do that. Measured on the shipped base scenario (2026-12-06):
LP 17.69e12 USD, with the rows below 18.35e12, against plans at 18.74e12 and the path-set
MIP's own 60 s bound of 18.49e12: the reported all-paths gap was 7.7 % where the truth is
~3 %. The rows are the classic "strong linking" inequalities of fixed-charge network design:
for every pair p, year t and candidate route c

.. math:: \sum_{k \ni c} f_{pkt} \;\le\; d_{pt} \, B_{ct},
          \qquad B_{ct} = \sum_{\tau:\ \tau + L_c \le t} b_{c\tau}

(a pair cannot send more than its demand over a route that is not built). Every integer plan
satisfies them, so the LP with them is still a relaxation of the whole problem; the gain is
that a fraction of a route now carries at most that fraction of each pair's demand.

Pricing with them: a path's reduced cost gains :math:`-y^{link}_{ptc} \ge 0` for each
candidate route on it (HiGHS duals of ``<=`` rows are <= 0), and that term belongs to the pair,
not to the source site. The shared label search of :func:`~planner.optimize.pricing.price`
(without it) therefore gives a *lower* bound of every path's reduced cost: a pair whose best
path there does not price out is proven; a pair whose Pareto paths all stop pricing out once
the term is added gets a search of its own with its own weights (exact). Rows exist only
where a route can be in service (or a path of the pair crosses it); a new path gets
coefficients in the rows that exist, so the LP solved is a relaxation at every round and its
converged optimum bounds every plan on every admissible path.

Only the bound uses these rows: the MIP is built without them (measured: with them its 60 s
bound on the base scenario moved from 18.48-18.49e12 to 18.50e12, HiGHS's own root cuts find
most of what they add), so plans do not change.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pulp

from planner.config import Scenario
from planner.helper import Helper, aside
from planner.optimize.build import build
from planner.optimize.model import OBJ_SCALE, Model, in_service
from planner.optimize.pricing import (
    MAX_LABELS_PER_ROUND,
    MAX_NEW_PATHS,
    MAX_ROUNDS,
    RC_TOL_ABS,
    RC_TOL_REL,
    Duals,
    LiveColumns,
    admissible,
    cost_caps,
    label_search,
    lp_duals,
    search_inputs,
)
from planner.optimize.sets import IndexSets
from planner.solver.highs import Session

#: link rows (pair-years x candidate routes) at most: a work bound for large networks
MAX_LINK_ROWS = 100_000


def add_link_rows(m: Model) -> pd.DataFrame:
    """Rows ``sum of p's flow on paths via c in t - d_pt x (c built and in service by t) <= 0``
    for every demand pair-year and candidate route; returns their keys (``pair_id, year, e``).
    """
    s = m.sets
    cand = np.sort(s.builds["e"].astype(int).unique())
    keys = s.demand[["pair_id", "year", "demand_gbps"]].merge(
        pd.DataFrame({"e": cand}), how="cross"
    )
    keys = keys.sort_values(["pair_id", "year", "e"]).reset_index(drop=True)
    keys["r"] = np.arange(len(keys))
    pe = s.path_edges[s.path_edges["e"].isin(cand)]
    f = m.flows.merge(pe, on="path_id").merge(keys, on=["pair_id", "year", "e"])
    yi = {y: i for i, y in enumerate(s.years)}
    live = in_service(s.builds, s.years)[["e", "ti", "col"]]
    b = keys.assign(ti=keys["year"].map(yi)).merge(live, on=["e", "ti"], suffixes=("", "_b"))
    row = np.r_[f["r"].to_numpy(np.int64), b["r"].to_numpy(np.int64)]
    col = np.r_[f["col"].to_numpy(np.int64), b["col"].to_numpy(np.int64)]
    coef = np.r_[np.ones(len(f)), -b["demand_gbps"].to_numpy(float)]
    return m.add_rows(
        "link", keys[["pair_id", "year", "e"]], row, col, coef, pulp.LpConstraintLE,
        np.zeros(len(keys)),
    )  # fmt: skip


class LinkColumns(LiveColumns):
    """Priced paths as columns, with their coefficients in the link rows that exist."""

    def __init__(self, m: Model, sess: Session) -> None:
        super().__init__(m, sess)
        k = m.rows["link"]
        rows = sess.row_index(m.family("link"))
        self.link_row = {
            (int(p), int(t), int(e)): int(r)
            for p, t, e, r in zip(k["pair_id"], k["year"], k["e"], rows, strict=True)
        }

    def more_rows(self, pair: int, year: int, corridors: list[int]) -> list[int]:
        """The link rows (that exist) of the routes on the path."""
        rows = (self.link_row.get((pair, year, e)) for e in corridors)
        return [r for r in rows if r is not None]


def link_duals(live: LinkColumns) -> dict[tuple[int, int, int], float]:
    """``(pair_id, year, e) -> -dual`` (>= 0): what crossing route e costs pair p in t."""
    y = live.sess.row_duals()
    return {k: max(0.0, -float(y[r])) for k, r in live.link_row.items() if y[r] < 0}


def price_linked(
    m: Model, duals: Duals, link: dict[tuple[int, int, int], float], have: set
) -> tuple[list[tuple[int, tuple[str, ...], float]], bool]:
    """Paths whose reduced cost, link terms included, is negative; complete?

    The shared search per (source site, year) (without link terms) bounds every path from
    below; pairs it cannot clear get a search with their own link terms."""
    adj, cid, dem, yi = search_inputs(m)
    found: dict[tuple[int, tuple[str, ...]], float] = {}
    by_pair: dict[tuple[int, int], dict[int, float]] = {}
    for (q, t, e), v in link.items():
        by_pair.setdefault((q, t), {})[e] = v
    budget = MAX_LABELS_PER_ROUND
    for (src, year), g in dem.groupby(["site_a", "year"], sort=True):
        edge_t = duals.edge[:, yi[year]]
        caps = cost_caps(g, duals, year)  # link terms only add cost: still no cheaper path
        labels, made = label_search(
            adj, str(src), edge_t, float(g["latency_limit_ms"].max()), budget, caps
        )
        budget -= made
        if labels is None:
            return [], False
        for p, dst, lim in zip(g["pair_id"], g["site_b"], g["latency_limit_ms"], strict=True):
            p, y = int(p), duals.demand[(int(p), int(year))]
            tol = RC_TOL_ABS + RC_TOL_REL * abs(y)
            extra = by_pair.get((p, int(year)), {})
            ok = admissible(labels, str(dst), lim)
            if not ok or _cheapest(ok, edge_t, {}, y)[0] >= -tol:
                continue  # proven: the lower bound does not price out
            rc, best = _cheapest(ok, edge_t, extra, y)
            if rc >= -tol and extra:  # the pair's own weights decide
                wt = edge_t.copy()
                wt[list(extra)] += list(extra.values())
                own, made = label_search(
                    adj, str(src), wt, float(lim), budget, {str(dst): (float(lim), y + tol)}
                )
                budget -= made
                if own is None:
                    return [], False
                ok = admissible(own, str(dst), lim)
                if not ok:  # no path within the cap (its dual): none prices out
                    continue
                rc, best = _cheapest(ok, edge_t, extra, y)
            ids = tuple(str(cid[e]) for e in best[2])
            if rc < -tol and (p, ids) not in have:
                found.setdefault((p, ids), best[1])
    return [(p, ids, lat) for (p, ids), lat in sorted(found.items())], True


def _cheapest(labels: list, edge_t: np.ndarray, extra: dict[int, float], y: float):
    """``(reduced cost, label)`` of the cheapest label for one pair-year: its edges, the
    pair's link terms ``extra`` (route row -> cost), less the demand dual (ties: faster)."""
    rcs = [
        float(edge_t[list(lb[2])].sum()) + sum(extra.get(e, 0.0) for e in lb[2]) - y
        for lb in labels
    ]
    i = min(range(len(labels)), key=lambda k: (rcs[k], labels[k][1]))
    return rcs[i], labels[i]


def link_rows_apply(sets: IndexSets) -> bool:
    """Candidate routes, and not more link rows than :data:`MAX_LINK_ROWS` (a work bound)."""
    n_rows = len(sets.demand) * sets.builds["e"].nunique() if len(sets.builds) else 0
    return 0 < n_rows <= MAX_LINK_ROWS


class LinkedPricer:
    """The path LP with build-linking rows, live, priced to the end; again after its
    right-hand sides change (a budget chain, :mod:`planner.sweep.allpaths`: the paths of
    earlier calls stay, which keeps the LP a relaxation)."""

    def __init__(self, sets: IndexSets, scenario: Scenario, objective: str | None) -> None:
        lp = scenario.solver.model_copy(update={"cumulative": False})  # an LP: z adds nothing
        self.m = build(sets, scenario.model_copy(update={"solver": lp}), formulation="path",
                       objective=objective)  # fmt: skip
        add_link_rows(self.m)
        self.sess = Session.from_pulp(
            self.m.prob, threads=scenario.solver.threads, seed=scenario.seed
        )
        self.live = LinkColumns(self.m, self.sess)
        p = self.m.sets.paths
        self.have = set(zip(p["pair_id"].astype(int), p["corridor_ids"].map(tuple), strict=True))

    def price(self) -> dict:
        """Price until nothing prices out or a work bound; the summary fields."""
        t0 = time.perf_counter()
        m, sess, live = self.m, self.sess, self.live
        rounds, added, converged, bound = 0, 0, False, None
        while rounds < MAX_ROUNDS and sess.run():
            rounds += 1
            duals = lp_duals(m, sess, live.extra_rows)
            new, complete = price_linked(m, duals, link_duals(live), self.have)
            if not new:
                converged, bound = complete, sess.objective / OBJ_SCALE
                break
            new = new[: max(0, MAX_NEW_PATHS - added)]
            if not new:
                break
            live.add(new)
            self.have.update((q, ids) for q, ids, _ in new)
            added += len(new)
        info = {
            "build_link_rows": len(m.rows["link"]),
            "build_link_rounds": rounds,
            "build_link_paths_priced": added,
            "build_link_converged": converged,
            "build_link_seconds": time.perf_counter() - t0,
        }
        if converged:
            info["build_link_bound_usd"] = bound
        return info


def linked_bound(sets: IndexSets, scenario: Scenario, objective: str | None) -> dict:
    """The all-paths LP bound with build-linking rows, priced to convergence (USD), and its
    work; ``{}`` without candidate routes or above ``MAX_LINK_ROWS``."""
    if not link_rows_apply(sets):
        return {}
    t0 = time.perf_counter()
    info = LinkedPricer(sets, scenario, objective).price()
    info["build_link_seconds"] = time.perf_counter() - t0  # the model's build too
    return info


def with_link_bound(info: dict, sets: IndexSets, scenario: Scenario, objective: str | None) -> dict:
    """Pricing's summary fields with the linked bound as ``all_paths_bound_usd`` when it is
    higher (the unlinked one kept as ``all_paths_bound_unlinked_usd``)."""
    if info.get("all_paths_bound_usd") is None:
        return info
    return merge_link(info, linked_bound(sets, scenario, objective))


def merge_link(info: dict, linked: dict) -> dict:
    """``info`` with the fields of :func:`linked_bound`, its bound as the all-paths bound when
    higher."""
    old = info.get("all_paths_bound_usd")
    out = {**info, **linked}
    new = out.get("build_link_bound_usd")
    if old is not None and new is not None and new > old:
        out["all_paths_bound_unlinked_usd"] = old
        out["all_paths_bound_usd"] = new
    return out


def link_bound_later(
    m: Model, sets: IndexSets, scenario: Scenario, objective: str | None, helper: Helper | None
) -> None:
    """Start the linked bound beside the run (:mod:`planner.helper`, or in process when it is
    asked for): it is only reported, and first read when the solve starts
    (:func:`pricing_info`), so the model build and the start heuristics need not wait."""
    if (m.meta.get("pricing") or {}).get("all_paths_bound_usd") is not None:
        m.meta["link_bound_later"] = aside(helper, linked_bound, sets, scenario, objective)


def pricing_info(m: Model) -> dict:
    """The model's pricing summary fields, with the linked bound merged in once it is done."""
    later = m.meta.pop("link_bound_later", None)
    if later is not None:
        m.meta["pricing"] = merge_link(m.meta.get("pricing") or {}, later())
    return m.meta.get("pricing") or {}
