"""What a MIP solve returned, whichever solver ran it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class MipOutcome:
    """What a MIP solve returned, in solver units (the caller scales the objective)."""

    status: str  # optimal | served_gap_reached | time_limit_feasible | infeasible | no_solution
    raw_status: str
    objective: float
    best_bound: float | None
    mip_gap: float
    load_seconds: float
    #: seconds past its limit at which the planner ended a solver that had not stopped
    #: (:mod:`planner.solver.guard`); None when the solver stopped by itself
    ended_late_s: float | None = None
