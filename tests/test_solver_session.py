"""The HiGHS session: edit a live model and re-solve warm, LP and MIP, optimum by hand."""

from __future__ import annotations

import numpy as np
import pulp
import pytest

from planner.solver.highs import INF, Session


def knapsack(integer: bool) -> tuple[pulp.LpProblem, list[pulp.LpVariable], pulp.LpConstraint]:
    """max 5x + 4y s.t. 6x + 4y <= 24 (budget), x + 2y <= 6; x, y >= 0 (as a minimisation).

    LP optimum x=3, y=1.5 (21); integer optimum x=4, y=0 (20).
    """
    cat = pulp.LpInteger if integer else pulp.LpContinuous
    prob = pulp.LpProblem("k", pulp.LpMinimize)
    x = prob.add_variable("x", 0, None, cat)
    y = prob.add_variable("y", 0, None, cat)
    prob += -5 * x - 4 * y
    budget = 6 * x + 4 * y <= 24
    prob += budget, "budget"
    prob += x + 2 * y <= 6, "other"
    return prob, [x, y], prob.get_constraint_by_name("budget")


def test_lp_session_changes_rhs_and_adds_rows_warm():
    prob, (x, y), budget = knapsack(integer=False)
    s = Session.from_pulp(prob)
    assert s.run() and s.objective == pytest.approx(-21.0)
    assert s.col_values()[s.col_index([x, y])] == pytest.approx([3.0, 1.5])
    s.set_rhs(s.row_index([budget]), [12.0])  # a smaller budget: x=0, y=3 (12) vs x=2 (10)
    assert s.run() and s.objective == pytest.approx(-12.0)
    s.add_row(-INF, 2.0, s.col_index([y]), [1.0])  # y <= 2: then x=2/3, y=2 (11.33)
    assert s.run() and s.objective == pytest.approx(-(5 * 2 / 3 + 8))
    assert s.iterations >= 0


def test_mip_session_re_solves_from_the_incumbent():
    prob, (x, y), budget = knapsack(integer=True)
    s = Session.from_pulp(prob, mip=True)
    assert s.mip and s.run() and s.objective == pytest.approx(-20.0)
    assert s.col_values()[s.col_index([x, y])] == pytest.approx([4.0, 0.0])
    s.set_rhs(s.row_index([budget]), [30.0])  # x=5, y=0 (25) vs x=4, y=1 (24)
    assert s.run() and s.objective == pytest.approx(-25.0)
    s.add_row(-INF, 4.0, s.col_index([x]), [1.0])  # x <= 4: x=4, y=1 (24)
    assert s.run() and np.allclose(s.col_values()[s.col_index([x, y])], [4.0, 1.0])
