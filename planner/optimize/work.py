"""Work budgets: heuristics are bounded by simplex iterations, never by the wall clock.

Why: a heuristic that stops after so many *seconds* stops earlier on a busy machine and
hands the solver another start, so the same inputs and seed gave different plans depending
on machine load. A budget counted in simplex iterations is the same on every run. The user
still states one knob, ``solver.time_limit_s``: a share of it is converted to work at a fixed
nominal rate (:data:`WORK_PER_SECOND`, measured on the 2-core bench machine, rounded down so
an idle machine finishes the budget well inside the nominal time).

Work unit: one simplex iteration on an LP of ``rows + columns`` costs ``rows + columns``
units, a rough proxy for the time an iteration takes (the base scenario, 11k rows + columns,
ran ~8e7 units/s with the machine shared; Geant2012, 25k, ~1.3e8 units/s).
"""

from __future__ import annotations

#: nominal work units (simplex iterations x (rows + columns)) per second of time limit
WORK_PER_SECOND = 5e7


def work_budget(seconds: float) -> float:
    """Work units a heuristic may spend for a nominal allowance of ``seconds``."""
    return max(0.0, float(seconds)) * WORK_PER_SECOND


def iteration_limit(work_left: float, size: int) -> int:
    """Simplex iterations left on an LP of ``size`` rows + columns (at least one)."""
    return max(1, int(work_left // max(1, size)))
