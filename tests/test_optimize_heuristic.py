"""The MIP start heuristic and the bounds derived around it (floor, served upper bound)."""

from __future__ import annotations

import numpy as np
import pytest

from planner.config import SolverConfig
from planner.optimize import build_model, plan
from planner.optimize.model import OBJ_SCALE
from planner.optimize.solve import start_is_feasible
from planner.optimize.starts.greedy import greedy_start
from planner.optimize.starts.rounding import repair, rounding_start
from tests.builders import demand, line, make_inputs, random_case, scenario, triangle


def _violations(m, start: dict) -> list[str]:
    """Constraints of the PuLP model the start violates (beyond a small tolerance)."""
    bad = []
    for c in m.prob.constraints():
        lhs = sum(a * start.get(v, 0.0) for v, a in c.items()) + c.constant
        if (c.sense <= 0 and lhs > 1e-6 * (1 + abs(c.constant))) or (
            c.sense >= 0 and lhs < -1e-6 * (1 + abs(c.constant))
        ):
            bad.append(f"{c.name}: {lhs}")
    return bad


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_start_is_feasible_and_no_better_than_the_optimum(seed):
    inp, dem = random_case(seed, 6, 3)
    sc = scenario(years=3, budget=120.0)
    m = build_model(inp, dem, sc)
    start, info = rounding_start(m, 20)
    assert start and info["heuristic_objective"] >= info["lp_relaxation_objective"] - 1e-6
    assert not _violations(m, start)
    for v, x in start.items():
        if v.cat == "Integer":
            assert x == round(x) and v.lowBound <= x <= v.upBound
    opt = plan(inp, dem, sc, marginals=False).summary
    assert opt["solver_status"] == "optimal"
    assert info["heuristic_objective"] >= opt["objective"] - 1e-6 * abs(opt["objective"])
    assert opt["served_fraction"] <= opt["served_fraction_upper_bound"] + 1e-9
    assert 0.0 <= opt["served_gap"] <= 1.0


def test_repair_drops_waves_without_slots_and_work_on_unbuilt_routes(tmp_path):
    inp = make_inputs(
        tmp_path,
        ["A", "B"],
        [
            dict(
                corridor_id="AB",
                site_a="A",
                site_b="B",
                distance_km=10.0,
                installed_capacity_gbps=200.0,
                installed_waves=2,
                max_waves_per_fiber_pair=3,
                spare_fiber_pairs=1,
            )
        ],
        [
            dict(option_id="w", capacity_gbps=100.0, capex_fixed_usd=10.0),
            dict(
                option_id="p",
                kind="fiber_pair",
                capacity_gbps=0.0,
                capex_fixed_usd=50.0,
                lead_time_years=1,
            ),
            dict(
                option_id="nb",
                kind="new_build",
                capacity_gbps=100.0,
                capex_fixed_usd=99.0,
                lead_time_years=1,
            ),
        ],
        routes=[dict(route_id="N", site_a="A", site_b="B", distance_km=10.0, fiber_pairs=2)],
    )
    m = build_model(inp, demand([("A", "B", y, 900.0) for y in (2030, 2031)]), scenario(years=2))
    up = m.sets.upgrades.reset_index(drop=True)
    units = np.zeros(len(up))
    key = {(r.corridor_id, r.option_id, r.year): i for i, r in enumerate(up.itertuples())}
    units[key[("AB", "w", 2030)]] = 3  # only 1 free slot until the pair (bought 2030) serves
    units[key[("AB", "p", 2030)]] = 1  # in service 2031: 3 more slots
    units[key[("N", "w", 2031)]] = 2  # route never built: must go
    fixed, built = repair(m, units, np.zeros(len(m.sets.builds)))
    assert fixed[key[("AB", "w", 2030)]] == 1 and fixed[key[("AB", "p", 2030)]] == 1
    assert fixed[key[("N", "w", 2031)]] == 0
    # built in 2030 (in service 2031): waves in service 2031 on the route are kept
    built = np.array([1.0 if y == 2030 else 0.0 for y in m.sets.builds["year"]])
    fixed, _ = repair(m, units, built)
    assert fixed[key[("N", "w", 2031)]] == 2


def test_unserved_floor_and_served_upper_bound(tmp_path):
    # A-C has no admissible path under 0.6 ms: 50 Gbps-years no plan can serve
    inp = triangle(tmp_path)
    dem = demand([("A", "B", 2030, 300.0), ("A", "C", 2030, 50.0)])
    p = plan(inp, dem, scenario(budget=100.0, latency_ms_max={"general": 0.6}))
    s = p.summary
    assert s["unserved_floor_gbps_years"] == pytest.approx(50.0)
    assert s["objective_offset_usd"] == pytest.approx(50.0 * 1e7, rel=1e-6)
    # $100 buys one direct wave: 100 of 300 Gbps served; the objective still counts all
    assert s["capex_usd_total"] == 100.0 and s["unserved_gbps_years"] == pytest.approx(250.0)
    assert s["objective"] == pytest.approx(250 * 1e7 + 100 + 1e-3 * 100 * 0.49, rel=1e-9)
    assert s["served_fraction_upper_bound"] == pytest.approx(100 / 350, abs=1e-6)
    # optimal: served equals its bound, so the gap in served Gbps-years is 0
    assert s["served_gap"] == pytest.approx(0.0, abs=1e-6)


def test_served_gap_is_read_from_the_bound():
    from planner.optimize.extract import served_gap

    # 1000 Gbps-years demanded, 200 unserved (80 %); the bound says at most 84 % is servable
    assert served_gap(1000.0, 200.0, 0.84) == pytest.approx((0.84 - 0.80) / 0.84)
    assert served_gap(1000.0, 200.0, 0.80) == 0.0
    assert served_gap(1000.0, 200.0, None) is None
    assert served_gap(0.0, 0.0, 1.0) == 0.0


def test_time_limit_counts_the_heuristic(tmp_path):
    inp, dem = random_case(11, 12, 3)
    sc = scenario(years=3, budget=500.0, solver=SolverConfig(time_limit_s=0.5, mip_gap=0.0))
    s = plan(inp, dem, sc, marginals=False).summary
    assert s["solve_seconds"] < 0.5 + 1.0  # the limit plus load and bookkeeping overhead
    assert s["heuristic_seconds"] <= 0.5 * 0.3 + 0.5


def test_scaled_objective_matches_usd_terms(tmp_path):
    m = build_model(line(tmp_path), demand([("A", "B", 2030, 350.0)]), scenario(budget=20))
    assert m.prob.objective[m.columns[0]] == pytest.approx(10.0 * OBJ_SCALE)


def test_start_feasibility_check_sees_every_row(tmp_path):
    m = build_model(line(tmp_path), demand([("A", "B", 2030, 350.0)]), scenario(budget=20))
    start, _ = rounding_start(m, 10)
    assert start_is_feasible(m, start)
    x = m.columns[int(m.sets.upgrades["col"].iloc[0])]
    assert not start_is_feasible(m, {**start, x: start[x] + 1})  # over budget
    m.prob.addConstraint(m.capacity_gbps("AB", 2030) >= 400, "hook_row")
    assert not start_is_feasible(m, start)  # a hook's row counts too


def test_greedy_plan_is_feasible_and_buys_what_the_budget_allows(tmp_path):
    m = build_model(line(tmp_path), demand([("A", "B", 2030, 350.0)]), scenario(budget=25))
    start, info = greedy_start(m)
    assert start_is_feasible(m, start)
    up = m.sets.upgrades
    assert [start[m.columns[c]] for c in up["col"]] == [2.0]  # $25 buys 2 waves of $10
    slack = m.columns[int(m.unserved["col"].iloc[0])]
    assert start[slack] == pytest.approx(50.0)
    assert info["greedy_objective"] == pytest.approx(50 * 1e7 + 20 + 1e-3 * 300 * 0.49)


@pytest.mark.parametrize("seed", [5, 6])
def test_greedy_plan_is_feasible_on_random_networks(seed):
    inp, dem = random_case(seed, 8, 3)
    m = build_model(inp, dem, scenario(years=3, budget=150.0, budget_usd_per_year=[40.0] * 3))
    start, info = greedy_start(m)
    assert start and start_is_feasible(m, start)
    up = m.sets.upgrades
    spent = sum(
        start[m.columns[c]] * k for c, k in zip(up["col"], up["unit_capex_usd"], strict=True)
    )
    assert spent <= 120.0 + 1e-6


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 5])
def test_previous_plan_start_is_kept_and_never_worsened(seed):
    inp, dem = random_case(seed, 8, 3)
    low = plan(inp, dem, scenario(years=3, budget=150.0), marginals=False)
    # the optimum re-offered as a start is used as is (no heuristic plan beats an optimum)
    again = plan(inp, dem, scenario(years=3, budget=150.0), marginals=False, start=low)
    assert again.summary["heuristic_used"] == "previous_plan"
    assert again.summary["start_plan_units_unmatched"] == 0
    assert again.summary["objective"] == pytest.approx(low.summary["objective"], rel=1e-6)
    # more budget, almost no solver time: the lower budget's plan still fits, so never worse
    sc = scenario(years=3, budget=300.0, solver=SolverConfig(time_limit_s=0.3, mip_gap=0.0))
    high = plan(inp, dem, sc, marginals=False, start=low.upgrades).summary
    assert high["unserved_gbps_years"] <= low.summary["unserved_gbps_years"] + 1e-6
    assert high["capex_usd_total"] <= 300.0 + 1e-9


@pytest.mark.slow
def test_previous_plan_over_the_budget_is_rejected_not_trimmed():
    inp, dem = random_case(3, 8, 3)
    big = plan(inp, dem, scenario(years=3, budget=300.0), marginals=False)
    assert big.summary["capex_usd_total"] > 100.0  # the start cannot fit the smaller budget
    s = plan(inp, dem, scenario(years=3, budget=100.0), marginals=False, start=big).summary
    assert s["start_plan_rejected"] == "over the budget"
    assert s["heuristic_used"] != "previous_plan" and s["capex_usd_total"] <= 100.0 + 1e-9


def test_without_the_floor_the_solver_may_not_stop_on_its_diluted_gap(tmp_path, monkeypatch):
    # The floor LP out of work (Cogentco, all pairs, 120 s): no offset, so the objective keeps
    # the 50 Gbps-years no plan can serve (5e8 USD) and a 1 % gap of it would accept any plan
    # of the $100 decision. The solver must get gap 0; the summary must say why.
    import importlib

    from planner.optimize.starts.rounding import Rounder

    solve_mod = importlib.import_module("planner.optimize.solve")  # the package exports solve()

    inp = triangle(tmp_path)
    dem = demand([("A", "B", 2030, 300.0), ("A", "C", 2030, 50.0)])
    cfg = SolverConfig(time_limit_s=20, mip_gap=0.01, threads=1)
    sc = scenario(budget=100.0, latency_ms_max={"general": 0.6}, solver=cfg)
    seen = []
    real = solve_mod.solve_mip

    def spy(prob, **kw):
        seen.append(kw["mip_gap"])
        return real(prob, **kw)

    monkeypatch.setattr(solve_mod, "solve_mip", spy)
    known = plan(inp, dem, sc, marginals=False).summary
    monkeypatch.setattr(Rounder, "unserved_floor", lambda self: None)
    blind = plan(inp, dem, sc, marginals=False).summary
    assert seen == [0.01, 0.0]
    assert known.get("mip_gap_stop_off") is None and known["mip_gap_target"] == 0.01
    assert blind["mip_gap_stop_off"] is True and blind["mip_gap_target"] == 0.0
    assert blind["objective_offset_usd"] == 0.0 and blind.get("unserved_floor_gbps_years") is None
    assert any("was not let stop on it" in w for w in blind["warnings"])
    assert not any("was not let stop on it" in w for w in known["warnings"])
    # the same optimum either way: $100 buys one direct wave
    assert blind["capex_usd_total"] == known["capex_usd_total"] == 100.0
    assert blind["objective"] == pytest.approx(known["objective"], rel=1e-12)


def test_min_cost_keeps_its_gap_without_a_floor(tmp_path, monkeypatch):
    from planner.optimize.starts.rounding import Rounder

    monkeypatch.setattr(Rounder, "unserved_floor", lambda self: None)
    inp = triangle(tmp_path)
    dem = demand([("A", "B", 2030, 300.0)])
    cfg = SolverConfig(time_limit_s=20, mip_gap=0.01, threads=1)
    s = plan(inp, dem, scenario(objective="min-cost", solver=cfg), marginals=False).summary
    assert s.get("mip_gap_stop_off") is None and s["mip_gap_target"] == 0.01


def _round_up_case(tmp_path, budget: float):
    # one corridor, 100G waves at $10 falling 10 %/yr (the LP buys each year's need, no
    # earlier): 250 then 290 Gbps -> LP 2.5 waves in 2030, 0.4 in 2031
    inp = line(tmp_path, installed=0.0, price_change_per_year=-0.1)
    dem = demand([("A", "B", 2030, 250.0), ("A", "B", 2031, 290.0)])
    return build_model(inp, dem, scenario(years=2, budget=budget))


def test_relaxation_without_dive_work_is_rounded_up_cumulatively(tmp_path, monkeypatch):
    # Cogentco: the relaxation used the dives' work; its purchases are rounded up by units in
    # service (ceil 2.5 = 3, ceil 2.9 = 3: nothing in 2031), not year by year (3 + 1)
    from planner.optimize.starts import rounding

    monkeypatch.setattr(rounding, "WAVES_UNTIL", 0.0)
    m = _round_up_case(tmp_path, 1e9)
    start, info = rounding_start(m, 20)
    assert info["heuristic"] == "lp_relax_round_up"
    up = m.sets.upgrades
    units = {int(r.year): start[m.columns[int(r.col)]] for r in up.itertuples()}
    assert units == {2030: 3.0, 2031: 0.0}
    assert start_is_feasible(m, start) and not _violations(m, start)
    assert info["heuristic_objective"] == pytest.approx(30.0 + 0.0, abs=1.0)  # $30, all served


def test_round_up_over_the_budget_gives_no_start(tmp_path, monkeypatch):
    from planner.optimize.starts import rounding

    monkeypatch.setattr(rounding, "WAVES_UNTIL", 0.0)
    start, info = rounding_start(_round_up_case(tmp_path, 25.0), 20)  # 3 waves cost $30
    assert start == {} and info["heuristic"] != "lp_relax_round_up"
