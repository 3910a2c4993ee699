"""Capacity trimming: the same served demand for less CapEx (the waves a start over-bought).

Why: on large networks (Cogentco, all 16k pairs) the MIP solver does not get past its root LP
within the time limit, so the plan returned is the start heuristic's; that start serves the
most any plan can (served gap 0 %) but buys whole waves where the LP bought fractions, dozens
of times over, and the gap is that CapEx (issue 14, target 3: 17 %). The LPs run on the start
heuristic's live session, warm from its LP relaxation's optimum, bounded by simplex work
(:mod:`planner.optimize.work`), never by the clock:

1. **round up the least capacity**: with each pair-year's served demand held (its unserved
   column fixed at the plan's) and the routes and leases of the plan fixed, an LP buys the
   cheapest fractional waves and fiber pairs that carry it; per corridor and year the waves
   that LP capacity needs are bought whole, the cheapest cover of the shortfall, as late as
   the year allows (prices fall), then the fiber pairs their slots need. The LP's flows fit
   the rounded capacity, so the served demand is kept. Repeated with the purchases bounded
   by the best plan's, and with slope scaling (each corridor's waves priced at what its
   rounded waves cost per LP-bought unit, Kim and Pardalos 1999), keeping the cheapest;
2. **drop waves**: remove a wave where the corridor's other waves carry the plan's flow in
   every year it is in service (costliest first);
3. every candidate plan (the LP's flows with the rounded purchases) is checked against every
   row and bound of the model (budget, caps, slots, hooks' rows: no LP, the matrix times the
   plan) and kept only when its objective is lower. Why no re-solve: on Cogentco the LP with
   all integers fixed took 38k simplex iterations (2 min) from the least-capacity optimum.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.sparse import csc_matrix

from planner.optimize.constraints import capacity_triplets
from planner.optimize.model import OBJ_SCALE
from planner.optimize.starts.rounding import Rounder
from planner.optimize.work import WorkMeter
from planner.solver.highs import Session

#: Share of the time limit (nominal seconds, turned into simplex work) trimming may use.
TRIM_TIME_SHARE = 0.1
#: "round up the least capacity" passes, in order (see :func:`least_capacity`), each from
#: the best plan so far, while work is left
PASSES = ("free", "within", "slope", "slope", "within")
#: slope scaling prices a corridor's waves at most this many times their cost
SLOPE_MAX = 20.0
#: row and bound violation a candidate plan may have (as the MIP start check, relative)
FEAS_TOL = 1e-6
#: served demand is held to the plan's within this many Gbps per pair-year
HOLD_TOL = 1e-6

Plan = tuple[float, np.ndarray, np.ndarray]  # (LP objective, column values, integer values)


class Trimmer:
    """Capacity bookkeeping of one Rounder: which integer decision adds what, where, when;
    and the model's rows, to check a candidate plan without an LP."""

    def __init__(self, r: Rounder) -> None:
        self.r, m = r, r.m
        up, bl = m.sets.upgrades, m.sets.builds
        self.T = len(m.sets.years)
        colidx = np.full(len(m.columns), -1, dtype=np.int64)
        colidx[up["col"].to_numpy(int)] = np.arange(len(up))
        colidx[bl["col"].to_numpy(int)] = len(up) + np.arange(len(bl))
        cap = capacity_triplets(m)
        self.cap_i = colidx[cap["col"].to_numpy(int)]
        self.cap_cell = cap["e"].to_numpy(int) * self.T + cap["ti"].to_numpy(int)
        self.cap_g = cap["coef"].to_numpy(float)
        self.n_cells = len(m.sets.corridors) * self.T
        kind = np.r_[up["kind"].to_numpy(str), np.full(len(bl), "new_build")]
        self.wave = kind == "wave"
        # fiber pairs of existing corridors are re-bought for the waves' slots (round_pairs);
        # on a candidate route they depend on the build, which stays as planned
        self.pair = (kind == "fiber_pair") & ~r.cand[r.e]
        self.gbps = np.r_[up["capacity_gbps"].to_numpy(float), bl["capacity_gbps"].to_numpy(float)]
        self.year_index = np.maximum(0, r.live - m.sets.start_year)  # first year in service
        us = m.unserved[m.unserved["col"] >= 0]
        pos = np.array([v.index for v in m.columns], dtype=np.int64)
        self.us_cols = pos[us["col"].to_numpy(int)].astype(np.int32)
        self.us_dem = us["demand_gbps"].to_numpy(float)
        lp = r.lp.h.getLp()
        a = lp.a_matrix_
        n = lp.num_col_
        self.A = csc_matrix(  # HiGHS's own column-wise arrays: no second copy
            (np.asarray(a.value_), np.asarray(a.index_), np.asarray(a.start_)),
            shape=(lp.num_row_, n),
        )
        self.cost, self.offset = np.asarray(lp.col_cost_, dtype=float), float(lp.offset_)
        self.row_lo, self.row_hi = np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)
        self.col_lo, self.col_hi = np.full(n, -np.inf), np.full(n, np.inf)
        for v in m.prob.variables():  # the model's own bounds (the session's were moved)
            if v.lowBound is not None:
                self.col_lo[v.index] = v.lowBound
            if v.upBound is not None:
                self.col_hi[v.index] = v.upBound
        self.cap_rows = self._capacity_rows()
        positive = r.cost[r.cost > 0]
        #: a plan counts as cheaper when it saves 2 % of the cheapest purchase: more than the
        #: whole latency tie-break (at most 1 % of it, planner.optimize.objective) and than
        #: the LP's tolerances, less than any change of purchases that saves money
        self.saving = 0.02 * OBJ_SCALE * (float(positive.min()) if len(positive) else 0.0)

    def cheaper(self, got: Plan | None, than: Plan) -> bool:
        return got is not None and got[0] < than[0] - self.saving

    def _capacity_rows(self) -> tuple[np.ndarray, np.ndarray] | None:
        """HiGHS rows of the ``capacity`` family and their (e, year) cells, if present."""
        m = self.r.m
        keys = m.rows.get("capacity")
        if keys is None or not len(keys):
            return None
        rows = self.r.lp.row_index(m.family("capacity"))
        cells = keys["e"].to_numpy(int) * self.T + (keys["year"].to_numpy(int) - m.sets.start_year)
        return rows, cells

    def capacity(self, z: np.ndarray) -> np.ndarray:
        """Gbps added by integer values ``z`` per (e, ti) cell."""
        return np.bincount(self.cap_cell, z[self.cap_i] * self.cap_g, self.n_cells)

    def hold(self, y: np.ndarray | None) -> None:
        """Fix each unserved column at the plan's value (``None``: free in [0, demand] again).

        Why fixed, not only bounded above: with a binding budget an LP allowed to serve more
        spends the whole budget on fractions, and its rounding then breaks the budget.
        """
        if y is None:
            lo, hi = np.zeros(len(self.us_cols)), self.us_dem
        else:
            # never below the plan's: a tolerance times the penalty would pass as a saving
            lo = np.clip(y[self.us_cols], 0.0, self.us_dem)
            hi = np.minimum(self.us_dem, lo + HOLD_TOL)
        self.r.lp.set_col_bounds(self.us_cols, lo, hi)

    def feasible(self, y: np.ndarray) -> bool:
        """Does ``y`` satisfy every row and bound of the model (hooks' rows too)?"""
        act = self.A @ y
        tol_r = FEAS_TOL * (1.0 + np.abs(act))
        tol_c = FEAS_TOL * (1.0 + np.abs(y))
        return bool(
            np.all(act >= self.row_lo - tol_r)
            and np.all(act <= self.row_hi + tol_r)
            and np.all(y >= self.col_lo - tol_c)
            and np.all(y <= self.col_hi + tol_c)
        )

    def plan(self, y: np.ndarray, ints: np.ndarray) -> Plan | None:
        """The plan of flows ``y`` with integer values ``ints``, if feasible."""
        y = y.copy()
        y[self.r.icol] = ints
        if not self.feasible(y):
            return None
        return float(self.cost @ y + self.offset), y, ints.copy()

    def spare(self, y: np.ndarray) -> np.ndarray:
        """Spare capacity (Gbps) per (e, ti) cell at the flows of ``y`` (inf: no row)."""
        out = np.full(self.n_cells, np.inf)
        if self.cap_rows is not None:
            rows, cells = self.cap_rows
            # capacity row: flow - u x added <= u x installed: spare = (rhs - activity) / u
            act = (self.A @ y)[rows]
            out[cells] = (self.row_hi[rows] - act) / self.r.m.scenario.max_utilization
        return out


def cheapest_cover(deficit: float, g: np.ndarray, cost: np.ndarray, room: np.ndarray) -> dict:
    """Units per candidate covering ``deficit`` at least cost: one size, or n of one size and
    the rest of another (enough for the two or three wave sizes of a corridor)."""
    best: tuple[float, dict] | None = None
    for a in range(len(g)):
        for na in sorted({math.floor(deficit / g[a]), math.ceil(deficit / g[a] - 1e-9)}):
            na = int(min(na, room[a]))
            rest = deficit - na * g[a]
            if rest <= 1e-9:
                got = (na * cost[a], {a: na})
            else:
                got = None
                for b in range(len(g)):
                    left = room[b] - (na if b == a else 0)
                    nb = math.ceil(rest / g[b] - 1e-9)
                    if nb > left:
                        continue
                    c = na * cost[a] + nb * cost[b]
                    if got is None or c < got[0]:
                        got = (c, {a: na + nb} if a == b else {a: na, b: nb})
            if got is not None and (best is None or got[0] < best[0] - 1e-9):
                best = got
    return {} if best is None else {k: v for k, v in best[1].items() if v > 0}


def _cover_years(tr: Trimmer, out: np.ndarray, rows: np.ndarray, need: np.ndarray, g) -> None:
    """Buy ``rows`` units (in place) so that sum g x units in service >= need[ti], year by
    year, the cheapest cover of each shortfall, as late as possible among equals."""
    r = tr.r
    have = np.zeros(tr.T)
    for i in rows:
        have[tr.year_index[i] :] += out[i] * g[i]
    for ti in range(tr.T):
        deficit = need[ti] - have[ti]
        if deficit <= 1e-6 * max(1.0, g[rows].min()):
            continue
        ok = rows[tr.year_index[rows] <= ti]
        ok = ok[np.argsort(-tr.year_index[ok], kind="stable")]  # latest first among equals
        pick = cheapest_cover(deficit, g[ok], r.cost[ok], r.ub[ok] - out[ok]) if len(ok) else {}
        for k, n in pick.items():
            out[ok[k]] += n
            have[tr.year_index[ok[k]] :] += n * g[ok[k]]


def round_up(tr: Trimmer, ints: np.ndarray, lp_ints: np.ndarray) -> np.ndarray:
    """Whole waves giving every (corridor, year) at least the LP's capacity, then the fiber
    pairs their slots need; other decisions as in ``ints``."""
    r = tr.r
    out = ints.copy()
    free = tr.wave | tr.pair
    out[free] = r.lb[free]  # committed purchases stay
    fixed = out.copy()
    fixed[tr.wave] = 0.0  # _cover_years counts the committed waves itself
    need = tr.capacity(lp_ints) - tr.capacity(fixed)
    waves = np.flatnonzero(tr.wave)
    for e in np.unique(r.e[waves]):
        _cover_years(tr, out, waves[r.e[waves] == e], need[e * tr.T : (e + 1) * tr.T], tr.gbps)
    round_pairs(tr, out, ints)
    return out


def round_pairs(tr: Trimmer, out: np.ndarray, ints: np.ndarray) -> None:
    """Fiber pairs (in place) for the waves' slots: waves in service <= free + W x pairs."""
    r, m = tr.r, tr.r.m
    cor = m.sets.corridors
    W = cor["max_waves_per_fiber_pair"].to_numpy(float)
    free_slots = cor["free_slots"].to_numpy(float)
    pairs = np.flatnonzero(tr.pair)
    ones = np.ones(len(out))
    waves = np.flatnonzero(tr.wave)
    for e in np.unique(r.e[pairs]):
        rows = pairs[r.e[pairs] == e]
        used = np.zeros(tr.T)
        for i in waves[r.e[waves] == e]:
            used[tr.year_index[i] :] += out[i]
        need = np.ceil(np.maximum(0.0, used - free_slots[e]) / W[e] - 1e-9)
        _cover_years(tr, out, rows, need, ones)
        if out[rows].sum() > cor["spare_fiber_pairs"].iat[e] + 1e-9:
            out[rows] = ints[rows]  # more than the spare pairs: keep the plan's (check decides)


def least_capacity(
    tr: Trimmer, plan: Plan, kind: str, factor: np.ndarray
) -> tuple[Plan | None, np.ndarray | None, np.ndarray | None]:
    """Pass 1 once: LP of the cheapest waves (and pairs) carrying the plan's served demand,
    rounded up; (its flows with the rounded purchases if feasible, the LP's integer values,
    the rounded ones).

    ``kind``: ``free`` (purchases up to their caps), ``within`` (bounded by the plan's own: a
    trim) or ``slope`` (free, each corridor's waves priced at ``factor`` x their cost).
    """
    r = tr.r
    _, y, ints = plan
    free = tr.wave | tr.pair
    lo, hi = ints.copy(), ints.copy()
    lo[free] = 0.0
    hi[free] = ints[free] if kind == "within" else r.ub[free]
    tr.hold(y)
    if kind == "slope":
        cost = tr.cost.copy()
        w = np.flatnonzero(tr.wave)
        cost[r.icol[w]] *= factor[r.e[w]]
        r.lp.set_costs(cost)
    try:
        x = r.run(lo, hi)
    finally:
        if kind == "slope":
            r.lp.set_costs(tr.cost)
    if x is None:
        return None, None, None
    rounded = round_up(tr, ints, x[r.icol])
    return tr.plan(x, rounded), x[r.icol], rounded


def slope_factor(tr: Trimmer, lp_ints: np.ndarray, ints: np.ndarray, prev: np.ndarray):
    """Per corridor: what its rounded waves cost over what the LP's fractions cost (slope
    scaling: the next LP sees the price of the capacity it buys there, so flow leaves
    corridors where it buys a sliver of a wave). Corridors the LP left alone keep theirs."""
    r = tr.r
    w = np.flatnonzero(tr.wave)
    n = len(prev)
    lp_cost = np.bincount(r.e[w], r.cost[w] * lp_ints[w], n)
    whole = np.bincount(r.e[w], r.cost[w] * ints[w], n)
    out = prev.copy()
    ok = lp_cost > 1e-9 * max(1.0, float(r.cost[w].min()) if len(w) else 1.0)
    out[ok] = np.clip(whole[ok] / lp_cost[ok], 1.0, SLOPE_MAX)
    return out


def drop_spare(tr: Trimmer, plan: Plan) -> tuple[Plan, int]:
    """Pass 2: remove waves whose corridor carries its flow without them (the plan's flows
    fit the other waves in every year the wave is in service); costliest first. No LP."""
    r = tr.r
    _, y, ints = plan
    ints = ints.copy()
    spare = tr.spare(y).reshape(-1, tr.T)
    cand = np.flatnonzero(tr.wave & (ints > r.lb + 0.5))
    dropped = 0
    for i in cand[np.argsort(-r.cost[cand], kind="stable")]:
        e, live = r.e[i], tr.year_index[i]
        while ints[i] > r.lb[i] + 0.5 and np.all(spare[e, live:] >= tr.gbps[i] * (1 + 1e-9)):
            ints[i] -= 1.0
            spare[e, live:] -= tr.gbps[i]
            dropped += 1
    if not dropped:
        return plan, 0
    got = tr.plan(y, ints)
    return (got, dropped) if tr.cheaper(got, plan) else (plan, 0)


def trim_plan(r: Rounder, y: np.ndarray, seconds: float) -> tuple[Plan | None, dict]:
    """Trimmed plan of the column values ``y`` (a feasible plan; None if no cheaper one found)
    and info. ``seconds``: nominal allowance, turned into simplex work on ``r``'s live LP,
    which restarts from the LP relaxation's optimal basis (the nearest one to a least-capacity
    LP when the plan serves what that relaxation serves).
    """
    info: dict = {}
    r.work = WorkMeter(seconds, r.work.size)
    basis = r.m.meta.get("lp_relaxation_basis")
    if basis is not None:
        r.lp.set_basis(basis)
    tr = Trimmer(r)
    ints = np.round(y[r.icol])
    first = tr.plan(y, ints)
    if first is None:  # not a plan of this model (within tolerances): leave it alone
        return None, info
    best = first
    factor = np.ones(len(r.m.sets.corridors))
    info["trim_round_up_passes"] = 0
    try:
        for kind in PASSES:
            if r.work.exhausted:
                break
            got, lp_ints, rounded = least_capacity(tr, best, kind, factor)
            if lp_ints is not None:
                factor = slope_factor(tr, lp_ints, rounded, factor)
            if tr.cheaper(got, best):
                best = got
                info["trim_round_up_passes"] += 1
        best, info["trim_waves_dropped"] = drop_spare(tr, best)
    finally:
        tr.hold(None)
    info["trim_objective_before"] = first[0] / OBJ_SCALE
    info["trim_objective_after"] = best[0] / OBJ_SCALE
    info["trim_work_share"] = round(r.work.share, 6)
    return (best if best is not first else None), info


def trim_start(r: Rounder, start: dict, seconds: float) -> tuple[dict | None, dict]:
    """:func:`trim_plan` on a start ``{variable: value}``: the trimmed start, or None."""
    y = np.zeros(r.lp.h.getNumCol())
    for v, x in start.items():
        y[v.index] = x
    best, info = trim_plan(r, y, seconds)
    if best is None:
        return None, info
    return {v: float(best[1][v.index]) for v in r.m.prob.variables()}, info


def round_lp_optimum(
    m, lp: Session, start: dict, threads: int = 1, x: np.ndarray | None = None
) -> dict:
    """Replace ``start`` (in place) by the optimum ``x`` of ``lp`` (default: its current
    point) rounded up, when that is cheaper.

    Why: the cut separation ends on an LP optimum of the model with cut-set rows, which buy
    close to whole waves where they bind; its capacity rounded up per corridor and year (pass
    1 without its LP) and trimmed (pass 2) is often a cheaper plan than the start, and the
    MIP solver then starts from it. No LP is solved: the point is checked against every row.
    """
    info: dict = {}
    if not start:
        return info
    r = Rounder(m, 0.0, threads, lp=lp)
    tr = Trimmer(r)
    y0 = np.zeros(lp.h.getNumCol())
    for v, val in start.items():
        y0[v.index] = val
    first = tr.plan(y0, np.round(y0[r.icol]))
    x = lp.col_values() if x is None else x  # all of the LP's columns
    lp_ints = x[r.icol]
    got = tr.plan(x, round_up(tr, np.ceil(lp_ints - 1e-6), lp_ints))
    if first is None or not tr.cheaper(got, first):
        return info
    got, _ = drop_spare(tr, got)
    start.update({v: float(got[1][v.index]) for v in m.prob.variables()})
    info["cutset_start_objective"] = got[0] / OBJ_SCALE
    return info
