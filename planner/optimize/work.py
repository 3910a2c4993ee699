"""Work budgets: heuristics are bounded by simplex iterations, never by the wall clock.

Why: a heuristic that stops after so many *seconds* stops earlier on a busy machine and
hands the solver another start, so the same inputs and seed gave different plans depending
on machine load. A budget counted in simplex iterations is the same on every run. The user
still states one knob, ``solver.time_limit_s``: a share of it is converted to work at a fixed
nominal rate (:data:`WORK_PER_SECOND`, about what the 2-core bench machine does when idle),
so a busy machine takes longer in wall time but does exactly the same work.

Work unit: one simplex iteration on an LP of ``n`` rows + columns costs ``sqrt(n)`` units.
Measured with the machine shared (2026-12-06): an iteration took 3.1e-4 s on the base
scenario (11k rows + columns) and 1.5e-3 s on Deltacom (173k), ~2.9e-6 and ~3.5e-6 s per
unit, so the unit tracks time across sizes (iterations x n did not: a factor 2.3 apart).
"""

from __future__ import annotations

import math

from planner.solver.highs import Session

#: nominal work units (simplex iterations x sqrt(rows + columns)) per second of time limit
WORK_PER_SECOND = 1e6


def work_budget(seconds: float) -> float:
    """Work units a heuristic may spend for a nominal allowance of ``seconds``."""
    return max(0.0, float(seconds)) * WORK_PER_SECOND


def iteration_limit(work_left: float, size: int) -> int:
    """Simplex iterations left on an LP of ``size`` rows + columns (at least one)."""
    return max(1, int(work_left // math.sqrt(max(1, size))))


def iteration_work(iterations: int, size: int) -> float:
    """Work units of ``iterations`` simplex iterations (at least one) on that LP."""
    return max(1, int(iterations)) * math.sqrt(max(1, size))


class WorkMeter:
    """A work budget spent by the LPs of one live session: each run gets the iterations left.

    Why one class: the rounding start and the cut separation both run warm LPs until their
    budget is spent; the budget, the size of the LP (rows + columns, which grows as rows are
    added) and the spending rule live here once.
    """

    def __init__(self, seconds: float, size: int) -> None:
        self.budget, self.spent, self.size = work_budget(seconds), 0.0, int(size)

    @property
    def exhausted(self) -> bool:
        return self.spent >= self.budget

    @property
    def share(self) -> float:
        """Share of the budget spent so far."""
        return self.spent / max(self.budget, 1e-9)

    def grant(self, share: float) -> None:
        """``share`` more of the budget: for a last step worth finishing after the earlier
        ones used the budget up (still work, not seconds: the same on a busy machine)."""
        self.budget += share * self.budget

    def run(self, lp: Session) -> bool:
        """Re-solve ``lp`` within the work left; True when optimal. Counts what it spent."""
        ok = lp.run(iteration_limit=iteration_limit(self.budget - self.spent, self.size))
        self.spent += iteration_work(lp.iterations, self.size)
        return ok
