"""Benders decomposition on the decisions (planner.optimize.benders), answers by hand.

Fan: sites A, B, C; corridors AB, AC, BC with 50 Gbps installed each and 100G waves at $100;
60 Gbps A-B and 60 Gbps A-C, one path per pair to start (k = 1). The LP buys a fifth of a
wave at A ($20) and routes both pairs directly, so no detour prices out (it would cross a
full corridor) and the path model, even priced, needs a wave on AB *and* on AC: $200. One
wave on AB is enough when A-C's last 10 Gbps go A-B-C: $100, the optimum (arc model too).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from planner.optimize import benders, build_model, plan
from tests.builders import demand, make_inputs, random_case, scenario

DEM = demand([("A", "B", 2030, 60.0), ("A", "C", 2030, 60.0)])


def fan(tmp: Path):
    cors = [
        dict(corridor_id=c, site_a=c[0], site_b=c[1], distance_km=100.0 + 10 * i,
             installed_capacity_gbps=50.0)
        for i, c in enumerate(["AB", "AC", "BC"])
    ]  # fmt: skip
    opts = [
        dict(option_id=f"w_{c}", capacity_gbps=100.0, capex_fixed_usd=100.0, corridor_id=c)
        for c in ["AB", "AC", "BC"]
    ]
    return make_inputs(tmp / "in", ["A", "B", "C"], cors, opts)


def sc(**kw):
    s = scenario(**{"k_paths": 1, **kw})
    return s.model_copy(update={"solver": s.solver.model_copy(update={"path_pricing": True})})


@pytest.mark.parametrize("kw", [dict(objective="min-cost"), dict(budget=1000.0)])
def test_benders_finds_and_proves_the_whole_wave_optimum(tmp_path, kw):
    inp = fan(tmp_path)
    s = plan(inp, DEM, sc(**kw), formulation="path", marginals=False).summary
    arc = plan(inp, DEM, sc(**kw), formulation="arc", marginals=False).summary
    assert arc["capex_usd_total"] == pytest.approx(100.0)
    assert s["capex_usd_total"] == pytest.approx(100.0)
    assert s["served_fraction"] == pytest.approx(1.0)
    assert s["benders_rounds"] >= 2 and "benders_skipped" not in s
    assert "benders_stopped" not in s  # proven, not out of work
    # the master's bound: whole waves over every path; the priced LP alone says $20 (the
    # node cut at A says $100 too, the master proves the plan's own latency tie-break)
    assert s["all_paths_lp_bound_usd"] == pytest.approx(20.0, abs=0.5)
    assert s["benders_bound_usd"] == pytest.approx(100.0, abs=0.5)
    assert s["all_paths_bound_usd"] >= s["benders_bound_usd"] - 1e-9
    # the bound leaves out the latency tie-break (>= 0): the gap is that tie-break at most
    assert s["all_paths_gap"] * s["objective"] <= s["routing_tiebreak_max_usd"] + 1e-9
    assert s["benders_objective_usd"] == pytest.approx(s["benders_bound_usd"], rel=1e-6)


def test_without_the_benders_paths_the_path_model_pays_twice(tmp_path, monkeypatch):
    # the same case with the stage off: the priced path set holds the direct paths only
    inp = fan(tmp_path)
    monkeypatch.setattr(benders, "ROUNDS", 0)
    m = build_model(inp, DEM, sc(objective="min-cost"))
    assert sorted(m.sets.paths["corridor_ids"].map(tuple)) == [("AB",), ("AC",)]
    s = plan(inp, DEM, sc(objective="min-cost"), formulation="path", marginals=False).summary
    assert s["capex_usd_total"] == pytest.approx(200.0)


def test_benders_adds_the_detour_and_offers_its_plan(tmp_path):
    m = build_model(fan(tmp_path), DEM, sc(objective="min-cost"))
    paths = sorted(m.sets.paths["corridor_ids"].map(tuple))
    start = m.meta["benders_start"]
    assert start["units"].sum() == 1.0
    (wave,) = start["corridor_id"]  # one wave, at A; the other pair detours over it
    assert wave in ("AB", "AC") and (wave, "BC") in paths


def test_benders_steps_aside_where_the_budget_binds(tmp_path):
    # $50 buys half a wave: the LP spends all of it, the master's cuts would only crawl
    s = plan(fan(tmp_path), DEM, sc(budget=50.0), formulation="path", marginals=False).summary
    assert s["benders_skipped"] == "the budget binds at the LP optimum"
    assert "benders_bound_usd" not in s


@pytest.mark.parametrize(
    "n, years, kw, seed",
    [(7, 2, dict(objective="min-cost"), 10), (7, 2, dict(objective="min-cost"), 20),
     (8, 1, dict(objective="min-cost"), 9), (7, 2, dict(budget=5000.0), 1),
     (8, 2, dict(budget=400.0), 4)],
)  # fmt: skip
def test_benders_bound_holds_against_the_arc_optimum(n, years, kw, seed):
    # random networks (fiber pairs, lead times, two wave sizes), latency limits that never
    # bind: the arc model's optimum is the true one, no bound may pass it. These cases once
    # caught a master whose cuts carried the penalty's 1e7 USD/Gbps: its bound passed it
    inp, dem = random_case(seed, n, years)
    s = sc(years=years, k_paths=2, **kw)
    arc = plan(inp, dem, s, formulation="arc", marginals=False).summary
    path = plan(inp, dem, s, formulation="path", marginals=False).summary
    assert arc["solver_status"] == "optimal" and path["benders_rounds"] >= 2
    tol = 1e-7 * abs(arc["objective"])
    assert path["benders_bound_usd"] <= arc["objective"] + tol
    assert path["all_paths_bound_usd"] <= arc["objective"] + tol
    # and it proves: the master's plan is the arc optimum up to the latency tie-breaks
    assert path["benders_bound_usd"] >= arc["objective"] - 2 * arc["routing_tiebreak_max_usd"]
    assert path["objective"] >= arc["objective"] - path["routing_tiebreak_max_usd"] - tol


def test_a_given_start_does_not_hide_the_masters_plan(tmp_path, monkeypatch):
    # the $200 plan of the path model without the master, given back as --start: the
    # master's $100 plan is judged beside it and wins; the summary keeps both apart
    inp = fan(tmp_path)
    with monkeypatch.context() as mp:
        mp.setattr(benders, "ROUNDS", 0)
        dear = plan(inp, DEM, sc(objective="min-cost"), formulation="path", marginals=False)
    assert dear.summary["capex_usd_total"] == pytest.approx(200.0)
    s = plan(inp, DEM, sc(objective="min-cost"), formulation="path", marginals=False,
             start=dear).summary  # fmt: skip
    assert s["capex_usd_total"] == pytest.approx(100.0)
    assert s["heuristic_used"].startswith("benders")
    assert s["start_plan_objective"] == pytest.approx(dear.summary["objective"], rel=1e-6)
    assert s["benders_start_objective"] < s["start_plan_objective"]


def test_the_masters_bound_is_the_mips_stop_and_its_plan_is_optimal(tmp_path, monkeypatch):
    # the path MIP may stop as soon as its plan is within the MIP gap of the master's bound
    # (on UsCarrier its own proof would have taken the whole limit): the rule gets it
    solve_mod = importlib.import_module("planner.optimize.solve")  # the name is a function
    seen = []

    def spy(m, gap, info):
        rule = orig(m, gap, info)
        seen.append((rule, info["all_paths_bound_usd"], info["objective_offset_usd"]))
        return rule

    orig = solve_mod.bound_stop
    monkeypatch.setattr(solve_mod, "bound_stop", spy)
    s = plan(fan(tmp_path), DEM, sc(objective="min-cost"), formulation="path",
             marginals=False).summary  # fmt: skip
    ((rule, ap, offset),) = seen
    assert ap == pytest.approx(100.0, abs=0.5)
    assert rule.gap == pytest.approx(sc(objective="min-cost").solver.mip_gap)
    assert rule.bound == pytest.approx((ap - offset) * solve_mod.OBJ_SCALE)
    assert s["solver_status"] == "optimal" and s["capex_usd_total"] == pytest.approx(100.0)
    # the reported bound is the better of the MIP's own and the master's
    assert s["best_bound"] >= ap - 1e-6 * ap


def test_benders_steps_aside_where_the_lp_buys_on_too_many_columns(tmp_path, monkeypatch):
    # the fan's LP optimum buys on few columns (fractions of waves at A); with a limit below
    # them the stage says so before its first round, and the path model pays twice again
    s = plan(fan(tmp_path), DEM, sc(objective="min-cost"), formulation="path",
             marginals=False).summary  # fmt: skip
    n = s["benders_lp_support"]
    assert 1 <= n <= benders.SUPPORT_MAX and "benders_skipped" not in s
    monkeypatch.setattr(benders, "SUPPORT_MAX", n - 1)
    s = plan(fan(tmp_path), DEM, sc(objective="min-cost"), formulation="path",
             marginals=False).summary  # fmt: skip
    assert s["benders_lp_support"] == n and f"on {n} purchase columns" in s["benders_skipped"]
    assert "benders_rounds" not in s and "benders_bound_usd" not in s
    assert s["capex_usd_total"] == pytest.approx(200.0)


@pytest.mark.parametrize("kw", [dict(objective="min-cost"), dict(budget=1000.0)])
def test_the_lps_own_metric_cuts_hold_the_master_at_the_lp_optimum(tmp_path, kw, monkeypatch):
    # the LP buys a fifth of a wave at A ($20): with the metric inequality of its own duals
    # the master LP is there at once and the first round goes to the MIP; with Kelley's
    # cuts alone it takes another round. Their validity: the random cases above, against
    # the arc optimum
    s = plan(fan(tmp_path), DEM, sc(**kw), formulation="path", marginals=False).summary
    assert s["benders_lp_rounds"] == 1 and s["capex_usd_total"] == pytest.approx(100.0)
    monkeypatch.setattr(benders, "WARM_CUTS", False)
    s = plan(fan(tmp_path), DEM, sc(**kw), formulation="path", marginals=False).summary
    assert s["benders_lp_rounds"] == 2 and s["capex_usd_total"] == pytest.approx(100.0)


@pytest.mark.parametrize("objective", ["max-served", "min-cost"])
def test_the_masters_lease_contract_comes_back_with_its_term(tmp_path, objective):
    # tests/lease_cases.py: the optimum leases L100 for 2030-2031 (a 2-year contract) and
    # buys the wave in 2030, 1700. Contracts signed in 2030 run 2 to 6 years; the start once
    # matched the master's contract on (corridor, offer, year) only and signed all five
    # (7500.29); on its term too it is the master's plan
    from tests.lease_cases import lease_demand, lease_inputs, lease_scenario

    s = lease_scenario(objective=objective)
    s = s.model_copy(update={"solver": s.solver.model_copy(update={"path_pricing": True})})
    out = plan(lease_inputs(tmp_path), lease_demand(), s, formulation="path", marginals=False)
    sm = out.summary
    assert sm["benders_objective_usd"] == pytest.approx(1700.0, abs=1e-6)
    assert sm["benders_start_objective"] == pytest.approx(1700.0, abs=1.0)  # + tie-break
    assert sm["objective"] == pytest.approx(1700.0, abs=1.0)
    assert out.leases[["year", "end_year", "units"]].to_dict("records") == [
        dict(year=2030, end_year=2031, units=1.0)
    ]


def test_a_model_the_cuts_do_not_cover_is_planned_without_the_stage(tmp_path, monkeypatch):
    # a row joining two years' routing (no cut per year): the stage says so, the run plans
    def joined(self, A):
        raise benders.NotDecomposable("a row joins routing of two years: no cut per year")

    monkeypatch.setattr(benders._Sub, "years", joined)
    s = plan(fan(tmp_path), DEM, sc(objective="min-cost"), formulation="path",
             marginals=False).summary  # fmt: skip
    assert s["benders_skipped"].startswith("a row joins") and "benders_rounds" not in s
    assert s["solver_status"] == "optimal" and s["capex_usd_total"] == pytest.approx(200.0)
