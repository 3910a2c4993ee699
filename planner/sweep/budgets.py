"""The budget rows of a chain's model, and the model itself (shared by the chain and its
helper process, :mod:`planner.sweep.ahead`, which must build the very same model).

Budget rows are scaled once, relative to the largest budget (``planner.optimize.model.
budget_scale``), so every right-hand side of the chain is at most ``BUDGET_ROW_RHS``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from planner.config import Scenario
from planner.optimize import build_model
from planner.optimize.model import Model
from planner.options import PlanOptions
from planner.solver.highs import Session
from planner.tables import Inputs


def chain_model(
    inputs: Inputs, demand: pd.DataFrame, order: Sequence[Scenario], options: PlanOptions
) -> Model:
    """The chain's one model, built at the largest budget (also by the helper process)."""
    o = options
    return build_model(inputs, demand, order[-1], formulation=o.formulation, objective=o.objective)


def set_budget(m: Model, sc: Scenario, s: Session | None) -> None:
    """Budget rows of ``m`` (PuLP) and of the live session ``s`` to ``sc``'s budget."""
    rhs = _budget_rhs(m, sc)
    cons = m.family("budget")
    if sc.budget_usd_per_year is not None:
        cons += m.family("budget_year")
    for con, r in zip(cons, rhs, strict=True):
        con.constant = -float(r)  # PuLP keeps ``expr - rhs <= 0``
    if s is not None:
        s.set_rhs(s.row_index(cons), np.asarray(rhs, dtype=float))
    m.scenario = sc


def _budget_rhs(m: Model, sc: Scenario) -> list[float]:
    """Right-hand sides of the budget rows (total, then per year if any), solver units."""
    scale = m.meta["budget_scale"]
    rhs = [sc.budget_usd_total * scale]
    if sc.budget_usd_per_year is not None:
        rhs += [b * scale for b in sc.budget_usd_per_year]
    return rhs
