"""A HiGHS MIP that hands its improving plans out and takes plans in while it searches.

Why: two processes racing on one model (:mod:`planner.optimize.race`) each find plans the
other could prune with; HiGHS offers a callback for each improving solution and one where a
caller may propose a solution of its own (``kCallbackMipUserSolution``; HiGHS checks it
against the model's rows and drops it if infeasible). What is shared, and with whom, is the
caller's :class:`Share`; this module only connects it to a HiGHS instance.
"""

from __future__ import annotations

from collections.abc import Callable
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


def connect(h: highspy.Highs, share: Share, names: list[str]) -> Callable[[], None]:
    """Subscribe ``share`` to ``h``'s MIP callbacks; returns the unsubscribe."""
    if not share.bind(names):
        return lambda: None
    lp = h.getLp()
    cost = np.asarray(lp.col_cost_, dtype=float)
    offset = float(lp.offset_)

    def improving(e) -> None:
        x = np.asarray(e.data_out.mip_solution, dtype=float)
        share.improved(float(cost @ x) + offset, x)

    def user(e) -> None:
        x = share.offer(float(e.data_out.mip_primal_bound))
        if (
            x is not None
            and len(x) == len(cost)
            and float(cost @ x) + offset < float(e.data_out.mip_primal_bound)
        ):
            e.data_in.setSolution(x)

    h.cbMipImprovingSolution.subscribe(improving)
    h.cbMipUserSolution.subscribe(user)

    def off() -> None:
        h.cbMipImprovingSolution.unsubscribe(improving)
        h.cbMipUserSolution.unsubscribe(user)

    return off
