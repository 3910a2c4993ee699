"""Two exact LP engines for "how much demand survives this cut": arc flow and path pricing.

Both solve the same fractional multi-commodity flow LP on an undirected capacitated graph
(``min sum(lost)``; each pair's routed + lost = its demand; flow of all pairs on a corridor,
both directions together, <= its capacity), over *all* paths, so both give the same optimum:

* :class:`FlowLP`, the arc formulation with commodities aggregated by source. Obviously exact
  and simple; its size grows with sources x corridors, so it is the reference in tests.
* :class:`PathLP`, the same LP by column generation (path variables priced by Dijkstra on the
  capacity duals). At termination no path has negative reduced cost, which by LP duality is
  optimality over all paths. The restricted LP has one row per pair and per corridor and only
  the paths that ever carried flow, so a cut re-solves in a few milliseconds; it is the
  default engine of :func:`planner.survive.check.check_states`.

Both keep one HiGHS model alive: years and failure states only change bounds and the simplex
restarts warm.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csc_matrix, csr_matrix
from scipy.sparse.csgraph import dijkstra

from planner.errors import SolverError
from planner.solver.highs import INF, Session, sparse_lp

#: Reduced cost a path needs (below zero) to enter. HiGHS' dual tolerance is 1e-7 per row, so
#: a path of several corridors can look negative by a few 1e-7 while being optimal.
PRICING_TOL = 1e-6
#: Pricing rounds per solve before giving up (never reached in practice: raise, do not guess).
MAX_PRICING_ROUNDS = 500


def _weights(cap_row_dual: np.ndarray, failed: np.ndarray) -> np.ndarray:
    """Length per corridor from the capacity rows' duals: what one more Gbps there would save.

    ``-dual`` of a ``<= capacity`` row in a minimisation is >= 0; noise below 1e-9 is zeroed,
    and so are cut corridors (their capacity is not for sale in this state).
    """
    w = np.clip(-np.asarray(cap_row_dual, dtype=float), 0.0, None)
    w[w < 1e-9] = 0.0
    w[failed] = 0.0
    return w


#: A single-thread simplex LP without presolve: it is re-solved warm many times.
LP_OPTIONS: dict[str, object] = {"threads": 1, "presolve": "off", "solver": "simplex"}


def _run(lp: Session, what: str) -> None:
    if not lp.run():
        raise SolverError(f"survivability LP ({what}): {lp.status_text()}")


def choose_sources(pairs_ab: np.ndarray) -> np.ndarray:
    """Per pair, the endpoint used as commodity source (greedy vertex cover, deterministic).

    Fewer sources = fewer commodities = a smaller LP; the greedy picks the node that covers
    the most still-uncovered pairs, ties broken by the smaller node index.
    """
    n_pairs = len(pairs_ab)
    src = np.full(n_pairs, -1, dtype=np.int64)
    if n_pairs == 0:
        return src
    uncovered = np.ones(n_pairs, dtype=bool)
    n = int(pairs_ab.max()) + 1
    while uncovered.any():
        counts = np.bincount(pairs_ab[uncovered].ravel(), minlength=n)
        node = int(np.argmax(counts))
        hit = uncovered & ((pairs_ab[:, 0] == node) | (pairs_ab[:, 1] == node))
        src[hit] = node
        uncovered &= ~hit
    return src


class FlowLP:
    """Source-aggregated arc multi-commodity flow LP, built once and re-solved warm.

    ``edge_uv``: E x 2 node indices of each corridor; ``pair_uv``: P x 2 node indices of each
    pair (both ends must be nodes of the graph).
    """

    def __init__(
        self,
        n_nodes: int,
        edge_uv: np.ndarray,
        pair_uv: np.ndarray,
        edge_latency_ms: np.ndarray | None = None,
    ) -> None:
        del edge_latency_ms  # all paths are free in the arc LP; kept for a common signature
        self.n_nodes = n = int(n_nodes)
        self.n_edges = n_e = len(edge_uv)
        self.n_pairs = n_p = len(pair_uv)
        src = choose_sources(pair_uv)
        sink = np.where(pair_uv[:, 0] == src, pair_uv[:, 1], pair_uv[:, 0])
        sources, k_of_pair = np.unique(src, return_inverse=True)
        self.n_comm = n_k = len(sources)
        n_arcs = 2 * n_e
        tail = np.r_[edge_uv[:, 0], edge_uv[:, 1]]
        head = np.r_[edge_uv[:, 1], edge_uv[:, 0]]
        arc_edge = np.r_[np.arange(n_e), np.arange(n_e)]
        # flow columns f[k, a] -> column k * n_arcs + a; rows: (k, node) -> k * n + node
        kk = np.repeat(np.arange(n_k), n_arcs)
        aa = np.tile(np.arange(n_arcs), n_k)
        n_flow = n_k * n_arcs
        cap_row0 = n_k * n
        rows = np.concatenate([kk * n + head[aa], kk * n + tail[aa], cap_row0 + arc_edge[aa]])
        cols = np.concatenate([np.arange(n_flow)] * 3)
        vals = np.concatenate([np.ones(n_flow), -np.ones(n_flow), np.ones(n_flow)])
        # slack columns: one per pair, +1 in its sink's conservation row
        self.slack_row = k_of_pair * n + sink
        rows = np.concatenate([rows, self.slack_row])
        cols = np.concatenate([cols, n_flow + np.arange(n_p)])
        vals = np.concatenate([vals, np.ones(n_p)])
        n_rows, n_cols = cap_row0 + n_e, n_flow + n_p
        a = csc_matrix((vals, (rows, cols)), shape=(n_rows, n_cols))
        a.sort_indices()
        self.source_rows = np.arange(n_k) * n + sources
        self.cap_row0, self.n_flow, self.n_arcs = cap_row0, n_flow, n_arcs

        lower = np.zeros(n_rows)
        upper = np.zeros(n_rows)
        lower[self.source_rows], upper[self.source_rows] = -INF, INF
        lower[cap_row0:], upper[cap_row0:] = 0.0, 0.0
        lp = sparse_lp(
            np.r_[np.zeros(n_flow), np.ones(n_p)],
            np.zeros(n_cols),
            np.full(n_cols, INF),
            lower,
            upper,
            a.indptr,
            a.indices,
            a.data,
        )
        # dual simplex: stays warm after capacity cuts
        self.lp = Session.from_lp(lp, "survivability", **LP_OPTIONS, simplex_strategy=1)
        self.capacity = np.zeros(n_e)
        self.lp_solves = 0
        self.simplex_iterations = 0

    def set_year(self, capacity: np.ndarray, demand: np.ndarray) -> None:
        """Capacity per corridor (Gbps) and demand per pair (Gbps) for the next solves."""
        self.capacity = np.asarray(capacity, dtype=float).copy()
        d = np.asarray(demand, dtype=float)
        rows = np.r_[self.slack_row, self.cap_row0 + np.arange(self.n_edges)]
        lo = np.r_[d, np.zeros(self.n_edges)]
        hi = np.r_[d, self.capacity]
        self.lp.set_row_bounds(rows, lo, hi)
        cols = (self.n_flow + np.arange(self.n_pairs)).astype(np.int32)
        self.lp.set_col_bounds(cols, np.zeros(self.n_pairs), d)

    def basis(self) -> object:
        """The current simplex basis, to restart later solves from."""
        return self.lp.basis()

    def _cap_bounds(self, edges: np.ndarray, values: np.ndarray) -> None:
        self.lp.set_row_bounds(self.cap_row0 + edges, np.zeros(len(edges)), values)

    def solve(
        self, failed: np.ndarray | None = None, *, from_basis: object | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Lost Gbps per pair and Gbps carried per corridor with ``failed`` corridors cut.

        ``from_basis`` (from :meth:`basis`) restarts the simplex there instead of at the last
        solve: from the no-failure optimum a single cut is one change, not two.
        """
        failed = np.asarray([] if failed is None else failed, dtype=np.int64)
        self._cap_bounds(failed, np.zeros(len(failed)))
        try:
            if from_basis is not None:
                self.lp.set_basis(from_basis)
            _run(self.lp, "arc flow")
            x = self.lp.col_values()
            self.last_w = _weights(self.lp.row_duals()[self.cap_row0 :], failed)
            self.lp_solves += 1
            self.simplex_iterations += self.lp.iterations
        finally:
            self._cap_bounds(failed, self.capacity[failed])
        lost = np.clip(x[self.n_flow :], 0.0, None)
        arc = x[: self.n_flow].reshape(-1, self.n_arcs).sum(axis=0)
        carried = arc[: self.n_edges] + arc[self.n_edges :]
        return lost, carried


class PathLP:
    """Path formulation solved by column generation; see the module docstring.

    Rows: one equality per pair (``routed + lost = demand``), one ``<= capacity`` per corridor.
    Columns: ``lost`` per pair (cost 1), then one per generated path (cost 0). Paths are kept
    across years and states (a path through a cut corridor is simply forced to 0 by that
    corridor's row bound), so later solves start with a rich column pool.
    """

    def __init__(
        self,
        n_nodes: int,
        edge_uv: np.ndarray,
        pair_uv: np.ndarray,
        edge_latency_ms: np.ndarray | None = None,
    ) -> None:
        self.n_nodes = int(n_nodes)
        self.n_edges = n_e = len(edge_uv)
        self.n_pairs = n_p = len(pair_uv)
        self.edge_uv = np.asarray(edge_uv, dtype=np.int64)
        self.pair_uv = np.asarray(pair_uv, dtype=np.int64)
        lat = np.ones(n_e) if edge_latency_ms is None else np.asarray(edge_latency_ms, float)
        # tie-break between equal-dual paths: prefer short ones (also keeps weights > 0,
        # which csgraph needs: an explicit 0 weight would mean "no edge")
        self.tiebreak = 1e-9 * (lat + 1e-3) / (lat.max(initial=0.0) + 1e-3)
        self.sources, self.src_of_pair = np.unique(self.pair_uv[:, 0], return_inverse=True)
        # primal simplex: new columns keep it primal-feasible
        self.lp = Session(**LP_OPTIONS, simplex_strategy=4)
        self.lp.add_empty_rows(np.zeros(n_p + n_e), np.zeros(n_p + n_e))
        # lost[p] (cost 1) enters pair row p
        ar = np.arange(n_p)
        self.lp.add_cols(np.ones(n_p), np.zeros(n_p), np.full(n_p, INF), ar, ar, np.ones(n_p))
        self.path_edges: list[np.ndarray] = []
        self.path_pair: list[int] = []
        self.known: set[tuple[int, tuple[int, ...]]] = set()
        self.capacity = np.zeros(n_e)
        self.demand = np.zeros(n_p)
        self.lp_solves = 0
        self.simplex_iterations = 0
        self.pricing_rounds = 0
        self._incidence: csr_matrix | None = None

    # ---- model edits ------------------------------------------------------------------
    def set_year(self, capacity: np.ndarray, demand: np.ndarray) -> None:
        """Capacity per corridor and demand per pair (Gbps) for the next solves."""
        self.capacity = np.asarray(capacity, dtype=float).copy()
        self.demand = np.asarray(demand, dtype=float).copy()
        n_p, n_e = self.n_pairs, self.n_edges
        rows = np.arange(n_p + n_e, dtype=np.int32)
        self.lp.set_row_bounds(
            rows, np.r_[self.demand, np.zeros(n_e)], np.r_[self.demand, self.capacity]
        )

    def _cap_bounds(self, edges: np.ndarray, values: np.ndarray) -> None:
        self.lp.set_row_bounds(self.n_pairs + edges, np.zeros(len(edges)), values)

    def _add_paths(self, pairs: list[int], paths: list[np.ndarray]) -> int:
        new = [
            (p, e)
            for p, e in zip(pairs, paths, strict=True)
            if (p, tuple(e.tolist())) not in self.known
        ]
        if not new:
            return 0
        starts, index = [], []
        pos = 0
        for p, e in new:
            self.known.add((p, tuple(e.tolist())))
            self.path_pair.append(p)
            self.path_edges.append(e)
            starts.append(pos)
            index.append(np.r_[p, self.n_pairs + e])
            pos += 1 + len(e)
        idx = np.concatenate(index).astype(np.int32)
        n = len(new)
        self.lp.add_cols(
            np.zeros(n), np.zeros(n), np.full(n, INF), np.asarray(starts), idx, np.ones(len(idx))
        )
        self._incidence = None
        return n

    # ---- pricing ----------------------------------------------------------------------
    def _price(self, weight: np.ndarray, alive: np.ndarray, pi: np.ndarray) -> int:
        """Add, per pair, the shortest path under ``weight`` if its reduced cost is < 0."""
        n = self.n_nodes
        e_ok = np.flatnonzero(alive)
        if not len(e_ok):
            return 0
        u, v = self.edge_uv[e_ok, 0], self.edge_uv[e_ok, 1]
        w = weight[e_ok] + self.tiebreak[e_ok]
        # parallel corridors: keep the lightest one per node pair (csr would sum them)
        a, b = np.minimum(u, v), np.maximum(u, v)
        order = np.lexsort((e_ok, w, b, a))
        a, b, w, eid = a[order], b[order], w[order], e_ok[order]
        first = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])]
        a, b, w, eid = a[first], b[first], w[first], eid[first]
        g = csr_matrix((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(n, n))
        edge_of = np.full((n, n), -1, dtype=np.int64)  # dense: n is sites, not pairs
        edge_of[a, b] = eid
        edge_of[b, a] = eid
        dist, pred = dijkstra(g, directed=False, indices=self.sources, return_predecessors=True)
        s_row, tgt = self.src_of_pair, self.pair_uv[:, 1]
        d = dist[s_row, tgt]
        cand = np.flatnonzero(np.isfinite(d) & (d < pi - PRICING_TOL) & (self.demand > 0))
        add_p, add_e = [], []
        pred_l = pred.tolist()
        for p in cand.tolist():
            row, node, src = pred_l[s_row[p]], int(tgt[p]), int(self.pair_uv[p, 0])
            walk = []
            while node != src:
                prev = row[node]
                walk.append((prev, node))
                node = prev
            pu = np.asarray(walk[::-1], dtype=np.int64).reshape(-1, 2)
            es = edge_of[pu[:, 0], pu[:, 1]]
            # exact reduced cost without the tie-break: must still be negative
            if weight[es].sum() < pi[p] - PRICING_TOL:
                add_p.append(p)
                add_e.append(es)
        return self._add_paths(add_p, add_e)

    def seed_shortest_paths(self) -> int:
        """One shortest (by latency) path per pair, so the first solve has something to use."""
        return self._price(
            np.zeros(self.n_edges), np.ones(self.n_edges, bool), np.ones(self.n_pairs)
        )

    # ---- solve ------------------------------------------------------------------------
    def basis(self) -> object:
        """The current simplex basis; columns priced in later are added to it as nonbasic."""
        return self.lp.basis()

    def solve(
        self, failed: np.ndarray | None = None, *, from_basis: object | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Lost Gbps per pair and Gbps carried per corridor with ``failed`` corridors cut."""
        failed = np.asarray([] if failed is None else failed, dtype=np.int64)
        alive = np.ones(self.n_edges, dtype=bool)
        alive[failed] = False
        if not self.path_edges:
            self.seed_shortest_paths()
        self._cap_bounds(failed, np.zeros(len(failed)))
        try:
            if from_basis is not None:
                self.lp.set_basis(from_basis)
            for _ in range(MAX_PRICING_ROUNDS):
                _run(self.lp, "path pricing")
                self.lp_solves += 1
                self.simplex_iterations += self.lp.iterations
                dual = self.lp.row_duals()
                pi = dual[: self.n_pairs]
                weight = np.clip(-dual[self.n_pairs :], 0.0, None)
                self.pricing_rounds += 1
                if not self._price(weight, alive, pi):
                    break
            else:
                raise SolverError("survivability LP: path pricing did not converge")
            x = self.lp.col_values()
            self.last_w = _weights(dual[self.n_pairs :], failed)
        finally:
            self._cap_bounds(failed, self.capacity[failed])
        lost = np.clip(x[: self.n_pairs], 0.0, None)
        return lost, self.carried(x[self.n_pairs :])

    def carried(self, path_flow: np.ndarray) -> np.ndarray:
        """Gbps per corridor from path flows."""
        if self._incidence is None or self._incidence.shape[1] != len(self.path_edges):
            lens = [len(e) for e in self.path_edges]
            cols = np.repeat(np.arange(len(lens)), lens)
            rows = np.concatenate(self.path_edges) if lens else np.zeros(0, np.int64)
            self._incidence = csr_matrix(
                (np.ones(len(rows)), (rows, cols)), shape=(self.n_edges, len(lens))
            )
        return self._incidence @ np.clip(path_flow, 0.0, None)
