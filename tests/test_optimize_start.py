"""``--start`` (an earlier plan as the MIP start) under min-cost too (issue 14)."""

from __future__ import annotations

import pytest

from planner.config import SolverConfig
from planner.optimize import plan
from tests.builders import demand, run_case, scenario, triangle

DEM = demand([("A", "B", 2030, 150.0), ("A", "B", 2031, 450.0)])


def test_min_cost_uses_an_earlier_plan_as_its_start(tmp_path):
    inp = triangle(tmp_path, direct_usd=100.0)
    sc = scenario(years=2, objective="min-cost")
    for form in ("path", "auto"):  # auto judges the start in its path stage, then runs arc
        best = run_case(tmp_path / form, inp, DEM, sc, formulation=form)
        # by hand: 5 waves on each of A-C and B-C (450 Gbps by 2031) at 10 USD = 100 USD
        assert best.summary["capex_usd_total"] == pytest.approx(100.0)
        s = plan(inp, DEM, sc, marginals=False, start=best, formulation=form).summary
        assert s["heuristic_used"] == "previous_plan" and "start_plan_rejected" not in s
        assert s["objective"] == pytest.approx(best.summary["objective"], rel=1e-9)
        assert s["capex_usd_total"] == pytest.approx(100.0)
    assert s["formulation"] == "arc" and s["path_stage_objective_usd"] is not None
    path = plan(inp, DEM, sc, marginals=False, start=best, formulation="path").summary
    assert path["start_plan_objective"] == pytest.approx(path["objective"], rel=1e-9)


def test_min_cost_start_is_never_worsened_without_solver_time(tmp_path):
    inp = triangle(tmp_path, direct_usd=100.0)
    # a costlier plan than the optimum: one direct wave too many (100 USD)
    start = plan(inp, DEM, scenario(years=2, objective="min-cost"), marginals=False).upgrades
    extra = start.iloc[:1].assign(option_id="w_direct", corridor_id="AB", units=1)
    worse = start.__class__(data=[*start.to_dict("records"), *extra.to_dict("records")])
    sc = scenario(
        years=2, objective="min-cost", solver=SolverConfig(time_limit_s=0.01, mip_gap=0.0)
    )
    s = plan(inp, DEM, sc, marginals=False, start=worse).summary
    assert s["heuristic_used"] == "previous_plan"
    assert s["capex_usd_total"] <= 200.0 + 1e-9  # never worse than the start


def test_min_cost_start_that_cannot_serve_everything_is_rejected_with_the_reason(tmp_path):
    inp = triangle(tmp_path, direct_usd=100.0)
    low = run_case(tmp_path, inp, DEM, scenario(years=2, budget=40.0))  # buys 2 + 2 waves
    assert 0 < low.summary["capex_usd_total"] <= 40.0
    s = plan(inp, DEM, scenario(years=2, objective="min-cost"), marginals=False, start=low).summary
    assert "cannot carry all the demand" in s["start_plan_rejected"]
    assert s["heuristic_used"] != "previous_plan"
    assert s["capex_usd_total"] == pytest.approx(100.0)  # still the optimum
