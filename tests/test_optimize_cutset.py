"""Cut-set (MIR) inequalities: valid for every integer plan, and they tighten the LP (issue 14).

Hand case: A-B, no capacity installed, 100G waves at 10 USD, demand 150 Gbps in 2030 and
250 Gbps in 2031 (utilisation 1). Min-cost optimum: 2 waves in 2030 + 1 in 2031 = 30 USD; the
LP relaxation buys 1.5 + 1 waves = 25 USD. The cut-set inequalities of the one corridor
(every path of the pair uses it) say 2 waves by 2030 and 3 by 2031, which is the optimum.
With a 25 USD budget (max-served) the optimum is 2 waves in 2030 and 50 Gbps-years unserved.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from planner.config import SolverConfig
from planner.optimize import build_model, plan
from planner.optimize.cutrounds import add_cutset_rows
from planner.optimize.cutset import mir
from tests.builders import PEN, demand, line, make_inputs, random_case, run_case, scenario

DEM = demand([("A", "B", 2030, 150.0), ("A", "B", 2031, 250.0)])


def with_cuts(sc, on: bool = True):
    return sc.model_copy(update={"solver": sc.solver.model_copy(update={"cuts": on})})


def test_mir_is_valid_on_every_small_integer_point():
    rng = np.random.default_rng(0)
    for _ in range(300):
        a = rng.choice([0.25, 0.5, 1.0, 1.5, 2.0, 0.3, 0.7], size=2)
        b = float(rng.uniform(0.1, 4.0))
        got = mir(a, b)
        if got is None:
            continue
        coef, rhs = got
        for z in itertools.product(range(8), repeat=2):
            y = max(0.0, b - a @ np.array(z))  # least continuous part the base row allows
            assert coef @ np.array(z) + y >= rhs - 1e-9, (a, b, z)


@pytest.mark.parametrize("formulation", ["path", "arc"])
def test_cuts_reach_the_hand_optimum_at_the_root(tmp_path, formulation):
    sc = with_cuts(scenario(years=2, objective="min-cost"))
    m = build_model(line(tmp_path, installed=0.0), DEM, sc, formulation=formulation)
    info = add_cutset_rows(m)
    assert info["cutset_rows"] >= 2
    # + 0.1 USD: the latency tie-break, 1 % of the cheapest unit on the only path
    assert info["cutset_lp_bound_before_usd"] == pytest.approx(25.0 + 0.1, abs=1e-6)
    assert info["cutset_lp_bound_after_usd"] == pytest.approx(30.0 + 0.1, abs=1e-6)
    p = run_case(tmp_path, line(tmp_path, installed=0.0), DEM, sc, formulation=formulation)
    assert p.summary["solver_status"] == "optimal"
    assert p.summary["capex_usd_total"] == pytest.approx(30.0)


def test_cuts_keep_the_max_served_optimum(tmp_path):
    sc = with_cuts(scenario(years=2, budget=25.0))
    p = run_case(tmp_path, line(tmp_path, installed=0.0), DEM, sc)
    s = p.summary
    assert s["cutset_rows"] >= 1 and s["solver_status"] == "optimal"
    assert s["capex_usd_total"] == pytest.approx(20.0)
    assert s["unserved_gbps_years"] == pytest.approx(50.0)
    assert s["objective"] == pytest.approx(20.0 + 50.0 * PEN, rel=1e-9)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_no_cut_removes_the_optimum_of_random_cases(seed):
    inp, dem = random_case(seed, 6, 3)
    sc = scenario(years=3, budget=120.0)
    solved = []
    opt = plan(inp, dem, with_cuts(sc, False), marginals=False, hook=solved.append).summary
    assert opt["solver_status"] == "optimal"
    m = solved[0]  # solved without cuts: its columns hold the optimum
    assert add_cutset_rows(m)["cutset_rows"] >= 1
    for name in m.rows["cutset"]["name"]:
        c = m.constraint(name)
        lhs = sum(a * (v.varValue or 0.0) for v, a in c.items()) + c.constant
        assert lhs >= -1e-6 * (1 + abs(c.constant)), name
    # and the optimum with cuts is the same number
    cut = plan(inp, dem, with_cuts(sc), marginals=False).summary
    assert cut["solver_status"] == "optimal" and cut["cutset_rows"] >= 1
    assert cut["objective"] == pytest.approx(opt["objective"], rel=1e-7)


def test_cuts_switch_defaults_on():
    # on by default: measured to tighten the bound and the plan (reports/bench/optimize.md)
    assert SolverConfig().cuts is True


def test_slot_level_cuts_round_whole_fiber_pairs(tmp_path):
    # A-B: one lit pair with 2 wave slots free, 2 spare pairs (2 slots each, 50 USD), 100G
    # waves at 10 USD; 500 Gbps needs 5 waves, so 3 more slots: 2 pairs. Optimum 150 USD;
    # the LP buys 1.5 pairs (125 USD); the slot-level cut says 2 pairs
    cor = dict(
        corridor_id="AB",
        site_a="A",
        site_b="B",
        distance_km=100.0,
        installed_capacity_gbps=0.0,
        spare_fiber_pairs=2,
        max_waves_per_fiber_pair=2,
    )
    opts = [
        dict(option_id="w", capacity_gbps=100.0, capex_fixed_usd=10.0),
        dict(option_id="p", kind="fiber_pair", capacity_gbps=0.0, capex_fixed_usd=50.0),
    ]
    inp = make_inputs(tmp_path / "in", ["A", "B"], [cor], opts)
    dem = demand([("A", "B", 2030, 500.0)])
    sc = with_cuts(scenario(objective="min-cost"))
    info = add_cutset_rows(build_model(inp, dem, sc))
    # + 0.1 USD: the latency tie-break, 1 % of the cheapest unit (10 USD)
    assert info["cutset_lp_bound_before_usd"] == pytest.approx(125.0 + 0.1, abs=1e-6)
    assert info["cutset_lp_bound_after_usd"] == pytest.approx(150.0 + 0.1, abs=1e-6)
    p = run_case(tmp_path, inp, dem, sc)
    assert p.summary["capex_usd_total"] == pytest.approx(150.0)


def test_separation_starts_from_the_start_heuristics_lp_optimum(tmp_path):
    # the start leaves its LP relaxation's optimal basis; the separation's first LP then
    # costs no simplex work and its bound before cuts is that relaxation's optimum
    from planner.optimize.starts import initial_plan

    inp, dem = random_case(2, 6, 3)
    sc = scenario(years=3, budget=120.0)
    m = build_model(inp, dem, sc)
    _, info, _ = initial_plan(m, sc.solver)
    assert "lp_relaxation_basis" in m.meta
    cut = add_cutset_rows(m, 1, sc.solver.time_limit_s)
    assert "lp_relaxation_basis" not in m.meta  # used once, not kept on the model
    assert cut["cutset_lp_bound_before_usd"] == pytest.approx(
        info["lp_relaxation_objective"], rel=1e-9
    )
    assert cut["cutset_lp_bound_after_usd"] >= cut["cutset_lp_bound_before_usd"] - 1e-6


def test_separation_work_grows_with_the_model_within_a_share_of_the_limit():
    from planner.optimize.cutrounds import SIZE_REF, TIME_SHARE, WORK_SECONDS, work_seconds

    assert work_seconds(1_000, 300.0) == WORK_SECONDS
    assert work_seconds(10 * SIZE_REF, None) == pytest.approx(10 * WORK_SECONDS)
    big = work_seconds(100 * SIZE_REF, 300.0)
    assert big == pytest.approx(TIME_SHARE * 300.0) and big > WORK_SECONDS
    assert work_seconds(100 * SIZE_REF, 10.0) == WORK_SECONDS  # never below the old budget
