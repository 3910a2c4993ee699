"""Hose plans (``demand: {mode: hose}``): carry every traffic matrix within per-site limits.

Why: a planner may trust each site's total traffic (its P90 over the joint scenarios) more
than the split of that total between pairs. The hose of a site is the Gbps it may send and
receive in a year; the plan must carry *every* matrix whose sites stay within their hoses
(optionally with each pair also at most its own ``demand_quantile``: hose within pipe, never
more than per-pair sizing under the same routing).

How (fixed-split routing, the classic sufficient condition): the per-pair plan's routing
splits each pair's Gbps over corridors (:func:`planner.scenarios.plan.routing_matrix`); for
every corridor and year an LP finds the worst matrix of the hose for that corridor,
``max sum_p share_pe d_p`` s.t. ``sum_{p at s} d_p <= hose_s``, ``0 <= d_p <= cap_p``: the
dominating matrix of that corridor. The plan is the ordinary MIP for P50 demand plus
``u x capacity >= worst load`` on every corridor and year
(:func:`planner.scenarios.plan.add_load_targets`); every hose matrix then fits the split,
and routing per matrix can only do better. One small LP per corridor-year, warm-started.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import csc_matrix

from planner.errors import SolverError
from planner.optimize.sets import IndexSets
from planner.solver.highs import INF, Session, sparse_lp


def site_hoses(sets: IndexSets, draws: np.ndarray, quantile: float) -> tuple[list[str], np.ndarray]:
    """Sites and their hose (Gbps, (sites, years)): the ``quantile`` of each site's total
    traffic over the joint scenarios ``draws`` (S, P, Y) in ``sets.pairs`` order."""
    pairs = sets.pairs
    sites = sorted(set(pairs["site_a"]) | set(pairs["site_b"]))
    idx = pd.Index(sites)
    inc = np.zeros((len(pairs), len(sites)))
    inc[np.arange(len(pairs)), idx.get_indexer(pairs["site_a"])] = 1.0
    inc[np.arange(len(pairs)), idx.get_indexer(pairs["site_b"])] = 1.0
    totals = np.einsum("spy,pn->sny", draws, inc)
    return sites, np.quantile(totals, quantile, axis=0)


def worst_loads(
    sets: IndexSets, share: np.ndarray, hose: np.ndarray, sites: list[str], pair_cap: np.ndarray
) -> np.ndarray:
    """(E, Y) largest load any hose matrix puts on each corridor under the split ``share``
    (Y, P, E); ``pair_cap`` (P, Y) Gbps (``inf``: pure hose)."""
    pairs = sets.pairs
    n_p, n_s = len(pairs), len(sites)
    idx = pd.Index(sites)
    rows = np.r_[idx.get_indexer(pairs["site_a"]), idx.get_indexer(pairs["site_b"])]
    cols = np.r_[np.arange(n_p), np.arange(n_p)]
    a = csc_matrix((np.ones(2 * n_p), (rows, cols)), shape=(n_s, n_p))
    a.sort_indices()
    out = np.zeros((share.shape[2], share.shape[0]))
    for t in range(share.shape[0]):
        ub = np.where(np.isfinite(pair_cap[:, t]), pair_cap[:, t], INF)
        lp = sparse_lp(np.zeros(n_p), np.zeros(n_p), ub, np.full(n_s, -INF), hose[:, t],
                       a.indptr, a.indices, a.data)  # fmt: skip
        s = Session.from_lp(lp, "hose", presolve="off", solver="simplex")
        for e in np.flatnonzero(share[t].sum(axis=0) > 0):
            s.set_costs(-share[t][:, e])
            if not s.run():
                raise SolverError(f"hose LP: {s.status_text()}")
            out[e, t] = -s.objective
    return out
