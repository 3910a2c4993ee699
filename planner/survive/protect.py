"""Protection rows on the optimiser's model: metric cuts (default) or per-state flows.

Variables. ``v[p, t] in [0, share_p x demand[p, t]]``: the protection *shortfall* of pair
``p``: ``a = share x demand - v`` Gbps must survive every failure state in the model. ``v`` is
penalised at ``PROTECTION_PENALTY_SHARE`` x the unserved penalty per Gbps-year. Half the
unserved penalty keeps the priorities a planner expects: serve demand first, then protect it,
then save CapEx; a budget too small to protect everything leaves a reported shortfall instead
of an infeasible model. (A shortfall, not a "protected" variable with a negative cost: the
objective must stay near zero at full protection, or a relative MIP gap on a huge negative
objective would accept plans that are worse by hundreds of millions; measured. With rows in
the model the optimiser's all-zero fallback start is no longer feasible; its LP-rounding
start heuristic is.)

Two ways to make ``a`` survive state ``s`` in year ``t``:

* **Metric cut** (one row, capacity variables only). The check's LP dual gives a length
  ``w_e >= 0`` per corridor; by LP duality (the Japanese theorem) demands ``a`` are routable on
  the surviving corridors only if ``sum_e w_e capacity[e, t] >= sum_p dist_w(p) a[p, t]``
  for every ``w``, where ``dist_w`` is the shortest surviving path under ``w``. The ``w`` of a
  violated state is exactly one that the current plan violates, so adding that row cuts the
  plan off; rows never cut off a survivable plan.
* **Flows** (the "full model" a planner would write by hand): per state, re-routing variables
  ``g[s, p, k, t]`` on the ``k_paths`` shortest admissible surviving paths, ``sum_k g >= a``
  (written ``sum_k g + v >= share x demand``)
  and ``sum g on e <= capacity[e, t]``. Exact for those paths, but adds pairs x k x years
  columns per state; used for ``full=True`` (every state at once) and ``method="flows"``.

A pair that a state disconnects even with every candidate route built can never survive that
state: it is left out of that state's rows (not of the others) and reported as
``unprotectable``; the loop does not count its loss as a violation.

Both use the **full** ``capacity[e, t]`` (not ``max_utilization`` x it): after a cut the
surviving corridors may run hot until repair, the same rule as the check.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pulp
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from planner.optimize.constraints import capacity_triplets
from planner.optimize.model import OBJ_SCALE, Model, grid_keys, grid_row
from planner.optimize.paths import enumerate_paths
from planner.survive.states import FailureState

#: Protection shortfall penalty as a share of ``unserved_penalty_usd_per_gbps`` (see above).
PROTECTION_PENALTY_SHARE = 0.5
#: Cut coefficients below this are dropped (numerical noise of the LP duals).
COEF_EPS = 1e-9


class Protection:
    """Protection variables and rows on a built :class:`~planner.optimize.model.Model`."""

    def __init__(self, m: Model, states: list[FailureState]) -> None:
        self.m = m
        sc = m.scenario
        self.states = {s.state_id: s for s in states}
        cor = m.sets.corridors
        self.corridors = cor
        self.years = list(m.sets.years)
        self.year_index = {y: i for i, y in enumerate(self.years)}
        share = m.sets.pairs["pair_class"].map(sc.protected_share).fillna(0.0).astype(float)
        self.pairs = m.sets.pairs.assign(protected_share=share.to_numpy())
        d = m.sets.demand.merge(self.pairs[["pair_id", "protected_share"]], on="pair_id")
        d["protected_gbps"] = d["demand_gbps"] * d["protected_share"]
        d = d[d["protected_gbps"] > 0].reset_index(drop=True)
        d["v_col"] = m.add_columns("v", len(d), 0, d["protected_gbps"].to_numpy(float))
        self.demand = d
        self.penalty = PROTECTION_PENALTY_SHARE * sc.unserved_penalty_usd_per_gbps
        cols = d["v_col"].to_numpy(int)
        pen = m.expression(cols, np.full(len(cols), self.penalty))
        m.objective_terms["protection"] = pen  # in USD, like the optimiser's other terms
        # the problem's objective is the terms' sum x OBJ_SCALE (planner.optimize.build)
        m.prob.objective.addInPlace(pen * OBJ_SCALE)
        self.cap_trip = capacity_triplets(m)
        self.installed = cor["installed_capacity_gbps"].to_numpy(float)
        self.e_of = {c: int(e) for c, e in zip(cor["corridor_id"], cor["e"], strict=True)}
        # graph for dist_w: every corridor and candidate route (a route may yet be built)
        nodes = sorted(set(cor["site_a"]) | set(cor["site_b"]))
        self.node = {s: i for i, s in enumerate(nodes)}
        self.eu = cor["site_a"].map(self.node).to_numpy(np.int64)
        self.ev = cor["site_b"].map(self.node).to_numpy(np.int64)
        pp = self.pairs.set_index("pair_id")
        # -1: a site without any corridor (its pairs can never be protected)
        self.pa = d["pair_id"].map(pp["site_a"]).map(self.node).fillna(-1).to_numpy(np.int64)
        self.pb = d["pair_id"].map(pp["site_b"]).map(self.node).fillna(-1).to_numpy(np.int64)
        self.cut_count = 0
        self.flow_states: list[str] = []
        self.flow_blocks: set[tuple[str, int]] = set()
        self._path_cache: dict[str, pd.DataFrame] = {}
        self.cut_states: set[str] = set()
        self.unprotectable: list[dict] = []
        self.latency_exceeded: list[dict] = []
        self._disc: dict[str, np.ndarray] = {}
        #: rows added since the last :meth:`take_new_rows` (for a live LP relaxation)
        self.new_rows: list[pulp.LpConstraint] = []

    # ---- values -------------------------------------------------------------------------
    def protected_matrix(self) -> pd.DataFrame:
        """``pair_id, year, protected_gbps, v_col`` (one row per protected pair-year)."""
        return self.demand

    def capacity(self, x: np.ndarray) -> np.ndarray:
        """Capacity per model corridor row ``e`` and year (E x T) at column values ``x``."""
        cap = np.repeat(self.installed[:, None], len(self.years), axis=1)
        t = self.cap_trip
        np.add.at(
            cap,
            (t["e"].to_numpy(int), t["ti"].to_numpy(int)),
            t["coef"].to_numpy(float) * x[t["col"].to_numpy(int)],
        )
        return cap

    def protected(self, x: np.ndarray) -> np.ndarray:
        """Protected Gbps ``a`` per row of :meth:`protected_matrix` at ``x``."""
        prot = self.demand["protected_gbps"].to_numpy(float)
        return prot - np.clip(x[self.demand["v_col"].to_numpy(int)], 0.0, prot)

    def disconnected(self, state_id: str) -> np.ndarray:
        """Per protected pair-year row: does the state cut the pair off from every path?

        Computed on every corridor and candidate route (as if all were built): no capacity
        anywhere can protect such a pair against this state, so it is not asked to (and is
        reported as unprotectable instead). The no-failure case ``"none"`` cuts nothing.
        """
        if state_id not in self._disc:
            failed = self.states[state_id].corridors if state_id in self.states else ()
            alive = ~self.corridors["corridor_id"].isin(failed).to_numpy()
            n = len(self.node)
            g = csr_matrix(
                (np.ones(int(alive.sum())), (self.eu[alive], self.ev[alive])), shape=(n, n)
            )
            _, comp = connected_components(g, directed=False)
            ok = (self.pa >= 0) & (self.pb >= 0)
            same = np.zeros(len(self.pa), dtype=bool)
            same[ok] = comp[self.pa[ok]] == comp[self.pb[ok]]
            self._disc[state_id] = ~same
            if (~same).any() and state_id != "none":
                d = self.demand[~same]
                pp = self.pairs.set_index("pair_id")
                for pid in d["pair_id"].unique().tolist():
                    self.unprotectable.append(
                        {
                            "state_id": state_id,
                            "site_a": pp.at[pid, "site_a"],
                            "site_b": pp.at[pid, "site_b"],
                        }
                    )
        return self._disc[state_id]

    def unavoidable(self, x: np.ndarray) -> dict[tuple[str, int], float]:
        """Protected Gbps each (state, year) loses whatever the capacity: its cut-off pairs."""
        a = self.protected(x)
        years = self.demand["year"].to_numpy()
        out: dict[tuple[str, int], float] = {}
        for sid in ["none", *self.states]:
            mask = self.disconnected(sid)
            if mask.any():
                for y in self.years:
                    out[(sid, y)] = float(a[mask & (years == y)].sum())
        return out

    # ---- metric cuts ----------------------------------------------------------------------
    def _dist(self, w: np.ndarray, failed: tuple[str, ...], ti: int) -> np.ndarray:
        """Shortest surviving path length under ``w`` for each protected pair-year of ``ti``."""
        alive = ~self.corridors["corridor_id"].isin(failed).to_numpy()
        alive &= self.eu != self.ev
        n = len(self.node)
        u, v, ww = self.eu[alive], self.ev[alive], np.maximum(w[alive], 0.0) + 1e-12
        df = pd.DataFrame({"u": np.r_[u, v], "v": np.r_[v, u], "w": np.r_[ww, ww]})
        df = df.groupby(["u", "v"], as_index=False)["w"].min()
        g = csr_matrix((df["w"], (df["u"], df["v"])), shape=(n, n))
        out = np.full(len(self.demand), np.nan)
        rows = np.flatnonzero(self.demand["year"].to_numpy() == self.years[ti])
        out[rows] = np.inf
        rows = rows[(self.pa[rows] >= 0) & (self.pb[rows] >= 0)]
        if len(rows):
            src, inv = np.unique(self.pa[rows], return_inverse=True)
            d = dijkstra(g, directed=False, indices=src)
            out[rows] = d[inv, self.pb[rows]]
        return out

    def add_cut(self, state_id: str, year: int, w: np.ndarray) -> bool:
        """Add the metric cut of lengths ``w`` (per model corridor row ``e``) for a state-year.

        Returns False if the installed capacity alone satisfies it (nothing to cut off).
        """
        m = self.m
        ti = self.year_index[year]
        w = np.asarray(w, dtype=float)
        failed = self.states[state_id].corridors if state_id in self.states else ()
        dist = self._dist(w, failed, ti)
        self.disconnected(state_id)  # records pairs this state cuts off (never asked for)
        rows = np.flatnonzero(~np.isnan(dist))
        rows = rows[np.isfinite(dist[rows]) & (dist[rows] > COEF_EPS)]
        t = self.cap_trip[self.cap_trip["ti"].to_numpy() == ti]
        cw = w[t["e"].to_numpy(int)] * t["coef"].to_numpy(float)
        keep = cw > COEF_EPS
        rhs = float(dist[rows] @ self.demand["protected_gbps"].to_numpy()[rows])
        rhs -= float(w @ self.installed)
        if not len(rows) or rhs <= COEF_EPS:
            return False  # the installed capacity alone satisfies it
        # sum_e w_e cap_e(x) >= sum_p dist_p (prot_p - v_p), capacity decisions on the left
        cols = np.r_[t["col"].to_numpy(int)[keep], self.demand["v_col"].to_numpy(int)[rows]]
        coef = np.r_[cw[keep], dist[rows]]
        name = f"survcut_{self.cut_count}"
        expr = m.expression(cols, coef)
        con = pulp.LpConstraint(expr, pulp.LpConstraintGE, name, rhs)
        m.prob.addConstraint(con)
        self.new_rows.append(con)
        self.cut_count += 1
        self.cut_states.add(state_id)
        return True

    def take_new_rows(self) -> list[pulp.LpConstraint]:
        """Rows added since the last call (to mirror them in a live LP relaxation)."""
        rows, self.new_rows = self.new_rows, []
        return rows

    # ---- per-state flows --------------------------------------------------------------------
    def _paths(self, failed: tuple[str, ...]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Admissible surviving paths per protected pair (latency fallback, flagged)."""
        cor = self.corridors
        alive = cor[~cor["corridor_id"].isin(failed)]
        pp = self.pairs[self.pairs["pair_id"].isin(self.demand["pair_id"].unique())]
        k = self.m.scenario.k_paths
        paths, info = enumerate_paths(alive, pp, k, existing_mask=~alive["is_candidate"])
        lacking = info[(info["n_paths"] == 0) & np.isfinite(info["best_latency_ms"])]
        if len(lacking):
            fb = pp[pp["pair_id"].isin(lacking["pair_id"])].assign(latency_limit_ms=math.inf)
            more, _ = enumerate_paths(alive, fb, k, existing_mask=~alive["is_candidate"])
            paths = pd.concat([paths, more], ignore_index=True)
            paths["path_id"] = np.arange(len(paths), dtype=np.int64)
        return paths, lacking

    def add_flow_state(self, state_id: str, years: list[int] | None = None) -> int:
        """Re-routing variables and rows of one state for ``years`` (default: all).

        Blocks already in the model are skipped; returns the number of state-years added.
        ``state_id = "none"`` protects the no-failure case the same way.
        """
        years = [y for y in (years or self.years) if (state_id, y) not in self.flow_blocks]
        if not years:
            return 0
        m, cor, i = self.m, self.corridors, len(self.flow_blocks)
        failed = self.states[state_id].corridors if state_id in self.states else ()
        if state_id not in self._path_cache:
            paths, lacking = self._paths(failed)
            self._path_cache[state_id] = paths
            pp = self.pairs.set_index("pair_id")
            for pid, best in zip(lacking["pair_id"], lacking["best_latency_ms"], strict=True):
                self.latency_exceeded.append(
                    {
                        "state_id": state_id,
                        "site_a": pp.at[pid, "site_a"],
                        "site_b": pp.at[pid, "site_b"],
                        "best_latency_ms": float(best),
                        "latency_limit_ms": float(pp.at[pid, "latency_limit_ms"]),
                    }
                )
        paths = self._path_cache[state_id]
        keep = self.demand["year"].isin(years).to_numpy() & ~self.disconnected(state_id)
        d = self.demand[keep].reset_index(drop=True)
        d["r"] = np.arange(len(d))
        g = d.merge(paths[["pair_id", "path_id", "corridor_ids"]], on="pair_id")
        g["col"] = m.add_columns(f"g{i}_", len(g), 0, g["protected_gbps"].to_numpy(float))
        # protected demand: sum g + v >= share x demand  (one row per pair-year)
        m.add_pair_year_rows(
            f"surv{i}_demand", d, [(g["r"], g["col"]), (d["r"], d["v_col"])], "protected_gbps",
            pulp.LpConstraintGE,
        )  # fmt: skip
        # capacity: sum g on e <= full capacity[e, t]  (rows only where g can flow)
        inc = g[["col", "year", "corridor_ids"]].explode("corridor_ids")
        ti = inc["year"].map(self.year_index).to_numpy(int)
        e = inc["corridor_ids"].map(self.e_of).to_numpy(int)
        keys = grid_keys(cor, self.years)
        used = np.zeros(len(keys), dtype=bool)
        flow_row = grid_row(e, ti, self.years)
        used[flow_row] = True
        cap = self.cap_trip
        crow = grid_row(cap["e"], cap["ti"], self.years)
        sel = used[crow]
        m.add_rows(
            f"surv{i}_capacity",
            keys,
            np.r_[flow_row, crow[sel]],
            np.r_[inc["col"].to_numpy(int), cap["col"].to_numpy(int)[sel]],
            np.r_[np.ones(len(e)), -cap["coef"].to_numpy(float)[sel]],
            pulp.LpConstraintLE,
            np.repeat(self.installed, len(self.years)),
        )
        if state_id not in self.flow_states:
            self.flow_states.append(state_id)
        self.flow_blocks.update((state_id, y) for y in years)
        return len(years)
