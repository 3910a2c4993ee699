r"""Benders decomposition on the capacity decisions: whole-wave plans proven over every path.

Why: the path model's MIP chooses among the paths priced at the *LP* optimum, and the
all-paths bound is an LP. Where the plan is a few whole waves, both can be far off. Measured
on Kdl (Topology Zoo, 754 sites, 3,000 pairs, 2026-12-06): the MIP proved $364,708 (three
400G waves) optimal over its 10k paths, the all-paths LP bound was $101,879 (a 72 % gap), and
a two-wave plan of $243,208 exists on paths the LP never priced.

How. The master holds only the decisions (waves, fiber pairs, routes, leases: every column
that is not a flow or an unserved slack), the rows among them (budget, caps, slots) and
:math:`\omega_t`, the Gbps left unserved in year t. The subproblem is the path LP with the
decisions fixed at the master's values and only unserved Gbps costed (a phase-1 LP), priced
until no admissible path prices out (:func:`planner.optimize.pricing.price`), so its value
:math:`U_t(z)` is the least demand *any* routing on admissible paths leaves unserved. With
its duals :math:`y`, for every plan :math:`z`

.. math:: \omega_t \;\ge\; U_t(\hat z) - \sum_{r \in R_t} y_r A_{r,\cdot}\,(z - \hat z)

(LP duality: the duals stay feasible for every :math:`z`; the rows :math:`R_t` of year t are
the only ones the decisions share with the flows): rounded metric inequalities, in Gbps. The
master minimises CapEx + penalty x :math:`\sum_t \omega_t` (min-cost: :math:`\omega = 0`).
Costing the flows too (one cut on CapEx + penalty x unserved + routing) put the penalty's
1e7 USD/Gbps into the cut rows, and HiGHS's tolerances on them moved the master's bound by
more than the routing it was proving (measured: a bound 0.8 % above a known plan); in Gbps
the rows are well scaled, and the routing tie-break, >= 0, is left out of the bound.

The master starts with the priced LP's own metric inequalities (one per year, from its
optimal capacity duals, each pair's weight recomputed over every admissible path:
:meth:`_Sub.metric_cuts`), which hold its LP at the LP optimum from the first round (measured:
Kelley's cuts alone needed about one round per purchase column the LP buys, Kdl 7 rounds and
39 s, now 25 s). Then the master's LP, with cuts taken halfway between its point and a point
that serves what can be served (the priced LP's optimum; in-out separation), until it reaches
the priced LP's optimum; if it does not within ``LP_ROUNDS`` the stage stops (there the master
MIP is the whole design problem: measured on the shipped min-cost case, 215 s for 29k nodes).
Then the master as a MIP, each optimum checked by the subproblem. The master MIP's bound holds
for every plan on every admissible path; a master plan at which no cut is violated is optimal
(up to the routing tie-break) over every path. It does not start where the LP optimum buys on
more than ``SUPPORT_MAX`` purchase columns, nor where the budget binds at the LP optimum
(measured on the shipped base scenario: 40 rounds of cuts left the master LP still below the
LP bound; serving more is a knapsack over the whole budget, and the cuts only crawl).

Bounded by work: master rounds, the master MIP's nodes, pricing rounds; never the clock.
The paths of the best plan join the index sets and its purchases are offered as the MIP start.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pulp

from planner.config import MAX_USD, Scenario
from planner.optimize.build import build
from planner.optimize.costcuts import BUDGET_BINDS
from planner.optimize.model import OBJ_SCALE, Model
from planner.optimize.pricing import (
    MAX_LABELS_PER_ROUND,
    LiveColumns,
    cheapest_paths,
    extend_sets,
    lp_duals,
    price,
    search_inputs,
)
from planner.optimize.sets import IndexSets
from planner.solver.highs import INF, Session, sparse_lp

log = logging.getLogger(__name__)

#: master rounds at most (LP rounds + MIP rounds)
ROUNDS = 40
#: of which on the master LP at most; if it has not reached the priced LP's optimum by then
#: the stage stops. Measured with the metric cuts: 1 round (the random test cases), Kdl 5;
#: without them (in-out cuts only): Ion (300 pairs) 6, Kdl 7, UsCarrier (3,000 pairs) 12,
#: Ion (3,000 pairs) 98.5 % after 30
LP_ROUNDS = 15
#: the stage does not start where the LP optimum buys on more integer purchase columns than
#: this: the master MIP grows with them. Measured with the metric cuts (columns: result):
#: Kdl 3: proven, 7 rounds, 25 s; UsCarrier (3,000 pairs) 13: proven, 26 rounds, 32 s; the
#: random test cases 7-17: proven in 6-11 rounds; Ion (3,000 pairs) 34: not proven after 40
#: rounds, 85 s (bound 3.53M -> 3.91M, the plan 4.83M); grid4x5 27: the master MIP out of
#: nodes in 1.7 s below the bound already known; the shipped min-cost case 282: the same in
#: 17 s (798.6M against 845.2M). An empirical line, not a law
SUPPORT_MAX = 20
#: start the master with the priced LP's own metric inequalities (:meth:`_Sub.metric_cuts`)
WARM_CUTS = True
#: labels the metric cuts' searches may make together (a work bound). Measured on Kdl (754
#: sites, 3,000 pairs): 2.38M over 1,131 searches; with one pricing round's budget (2M) the
#: last sources went unsearched and the cut held nothing (the master LP at 0, not 101.5)
METRIC_LABELS = 4 * MAX_LABELS_PER_ROUND
#: a cut is violated when the master's omega is below U_t by more than this (Gbps)
TOL_GBPS = 1e-6
#: branch-and-bound nodes of all master MIPs together at most (a bound found before it ran
#: out stays valid)
MASTER_NODES = 2_000
#: pricing rounds per subproblem at most
PRICE_ROUNDS = 30


class NotDecomposable(Exception):
    """The model has a shape the cuts per year do not cover: the stage steps aside."""


@dataclass
class _Split:
    """The priced LP's decision columns (HiGHS numbers) and what the master knows of them."""

    master: np.ndarray
    integer: np.ndarray
    cost: np.ndarray  # solver units, as in the model's objective
    lower: np.ndarray  # committed purchases


def _split(m: Model, sess: Session, penalty: float | None) -> tuple[_Split, Session, np.ndarray]:
    """The split and the master: decisions, their own rows, one omega per year (cost
    ``penalty`` in solver units per Gbps; None: min-cost, omega = 0); the LP's costs."""
    A, lp = sess.matrix()
    T = len(m.sets.years)
    pos = sess.col_index(m.columns)
    sub = np.zeros(A.shape[1], dtype=bool)
    sub[pos[m.flows["col"].to_numpy(int)]] = True
    us = m.unserved["col"].to_numpy(int)
    sub[pos[us[us >= 0]]] = True
    own = np.asarray(A[:, sub].getnnz(axis=1)) == 0
    M = np.flatnonzero(~sub)
    integer = np.array([sess.variables[j].cat == pulp.LpInteger for j in M], dtype=bool)
    AM = A[np.flatnonzero(own)][:, M].tocsc()
    mlp = sparse_lp(
        np.r_[lp["cost"][M], np.full(T, penalty or 0.0)],
        np.r_[lp["col_lower"][M], np.zeros(T)],
        np.r_[lp["col_upper"][M], np.full(T, INF if penalty is not None else 0.0)],
        lp["row_lower"][own],
        lp["row_upper"][own],
        np.r_[AM.indptr, np.full(T, AM.indptr[-1])],
        AM.indices,
        AM.data,
    )
    master = Session.from_lp(mlp, "Benders master", threads=sess.threads)
    for k, v in (("primal_feasibility_tolerance", 1e-9), ("mip_feasibility_tolerance", 1e-9)):
        master.h.setOptionValue(k, v)
    return _Split(M, integer, lp["cost"][M], lp["col_lower"][M]), master, lp["cost"]


def _terms(AM, rows: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The decision terms ``(cols, coefs)`` of a cut from the duals ``y`` of ``rows``:
    ``coefs = (y A)`` on the decision columns, its zeros dropped."""
    c = AM[rows].T @ y
    nz = np.flatnonzero(np.abs(c) > 1e-12)
    return nz, c[nz]


class _Sub:
    """The priced phase-1 path LP with the decisions fixed: unserved Gbps, duals, cuts."""

    def __init__(self, m: Model, sess: Session, split: _Split) -> None:
        self.m, self.sess, self.split = m, sess, split
        self.live = LiveColumns(m, sess)
        p = m.sets.paths
        self.have = set(zip(p["pair_id"].astype(int), p["corridor_ids"].map(tuple), strict=True))
        self.lat: dict[tuple[int, tuple[str, ...]], float] = {}
        self.yi = {y: i for i, y in enumerate(m.sets.years)}
        self.added_year: list[int] = []

    def solve(self, z: np.ndarray) -> bool:
        """Phase-1 LP at decisions ``z``, priced to the end; False if not proven."""
        self.sess.set_col_bounds(self.split.master, z, z)
        for _ in range(PRICE_ROUNDS):
            if not self.sess.run():
                return False
            new, complete = price(
                self.m, lp_duals(self.m, self.sess, self.live.extra_rows), self.have
            )
            if not new:
                return complete
            self.live.add(new)  # one column per path and demand year, in this order
            for p, ids, lat in new:
                self.added_year += [self.yi[int(t)] for t in self.live.demand.get_group(p)["year"]]
                self.lat[(p, ids)] = lat
            self.have.update((p, ids) for p, ids, _ in new)
        return False

    def years(self, A) -> tuple[np.ndarray, np.ndarray]:
        """Year of each column and row of the live LP (-1: a decision, or a row of decisions
        only); a row's year is that of its flow and slack columns."""
        cy = np.full(A.shape[1], -1)
        pos = self.sess.col_index(self.m.columns)
        f, us = self.m.flows, self.m.unserved[self.m.unserved["col"] >= 0]
        cy[pos[f["col"].to_numpy(int)]] = f["year"].map(self.yi).to_numpy(int)
        cy[pos[us["col"].to_numpy(int)]] = us["year"].map(self.yi).to_numpy(int)
        base = self.live.base
        cy[base : base + len(self.added_year)] = self.added_year
        r = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
        ry = np.full(A.shape[0], -1)
        np.maximum.at(ry, r, cy[A.indices])
        low = np.full(A.shape[0], len(self.yi))
        sub = cy[A.indices] >= 0
        np.minimum.at(low, r[sub], cy[A.indices][sub])
        if np.any((ry >= 0) & (low != ry)):
            raise NotDecomposable("a row joins routing of two years: no cut per year")
        return cy, ry

    def cuts(self, z: np.ndarray) -> list[tuple[float, float, np.ndarray, np.ndarray]]:
        """Per year ``(U_t, rhs, cols, coefs)``: the cut ``omega_t + coefs.z[cols] >= rhs``."""
        A, lp = self.sess.matrix()
        cy, ry = self.years(A)
        x, y = self.sess.col_values(), self.sess.row_duals()
        AM = A[:, self.split.master]
        out = []
        for t in range(len(self.yi)):
            u = float(lp["cost"][cy == t] @ x[cy == t])
            rt = np.flatnonzero(ry == t)
            nz, coefs = _terms(AM, rt, y[rt])  # minus the subgradient of U_t in z
            out.append((u, u + float(coefs @ z[nz]), nz, coefs))
        return out

    def metric_cuts(
        self, y: np.ndarray, penalty: float
    ) -> list[tuple[float, np.ndarray, np.ndarray]]:
        """Per year ``(rhs, cols, coefs)``: the cut ``omega_t + coefs.z >= rhs`` of the priced
        LP's own optimal duals ``y`` (its rows, before pricing in the subproblem added any).

        Why: at the LP optimum the subproblem serves all it can, its duals are 0 and its cut
        says nothing; Kelley's cuts then need about one round per purchase column the LP buys
        (Ion, 3,000 pairs: 34 columns, 98.5 % of the LP optimum after 30 rounds). The LP's
        capacity duals, per Gbps of penalty, are the metric whose inequality holds the LP at
        its optimum. Valid whatever duals come in: each pair's weight is recomputed as the
        cheapest *admissible* path under that metric (a label search, as in pricing), capped
        at 1 (unserved), which makes them feasible duals of the phase-1 LP on every path;
        a source whose search runs out of labels gets 0 (always feasible). None (``[]``)
        where a flow column enters rows other than its demand and capacity rows, or with a
        coefficient other than 1 (the weights would then not be the paths' reduced costs).
        """
        m, sess = self.m, self.sess
        A, lp = sess.matrix()
        cy, _ = self.years(A)
        cap = sess.row_index(m.family("capacity"))
        dem = sess.row_index(m.family("demand"))
        routing = A.tocsc()[:, np.flatnonzero(cy >= 0)]  # flows and unserved, coefficient 1
        if not np.isin(routing.indices, np.r_[cap, dem]).all() or np.any(routing.data != 1.0):
            return []
        keys = m.rows["capacity"]
        ti = keys["year"].map(self.yi).to_numpy(int)
        pi = np.maximum(0.0, -y[cap]) / penalty  # Gbps unserved per Gbps of capacity
        weight = np.zeros((len(m.sets.corridors), len(self.yi)))
        weight[keys["e"].to_numpy(int), ti] = pi
        # each pair's weight: its cheapest admissible path, capped at 1 (unserved); a pair
        # not searched (out of labels) counts 0
        inputs = search_inputs(m)
        best, _ = cheapest_paths(inputs, weight, _unit_caps, METRIC_LABELS)
        served = np.zeros(len(self.yi))  # sum over pairs of demand x weight
        dem_ = inputs[2]
        for p, year, d in zip(dem_["pair_id"], dem_["year"], dem_["demand_gbps"], strict=True):
            key = (int(p), int(year))
            if key in best:
                sigma = 1.0 if best[key] is None else min(1.0, best[key][0])
                served[self.yi[int(year)]] += float(d) * sigma
        AM = A[:, self.split.master]
        out = []
        for t in range(len(self.yi)):
            r = cap[ti == t]
            nz, coefs = _terms(AM, r, -pi[ti == t])
            out.append((served[t] - float(pi[ti == t] @ lp["row_upper"][r]), nz, coefs))
        return out

    def used_paths(self) -> list[tuple[int, tuple[str, ...], float]]:
        """Priced paths carrying flow at the last optimum."""
        return [(p, ids, self.lat[(p, ids)]) for p, ids in sorted(self.live.used())]


def _unit_caps(g: pd.DataFrame, year: int) -> dict[str, tuple[float, float]]:
    """Destination -> (latency limit, cost cap 1): a path dearer than leaving its Gbps
    unserved does not change a phase-1 weight."""
    lim = g["latency_limit_ms"]
    return {str(d): (float(x), 1.0) for d, x in zip(g["site_b"], lim, strict=True)}


def _phase1(m: Model, sess: Session) -> None:
    """Cost only unserved Gbps (1 each), and price without the latency tie-break."""
    cost = np.zeros(sess.h.getNumCol())
    us = m.unserved["col"].to_numpy(int)
    cost[sess.col_index(m.columns)[us[us >= 0]]] = 1.0
    sess.set_costs(cost)
    m.meta["routing_usd_per_gbps_ms"] = 0.0


def upgrades_of(m: Model, values: np.ndarray) -> pd.DataFrame:
    """Purchases of decision values (model columns) as an ``upgrades`` table (a MIP start)."""
    s, rows = m.sets, []
    up = s.upgrades.assign(units=values[s.upgrades["col"].to_numpy(int)])
    up = up[up["units"] > 0.5]
    if len(up):  # a lease contract is (offer, corridor, signing year, term): its term too
        kind = up["kind"] if "kind" in up.columns else "wave"
        terms = up["term_years"] if "term_years" in up.columns else 0
        cols = ["corridor_id", "option_id", "year", "units"]
        rows.append(up[cols].assign(kind=kind, term_years=terms))
    bl = s.builds.assign(units=values[s.builds["col"].to_numpy(int)])
    bl = bl[bl["units"] > 0.5]
    if len(bl):
        rows.append(
            bl[["corridor_id", "year", "units"]].assign(
                option_id="", kind="new_build", term_years=0
            )
        )
    cols = ["corridor_id", "option_id", "kind", "year", "units", "term_years"]
    return pd.concat(rows, ignore_index=True)[cols] if rows else pd.DataFrame(columns=cols)


class _Decomposition:
    """Master and subproblem of one model, and what the rounds found."""

    def __init__(self, sets: IndexSets, scenario: Scenario, objective: str | None) -> None:
        min_cost = (objective or scenario.objective) == "min-cost"
        upd: dict = {"solver": scenario.solver.model_copy(update={"cumulative": False})}
        if min_cost:  # the unserved slack is the subproblem's measure; no budget
            upd.update(budget_usd_total=MAX_USD, budget_usd_per_year=None)
        sc = scenario.model_copy(update=upd)
        m = self.m = build(sets, sc, formulation="path", objective="max-served")
        sess = self.sess = Session.from_pulp(m.prob, threads=sc.solver.threads, seed=sc.seed)
        self.penalty = None if min_cost else sc.unserved_penalty_usd_per_gbps * OBJ_SCALE
        self.offset = float(sess.h.getLp().offset_)  # the objective's constant
        self.split, self.master, cost = _split(m, sess, self.penalty)
        self.n = len(self.split.master)
        # the priced LP's optimum: the master LP's target (without the routing tie-break,
        # which the master leaves out) and the first cuts, where the master LP will end up
        sess.run()
        x = sess.col_values()
        flows = sess.col_index(m.columns)[m.flows["col"].to_numpy(int)]
        self.target = sess.objective - self.offset - float(cost[flows] @ x[flows])
        #: a point that serves what can be served (the LP optimum): the master LP's cuts are
        #: taken between it and the master's point ("in-out"), deeper than at the point itself
        self.core = x[self.split.master]
        y = sess.row_duals()
        _phase1(m, sess)
        self.sub = _Sub(m, sess, self.split)
        if WARM_CUTS:  # the LP's own metric inequalities, before the first round
            pen = sc.unserved_penalty_usd_per_gbps * OBJ_SCALE
            for t, (rhs, cols, coefs) in enumerate(self.sub.metric_cuts(y, pen)):
                self.master.add_row(rhs, INF, np.r_[cols, self.n + t], np.r_[coefs, 1.0])
        self.best, self.best_x, self.paths, self.bound = INF, None, [], -INF
        self.mip, self.lp_rounds, self.nodes = False, 0, MASTER_NODES

    def support(self) -> int:
        """Integer purchase columns the LP optimum buys (above their lower bounds): the
        master LP has to pin each down with cuts (see :data:`SUPPORT_MAX`)."""
        z = self.core - self.split.lower
        return int(np.count_nonzero((z > 1e-6) & self.split.integer))

    def add(self, cuts: list, omega: np.ndarray) -> None:
        """Append the cuts ``omega_t + coefs.z >= rhs`` violated at the master's ``omega``."""
        for t, (u, rhs, cols, coefs) in enumerate(cuts):
            if u - omega[t] > TOL_GBPS:
                self.master.add_row(rhs, INF, np.r_[cols, self.n + t], np.r_[coefs, 1.0])

    def in_out(self, z: np.ndarray, omega: np.ndarray) -> None:
        """Cuts at the midpoint of the core and the master LP's point ``z`` (Ben-Ameur and
        Neto's in-out separation; measured: Kelley's cuts at ``z`` alone had the shipped
        min-cost master LP still 576k Gbps short after 12 rounds). A cut there with unserved
        demand also cuts off ``z`` (the core serves what can be served, U is convex); a
        midpoint that serves all becomes the core."""
        mid = 0.5 * (z + self.core)
        if not self.sub.solve(mid):
            return
        cuts = self.sub.cuts(mid)
        self.add(cuts, omega if self.penalty is not None else np.zeros(len(omega)))
        if sum(u for u, *_ in cuts) <= TOL_GBPS:
            self.core = mid

    def to_mip(self, rounds: int) -> None:
        self.mip, self.lp_rounds = True, rounds
        self.master.set_integer(np.flatnonzero(self.split.integer))
        self.master.h.setOptionValue("mip_rel_gap", 0.0)

    def keep(self, z: np.ndarray, unserved: float) -> None:
        """The master's plan ``z``, routed by the subproblem: the best so far?"""
        if self.penalty is None and unserved > TOL_GBPS:
            return  # min-cost: not a plan
        value = self.offset + float(self.split.cost @ z) + (self.penalty or 0.0) * unserved
        if value < self.best:
            self.best, self.paths = value, self.sub.used_paths()
            self.best_x = self.sess.col_values()[self.sess.col_index(self.m.columns)]

    def round(self, rounds: int) -> str | None:
        """One master solve and its check; why to stop (``"done"``: proven), None to go on."""
        master = self.master
        if self.mip:
            master.h.setOptionValue("mip_max_nodes", max(1, self.nodes))
        master.run()
        if not master.optimal and not (self.mip and master.has_solution()):
            return f"master: {master.status_text()}"
        zw = master.col_values()
        z, omega = zw[: self.n], zw[self.n :]
        if self.mip:
            self.bound = max(self.bound, float(master.h.getInfo().mip_dual_bound) + self.offset)
            self.nodes -= int(master.h.getInfo().mip_node_count)
        reached = not self.mip and master.objective >= self.target - 1e-4 * abs(self.target)
        if not self.mip:
            self.in_out(z, omega)
        if not self.sub.solve(z):
            return "a subproblem was not priced to the end"
        cuts = self.sub.cuts(z)
        short = max(u - w for (u, *_), w in zip(cuts, omega, strict=True))
        if self.mip:
            self.keep(z, sum(u for u, *_ in cuts))
            if short <= TOL_GBPS:  # nothing to cut: optimal if the master was
                return "done" if master.optimal else "the master MIP ran out of nodes"
            if self.nodes <= 0:
                return "the master MIP ran out of nodes"
        self.add(cuts, omega)
        if not self.mip and (short <= TOL_GBPS or reached):
            self.to_mip(rounds)
        elif not self.mip and rounds >= LP_ROUNDS:
            # a master MIP on so rough a model is the whole design problem, and slow
            return "the master LP did not reach the LP optimum"
        return None


def budget_binds(info: dict) -> bool:
    """The priced LP spends the budget: no whole-wave gap for the stage to close cheaply."""
    return (info.get("pricing_lp_budget_share") or 0.0) >= BUDGET_BINDS


def benders_stage(
    sets: IndexSets, scenario: Scenario, objective: str | None, info: dict
) -> tuple[IndexSets, dict, pd.DataFrame | None]:
    """Run the decomposition on priced ``sets``; returns the sets with the best plan's paths,
    the summary fields (``all_paths_bound_usd`` lifted when it proves more) and its purchases
    (an ``upgrades`` table, None without a plan)."""
    if not info.get("path_pricing_converged"):
        return sets, info, None
    if budget_binds(info):
        return sets, {**info, "benders_skipped": "the budget binds at the LP optimum"}, None
    t0 = time.perf_counter()
    try:
        return _run(sets, scenario, objective, info, t0)
    except NotDecomposable as e:  # a plan without the stage, not a failed run
        return sets, {**info, "benders_skipped": str(e)}, None


def _run(
    sets: IndexSets, scenario: Scenario, objective: str | None, info: dict, t0: float
) -> tuple[IndexSets, dict, pd.DataFrame | None]:
    d = _Decomposition(sets, scenario, objective)
    support = d.support()
    if support > SUPPORT_MAX:
        why = f"the LP optimum buys on {support} purchase columns (> {SUPPORT_MAX})"
        out = {**info, "benders_skipped": why, "benders_lp_support": support}
        return sets, {**out, "benders_seconds": time.perf_counter() - t0}, None
    why, rounds = None, 0
    for rounds in range(1, ROUNDS + 1):
        why = d.round(rounds)
        log.info(
            "Benders round %d (%s master): bound %s, best plan %s, %.1f s",
            rounds, "MIP" if d.mip else "LP", f"{d.bound / OBJ_SCALE:,.0f}",
            f"{d.best / OBJ_SCALE:,.0f}", time.perf_counter() - t0,
        )  # fmt: skip
        if why is not None:
            break
    out = {**info, "benders_rounds": rounds, "benders_lp_rounds": d.lp_rounds or rounds}
    out["benders_lp_support"] = support
    out["benders_seconds"] = time.perf_counter() - t0
    if why not in (None, "done"):
        out["benders_stopped"] = why
    if np.isfinite(d.bound):
        bound = min(d.bound, d.best) / OBJ_SCALE  # past a plan it checked: tolerance
        out["benders_bound_usd"] = bound
        old = info.get("all_paths_bound_usd")
        if old is None or bound > old:
            out["all_paths_bound_before_benders_usd"] = old
            out["all_paths_bound_usd"] = bound
    if d.best_x is None:
        return sets, out, None
    out.update(benders_objective_usd=d.best / OBJ_SCALE, benders_paths_added=len(d.paths))
    return extend_sets(sets, d.paths), out, upgrades_of(d.m, d.best_x)
