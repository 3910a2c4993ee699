"""Hand-solvable planning cases: the optimum is written in each test, verify runs on each plan.

Every network here is built in code (``make_inputs``) and passed through the real validator,
so the cases are valid inputs. Costs are small round numbers so the optimum is obvious.
"""

from __future__ import annotations

import pandas as pd
import pytest

from planner.errors import InputError
from planner.optimize import plan
from tests.builders import PEN, demand, line, make_inputs, run_case, scenario, triangle


def test_budget_binding_buys_what_it_can(tmp_path):
    # 350 Gbps on 100 installed: 3 waves would serve all; $20 buys only 2 -> 50 unserved
    p = run_case(tmp_path, line(tmp_path), demand([("A", "B", 2030, 350.0)]), scenario(budget=20))
    assert p.upgrades[["corridor_id", "units", "capex_usd"]].to_dict("records") == [
        {"corridor_id": "AB", "units": 2, "capex_usd": 20.0}
    ]
    assert p.unserved["unserved_gbps"].tolist() == pytest.approx([50.0])
    s = p.summary
    assert s["capex_usd_total"] == 20.0 and s["served_fraction"] == pytest.approx(300 / 350)
    assert s["objective"] == pytest.approx(50 * PEN + 20 + 1e-3 * 300 * 100 * 0.0049, rel=1e-9)
    assert s["solver_status"] == "optimal" and s["mip_gap"] <= 1e-9
    # marginals: the saturated corridor is worth penalty x u per Gbps; one more dollar buys
    # a tenth of a wave = 10 Gbps-years (extendable LP)
    mv = p.marginal_values.set_index("year")
    assert mv.loc[2030, "usd_per_gbps"] == pytest.approx(PEN, rel=1e-6)
    assert s["budget_marginal_gbps_years_per_usd"] == pytest.approx(10.0, rel=1e-6)
    assert s["budget_marginal_usd_per_usd"] == pytest.approx(10 * PEN, rel=1e-6)
    # $25: still 2 waves (a third costs $30 in all); the LP spends the $5 left on half a
    # wave that serves the rest, so at the margin a dollar is worth nothing (a documented limit)
    p = run_case(tmp_path, line(tmp_path), demand([("A", "B", 2030, 350.0)]), scenario(budget=25))
    assert p.summary["capex_usd_total"] == 20.0
    assert p.summary["budget_marginal_gbps_years_per_usd"] == 0.0


def test_zero_budget_means_zero_upgrades(tmp_path):
    p = run_case(tmp_path, line(tmp_path), demand([("A", "B", 2030, 350.0)]), scenario(budget=0))
    assert len(p.upgrades) == 0 and p.summary["capex_usd_total"] == 0
    assert p.unserved["unserved_gbps"].tolist() == pytest.approx([250.0])
    assert p.capacity["utilization"].tolist() == pytest.approx([1.0])


def test_lead_time_delays_capacity(tmp_path):
    # lead time 1: a wave bought in 2030 serves from 2031; 2030 stays 100 Gbps short
    inp = line(tmp_path, lead_time_years=1)
    dem = demand([("A", "B", y, 200.0) for y in (2030, 2031, 2032)])
    p = run_case(tmp_path, inp, dem, scenario(years=3))
    assert p.upgrades[["year", "in_service_year", "units"]].to_dict("records") == [
        {"year": 2030, "in_service_year": 2031, "units": 1}
    ]
    assert p.unserved.set_index("year")["unserved_gbps"].to_dict() == pytest.approx(
        {2030: 100.0, 2031: 0.0, 2032: 0.0}
    )
    assert p.capacity.set_index("year")["capacity_gbps"].to_dict() == {
        2030: 100.0,
        2031: 200.0,
        2032: 200.0,
    }


def test_falling_prices_defer_purchase_to_when_needed(tmp_path):
    # -50 %/yr and no lead time: buy in 2032, the first year demand exceeds 100, at $2.50
    inp = line(tmp_path, price_change_per_year=-0.5)
    dem = demand([("A", "B", 2030, 80.0), ("A", "B", 2031, 100.0), ("A", "B", 2032, 180.0)])
    p = run_case(tmp_path, inp, dem, scenario(years=3))
    assert p.upgrades[["year", "units", "capex_usd"]].to_dict("records") == [
        {"year": 2032, "units": 1, "capex_usd": 2.5}
    ]
    assert p.summary["capex_usd_by_year"] == {"2030": 0.0, "2031": 0.0, "2032": 2.5}


def test_cheaper_longer_path_is_chosen(tmp_path):
    p = run_case(tmp_path, triangle(tmp_path), demand([("A", "B", 2030, 100.0)]), scenario())
    assert p.summary["capex_usd_total"] == 20.0
    assert sorted(p.upgrades["option_id"]) == ["w_ac", "w_bc"]
    assert p.routing[["path", "gbps"]].to_dict("records") == [{"path": "AC;BC", "gbps": 100.0}]
    assert p.routing["latency_ms"].tolist() == pytest.approx([300 * 0.0049])


def test_latency_limit_forces_the_direct_path(tmp_path):
    # 1.0 ms allows the 0.49 ms direct corridor only (A-C-B is 1.47 ms)
    sc = scenario(latency_ms_max={"general": 1.0})
    p = run_case(tmp_path, triangle(tmp_path), demand([("A", "B", 2030, 100.0)]), sc)
    assert p.upgrades["option_id"].tolist() == ["w_direct"]
    assert p.routing["path"].tolist() == ["AB"]


def test_pair_without_admissible_path_is_unserved_and_flagged(tmp_path):
    sc = scenario(latency_ms_max={"general": 0.1})
    p = run_case(tmp_path, triangle(tmp_path), demand([("A", "B", 2030, 100.0)]), sc)
    assert len(p.upgrades) == 0 and len(p.routing) == 0
    u = p.unserved.iloc[0]
    assert u["unserved_gbps"] == 100.0 and bool(u["no_admissible_path"])
    assert u["best_latency_ms"] == pytest.approx(0.49)
    assert p.summary["pairs_without_admissible_path"][0]["best_latency_ms"] == pytest.approx(0.49)
    with pytest.raises(InputError, match="no admissible path.*0.49 ms, limit 0.1 ms"):
        plan(triangle(tmp_path), demand([("A", "B", 2030, 100.0)]), sc, objective="min-cost")


def test_fiber_pair_opens_wave_slots(tmp_path):
    # 2 slots per pair, both used: a 3rd wave needs the spare pair lit first ($50 + $10)
    inp = make_inputs(
        tmp_path / "in",
        ["A", "B"],
        [
            dict(
                corridor_id="AB",
                site_a="A",
                site_b="B",
                distance_km=10.0,
                installed_capacity_gbps=200.0,
                installed_waves=2,
                max_waves_per_fiber_pair=2,
                spare_fiber_pairs=1,
            )
        ],
        [
            dict(option_id="w100", capacity_gbps=100.0, capex_fixed_usd=10.0),
            dict(option_id="pair", kind="fiber_pair", capacity_gbps=0.0, capex_fixed_usd=50.0),
        ],
    )
    p = run_case(tmp_path, inp, demand([("A", "B", 2030, 400.0)]), scenario())
    assert dict(zip(p.upgrades["option_id"], p.upgrades["units"], strict=True)) == {
        "pair": 1,
        "w100": 2,
    }
    assert p.summary["capex_usd_total"] == 70.0 and p.summary["unserved_gbps_years"] == 0


def test_unit_cap_limits_waves(tmp_path):
    inp = line(tmp_path, max_units_per_corridor=1)
    p = run_case(tmp_path, inp, demand([("A", "B", 2030, 400.0)]), scenario())
    assert p.upgrades["units"].tolist() == [1]
    assert p.unserved["unserved_gbps"].tolist() == pytest.approx([200.0])


def test_candidate_route_built_with_lead_time(tmp_path):
    # no corridor between A and B; building N1 ($1000, 400G day one) serves from 2031
    inp = make_inputs(
        tmp_path / "in",
        ["A", "B"],
        [
            dict(
                corridor_id="X",
                site_a="A",
                site_b="B",
                distance_km=5000.0,
                installed_capacity_gbps=0.0,
                lit_fiber_pairs=0,
                max_waves_per_fiber_pair=1,
            )
        ],
        [
            dict(
                option_id="nb",
                kind="new_build",
                capacity_gbps=400.0,
                capex_fixed_usd=1000.0,
                lead_time_years=1,
            )
        ],
        routes=[dict(route_id="N1", site_a="A", site_b="B", distance_km=50.0, fiber_pairs=2)],
    )
    dem = demand([("A", "B", y, 300.0) for y in (2030, 2031, 2032)])
    p = run_case(tmp_path, inp, dem, scenario(years=3))
    assert p.upgrades[["corridor_id", "kind", "year", "in_service_year", "capex_usd"]].to_dict(
        "records"
    ) == [
        dict(corridor_id="N1", kind="new_build", year=2030, in_service_year=2031, capex_usd=1000.0)
    ]
    assert p.unserved.set_index("year")["unserved_gbps"].to_dict() == pytest.approx(
        {2030: 300.0, 2031: 0.0, 2032: 0.0}
    )
    cap = p.capacity[p.capacity["corridor_id"] == "N1"].set_index("year")["capacity_gbps"]
    assert cap.to_dict() == {2030: 0.0, 2031: 400.0, 2032: 400.0}


def test_per_year_budget_caps_spending(tmp_path):
    # $10 a year: one wave a year although demand wants 2 in 2030
    inp = line(tmp_path)
    dem = demand([("A", "B", 2030, 300.0), ("A", "B", 2031, 300.0)])
    p = run_case(tmp_path, inp, dem, scenario(years=2, budget_usd_per_year=[10.0, 10.0]))
    assert p.upgrades[["year", "units"]].to_dict("records") == [
        {"year": 2030, "units": 1},
        {"year": 2031, "units": 1},
    ]
    assert p.unserved.set_index("year")["unserved_gbps"].to_dict() == pytest.approx(
        {2030: 100.0, 2031: 0.0}
    )


def test_min_cost_serves_everything_without_budget(tmp_path):
    sc = scenario(budget=0)  # the budget is ignored in min-cost
    p = run_case(
        tmp_path, triangle(tmp_path), demand([("A", "B", 2030, 150.0)]), sc, objective="min-cost"
    )
    # 2 waves on each of AC and BC ($40) beat 2 direct waves ($200)
    assert p.summary["capex_usd_total"] == 40.0 and p.summary["objective_mode"] == "min-cost"
    assert p.summary["unserved_gbps_years"] == 0 and not p.summary["budget_applied"]


def test_min_cost_infeasible_is_a_clear_error(tmp_path):
    # the advice names both ways (`planner run` and `optimize` take --objective)
    advice = "cannot all be served.*--objective max-served.*'objective'"
    with pytest.raises(InputError, match=advice):
        plan(
            line(tmp_path, max_units_per_corridor=1),
            demand([("A", "B", 2030, 400.0)]),
            scenario(),
            objective="min-cost",
        )


def test_arc_formulation_beats_a_single_path(tmp_path):
    # 100G on AB and 100G on A-C-B, no upgrades: k=1 carries 100, the arc model 200
    cors = [
        dict(corridor_id=c, site_a=a, site_b=b, distance_km=100.0, installed_capacity_gbps=100.0)
        for c, a, b in [("AB", "A", "B"), ("AC", "A", "C"), ("BC", "B", "C")]
    ]
    inp = make_inputs(
        tmp_path / "in",
        ["A", "B", "C"],
        cors,
        [dict(option_id="w", capacity_gbps=100.0, capex_fixed_usd=10.0)],
    )
    dem = demand([("A", "B", 2030, 200.0)])
    restricted = scenario(budget=0, k_paths=1)  # without path pricing: only the k = 1 path
    solver = restricted.solver.model_copy(update={"path_pricing": False})
    restricted = restricted.model_copy(update={"solver": solver})
    one = run_case(tmp_path / "p", inp, dem, restricted)
    arc = run_case(tmp_path / "a", inp, dem, scenario(budget=0, k_paths=1), formulation="arc")
    assert one.summary["unserved_gbps_years"] == pytest.approx(100.0)
    assert arc.summary["unserved_gbps_years"] == pytest.approx(0.0)
    assert arc.summary["formulation"] == "arc"
    assert sorted(arc.routing["path"]) == ["AB", "AC;BC"]


def test_both_solvers_agree_within_the_gap(tmp_path):
    inp = triangle(tmp_path, direct_usd=25.0)
    dem = demand([("A", "B", 2030, 250.0), ("A", "C", 2030, 50.0), ("A", "B", 2031, 320.0)])
    res = {}
    for name in ("highs", "cbc"):
        sc = scenario(years=2, budget=75.0)
        sc = sc.model_copy(update={"solver": sc.solver.model_copy(update={"name": name})})
        res[name] = run_case(tmp_path / name, inp, dem, sc).summary
    assert res["cbc"]["solver"] == "cbc" and res["cbc"]["solver_status"] == "optimal"
    assert res["highs"]["objective"] == pytest.approx(res["cbc"]["objective"], rel=1e-6)
    assert res["highs"]["capex_usd_total"] == res["cbc"]["capex_usd_total"]


def test_same_inputs_same_plan(tmp_path):
    inp = triangle(tmp_path, direct_usd=15.0)
    dem = demand([("A", "B", 2030, 250.0), ("A", "C", 2030, 50.0)])
    a = plan(inp, dem, scenario())
    b = plan(inp, dem, scenario())
    for name in ("upgrades", "capacity", "unserved", "routing"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


def test_hook_adds_constraints_between_build_and_solve(tmp_path):
    # forbid any capacity on AC in 2030: the plan must use the direct corridor
    def hook(m):
        m.prob.addConstraint(m.capacity_gbps("AC", 2030) <= 0, "no_ac")

    p = run_case(
        tmp_path, triangle(tmp_path), demand([("A", "B", 2030, 100.0)]), scenario(), hook=hook
    )
    assert p.upgrades["option_id"].tolist() == ["w_direct"]


def test_penalty_below_capacity_cost_warns(tmp_path):
    sc = scenario(unserved_penalty_usd_per_gbps=0.05)  # a 100G wave costs $0.10 per Gbps
    p = plan(line(tmp_path), demand([("A", "B", 2030, 150.0)]), sc)
    assert any("penalty" in w for w in p.summary["warnings"])
    assert p.summary["penalty_dominance_ratio"] == pytest.approx(0.5)


def test_bad_demand_is_an_input_error(tmp_path):
    inp = line(tmp_path)
    with pytest.raises(InputError, match="unknown sites"):
        plan(inp, demand([("A", "Z", 2030, 1.0)]), scenario())
    with pytest.raises(InputError, match="expected >= 0"):
        plan(inp, demand([("A", "B", 2030, -1.0)]), scenario())
    with pytest.raises(InputError, match="no demand rows for years \\[2031\\]"):
        plan(inp, demand([("A", "B", 2030, 1.0)]), scenario(years=2))
    with pytest.raises(InputError, match="expected \\('path', 'arc'\\)"):
        plan(inp, demand([("A", "B", 2030, 1.0)]), scenario(), formulation="tree")
