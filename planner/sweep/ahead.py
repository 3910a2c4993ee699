"""Work ahead of a budget chain on the second core: start heuristics, marginal LPs, bounds.

Why: a budget chain solves one MIP after another, and HiGHS's MIP search uses one core
("Using 1 max workers" with 2 threads on the bench machine). Per budget the chain also ran
the start heuristic (2-6 s on the shipped network) before the MIP and the two marginal LPs
(1-4 s) after it, all on that same core, while the second core idled. Neither depends on the
MIP being solved: a budget's own heuristic start reads only the model and the budget, and
its marginal LPs only the finished plan. This module runs them in one helper process that
holds its own copy of the model (built by the same code from the same inputs, so the same
columns in the same order), ahead of the chain: the start of budget ``i + 1`` while budget
``i`` is searched, the marginals of budget ``i`` while budget ``i + 1`` is (and with them
its all-paths bound, :mod:`planner.sweep.allpaths`).

Same plans as in one process: the heuristics are bounded by simplex work
(:mod:`planner.optimize.work`), never by the clock, and run on an identical model, so they
return the same start whichever process runs them (``tests/test_sweep_ahead.py``).
The helper is a spawned process (no fork of a process that already runs HiGHS threads).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor

import numpy as np
import pandas as pd

from planner.config import Scenario
from planner.optimize.starts import initial_plan
from planner.options import PlanOptions
from planner.sweep.allpaths import ChainBounds
from planner.sweep.budgets import chain_model, set_budget
from planner.tables import Inputs

#: the helper process's model and budgets (one chain per helper)
_STATE: dict = {}


def _init(inputs: Inputs, demand: pd.DataFrame, order: list[Scenario], options: PlanOptions):
    """Helper process: build the chain's model once, as :func:`~planner.sweep.chain.plan_chain`
    does."""
    _STATE["m"] = chain_model(inputs, demand, order, options)
    _STATE["order"] = order
    _STATE["bounds"] = ChainBounds(_STATE["m"], order, options.objective)


def own_start(m, sc: Scenario) -> tuple[dict[str, float], dict]:
    """A budget's own heuristic start (as a run alone computes it, but for the sub-MIP), by
    column name.

    Why no sub-MIP: in the chain the start is followed by the MIP on the live session, which
    searches the same neighbourhood, and the sub-MIP was most of the start's time (shipped
    network, 20 s per budget: 3.2 / 4.2 / 8.9 s of 5.9 / 7.3 / 12.1 s at $400M / $800M /
    $1.2B), so the chain waited ~30 s for this process. Without it the 10-budget chain took
    89.1 s instead of 112.6 s (one run each, quiet machine), every plan as good or better
    ($667M: served gap 1.02 % instead of 1.59 %).
    """
    set_budget(m, sc, None)
    obj = m.prob.objective
    constant = obj.constant if obj is not None else 0.0
    if obj is not None:  # as a run alone: before the chain's objective offset
        obj.constant = 0.0
    try:
        start, info, _left = initial_plan(m, sc.solver, submip=False)
    finally:
        if obj is not None:
            obj.constant = constant
    return {v.name: float(x) for v, x in start.items()}, info


def _start(i: int) -> tuple[dict[str, float], dict]:
    return own_start(_STATE["m"], _STATE["order"][i])


def plan_marginals(m, sc: Scenario, names: Sequence[str], x: np.ndarray):
    """The marginal LPs of the plan ``x`` (values of the columns ``names``) at ``sc``'s budget."""
    from planner.optimize import marginal_values

    set_budget(m, sc, None)
    val = dict(zip(names, np.asarray(x, dtype=float).tolist(), strict=True))
    for v in m.prob.variables():
        v.varValue = val.get(v.name, 0.0)
    return marginal_values(m, sc.solver.time_limit_s, sc.solver.threads)


def _after(i: int, names: Sequence[str], x: np.ndarray, marginals: bool):
    """Budget ``i``'s marginal LPs (if asked) and all-paths bound fields."""
    mv = plan_marginals(_STATE["m"], _STATE["order"][i], names, x) if marginals else None
    return mv, _STATE["bounds"].bound(i)


def _bounds(upto: int) -> None:
    _STATE["bounds"].bound(upto)


#: starts computed this many budgets ahead. Why two: each budget's marginal LPs and bounds
#: (``after``) queue behind the starts submitted before them; one budget ahead, a short MIP
#: (5-7 s on the shipped network) left the next start waiting behind them.
AHEAD = 2


class Ahead:
    """The helper process of one chain: ``start(i)`` and ``after(i, ...)`` futures."""

    def __init__(
        self, inputs: Inputs, demand: pd.DataFrame, order: list[Scenario], options: PlanOptions
    ) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.pool = ProcessPoolExecutor(
            1, mp_context=ctx, initializer=_init, initargs=(inputs, demand, order, options)
        )
        self.starts: dict[int, Future] = {}
        self.n = len(order)
        self.bounds_asked = False
        for i in range(1, AHEAD + 1):  # starts the process now: it builds its model while the
            self.prefetch(i)  # chain does

    def start(self, i: int) -> Future:
        """The start of budget ``i`` (submitted now if not yet asked for)."""
        if i not in self.starts:
            self.starts[i] = self.pool.submit(_start, i)
        return self.starts[i]

    def prefetch(self, i: int) -> None:
        """Budget ``i``'s start; past the last budget, once, every budget's bound: the helper
        has no start left to compute, so the last plans need not wait for their bounds."""
        if i < self.n:
            self.start(i)
        elif not self.bounds_asked:
            self.bounds_asked = True
            self.pool.submit(_bounds, self.n - 1)

    def after(self, i: int, names: Sequence[str], x: np.ndarray, marginals: bool) -> Future:
        """Budget ``i``'s marginal LPs of the plan ``x`` (when ``marginals``) and its
        all-paths bound (:mod:`planner.sweep.allpaths`), as a ``(marginals, fields)`` future."""
        return self.pool.submit(_after, i, list(names), np.asarray(x, dtype=float), marginals)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
