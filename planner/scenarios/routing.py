"""Route one demand scenario on fixed capacities: the least unserved Gbps, per year, by LP.

Why one small LP per (scenario, year), kept alive: a plan's risk is how often its capacity
carries a future, and there are thousands of futures. The LP of a year (one row per pair,
one per corridor) is built once; a scenario only changes the pair rows' right-hand sides,
so HiGHS re-solves from the last basis in a few dual-simplex pivots.

Routing uses the planner's own candidate paths (the ``k_paths`` shortest admissible per pair,
latency limits included) plus any path the plan itself routed on, and the scenario's
``max_utilization``: a scenario is carried when it fits the way the plan was sized.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy.sparse import csc_matrix

from planner.errors import SolverError
from planner.optimize.sets import IndexSets
from planner.solver.highs import INF, Session, sparse_lp

#: Unserved Gbps below this (per pair and year) is solver noise, not lost demand.
LOST_TOL_GBPS = 1e-3
LP_OPTIONS: dict[str, object] = {"presolve": "off", "solver": "simplex", "simplex_strategy": 1}


def add_plan_paths(sets: IndexSets, routing: pd.DataFrame | None) -> IndexSets:
    """Add the paths a plan's ``routing.csv`` used (priced paths) to the candidate paths."""
    if routing is None or not len(routing) or "path" not in routing:
        return sets
    idx = sets.corridors.set_index("corridor_id")["e"]
    pid = sets.pairs.set_index(["site_a", "site_b"])["pair_id"]
    have = {
        (int(p), tuple(sorted(c)))
        for p, c in zip(sets.paths["pair_id"], sets.paths["corridor_ids"], strict=True)
    }
    new_p, new_e = [], []
    lat_col = sets.corridors.get("latency_ms", pd.Series(0.0, index=sets.corridors.index))
    latency = pd.Series(lat_col.to_numpy(float), index=sets.corridors["corridor_id"])
    rank = (sets.paths.groupby("pair_id")["rank"].max() + 1).to_dict() if len(sets.paths) else {}
    nxt = int(sets.paths["path_id"].max()) + 1 if len(sets.paths) else 0
    for (a, b, path), _ in routing.groupby(["site_a", "site_b", "path"], sort=True):
        cids = [c for c in str(path).split(";") if c]
        if (a, b) not in pid.index or not cids or any(c not in idx.index for c in cids):
            continue
        key = (int(pid[(a, b)]), tuple(sorted(cids)))
        if key in have:
            continue
        have.add(key)
        lat = float(latency.reindex(cids).fillna(0.0).sum())
        row = {"pair_id": key[0], "path_id": nxt, "rank": rank.get(key[0], 0)}
        row |= {"corridor_ids": tuple(cids), "latency_ms": lat, "hops": len(cids)}
        new_p.append(row)
        new_e += [(nxt, int(idx[c])) for c in cids]
        nxt += 1
    if not new_p:
        return sets
    paths = pd.concat([sets.paths, pd.DataFrame(new_p)], ignore_index=True)
    pe = pd.concat(
        [sets.path_edges, pd.DataFrame(new_e, columns=["path_id", "e"])], ignore_index=True
    )
    return dataclasses.replace(sets, paths=paths, path_edges=pe)


class RoutingLP:
    """Least-unserved routing of a pair demand vector on fixed corridor capacities.

    ``sets``: the candidate paths (:func:`planner.optimize.index_sets`); ``capacity``:
    (corridors, years) Gbps in service; ``utilization``: usable share of capacity.
    """

    def __init__(
        self,
        sets: IndexSets,
        capacity: np.ndarray,
        utilization: float,
        threads: int = 1,
        corridor_cost: np.ndarray | None = None,
    ) -> None:
        self.n_pairs = n_p = len(sets.pairs)
        paths = sets.paths[["pair_id", "path_id"]].reset_index(drop=True)
        n_f = len(paths)
        col_of_path = pd.Series(np.arange(n_f), index=paths["path_id"].to_numpy())
        pe = sets.path_edges[sets.path_edges["path_id"].isin(col_of_path.index)]
        n_e = len(sets.corridors)
        rows = np.r_[paths["pair_id"].to_numpy(int), n_p + pe["e"].to_numpy(int), np.arange(n_p)]
        cols = np.r_[np.arange(n_f), col_of_path[pe["path_id"]].to_numpy(int), n_f + np.arange(n_p)]
        a = csc_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_p + n_e, n_f + n_p))
        a.sum_duplicates()
        a.sort_indices()
        self.n_flows = n_f
        self.incidence = a[n_p:, :n_f].tocsr()  # corridor x path
        # a tie-break toward cheap corridors (1e-3 of a lost Gbps at most): loads then sit
        # where capacity is cheap
        flow_cost = np.zeros(n_f)
        if corridor_cost is not None and n_f:
            c = self.incidence.T @ np.asarray(corridor_cost, float)
            flow_cost = 1e-3 * c / max(float(c.max()), 1e-12)
        self.cap = np.asarray(capacity, float) * float(utilization)
        self.lost_cols = n_f + np.arange(n_p)
        self.pair_rows = np.arange(n_p)
        self.sessions: list[Session] = []
        for t in range(self.cap.shape[1]):
            lp = sparse_lp(
                np.r_[flow_cost, np.ones(n_p)],
                np.zeros(n_f + n_p),
                np.full(n_f + n_p, INF),
                np.r_[np.zeros(n_p), np.full(n_e, -INF)],
                np.r_[np.zeros(n_p), self.cap[:, t]],
                a.indptr,
                a.indices,
                a.data,
            )
            self.sessions.append(Session.from_lp(lp, "routing", threads=threads, **LP_OPTIONS))
        self.solves = 0

    def lost(self, demand: np.ndarray, year_index: int) -> np.ndarray:
        """Unserved Gbps per pair for one demand vector (pairs in ``sets.pairs`` order)."""
        s = self.sessions[year_index]
        d = np.asarray(demand, float)
        s.set_row_bounds(self.pair_rows, d, d)
        if not s.run():
            raise SolverError(f"routing LP: {s.status_text()}")
        self.solves += 1
        x = s.col_values()[self.lost_cols]
        return np.where(x > LOST_TOL_GBPS, x, 0.0)

    def route(self, demand: np.ndarray, year_index: int) -> tuple[np.ndarray, np.ndarray]:
        """(unserved Gbps per pair, Gbps per corridor) for one demand vector."""
        lost = self.lost(demand, year_index)
        x = self.sessions[year_index].col_values()[: self.n_flows]
        return lost, self.incidence @ np.clip(x, 0.0, None)

    def lost_all(self, demand: np.ndarray) -> np.ndarray:
        """``(S, P, Y)`` unserved Gbps for ``(S, P, Y)`` demand (scenarios x pairs x years)."""
        out = np.zeros_like(np.asarray(demand, float))
        for t in range(demand.shape[2]):
            for s in range(demand.shape[0]):
                out[s, :, t] = self.lost(demand[s, :, t], t)
        return out
