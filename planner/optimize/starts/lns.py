"""Large-neighbourhood search (fix-and-optimize) on the start, where the full MIP cannot search.

Why: on the large networks (Kdl, 754 sites; Cogentco, all 16k pairs) the MIP solver either
does not finish its root LP (the plan is the start) or stops well above the bound; the start
buys whole waves where the LP relaxation bought fractions. Fix-and-optimize (relaxation
induced and local-branching style neighbourhoods, Danna, Rothberg and Le Pape 2005; relax-and-
fix by period for multi-period network design): repeatedly free the integer decisions of a
few corridors (and, by year, of one purchase year), together with the flows and unserved
demand of every pair-year whose paths can use the capacity they add, hold every other column
at the incumbent, and solve that small MIP from the incumbent. A result is kept only if it
passes every row and bound of the full model and is cheaper (as :mod:`.trim` does). It runs
on models of :data:`MIN_COLUMNS` to :data:`MAX_MODEL_COLUMNS` columns (why not outside:
there), on the MIP's plan when the MIP stopped on its time limit (:func:`lns_after_mip`,
called by ``solve.solve``, in time kept back from the MIP). Measured on Kdl: run on the start
instead, it reaches 3.456M and HiGHS then ends on the 3.425M it reaches without it; from
HiGHS's 150 s plan (3.465M) it reaches 3.384M (reports/bench/topologyzoo_lns.md).

The sub-MIP is built from the full model's triplets restricted to its free columns (rows
they touch, right-hand sides less the fixed columns' activity), never a copy of the whole
model (Cogentco: 445k columns). Every sub-MIP is bounded by its node limit, the whole search
by a work budget (:mod:`planner.optimize.work`: the simplex iterations each sub-MIP reports
when done, charged before the next one starts), never by the clock: the same inputs give the
same plan. Why not an iteration limit inside a sub-MIP: HiGHS ignores
``simplex_iteration_limit`` in a MIP (ERGO-Code/HiGHS#1814), and on highspy 1.15.1 the MIP
interrupt callback reports ``simplex_iteration_count`` -1 (and the simplex callback is not
called inside a MIP), so an interrupt on that count never fires; the node count is exact.

Neighbourhoods, in turn (each kind walks its own ranking of seeds, re-ranked on the current
incumbent): ``lp_gap``, the corridor where the LP relaxation and the incumbent disagree most
(by CapEx) and the corridors next to it; ``site``, a site's corridors and their neighbours;
``underused``, a corridor whose bought capacity the incumbent's flows leave unused, and its
neighbours; ``year``, one purchase year on the corridors that disagree most in that year.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterator

import numpy as np

from planner.optimize.model import OBJ_SCALE
from planner.optimize.starts.rounding import Rounder
from planner.optimize.starts.submip import on_start
from planner.optimize.starts.trim import Plan, Trimmer
from planner.optimize.work import WorkMeter, iteration_work
from planner.solver.highs import INF, Session, sparse_lp

log = logging.getLogger(__name__)

#: Share of the time limit (nominal seconds, turned into work) the search may use.
LNS_TIME_SHARE = 0.3
#: No search on models with fewer columns: there HiGHS's own tree and heuristics improve the
#: start within the limit (base scenario, 9.5k columns: served-gap stop at 0.94 %), and the
#: search's time would come out of that (measured on Kdl, 49k: the search gets in ~2 min
#: within 1 % of the plan HiGHS's tree reaches in 5 min).
MIN_COLUMNS = 20_000
#: No search on models with more columns either (Cogentco, all pairs, 445k): HiGHS does not
#: finish its root LP there, but the search's sub-MIPs cost ~5x their nominal work (8-19k
#: iterations in 4-12 s), and (measured with the search on the start) the cut separation's
#: rounded LP optimum, offered after it, was cheaper than the search's plan at a 0.3 share
#: (same final plan as without the search, peak 2.89 GB against the 3 GB target); at 0.5 it
#: saved $1.4M (gap 8.99 -> 8.95 %) but the run took 531 s instead of ~370 s
#: (reports/bench/topologyzoo_lns.md).
MAX_MODEL_COLUMNS = 200_000
#: Branch-and-bound nodes per sub-MIP (work, not time: the same on a busy machine).
MAX_NODES = 200
#: Free columns per sub-MIP (integers + flows + unserved), and at most this share of the model
MAX_FREE_COLUMNS = 12_000
MAX_FREE_SHARE = 0.5
#: Sub-MIPs in all (the work budget usually ends the search first)
MAX_ROUNDS = 200
#: Work charged per sub-MIP besides its iterations, per row + column of the full model
#: (choosing, slicing, the full row check of the result): on Cogentco (~650k rows + columns)
#: a round took 3-12 s for 2-19k iterations (measured, shared machine), so iterations alone
#: let the search run 2-5x its nominal share there.
ROUND_WORK_PER_ENTRY = 8.0
#: Corridors looked at around a seed (its own, those sharing a site, ... ``HOPS`` rings).
MAX_CANDIDATES = 40
HOPS = 2
KINDS = ("lp_gap", "site", "underused", "year")
#: Pair-years freed with a corridor: ``all`` that have a path over it, or ``active``: those
#: routed over it in the plan or the LP relaxation, or short of demand (:meth:`focus`)
FLOW_GROUPS = "active"
FLOW_TOL = 1e-9


def lns_share(n_columns: int) -> float:
    """Share of the time limit for the search on a model of ``n_columns`` columns (0: none)."""
    return LNS_TIME_SHARE if MIN_COLUMNS <= n_columns <= MAX_MODEL_COLUMNS else 0.0


class Neighbourhoods:
    """Which columns freeing a set of integer decisions frees, precomputed once.

    Groups: the demand rows (one per pair-year: its flows and its unserved column). A freed
    integer adds capacity to its corridor from its first year in service on; every group with
    a flow in one of those (corridor, year) capacity rows is freed with it.
    """

    def __init__(self, tr: Trimmer) -> None:
        self.tr, r, A = tr, tr.r, tr.A
        self.n_cols = A.shape[1]
        csr = A.tocsr()
        demand_rows = np.unique(A[:, tr.us_cols].indices)
        d = csr[demand_rows]
        self.g_ptr, self.g_cols = d.indptr, d.indices  # columns of each group
        col_group = np.full(self.n_cols, -1, dtype=np.int64)
        col_group[d.indices] = np.repeat(np.arange(len(demand_rows)), np.diff(d.indptr))
        col_group[r.icol] = -1
        rows, cells = tr.cap_rows
        c = csr[rows]
        del csr
        g = col_group[c.indices]
        ok = g >= 0
        cell = np.repeat(cells, np.diff(c.indptr))[ok]
        # (cell, group, column) of every flow in a capacity row, by cell
        order = np.lexsort((g[ok], cell))
        self.cg_cell, self.cg_group = cell[order], g[ok][order]
        self.cg_col = c.indices[ok][order]
        self.cell_ptr = np.searchsorted(self.cg_cell, np.arange(tr.n_cells + 1))
        self.n_groups = len(demand_rows)
        self.us_group = col_group[tr.us_cols]
        #: flow columns that may matter (set by :meth:`focus`); None: every flow
        self.active: np.ndarray | None = None
        self.g_size = np.diff(self.g_ptr)
        cor = r.m.sets.corridors
        sites = np.unique(np.r_[cor["site_a"].to_numpy(str), cor["site_b"].to_numpy(str)])
        self.end_a = np.searchsorted(sites, cor["site_a"].to_numpy(str))
        self.end_b = np.searchsorted(sites, cor["site_b"].to_numpy(str))
        self.n_sites, self.n_cor = len(sites), len(cor)
        self.cap = max(1, min(MAX_FREE_COLUMNS, int(MAX_FREE_SHARE * self.n_cols)))
        if self.n_cols <= 2 * MAX_FREE_COLUMNS // 10:  # tiny models: everything may be free
            self.cap = self.n_cols

    def focus(self, y: np.ndarray, lp: np.ndarray | None) -> None:
        """Free only the pair-years that use the freed capacity in the plan ``y`` or in the
        LP relaxation ``lp``, or leave demand unserved in ``y`` (they could use more); the
        other pair-years through a freed corridor keep their routes (``FLOW_GROUPS``)."""
        if FLOW_GROUPS == "all":
            self.active = None
            return
        hot = y[self.cg_col] > FLOW_TOL
        if lp is not None:
            hot |= lp[self.cg_col] > FLOW_TOL
        short = np.zeros(self.n_groups, bool)
        short[self.us_group[y[self.tr.us_cols] > FLOW_TOL]] = True
        self.active = hot | short[self.cg_group]

    def groups_of(self, cells: np.ndarray) -> np.ndarray:
        """Mask over groups with a flow in one of the capacity cells ``cells`` (mask).

        Only the entries of those cells are read (by cell, :attr:`cell_ptr`): a neighbourhood
        is sized dozens of times per round, and on Cogentco a pass over every entry cost
        seconds per round."""
        out = np.zeros(self.n_groups, bool)
        idx = np.flatnonzero(cells)
        lo, hi = self.cell_ptr[idx], self.cell_ptr[idx + 1]
        n = hi - lo
        if not n.sum():
            return out
        pick = np.repeat(lo - np.r_[0, np.cumsum(n)[:-1]], n) + np.arange(n.sum())
        if self.active is not None:
            pick = pick[self.active[pick]]
        out[self.cg_group[pick]] = True
        return out

    def cells_of(self, free_int: np.ndarray) -> np.ndarray:
        """Capacity cells (mask) the integer decisions ``free_int`` (mask) add to."""
        tr, r = self.tr, self.tr.r
        out = np.zeros(tr.n_cells, bool)
        for e in np.unique(r.e[free_int]):
            first = int(tr.year_index[free_int & (r.e == e)].min())
            out[e * tr.T + min(first, tr.T - 1) : (e + 1) * tr.T] = True
        return out

    def columns(self, free_int: np.ndarray) -> np.ndarray:
        """Free columns (sorted HiGHS numbers) of the neighbourhood of ``free_int``."""
        groups = np.flatnonzero(self.groups_of(self.cells_of(free_int)))
        parts = [self.g_cols[self.g_ptr[g] : self.g_ptr[g + 1]] for g in groups]
        return np.unique(np.concatenate([self.tr.r.icol[free_int].astype(np.int64), *parts]))

    def size(self, free_int: np.ndarray) -> int:
        """Free columns of ``free_int``'s neighbourhood (integers + flows + unserved)."""
        groups = self.groups_of(self.cells_of(free_int))
        return int(free_int.sum() + self.g_size[groups].sum())

    def grow(self, cands: list[int], allowed: np.ndarray) -> np.ndarray | None:
        """Integer decisions (mask) of the corridors ``cands`` in order (the ``allowed`` ones
        only) while the neighbourhood fits :attr:`cap`; None if not even the first fits."""
        r = self.tr.r
        free = np.zeros(len(r.icol), bool)
        for e in cands:
            trial = free | (allowed & (r.e == e))
            if not (trial & ~free).any():
                continue
            if self.size(trial) > self.cap:
                continue  # a smaller corridor further down may still fit
            free = trial
        return free if free.any() else None

    def around(self, seed: int, score: np.ndarray) -> list[int]:
        """``seed``, then the corridors sharing a site with it, then those one hop further
        (:data:`HOPS` rings), each ring by ``score`` (highest first)."""
        out, seen = [seed], {seed}
        ring = {seed}
        for _ in range(HOPS):
            ends = {int(s) for s in np.r_[self.end_a[list(ring)], self.end_b[list(ring)]]}
            ring = self._touching(ends) - seen
            if not ring:
                break
            seen |= ring
            out += _ranked(ring, score)
        return out[:MAX_CANDIDATES]

    def _touching(self, sites: set[int]) -> set[int]:
        s = np.fromiter(sites, dtype=np.int64, count=len(sites))
        return set(np.flatnonzero(np.isin(self.end_a, s) | np.isin(self.end_b, s)).tolist())


def _ranked(corridors: set[int], score: np.ndarray) -> list[int]:
    c = np.array(sorted(corridors), dtype=np.int64)
    return c[np.argsort(-score[c], kind="stable")].tolist() if len(c) else []


class Search:
    """The incumbent, its scores and the neighbourhoods still to try."""

    def __init__(self, tr: Trimmer, nb: Neighbourhoods, first: Plan, lp) -> None:
        self.tr, self.nb, self.lp = tr, nb, lp
        r = tr.r
        self.lp_ints = lp[r.icol] if lp is not None else np.zeros(len(r.icol))
        self.used: dict[str, set] = {k: set() for k in KINDS}
        self.tried: set[bytes] = set()  # neighbourhoods solved on this incumbent
        self.set_best(first)  # (and a first pass)

    def set_best(self, plan: Plan) -> None:
        """A new incumbent: the neighbourhoods solved on the old one may hold more now (they
        are tried again in the next pass, :meth:`schedule`)."""
        self.best = plan
        self.nb.focus(plan[1], self.lp)
        self.tried.clear()
        self.improved = True

    # ---- scores on the current incumbent ----------------------------------------------
    def disagreement(self, year: int | None = None) -> np.ndarray:
        """Per corridor: CapEx where the LP relaxation and the incumbent differ."""
        r = self.tr.r
        d = r.cost * np.abs(self.lp_ints - self.best[2])
        if year is not None:
            d = np.where(r.year == year, d, 0.0)
        return np.bincount(r.e, d, self.nb.n_cor)

    def capex(self) -> np.ndarray:
        r = self.tr.r
        return np.bincount(r.e, r.cost * np.maximum(self.best[2] - r.lb, 0.0), self.nb.n_cor)

    def unused(self) -> np.ndarray:
        """Per corridor: its bought CapEx x the least share of the added capacity the
        incumbent's flows leave spare over the years it is in service."""
        tr = self.tr
        added = tr.capacity(self.best[2]).reshape(-1, tr.T)
        spare = tr.spare(self.best[1]).reshape(-1, tr.T)
        share = np.where(added > 1e-9, np.minimum(spare, added) / np.maximum(added, 1e-9), np.inf)
        least = np.min(share, axis=1)
        least = np.where(np.isfinite(least), np.clip(least, 0.0, 1.0), 0.0)
        return self.capex() * least

    # ---- neighbourhoods -----------------------------------------------------------------
    def next(self, kind: str) -> np.ndarray | None:
        """The next untried neighbourhood of ``kind`` (mask over integers), None when none."""
        r, nb = self.tr.r, self.nb
        everything = np.ones(len(r.icol), bool)
        if kind == "year":
            years = np.unique(r.year)
            for y in years:
                if int(y) in self.used[kind]:
                    continue
                self.used[kind].add(int(y))
                score = self.disagreement(int(y))
                order = np.argsort(-score, kind="stable")
                got = nb.grow(order[score[order] > 0].tolist(), r.year == y)
                if got is not None:
                    return got
            return None
        if kind == "site":
            gap, capex = self.disagreement(), self.capex()
            score = gap + capex
            per_site = np.bincount(nb.end_a, score, nb.n_sites) + np.bincount(
                nb.end_b, score, nb.n_sites
            )
            for s in np.argsort(-per_site, kind="stable"):
                if int(s) in self.used[kind] or per_site[s] <= 0:
                    continue
                self.used[kind].add(int(s))
                own = np.flatnonzero((nb.end_a == s) | (nb.end_b == s))
                cands = _ranked(set(own.tolist()), score)
                if cands:
                    cands = list(dict.fromkeys(cands + nb.around(cands[0], score)))
                got = nb.grow(cands[:MAX_CANDIDATES], everything)
                if got is not None:
                    return got
            return None
        score = self.disagreement() if kind == "lp_gap" else self.unused()
        for e in np.argsort(-score, kind="stable"):
            if int(e) in self.used[kind] or score[e] <= 0:
                continue
            self.used[kind].add(int(e))
            got = nb.grow(nb.around(int(e), score + 1e-9 * self.capex()), everything)
            if got is not None:
                return got
        return None

    def schedule(self) -> Iterator[tuple[str, np.ndarray]]:
        """Neighbourhoods of the kinds in turn until every kind has none left (a pass);
        another pass, seeds re-ranked, while the last one improved the plan."""
        while self.improved:
            self.improved = False
            self.used = {k: set() for k in KINDS}
            live = list(KINDS)
            while live:
                for kind in list(live):
                    got = self.next(kind)
                    if got is None:
                        live.remove(kind)
                    elif got.tobytes() not in self.tried:  # the same one from another kind
                        self.tried.add(got.tobytes())
                        yield kind, got


def sub_mip(tr: Trimmer, cols: np.ndarray, y: np.ndarray, act: np.ndarray, threads: int):
    """The MIP over the columns ``cols`` with every other column held at ``y`` (``act``: the
    full model's row activities at ``y``), built from the triplets of ``cols`` alone.
    Returns the session and its size (rows + columns)."""
    sub = tr.A[:, cols]
    rows = np.unique(sub.indices)
    fixed = act[rows] - (sub @ y[cols])[rows]
    sub = sub[rows]
    lo = np.maximum(tr.row_lo[rows] - fixed, -INF)
    hi = np.minimum(tr.row_hi[rows] - fixed, INF)
    clo, chi = tr.col_lo[cols], tr.col_hi[cols]
    clo, chi = np.where(np.isfinite(clo), clo, -INF), np.where(np.isfinite(chi), chi, INF)
    lp = sparse_lp(tr.cost[cols], clo, chi, lo, hi, sub.indptr, sub.indices, sub.data)
    s = Session.from_lp(lp, "LNS sub-MIP", threads=threads, mip_max_nodes=MAX_NODES)
    s.h.setOptionValue("mip_rel_gap", 0.0)
    s.set_integer(np.flatnonzero(np.isin(cols, tr.r.icol)))
    x0 = np.asarray(y[cols], dtype=float)
    s.h.setSolution(len(x0), np.arange(len(x0), dtype=np.int32), x0)
    return s, len(rows) + len(cols)


def solve_round(
    tr: Trimmer,
    search: Search,
    kind: str,
    free_int: np.ndarray,
    cols: np.ndarray,
    act: np.ndarray,
    threads: int,
) -> tuple[Plan | None, float]:
    """One sub-MIP over ``cols`` from the incumbent: its plan if it passes every row of the
    full model (None otherwise) and the work it cost (its iterations)."""
    r = tr.r
    s, size = sub_mip(tr, cols, search.best[1], act, threads)
    s.h.run()  # bounded by its node limit (see the module docstring)
    iters = int(s.h.getInfo().simplex_iteration_count)
    got = None
    if s.has_solution():
        cand = search.best[1].copy()
        cand[cols] = s.col_values()
        got = tr.plan(cand, np.round(cand[r.icol]))
    log.debug(
        "LNS %s: %d corridors, %d integers, %d columns, %d iterations, %d nodes, %s, %s",
        kind,
        len(np.unique(r.e[free_int])),
        int(free_int.sum()),
        len(cols),
        iters,
        s.h.getInfo().mip_node_count,
        s.status_text(),
        "-" if got is None else f"{(search.best[0] - got[0]) / OBJ_SCALE:.0f} USD",
    )
    return got, iteration_work(iters, size)


def lns_plan(
    r: Rounder, y: np.ndarray, seconds: float, threads: int = 1, deadline: float | None = None
) -> tuple[Plan | None, dict]:
    """A cheaper plan than the feasible column values ``y`` from the search (None if none)
    and info. ``seconds``: nominal allowance, turned into work (simplex iterations).
    ``deadline`` (``time.perf_counter()`` value): no round starts after it; only after a MIP
    that stopped on its time limit (its plan already depends on the clock), so that the
    solve keeps the user's ``time_limit_s`` (measured on Kdl: 29 s over without it)."""
    info: dict = {"lns_rounds": 0, "lns_improvements": 0}
    if seconds <= 0:
        info["lns_skipped"] = "model_size"
        return None, info
    tr = Trimmer(r)
    if tr.cap_rows is None or not len(tr.us_cols):
        info["lns_skipped"] = "no_capacity_rows"
        return None, info
    first = tr.plan(y, np.round(y[r.icol]))
    if first is None:
        info["lns_skipped"] = "start_infeasible"
        return None, info
    meter = WorkMeter(seconds, 1)
    nb = Neighbourhoods(tr)
    search = Search(tr, nb, first, r.m.meta.get("lp_relaxation_values"))
    act = tr.A @ first[1]
    overhead = ROUND_WORK_PER_ENTRY * (tr.A.shape[0] + tr.A.shape[1])
    improved_by: dict[str, int] = {}
    largest = 0
    for kind, free_int in search.schedule():
        if meter.exhausted or info["lns_rounds"] >= MAX_ROUNDS:
            break
        if deadline is not None and time.perf_counter() >= deadline:
            info["lns_stopped"] = "time_limit"
            break
        cols = nb.columns(free_int)
        largest = max(largest, len(cols))
        got, work = solve_round(tr, search, kind, free_int, cols, act, threads)
        meter.spent += work + overhead
        info["lns_rounds"] += 1
        if tr.cheaper(got, search.best):
            search.set_best(got)
            act = tr.A @ got[1]
            info["lns_improvements"] += 1
            improved_by[kind] = improved_by.get(kind, 0) + 1
    best = search.best
    info["lns_objective_before"] = first[0] / OBJ_SCALE
    info["lns_objective_after"] = best[0] / OBJ_SCALE
    info["lns_improvement_usd"] = (first[0] - best[0]) / OBJ_SCALE
    info["lns_work_share"] = round(meter.share, 6)
    info["lns_max_free_columns"] = largest
    info["lns_improved_by"] = ",".join(f"{k}:{n}" for k, n in sorted(improved_by.items()))
    return (best if best is not first else None), info


def lns_after_mip(
    m, threads: int, seconds: float, start_info: dict, deadline: float | None = None
) -> bool:
    """The search on the MIP's plan (the variables' ``varValue``): True, values replaced,
    when it found a cheaper plan; its fields land in ``start_info``. ``deadline``: see
    :func:`lns_plan`."""
    r = Rounder(m, 0.0, threads)  # a live LP of the model (rows added since included)
    inc = {v: float(v.varValue or 0.0) for v in m.prob.variables()}
    better, info = lns_start(r, inc, seconds, threads, deadline)
    start_info.update(info, lns_stage="after_mip")
    if better is None:
        return False
    for v in m.prob.variables():
        v.varValue = better[v]
    return True


def lns_start(
    r: Rounder, start: dict, seconds: float, threads: int = 1, deadline: float | None = None
) -> tuple[dict | None, dict]:
    """:func:`lns_plan` on a start ``{variable: value}``: the improved start, or None."""
    plan = functools.partial(lns_plan, deadline=deadline)
    return on_start(r, start, plan, seconds, threads, "lns_seconds")
