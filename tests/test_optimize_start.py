"""``--start`` (an earlier plan as the MIP start) under min-cost too (issue 14)."""

from __future__ import annotations

import pytest

from planner.config import SolverConfig
from planner.optimize import benders, build_model, plan
from planner.optimize.starts import start_is_feasible
from planner.optimize.starts.greedy import greedy_start
from planner.optimize.starts.rounding import rounding_start
from tests.builders import demand, line, make_inputs, run_case, scenario, triangle

DEM = demand([("A", "B", 2030, 150.0), ("A", "B", 2031, 450.0)])


def test_min_cost_uses_an_earlier_plan_as_its_start(tmp_path):
    inp = triangle(tmp_path, direct_usd=100.0)
    sc = scenario(years=2, objective="min-cost")
    for form in ("path", "auto"):  # auto judges the start in its path stage
        best = run_case(tmp_path / form, inp, DEM, sc, formulation=form)
        # by hand: 5 waves on each of A-C and B-C (450 Gbps by 2031) at 10 USD = 100 USD
        assert best.summary["capex_usd_total"] == pytest.approx(100.0)
        s = plan(inp, DEM, sc, marginals=False, start=best, formulation=form).summary
        assert s["heuristic_used"] == "previous_plan" and "start_plan_rejected" not in s
        assert s["objective"] == pytest.approx(best.summary["objective"], rel=1e-9)
        assert s["capex_usd_total"] == pytest.approx(100.0)
    # ... whose plan is proven for every path here: no arc stage after it
    assert s["formulation"] == "path" and "proven for every path" in s["formulation_choice"]
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
    assert s["start_plan_objective"] is not None  # the start was taken, not rejected
    # never worse than the start (the LP rounding or the Benders master may offer a better
    # one: then it is used)
    assert s["heuristic_used"] in ("previous_plan", "lp_rounding", "benders")
    assert s["capex_usd_total"] <= 200.0 + 1e-9


def test_min_cost_start_that_cannot_serve_everything_is_rejected_with_the_reason(tmp_path):
    inp = triangle(tmp_path, direct_usd=100.0)
    low = run_case(tmp_path, inp, DEM, scenario(years=2, budget=40.0))  # buys 2 + 2 waves
    assert 0 < low.summary["capex_usd_total"] <= 40.0
    s = plan(inp, DEM, scenario(years=2, objective="min-cost"), marginals=False, start=low).summary
    assert "cannot carry all the demand" in s["start_plan_rejected"]
    assert s["heuristic_used"] != "previous_plan"
    assert s["capex_usd_total"] == pytest.approx(100.0)  # still the optimum


def _start_capex(m, start: dict) -> float:
    cv, up, bl = m.columns, m.sets.upgrades, m.sets.builds
    units = sum(start[cv[c]] * u for c, u in zip(up["col"], up["unit_capex_usd"], strict=True))
    builds = sum(start[cv[c]] * u for c, u in zip(bl["col"], bl["capex_usd"], strict=True))
    return float(units + builds)


def test_min_cost_gets_its_own_start_from_the_lp_rounded_up(tmp_path, monkeypatch):
    # the LP buys 1.5 waves on A-C and B-C for 2030's 150 Gbps, 3 more for 2031's 450: the
    # dive rounds up (rounding down would leave demand unserved, which min-cost forbids) and
    # re-solves after each batch, so the start is 2 + 3 waves each: the 100 USD optimum
    m = build_model(triangle(tmp_path), DEM, scenario(years=2), objective="min-cost")
    start, info = rounding_start(m, 10.0)
    assert start and start_is_feasible(m, start)
    assert info["lp_relaxation_objective"] <= info["heuristic_objective"]
    assert _start_capex(m, start) == pytest.approx(100.0)
    # no solver time at all: the plan is still there, from that start (the Benders master,
    # which would offer the same plan, off)
    monkeypatch.setattr(benders, "ROUNDS", 0)
    sc = scenario(years=2, objective="min-cost", solver=SolverConfig(time_limit_s=0.01))
    s = plan(triangle(tmp_path / "p"), DEM, sc, marginals=False, formulation="path").summary
    assert s["heuristic_used"].startswith("lp_rounding")
    assert s["capex_usd_total"] == pytest.approx(100.0)


def test_min_cost_start_builds_the_routes_the_lp_needs(tmp_path):
    # no corridor between A and B can carry anything: only route N1 ($1000, 400G, one year
    # lead time) serves 300 Gbps from 2031. The LP builds 3/4 of it; a start that asks the
    # LP without routes first (the max-served greedy) would find min-cost infeasible
    inp = make_inputs(
        tmp_path / "in", ["A", "B"],
        [dict(corridor_id="X", site_a="A", site_b="B", distance_km=5000.0,
              installed_capacity_gbps=0.0, lit_fiber_pairs=0, max_waves_per_fiber_pair=1)],
        [dict(option_id="nb", kind="new_build", capacity_gbps=400.0, capex_fixed_usd=1000.0,
              lead_time_years=1)],
        routes=[dict(route_id="N1", site_a="A", site_b="B", distance_km=50.0, fiber_pairs=2)],
    )  # fmt: skip
    dem = demand([("A", "B", 2030, 0.0)] + [("A", "B", y, 300.0) for y in (2031, 2032)])
    m = build_model(inp, dem, scenario(years=3), objective="min-cost")
    start, info = rounding_start(m, 10.0)
    assert start and start_is_feasible(m, start)
    assert info["lp_relaxation_objective"] == pytest.approx(750.0, rel=1e-3)
    assert _start_capex(m, start) == pytest.approx(1000.0)


def test_min_cost_greedy_serves_everything_on_shortest_paths_without_a_budget(tmp_path):
    # no LP: every Gbps on the shortest path A-B (100 USD per 100G wave), bought just in
    # time: 2 waves for 2030's 150 Gbps, 3 more for 2031's 450 = 500 USD, although the
    # scenario's budget is 0 (min-cost has none); the MIP then finds the 100 USD detour
    m = build_model(triangle(tmp_path), DEM, scenario(years=2, budget=0), objective="min-cost")
    start, info = greedy_start(m)
    assert start and start_is_feasible(m, start)
    assert _start_capex(m, start) == pytest.approx(500.0)
    assert info["greedy_objective"] == pytest.approx(500.0, rel=1e-3)  # + latency tie-break


def test_min_cost_greedy_that_cannot_serve_everything_is_not_offered(tmp_path):
    # one 100G wave at most on the only corridor: 300 Gbps cannot all be carried
    inp = line(tmp_path, installed=0.0, max_units_per_corridor=1)
    m = build_model(inp, demand([("A", "B", 2030, 300.0)]), scenario(), objective="min-cost")
    start, info = greedy_start(m)
    assert start == {} and "cannot carry every Gbps" in info["greedy_rejected"]
