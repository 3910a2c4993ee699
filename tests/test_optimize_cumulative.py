"""Cumulative purchase columns (``solver.cumulative``, planner.optimize.cumulative).

Hand-solvable multi-year cases with a lead time: the same optimum with and without the
columns, z equal to the cumulative purchases in the solution, the LP relaxation no weaker,
starts completed (greedy, previous plan), deterministic plans.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pulp
import pytest

import planner.optimize.cumulative as cumulative_module
from planner.optimize import build_model, extract, plan, solve
from planner.optimize.cumulative import FAMILY, META, complete_start
from planner.optimize.starts import start_is_feasible
from planner.optimize.starts.greedy import greedy_start
from planner.options import PlanOptions
from planner.solver.highs import Session
from planner.survive.generate import plan_survivable
from planner.sweep.chain import plan_chain
from planner.sweep.spec import budget_variant
from tests.builders import (
    demand,
    line,
    make_inputs,
    ring_demand,
    ring_inputs,
    ring_scenario,
    run_case,
    scenario,
)


def cumulative(sc, on: bool = True):
    return sc.model_copy(update={"solver": sc.solver.model_copy(update={"cumulative": on})})


def lead_line(tmp):
    """A-B, 100 G installed, one 100 G wave at $10, lead time 1 year, price -50 %/yr."""
    return line(tmp, lead_time_years=1, price_change_per_year=-0.5)


#: 2030 fits the installed 100 G; 2031 needs one more wave in service, 2032 two more
LEAD_DEMAND = [("A", "B", 2030, 80.0), ("A", "B", 2031, 150.0), ("A", "B", 2032, 250.0)]


def built_and_solved(inp, dem, sc, **kw):
    m = build_model(inp, dem, sc, **kw)
    res = solve(m, sc.solver, sc.seed)
    return m, res


@pytest.mark.slow
@pytest.mark.parametrize("on", [False, True])
def test_min_cost_lead_time_same_optimum(tmp_path, on):
    # one wave bought in 2030 ($10, in service 2031), the second just in time in 2031 at $5
    sc = cumulative(scenario(years=3, objective="min-cost"), on)
    p = run_case(tmp_path, lead_line(tmp_path), demand(LEAD_DEMAND), sc)
    assert p.upgrades[["year", "in_service_year", "units", "capex_usd"]].to_dict("records") == [
        {"year": 2030, "in_service_year": 2031, "units": 1, "capex_usd": 10.0},
        {"year": 2031, "in_service_year": 2032, "units": 1, "capex_usd": 5.0},
    ]
    assert p.summary["capex_usd_total"] == pytest.approx(15.0)
    assert p.summary["solver_status"] == "optimal"


@pytest.mark.slow
@pytest.mark.parametrize("on", [False, True])
def test_budget_bound_max_served_same_optimum(tmp_path, on):
    # $15: a wave bought in 2030 ($10, in service 2031) and one in 2031 ($5, in service 2032)
    # serve everything from 2031; nothing bought can serve 2030 (lead time)
    sc = cumulative(scenario(years=3, budget=15.0), on)
    dem = demand([("A", "B", 2030, 200.0), ("A", "B", 2031, 200.0), ("A", "B", 2032, 300.0)])
    p = run_case(tmp_path, lead_line(tmp_path), dem, sc)
    assert p.upgrades[["year", "units"]].to_dict("records") == [
        {"year": 2030, "units": 1},
        {"year": 2031, "units": 1},
    ]
    assert p.unserved.set_index("year")["unserved_gbps"].to_dict() == pytest.approx(
        {2030: 100.0, 2031: 0.0, 2032: 0.0}
    )


def route_and_waves(tmp):
    """A-B: an existing corridor (100 G; waves $10 in 2030, -50 %/yr, at most 2; lead 1) and
    route N1 (400 G day one, $1000, lead 1)."""
    return make_inputs(
        tmp / "in",
        ["A", "B"],
        [dict(corridor_id="AB", site_a="A", site_b="B", distance_km=100.0,
              installed_capacity_gbps=100.0)],
        [
            dict(option_id="w", capacity_gbps=100.0, capex_fixed_usd=10.0, lead_time_years=1,
                 corridor_id="AB", max_units_per_corridor=2, price_change_per_year=-0.5),
            dict(option_id="nb", kind="new_build", capacity_gbps=400.0, capex_fixed_usd=1000.0,
                 lead_time_years=1),
        ],
        routes=[dict(route_id="N1", site_a="A", site_b="B", distance_km=50.0, fiber_pairs=2)],
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("x_integer", [True, False])
def test_z_equals_cumulative_purchases_and_route(tmp_path, monkeypatch, x_integer):
    # 2031 needs 300 G, 2032 600 G. Route N1 in 2030 ($1000) + one wave in 2031 ($5) = $1005;
    # two waves in 2030 ($20) then N1 in 2031 ($1000) = $1020; waves alone add 200 G at most
    # x_integer False: purchases continuous, their integrality implied by z (bench variant)
    monkeypatch.setattr(cumulative_module, "PURCHASES_INTEGER", x_integer)
    sc = cumulative(scenario(years=3, objective="min-cost"))
    dem = demand([("A", "B", 2030, 100.0), ("A", "B", 2031, 300.0), ("A", "B", 2032, 600.0)])
    m, res = built_and_solved(route_and_waves(tmp_path), dem, sc, formulation="path")
    assert res.solver_status == "optimal"
    p = extract(m, res, None)
    assert p.summary["capex_usd_total"] == pytest.approx(1005.0)
    assert p.upgrades[["corridor_id", "year", "units"]].to_dict("records") == [
        {"corridor_id": "N1", "year": 2030, "units": 1},
        {"corridor_id": "AB", "year": 2031, "units": 1},
    ]
    f = m.meta[META]
    assert set(f["option_id"]) == {"w", "__build__"}
    val = np.array([m.columns[c].varValue for c in range(len(m.columns))])
    want = pd.Series(val[f["x"].to_numpy()]).groupby(f["grp"].to_numpy()).cumsum().to_numpy()
    assert val[f["z"].to_numpy()] == pytest.approx(want)
    z = dict(zip(zip(f["option_id"], f["year"], strict=True), val[f["z"].to_numpy()], strict=True))
    assert z == pytest.approx(
        {("w", 2030): 0.0, ("w", 2031): 1.0, ("__build__", 2030): 1.0, ("__build__", 2031): 1.0}
    )
    assert len(m.rows[FAMILY]) == len(f)
    cats = {m.columns[c].cat for c in f["x"]}
    assert cats == {pulp.LpInteger if x_integer else pulp.LpContinuous}


def lp_bound(m) -> float:
    s = Session.from_pulp(m.prob, threads=1)
    assert s.run()
    return s.objective


def test_lp_relaxation_not_weaker(tmp_path):
    # z only re-expresses purchases: the same LP polytope projected, so the same bound
    dem = demand([("A", "B", 2030, 140.0), ("A", "B", 2031, 230.0), ("A", "B", 2032, 370.0)])
    sc = scenario(years=3, budget=25.0)
    inp = route_and_waves(tmp_path)
    off = build_model(inp, dem, cumulative(sc, False), formulation="path")
    on = build_model(inp, dem, cumulative(sc, True), formulation="path")
    assert len(on.columns) > len(off.columns)
    assert lp_bound(on) >= lp_bound(off) - 1e-9 * abs(lp_bound(off))
    assert lp_bound(on) == pytest.approx(lp_bound(off), rel=1e-9)


def test_greedy_start_completed(tmp_path):
    # greedy fills purchases only: its z stay 0 (infeasible) until complete_start sums them
    sc = cumulative(scenario(years=3, budget=100.0))
    dem = demand([("A", "B", y, 250.0) for y in (2030, 2031, 2032)])
    m = build_model(lead_line(tmp_path), dem, sc, formulation="path")
    g, _ = greedy_start(m)
    up = m.sets.upgrades
    assert sum(g[m.columns[c]] for c in up["col"]) > 0
    assert not start_is_feasible(m, g)
    done = complete_start(m, g)
    assert start_is_feasible(m, done)
    f = m.meta[META]
    z = [done[m.columns[c]] for c in f["z"]]
    x = [g[m.columns[c]] for c in f["x"]]
    assert z == pytest.approx(np.cumsum(x).tolist())
    # without the switch nothing changes
    m0 = build_model(lead_line(tmp_path), dem, cumulative(sc, False), formulation="path")
    g0, _ = greedy_start(m0)
    assert complete_start(m0, g0) is g0


@pytest.mark.slow
def test_previous_plan_start_used_and_deterministic(tmp_path):
    sc = cumulative(scenario(years=3, budget=10.0))
    dem = demand([("A", "B", y, 200.0) for y in (2030, 2031, 2032)])
    inp = lead_line(tmp_path)
    first = plan(inp, dem, sc, marginals=False)
    again = plan(inp, dem, sc, marginals=False, start=first)
    assert again.summary["heuristic_used"].startswith("previous_plan")
    assert again.summary["start_plan_objective"] == pytest.approx(first.summary["objective"])
    assert again.summary["objective"] <= first.summary["objective"] * (1 + 1e-9)
    third = plan(inp, dem, sc, marginals=False)
    for name in ("upgrades", "capacity", "unserved", "routing"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(third, name))


def ring_two_years() -> pd.DataFrame:
    """The ring's demand in 2030 and x1.5 in 2031 (tests/builders.py)."""
    return pd.concat([ring_demand(1.0, (2030,)), ring_demand(1.5, (2031,))], ignore_index=True)


@pytest.mark.slow
def test_survivable_rounds_with_cumulative_columns():
    # 100 % protection against any single corridor cut: cap_f >= d_f + max_{e != f} d_e,
    # 2030: AB 70, BC 70, CD 60, DA 50; 2031 (x1.5): AB 105, BC 105, CD 90, DA 75 Gbps;
    # 40 installed, 10 G waves at $10: 7 + 7 + 5 + 4 waves = $230 (any year: no price trend)
    sc = cumulative(ring_scenario("single_corridor", objective="min-cost", horizon_years=2))
    p = plan_survivable(ring_inputs(), ring_two_years(), sc, marginals=False)
    assert p.summary["survivability"]["converged"]
    u = p.upgrades.groupby("corridor_id")["units"].sum().astype(int).to_dict()
    assert u == {"AB": 7, "BC": 7, "CD": 5, "DA": 4}
    assert p.summary["capex_usd_total"] == pytest.approx(230.0)
    cap = p.capacity.set_index(["corridor_id", "year"])["capacity_gbps"]
    assert cap[("AB", 2030)] >= 70.0 and cap[("DA", 2030)] >= 50.0


@pytest.mark.slow
def test_budget_chain_same_plans_with_and_without_cumulative():
    # the chain's starts (own heuristic, neighbour's plan, neighbour + fill) with z columns;
    # demand doubled: 2030 needs 6 waves, 2031 (x1.5) 16 in all to serve everything ($160)
    dem = ring_two_years().assign(demand_gbps=lambda d: 2.0 * d["demand_gbps"])
    budgets = [0.0, 30.0, 60.0, 100.0, 200.0]
    got = {}
    for on in (False, True):
        sc = cumulative(ring_scenario("none", objective="max-served", share=0.0), on)
        sc = sc.model_copy(update={"horizon_years": 2})
        scs = [budget_variant(sc, b) for b in budgets]
        plans = list(plan_chain(ring_inputs(), dem, scs, PlanOptions(marginals=False), ahead=False))
        got[on] = [p.summary[k] for p in plans for k in ("served_fraction", "objective")]
        assert plans[-1].summary["served_fraction"] == pytest.approx(1.0)
        objs = [p.summary["objective"] for p in plans]
        assert all(b <= a + 1e-6 for a, b in zip(objs, objs[1:], strict=False))
        assert all(p.summary["solver_status"] == "optimal" for p in plans)
    assert got[True] == pytest.approx(got[False], rel=1e-9)
