"""A good first plan for the MIP, built from LP relaxations (relax, fix the lumpy parts, round).

Why: on budget-bound cases HiGHS's own heuristics need tens of seconds to find a plan within
a few percent, and the all-unserved plan is far off. The LP relaxation buys fractions of
everything; the fractions that hurt are the lumpy decisions: a route build brings thousands of
Gbps, a fiber pair dozens of wave slots. So, each step an LP re-solved warm on one HiGHS model:

1. **routes**: start with no route built; try each route the LP relaxation touched, built in
   the year the LP liked best, and keep it if the LP objective improves (greedy);
2. **fiber pairs**: with the routes fixed, round the LP's pairs down, then up by largest
   fraction (at least ``threshold``) while budget, per-year caps and spare pairs allow;
3. **waves**: with routes and pairs fixed, round the LP's waves down (never breaks the budget
   or a cap), then re-offer the money freed: LP with the rounded waves as lower bounds, round
   down again (a few rounds);
4. re-optimise flows and unserved demand for the fixed purchases.

Two thresholds give two plans; the better one is HiGHS's MIP start (``setSolution``): the
search only has to improve it, and a time-limited run never returns anything worse.

Min-cost (every Gbps served, no budget) takes the same steps with two changes, because a plan
that rounds a fraction down leaves demand unserved there: routes are the ones the LP builds,
from the first year it builds any of them (:meth:`Rounder.lp_routes`), and what the dive has
no work left for is rounded *up* (:meth:`Rounder.settle`), so the LP's flows still fit.
Until 2026-12-06 min-cost runs had no start at all: HiGHS started from nothing, and a run
that hit its limit before HiGHS found a plan returned none.

When the relaxation itself uses the dives' work (Cogentco, all 16,110 pairs: 78 % of it), its
purchases are rounded *up* by units in service, if that fits the budget, and their flows LP
gets extra work (:meth:`Rounder.round_up`); before, the LP start was dropped there and the
greedy start, $6.6M dearer on Cogentco, was all the MIP had.
:func:`repair` guards every rounding (waves within slots, nothing on a route before it is built).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from planner.optimize.model import OBJ_SCALE, Model
from planner.optimize.work import WorkMeter
from planner.solver.highs import INF, Session

EPS = 1e-6
#: LP values this close to an integer are fixed there during the dive.
NEAR = 1e-4
#: Shares of the work budget (:mod:`planner.optimize.work`: simplex iterations, not seconds,
#: so a busy machine gives the same plan) after which route trials stop and the pair / wave
#: dives round the rest down, so the final LP (flows for the fixed plan) always has work left.
ROUTES_UNTIL, PAIRS_UNTIL, WAVES_UNTIL = 0.35, 0.55, 0.75
#: Extra work, as a share of the start's allowance, for the flows LP of the rounded-up LP plan
#: when the relaxation left the dives none (:meth:`Rounder.round_up`). Measured, Cogentco (all
#: 16,110 pairs): the relaxation took 78 % of a 300 s run's allowance; the flows LP of its
#: round-up needs ~36 % more (44k iterations).
ROUND_UP_EXTRA_SHARE = 0.5


def repair(m: Model, units: np.ndarray, built: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Make rounded purchases feasible: route pairs/waves only once built, waves <= slots."""
    up, bl, cor = m.sets.upgrades, m.sets.builds, m.sets.corridors
    units, built = units.copy(), built.copy()
    build_year: dict[int, int] = {}
    for i in np.flatnonzero(built > 0.5):
        e = int(bl["e"].iat[i])
        if e in build_year:
            built[i] = 0.0
        else:
            build_year[e] = int(bl["in_service_year"].iat[i])
    e_arr = up["e"].to_numpy(int)
    kind = up["kind"].to_numpy()
    live = up["in_service_year"].to_numpy(int)
    bought = up["year"].to_numpy(int)
    cand = cor["is_candidate"].to_numpy()
    W = cor["max_waves_per_fiber_pair"].to_numpy(float)
    free = cor["free_slots"].to_numpy(float)
    used = cor["build_waves"].to_numpy(float)
    spare = cor["spare_fiber_pairs"].to_numpy(float)
    for e in np.unique(e_arr[units > 0]):
        rows = np.flatnonzero(e_arr == e)
        by = build_year.get(int(e))
        if cand[e]:
            units[rows[(by is None) | (live[rows] < (by or 0))]] = 0.0
        pairs = rows[kind[rows] == "fiber_pair"]
        waves = rows[kind[rows] == "wave"]
        _cut_latest(units, pairs, bought, units[pairs].sum() - spare[e])
        for t in m.sets.years:
            p_in = units[pairs][live[pairs] <= t].sum()
            b_in = 1.0 if cand[e] and by is not None and by <= t else 0.0
            slots = (0.0 if cand[e] else free[e]) + W[e] * p_in + (W[e] - used[e]) * b_in
            w_live = waves[live[waves] <= t]
            _cut_latest(units, w_live, bought, units[w_live].sum() - slots)
    return units, built


def _cut_latest(units: np.ndarray, rows: np.ndarray, bought: np.ndarray, excess: float) -> None:
    """Remove ``excess`` units from ``rows``, latest purchases first (in place)."""
    for r in rows[np.argsort(-bought[rows], kind="stable")]:
        if excess <= EPS:
            return
        cut = min(units[r], np.ceil(excess - EPS))
        units[r] -= cut
        excess -= cut


class Rounder:
    """One HiGHS LP (the relaxation) whose integer-column bounds the steps move.

    ``time_limit_s`` is a nominal allowance turned into a work budget (simplex iterations,
    :func:`~planner.optimize.work.work_budget`): every LP is iteration-limited, no
    step looks at a clock, so the start is the same on an idle and on a busy machine.
    """

    def __init__(
        self, m: Model, time_limit_s: float, threads: int, lp: Session | None = None
    ) -> None:
        self.m, self.t0 = m, time.perf_counter()
        # serial dual simplex: the same pivots every run (``lp``: a live LP of m.prob to reuse)
        self.lp = (
            lp if lp is not None else Session.from_pulp(m.prob, threads=threads, parallel="off")
        )
        self.work = WorkMeter(time_limit_s, len(m.prob.constraints()) + len(m.columns))
        up, bl = m.sets.upgrades, m.sets.builds
        pos = np.array([v.index for v in m.columns], dtype=np.int64)  # model col -> HiGHS col
        ucol = pos[up["col"].to_numpy(int)] if len(up) else np.zeros(0, np.int64)
        bcol = pos[bl["col"].to_numpy(int)] if len(bl) else np.zeros(0, np.int64)
        self.icol = np.r_[ucol, bcol].astype(np.int32)
        self.n_u = len(up)
        self.ub = np.r_[up["max_units"].to_numpy(float), np.ones(len(bl))]
        # committed purchases (planner.optimize.leases): every LP keeps them
        self.lb = np.r_[
            up["min_units"].to_numpy(float) if "min_units" in up.columns else np.zeros(len(up)),
            bl["min_units"].to_numpy(float) if "min_units" in bl.columns else np.zeros(len(bl)),
        ]
        self.pair = np.r_[(up["kind"] == "fiber_pair").to_numpy(), np.zeros(len(bl), bool)]
        self.build = np.r_[np.zeros(len(up), bool), np.ones(len(bl), bool)]
        self.wave = ~(self.pair | self.build)
        self.cost = np.r_[up["unit_capex_usd"].to_numpy(float), bl["capex_usd"].to_numpy(float)]
        self.year = np.r_[up["year"].to_numpy(int), bl["year"].to_numpy(int)]
        self.e = np.r_[up["e"].to_numpy(int), bl["e"].to_numpy(int)]
        #: one code per (corridor, option) and per route build: units bought over the years
        keys = np.r_[up["e"].astype(str) + "|" + up["option_id"].astype(str), bl["e"].astype(str)]
        self.group = pd.factorize(pd.Series(keys, dtype=object))[0]
        self.live = np.r_[up["in_service_year"].to_numpy(int), bl["in_service_year"].to_numpy(int)]
        cor = m.sets.corridors
        self.cand = cor["is_candidate"].to_numpy()
        self.spare = cor["spare_fiber_pairs"].to_numpy(float)
        self.objective = np.inf
        #: min-cost: no budget, every Gbps served (what the dive must settle is rounded up)
        self.min_cost = m.objective_mode != "max-served"

    def run(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray | None:
        """Solve with integer columns in [lo, hi]; the column values, or None."""
        if self.work.exhausted:
            return None
        self.lp.set_col_bounds(self.icol, np.maximum(lo, self.lb), np.maximum(hi, self.lb))
        # warm, within the work left; solved afresh after numerical trouble
        if not self.work.run(self.lp):
            return None
        self.objective = self.lp.objective
        return self.lp.col_values()

    def unserved_floor(self) -> float | None:
        """Least unserved Gbps-years with unlimited money (LP): no plan can serve more."""
        m = self.m
        us = m.unserved[m.unserved["col"] >= 0]
        if not len(us):
            return 0.0
        pos = np.array([v.index for v in m.columns], dtype=np.int64)
        rows = self.lp.row_index(m.family("budget", "budget_year"))
        _, upper = self.lp.row_bounds(rows)
        self.lp.set_rhs(rows, np.full(len(rows), INF))
        x = self.run(np.zeros(len(self.icol)), self.ub)
        self.lp.set_rhs(rows, upper)
        if x is None:
            return None
        return float(x[pos[us["col"].to_numpy(int)]].sum())

    def fits_budget(self, v: np.ndarray) -> bool:
        """Within the budget (total and per year)? Min-cost has no budget rows: always."""
        sc = self.m.scenario
        if self.min_cost:
            return True
        spend = np.maximum(v - self.lb, 0.0) * self.cost  # only new spend counts
        if spend.sum() > sc.budget_usd_total * (1 - 1e-9):
            return False
        if sc.budget_usd_per_year is not None:
            for y, cap in zip(self.m.sets.years, sc.budget_usd_per_year, strict=True):
                if spend[self.year == y].sum() > cap * (1 - 1e-9):
                    return False
        return True

    def choose_routes(self, x: np.ndarray) -> np.ndarray:
        """Greedy: add the route builds that lower the LP objective (routes fixed 0/1)."""
        lo, hi = np.zeros(len(self.icol)), self.ub.copy()
        hi[self.build] = 0.0
        if self.run(lo, hi) is None:
            return lo
        best = self.objective
        b_idx = np.flatnonzero(self.build)
        val = x[self.icol[b_idx]]
        tried: set[int] = set()
        for i in b_idx[np.argsort(-val, kind="stable")]:
            e = int(self.e[i])
            if e in tried or x[self.icol[i]] <= 1e-4:
                continue
            if self.used() > ROUTES_UNTIL:
                break
            tried.add(e)
            trial_lo = lo.copy()
            trial_lo[i] = 1.0
            trial_hi = hi.copy()
            trial_hi[i] = 1.0
            if not self.fits_budget(trial_lo) or self.run(trial_lo, trial_hi) is None:
                continue
            if self.objective < best - 1e-9 * abs(best):
                best, lo, hi = self.objective, trial_lo, trial_hi
        return lo

    def lp_routes(self, x: np.ndarray) -> np.ndarray:
        """Min-cost: every route the LP relaxation builds, in the first year it builds any of it.

        Why not :meth:`choose_routes`: its first LP builds no route, and under min-cost (every
        Gbps served) that LP is infeasible wherever a pair needs a new route.
        """
        lo = np.zeros(len(self.icol))
        b_idx = np.flatnonzero(self.build)
        b_idx = b_idx[np.argsort(self.live[b_idx], kind="stable")]  # earliest first
        taken: set[int] = set()
        for i, v in zip(b_idx, x[self.icol[b_idx]], strict=True):
            if int(self.e[i]) not in taken and v > NEAR:
                taken.add(int(self.e[i]))
                lo[i] = 1.0
        return lo

    def round_up(self, x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray | None:
        """The LP's purchases rounded up by cumulative units in service (within [lo, hi]);
        None if that breaks the budget.

        Why cumulative: rounding each year's fraction up would buy up to one unit per year too
        many; ``ceil`` of the running total buys at most one per corridor and option. For a
        relaxation that used the dives' work (Cogentco): measured, its round-up cost $517.0M
        against $523.6M for the greedy-and-trim start that was used instead.
        """
        v = np.clip(x[self.icol], lo, hi)
        order = np.lexsort((self.year, self.group))
        g, vv = self.group[order], v[order]
        cum = np.ceil(pd.Series(vv).groupby(g).cumsum().to_numpy() - NEAR)
        prev = pd.Series(cum).groupby(g).shift(1, fill_value=0.0).to_numpy()
        ints = np.empty_like(v)
        ints[order] = np.maximum(cum - prev, 0.0)
        ints = np.clip(ints, np.maximum(lo, self.lb), hi)
        return ints if self.fits_budget(ints) else None

    def can_round_up(self, i: int, lo: np.ndarray) -> bool:
        """Would one more unit of integer column ``i`` keep the fixed part feasible?"""
        if lo[i] + 1 > self.ub[i] + EPS:
            return False
        e = self.e[i]
        if self.pair[i]:
            same = self.pair & (self.e == e)
            if lo[same].sum() + 1 > self.spare[e] + EPS:
                return False
        if self.cand[e] and not self.build[i]:
            b = self.build & (self.e == e) & (lo > 0.5)
            if not b.any() or self.live[b].min() > self.live[i]:
                return False  # nothing on a route before it is in service
        trial = lo.copy()
        trial[i] += 1
        return self.fits_budget(trial)

    def used(self) -> float:
        """Share of the work budget spent so far."""
        return self.work.share

    def dive(
        self, lo: np.ndarray, hi: np.ndarray, mask: np.ndarray, until: float = 1.0
    ) -> np.ndarray | None:
        """Fix the ``mask`` columns to integers by batches, re-solving the LP after each.

        Values just above an integer are fixed there; values just below one, and the quarter of
        the rest with the largest fractions, are rounded up where caps and budget allow (else
        down). If the LP then fails (wave slots), half the batch is put back, until one column
        is left, which is rounded down. Returns the fixed bounds.
        """
        lo, hi = lo.copy(), hi.copy()
        last: tuple | None = None
        for _ in range(200):
            y = self.run(lo, hi)
            if y is None:  # out of work (or trouble): round the last LP down
                if last is None:
                    return None
                lo, hi, v = last
                free = mask & (hi > lo)
                lo[free] = hi[free] = self.settle(v[free], lo[free], hi[free])
                return lo
            v = y[self.icol]
            last = (lo.copy(), hi.copy(), v)
            free = mask & (hi > lo)
            if not free.any():
                return lo
            if self.used() > until:  # leave work for the next steps: settle the rest
                lo[free] = hi[free] = self.settle(v[free], lo[free], hi[free])
                return lo
            fl = np.floor(v + EPS)
            frac = v - fl
            down = free & (frac < NEAR)
            lo[down] = hi[down] = fl[down]
            nearly = np.flatnonzero(free & (frac > 1 - NEAR))  # round up like the batch
            rest = np.flatnonzero(free & (frac >= NEAR) & (frac <= 1 - NEAR))
            top = rest[np.argsort(-frac[rest], kind="stable")][: max(1, len(rest) // 4)]
            top = np.r_[nearly, top] if len(rest) else nearly
            if not len(top):
                continue
            t_lo, t_hi = lo.copy(), hi.copy()
            chosen = []
            for i in top:
                t_lo[i] = fl[i]
                if self.can_round_up(i, t_lo):
                    t_lo[i] = t_hi[i] = fl[i] + 1
                    chosen.append(i)
                else:
                    lo[i] = hi[i] = t_lo[i] = t_hi[i] = fl[i]
            while chosen:
                if self.run(t_lo, t_hi) is not None:
                    lo, hi = t_lo, t_hi
                    break
                if len(chosen) == 1:
                    i = chosen[0]
                    lo[i] = hi[i] = fl[i]
                    break
                for i in chosen[len(chosen) // 2 :]:
                    t_lo[i], t_hi[i] = lo[i], hi[i]
                chosen = chosen[: len(chosen) // 2]
        return lo

    def settle(self, v: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Integers for LP values ``v`` the dive has no work left for: down under a budget
        (never breaks it), up under min-cost (the LP's flows still fit), within [lo, hi]."""
        r = np.ceil(v - NEAR) if self.min_cost else np.floor(v + EPS)
        return np.clip(r, lo, hi)

    def finish(self, ints: np.ndarray) -> tuple[float, np.ndarray, np.ndarray] | None:
        """Repair, fix every integer, re-optimise flows; (objective, x, integers)."""
        u, b = repair(self.m, ints[: self.n_u], ints[self.n_u :])
        ints = np.maximum(np.r_[u, b], self.lb)
        y = self.run(ints, ints)
        return None if y is None else (self.objective, y.copy(), ints)


def rounding_start(m: Model, time_limit_s: float, threads: int = 1) -> tuple[dict, dict]:
    """Feasible start ``{variable: value}`` and info (objective, LP bound, seconds).

    Also ``unserved_floor_gbps_years``: the unserved demand of the LP relaxation without any
    budget, a lower bound on the unserved demand of every plan (see ``solve.set_objective_offset``).
    """
    start, info, _ = rounding_plan(m, time_limit_s, threads)
    return start, info


def rounding_plan(
    m: Model, time_limit_s: float, threads: int = 1
) -> tuple[dict, dict, Rounder | None]:
    """:func:`rounding_start` and its live :class:`Rounder` (for :mod:`.trim`), None if unused.

    The basis of the LP relaxation's optimum is left in ``m.meta["lp_relaxation_basis"]``: the
    cut separation (:mod:`planner.optimize.cutset`) starts from it instead of solving that LP
    again (on Cogentco, all pairs, it ran out of work before its first LP finished).
    """
    info: dict = {"heuristic": "lp_relax_routes_pairs_waves"}
    r = Rounder(m, time_limit_s, threads)
    if not r.min_cost:
        floor = r.unserved_floor()
        if floor is not None:
            info["unserved_floor_gbps_years"] = floor
    x = r.run(np.zeros(len(r.icol)), r.ub)
    best = None
    if x is not None:
        info["lp_relaxation_objective"] = r.objective / OBJ_SCALE
        m.meta["lp_relaxation_basis"] = r.lp.basis()
        m.meta["lp_relaxation_values"] = x.copy()  # the LNS ranks and sizes by it
        routes = r.lp_routes(x) if r.min_cost else r.choose_routes(x)
        lo, hi = routes.copy(), r.ub.copy()
        hi[r.build] = routes[r.build]
        lo = r.dive(lo, hi, r.pair, until=PAIRS_UNTIL)
        if r.used() >= WAVES_UNTIL:  # no work for the wave dive (Cogentco: the relaxation
            # used 78 %): the LP's purchases rounded up, with extra work for their flows LP
            lo = r.round_up(x, np.where(r.build, routes, 0.0), hi)
            if lo is not None:
                r.work.grant(ROUND_UP_EXTRA_SHARE)
                info["heuristic"] = "lp_relax_round_up"
                best = r.finish(lo)
        else:
            if lo is not None:
                hi[r.pair] = lo[r.pair]
                lo = r.dive(lo, hi, r.wave, until=WAVES_UNTIL)
            if lo is not None:
                best = r.finish(lo)
    info["heuristic_seconds"] = time.perf_counter() - r.t0
    info["heuristic_work_share"] = round(r.used(), 6)
    if best is None:
        return {}, info, r
    obj, y, ints = best
    y[r.icol] = ints
    info["heuristic_objective"] = obj / OBJ_SCALE
    return {v: float(y[v.index]) for v in m.prob.variables()}, info, r
