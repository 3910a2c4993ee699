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
