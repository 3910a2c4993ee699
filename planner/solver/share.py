"""A HiGHS MIP that hands its improving plans out and takes plans in while it searches.

Why: two processes racing on one model (:mod:`planner.optimize.race`) each find plans the
other could prune with; HiGHS offers a callback for each improving solution and one where a
caller may propose a solution of its own (``kCallbackMipUserSolution``; HiGHS checks it
against the model's rows and drops it if infeasible). What is shared, and with whom, is the
caller's :class:`Share`; this module only connects it to a HiGHS instance.
"""

from __future__ import annotations

from typing import Protocol

import highspy
import numpy as np


class Share(Protocol):
    """What a MIP hands out and takes in (column order of the HiGHS model)."""

    def bind(self, names: list[str]) -> bool:
        """The MIP's columns; False: nothing to share for this model."""

    def improved(self, objective: float, x: np.ndarray) -> None:
        """HiGHS found a better plan (``objective`` in solver units)."""

    def offer(self, primal_bound: float) -> np.ndarray | None:
        """A plan cheaper than ``primal_bound`` (solver units) to propose, or None."""

    def latest(self, names: list[str]) -> np.ndarray | None:
        """The newest plan taken in for the model with columns ``names`` (a MIP start, judged
        by :func:`planner.optimize.starts.initial_plan`), or None."""


def connect(h: highspy.Highs, share: Share, names: list[str]) -> None:
    """Subscribe ``share`` to ``h``'s MIP callbacks (for the rest of ``h``'s life: a PuLP
    solve makes a HiGHS instance per MIP). Objectives are HiGHS's own (with the offset),
    so both sides of a share compare like with like."""
    if not share.bind(names):
        return

    def improving(e) -> None:
        x = np.asarray(e.data_out.mip_solution, dtype=float)
        share.improved(float(e.data_out.objective_function_value), x)

    def user(e) -> None:  # HiGHS checks the plan's rows and keeps it only if it is better
        x = share.offer(float(e.data_out.mip_primal_bound))
        if x is not None:
            e.data_in.setSolution(x)

    h.cbMipImprovingSolution.subscribe(improving)
    h.cbMipUserSolution.subscribe(user)
