"""Guards between the model and HiGHS: a refused model and a solution that does not match
its reported objective are errors, never a silently wrong plan."""

from __future__ import annotations

from pathlib import Path

import highspy
import numpy as np
import pytest

from planner.errors import SolverError
from planner.optimize import build_model
from planner.optimize.model import BUDGET_ROW_RHS
from planner.solver.highs import check_solution_objective, pass_model
from tests.builders import demand, run_case, scenario, triangle


def small_lp(coef: float = 1.0) -> highspy.HighsLp:
    """min x0 + 2 x1  s.t.  coef x0 + x1 >= 1,  0 <= x <= 10."""
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = 2, 1
    lp.col_cost_ = np.array([1.0, 2.0])
    lp.col_lower_, lp.col_upper_ = np.zeros(2), np.full(2, 10.0)
    lp.row_lower_, lp.row_upper_ = np.array([1.0]), np.array([highspy.kHighsInf])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.array([0, 1, 2], dtype=np.int32)
    lp.a_matrix_.index_ = np.array([0, 0], dtype=np.int32)
    lp.a_matrix_.value_ = np.array([coef, 1.0])
    return lp


def quiet() -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


def test_refused_model_raises_instead_of_solving_nothing():
    with pytest.raises(SolverError, match="refused the t model"):
        pass_model(quiet(), small_lp(coef=1e16), "t")


def test_solution_must_give_the_reported_objective():
    h = quiet()
    pass_model(h, small_lp(), "t")
    h.run()
    check_solution_objective(h)  # x0 = 1: costs 1, reports 1
    # overwrite the columns with a different point: the reported objective no longer matches
    h.setSolution(2, np.array([0, 1], dtype=np.int32), np.array([0.0, 1.0]))
    with pytest.raises(SolverError, match="refusing a plan"):
        check_solution_objective(h)


def fake_highs(costs, x, offset, said):
    """What check_solution_objective reads of a Highs, with the numbers given."""
    from types import SimpleNamespace as NS

    lp = NS(col_cost_=np.asarray(costs, float), offset_=offset)
    return NS(
        getLp=lambda: lp,
        getSolution=lambda: NS(col_value=np.asarray(x, float)),
        getInfo=lambda: NS(objective_function_value=said),
        version=lambda: "test",
    )


def test_a_large_objective_offset_is_rounding_not_a_wrong_plan():
    # the unavoidable-loss offset (planner.optimize.solve) can dwarf what is optimised: an arc
    # model (random case, seed 1026) with offset -1.19e7 and an objective of 1.54 had 3.2e-9
    # of cancellation between HiGHS's sum and ours, and was refused as a wrong plan
    costs, x, off = [11889998.811, 1.5439102221280336], [1.0, 1.0], -11889998.811
    check_solution_objective(fake_highs(costs, x, off, 1.5439102221280336 + 3.2e-9))
    with pytest.raises(SolverError, match="refusing a plan"):  # a different point: not rounding
        check_solution_objective(fake_highs(costs, x, off, 1.5439102221280336 + 1.0))


def test_plan_columns_match_the_objective_with_a_mip_start(tmp_path):
    # the MIP start buys a useless wave on BC; the optimum does not (highspy 1.16.0 returned
    # the start's columns here while reporting the optimum's objective)
    inp = triangle(tmp_path, direct_usd=25.0)
    dem = demand([("A", "B", 2030, 250.0), ("A", "C", 2030, 50.0), ("A", "B", 2031, 320.0)])
    p = run_case(tmp_path, inp, dem, scenario(years=2, budget=75.0))
    assert p.summary["capex_usd_total"] == 60.0
    assert p.summary["unserved_gbps_years"] == pytest.approx(20.0)


@pytest.mark.parametrize(
    ("budget", "capex"),
    [(0.0, 0.0), (1e-11, 0.0), (5.0, 0.0), (45.0, 40.0), (75.0, 60.0), (1e12, 60.0)],
)
def test_budget_rows_stay_in_highs_range(budget, capex):
    # near-zero budgets used to scale the budget row to 1e16 per dollar: HiGHS refused it.
    # 250 Gbps A-B: cheapest via C ($10 + $10 per 100G), so $20 buys 100G, $60 all of it
    inp = triangle(Path("."), direct_usd=25.0)
    dem = demand([("A", "B", 2030, 250.0)])
    m = build_model(inp, dem, scenario(budget=budget))
    row = m.prob.get_constraint_by_name("budget_0")
    assert np.abs(list(row.values())).max() <= 1e9
    assert -row.constant == pytest.approx(budget * m.meta["budget_scale"])
    # scaled relative to the budget, but never to less than the cheapest unit ($10)
    assert m.meta["budget_scale"] * max(budget, 10.0) == pytest.approx(BUDGET_ROW_RHS)
    p = run_case(None, inp, dem, scenario(budget=budget))
    assert p.summary["capex_usd_total"] == capex


def test_cbc_keeps_the_objective_constant_and_restores_the_problem():
    """min 3x + 2y + 7 with x + y >= 1.5, integers: 2 x y=2 -> 4 + 7 = 11; PuLP's MPS writer
    drops the constant, so CBC carries it on a column that must be gone afterwards."""
    import pulp

    from planner.solver.cbc import solve_cbc

    prob = pulp.LpProblem("c", pulp.LpMinimize)
    x = prob.add_variable("x", 0, 5, cat="Integer")
    y = prob.add_variable("y", 0, 5, cat="Integer")
    prob += 3 * x + 2 * y + 7
    prob += x + y >= 1.5
    out = solve_cbc(prob, mip_gap=0.0, threads=1, time_limit_s=30, seed=1, start={})
    assert out.status == "optimal"
    assert out.objective == pytest.approx(11.0) and out.best_bound == pytest.approx(11.0)
    assert [v.name for v in prob.variables()] == ["x", "y"]
    assert prob.objective.constant == 7 and (x.varValue, y.varValue) == (0, 2)
