"""The neighbour's plan plus an LP-guided fill of the extra money: a chain's second start.

Why: a chain solves budgets in ascending order, and the smaller budget's plan is feasible at
the larger one; the budget's own heuristic start (``planner.optimize.starts.initial_plan``)
rounds from scratch and is often a few percent worse than the neighbour's plan grown by the
extra money (measured on the shipped network: 533 $M, own start 16.3e12, fill 15.5e12 USD of
objective less the offset). Here one LP (the relaxation, loaded once for the whole chain) keeps the
neighbour's purchases as lower bounds and spends only the extra money where the LP says it
serves most: the LP-guided rounding of :class:`~planner.optimize.starts.rounding.Rounder`
(routes, fiber pairs, waves) on the increments. Its plan never buys less than the
neighbour's; the chain offers HiGHS the best of the three starts (own, neighbour, fill).

Bounded by simplex work (:mod:`planner.optimize.work`), never by the clock: the same start
on an idle and on a busy machine.
"""

from __future__ import annotations

import time

import numpy as np

from planner.optimize.model import OBJ_SCALE, Model
from planner.optimize.starts.rounding import PAIRS_UNTIL, WAVES_UNTIL, Rounder
from planner.optimize.work import WorkMeter


class NeighbourFill(Rounder):
    """The rounding start's LP, kept for the whole chain, floors at the neighbour's plan."""

    def __init__(self, m: Model, work_seconds: float, threads: int) -> None:
        super().__init__(m, work_seconds, threads)
        self.lb0 = self.lb.copy()  # committed purchases: the only ones the budget does not count
        self.seconds = work_seconds
        self.budget_rows = self.lp.row_index(m.family("budget", "budget_year"))

    def fits_budget(self, v: np.ndarray) -> bool:
        """As the rounding start's, but the neighbour's purchases (the floors) count too."""
        saved, self.lb = self.lb, self.lb0
        try:
            return super().fits_budget(v)
        finally:
            self.lb = saved

    def set_rhs(self, rhs: np.ndarray) -> None:
        """The budget rows' right-hand sides (solver units) on this LP."""
        self.lp.set_rhs(self.budget_rows, np.asarray(rhs, dtype=float))

    def fill(self, previous: np.ndarray) -> tuple[np.ndarray | None, dict]:
        """Column values (HiGHS order of ``m.prob``) buying at least ``previous``'s integers.

        Returns ``(x, info)``; ``x`` None when the work ran out before a plan was fixed.
        """
        t = time.perf_counter()
        self.work = WorkMeter(self.seconds, self.work.size)
        self.lb = np.maximum(self.lb0, np.round(previous[self.icol]))
        info: dict = {}
        best = None
        x = self.run(np.zeros(len(self.icol)), self.ub)
        if x is not None:
            routes = self.choose_routes(x)
            lo, hi = np.maximum(routes, self.lb), self.ub.copy()
            hi[self.build] = lo[self.build]
            lo = self.dive(lo, hi, self.pair, until=PAIRS_UNTIL)
            if lo is not None:
                hi[self.pair] = lo[self.pair]
                lo = self.dive(lo, hi, self.wave, until=WAVES_UNTIL)
            if lo is not None:
                best = self.finish(lo)
        info["fill_seconds"] = time.perf_counter() - t
        if best is None:
            return None, info
        obj, y, ints = best
        y[self.icol] = ints
        info["fill_objective"] = obj / OBJ_SCALE
        return y, info
