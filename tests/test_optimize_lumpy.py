"""The waves-relaxed search after a time-limited MIP (planner.optimize.starts.lumpy).

Hand case, the star A-B, A-C (one year, utilisation 1): each corridor has 200 Gbps installed
on 2 waves that fill its lit fiber pair (2 slots per pair), and one spare pair (A-B 20 USD,
A-C 25, in service the year it is bought) with room for 2 more 100G waves (10 USD each).
Demand A-B 500 Gbps, A-C 300 (400 beyond what is installed); budget 30 USD. A-B's pair and
one wave (30 USD) serve 100 Gbps more; A-C's pair and a wave cost 35. Optimum: A-B's pair
and 1 wave, 300 Gbps unserved. The LP buys 3/4 of A-B's pair and 1.5 waves (150 Gbps: 250
unserved); with the waves continuous and the pairs whole, the bound is the optimum's 300.
The "MIP's plan" the search starts from is the all-unserved start (800 Gbps unserved).
"""

from __future__ import annotations

import importlib
import time

import numpy as np
import pulp
import pytest

from planner.config import SolverConfig
from planner.optimize import build_model, extract, solve
from planner.optimize.model import OBJ_SCALE
from planner.optimize.solve import SolveResult
from planner.optimize.starts import lumpy, start_solution
from planner.optimize.starts.rounding import Rounder
from planner.verify import check_plan
from tests.builders import PEN, demand, line, make_inputs, scenario

solve_mod = importlib.import_module("planner.optimize.solve")
DEM = demand([("A", "B", 2030, 500.0), ("A", "C", 2030, 300.0)])


def star(tmp):
    cors = [
        dict(
            corridor_id=c,
            site_a="A",
            site_b=b,
            distance_km=100.0,
            installed_capacity_gbps=200.0,
            installed_waves=2,
            max_waves_per_fiber_pair=2,
            spare_fiber_pairs=1,
        )
        for c, b in (("AB", "B"), ("AC", "C"))
    ]
    pair = dict(kind="fiber_pair", capacity_gbps=0.0)
    opts = [
        dict(option_id="w", capacity_gbps=100.0, capex_fixed_usd=10.0),
        dict(option_id="p", capex_fixed_usd=20.0, corridor_id="AB", **pair),
        dict(option_id="q", capex_fixed_usd=25.0, corridor_id="AC", **pair),
    ]
    return make_inputs(tmp, ["A", "B", "C"], cors, opts)


def buy_nothing(m) -> None:
    """The variables set to the all-unserved plan (nothing bought, nothing routed)."""
    start = start_solution(m)
    for v in m.prob.variables():
        v.varValue = start.get(v, 0.0)


def stopped() -> SolveResult:
    """A MIP result that stopped on its limit, for extracting the variables' values."""
    return SolveResult(
        "highs", "time_limit_feasible", 0.0, None, 1.0, 0.0, 0.0, 1, 1, 20.0, 0.0, "test"
    )


def case(tmp, **solver):
    inp = star(tmp)
    sc = scenario(budget=30.0)
    sc = sc.model_copy(update={"solver": sc.solver.model_copy(update=solver)})
    return inp, sc, build_model(inp, DEM, sc)


def test_it_finds_the_other_fiber_pair_and_a_valid_bound(tmp_path):
    inp, sc, m = case(tmp_path)
    buy_nothing(m)
    info: dict = {}
    improved, bound = lumpy.lumpy_after_mip(m, sc.solver, sc.seed, time.perf_counter() + 60, info)
    assert improved and info["lumpy_improved"]
    p = extract(m, stopped(), None)
    s = p.summary
    assert s["capex_usd_total"] == pytest.approx(30.0)
    assert s["unserved_gbps_years"] == pytest.approx(300.0)
    bought = p.upgrades.groupby(["corridor_id", "option_id"])["units"].sum().to_dict()
    assert bought == {("AB", "p"): 1, ("AB", "w"): 1}
    assert check_plan(p, inp, sc, DEM).ok
    # the relaxation's bound holds for every plan, and here it is the optimum's (the LP's
    # would be 250 Gbps unserved)
    assert bound is not None
    assert bound / OBJ_SCALE <= 300 * PEN + 30.0 + 1.0
    assert bound / OBJ_SCALE == pytest.approx(300 * PEN, rel=1e-6)
    assert info["lumpy_objective_after"] < info["lumpy_objective_before"]
    assert info["lumpy_objective_before"] == pytest.approx(800 * PEN, rel=1e-6)


def test_the_optimum_is_left_alone(tmp_path):
    inp, sc, m = case(tmp_path)
    res = solve(m, sc.solver, sc.seed)
    assert res.solver_status == "optimal"
    before = {v.name: v.varValue for v in m.prob.variables()}
    info: dict = {}
    improved, bound = lumpy.lumpy_after_mip(m, sc.solver, sc.seed, time.perf_counter() + 60, info)
    assert not improved and "lumpy_objective_after" not in info
    assert {v.name: v.varValue for v in m.prob.variables()} == before
    assert bound is not None and bound / OBJ_SCALE <= res.objective + 1e-6


def test_solve_runs_it_after_a_time_limited_mip(tmp_path, monkeypatch):
    """The MIP 'stops on its limit' with the empty plan and a weak bound: solve reports the
    search's plan, its bound above the root LP's (bound_source waves_relaxed) and, at gap 0,
    optimal. Without cut-set rows, which would lift the LP here."""
    inp, sc, m = case(tmp_path, cuts=False)
    calls = []

    def limited(m, cfg, seed, start, left, start_info):
        calls.append(left)
        buy_nothing(m)
        obj = float(pulp.value(m.prob.objective)) / OBJ_SCALE  # less the offset, as HiGHS's
        return SolveResult(
            "highs", "time_limit_feasible", obj, 0.0, 1.0, left, 0.0, seed, 1,
            cfg.time_limit_s, cfg.mip_gap, "Time limit reached",
        )  # fmt: skip

    monkeypatch.setattr(solve_mod, "_run_solver", limited)
    res = solve(m, sc.solver, sc.seed)
    # the MIP got the time limit less the share kept back for the search
    assert calls and calls[0] <= (1 - lumpy.LUMPY_TIME_SHARE) * sc.solver.time_limit_s + 1e-6
    assert res.start_info["lumpy_improved"] is True
    assert res.start_info["bound_source"] == "waves_relaxed"
    assert res.solver_status == "optimal" and res.mip_gap == pytest.approx(0.0, abs=1e-9)
    assert "waves-relaxed" in res.raw_status
    p = extract(m, res, None)
    assert p.summary["capex_usd_total"] == pytest.approx(30.0)
    assert p.summary["best_bound"] <= p.summary["objective"] + 1e-6
    assert check_plan(p, inp, sc, DEM).ok


def test_where_it_applies(tmp_path):
    _, sc, m = case(tmp_path)
    assert lumpy.lumpy_share(m, sc.solver) == lumpy.LUMPY_TIME_SHARE
    assert lumpy.lumpy_share(m, SolverConfig(name="cbc", time_limit_s=20)) == 0.0
    mc = build_model(star(tmp_path), DEM, scenario(objective="min-cost"))
    assert lumpy.lumpy_share(mc, mc.scenario.solver) == lumpy.LUMPY_TIME_SHARE
    mc.meta[lumpy.ARC_FOLLOWS] = True  # auto's path stage: the arc stage searches instead
    assert lumpy.lumpy_share(mc, mc.scenario.solver) == 0.0
    waves_only = line(tmp_path, installed=0.0)  # one 100G wave option, nothing lumpy
    mw = build_model(waves_only, demand([("A", "B", 2030, 50.0)]), sc)
    assert lumpy.lumpy_share(mw, sc.solver) == 0.0  # nothing lumpy to search


def test_no_time_left_skips_it(tmp_path):
    _, sc, m = case(tmp_path)
    buy_nothing(m)
    info: dict = {}
    assert lumpy.lumpy_after_mip(m, sc.solver, sc.seed, time.perf_counter(), info) == (False, None)
    assert info["lumpy_skipped"] == "no time left"


def local(m, units: dict[str, float]):
    """local_search from fiber pairs ``units`` (option id -> units), on a fresh rounder."""
    r = Rounder(m, 10.0, 1)
    up = m.sets.upgrades.reset_index(drop=True)
    config = np.zeros(len(r.icol))
    for i, o in enumerate(up["option_id"]):
        config[i] = units.get(o, 0.0)
    got, val, moves = lumpy.local_search(r, config, time.perf_counter() + 60)
    bought = {o: got[i] for i, o in enumerate(up["option_id"]) if got[i] > 0}
    return bought, val / OBJ_SCALE, moves


def test_local_search_by_hand(tmp_path):
    _, _, m = case(tmp_path)
    # from nothing: A-B's pair first (model order), then A-C's does not fit the budget
    bought, val, moves = local(m, {})
    assert bought == {"p": 1.0} and moves == 1
    assert val == pytest.approx(300 * PEN, rel=1e-6)  # its pair + 1 wave: 100 Gbps more
    assert local(m, {}) == (bought, val, moves)  # work-bounded: the same moves every time
    # from A-C's pair (0.5 wave with the 5 USD left: 350 unserved) no single move helps:
    # dropping it serves less, adding A-B's breaks the budget; a local optimum of its moves
    bought, val, moves = local(m, {"q": 1.0})
    assert bought == {"q": 1.0} and moves == 0
    assert val == pytest.approx(350 * PEN, rel=1e-6)


def test_not_with_a_served_gap_stop(tmp_path):
    _, sc, m = case(tmp_path, served_gap=0.01)
    assert lumpy.lumpy_share(m, sc.solver) == 0.0


# ---- min-cost: every Gbps served, so the waves are rounded up along the search ---------------


def triangle(tmp):
    """A-B full (200 Gbps on 2 waves in its one lit pair of 2 slots; one spare pair at 20
    USD), A-C and C-B with one 100G wave installed and a free slot each; 100G waves at 10
    USD everywhere."""
    base = dict(distance_km=100.0, max_waves_per_fiber_pair=2)
    cors = [
        dict(corridor_id="AB", site_a="A", site_b="B", installed_capacity_gbps=200.0,
             installed_waves=2, spare_fiber_pairs=1, **base),
        dict(corridor_id="AC", site_a="A", site_b="C", installed_capacity_gbps=100.0,
             installed_waves=1, spare_fiber_pairs=0, **base),
        dict(corridor_id="BC", site_a="B", site_b="C", installed_capacity_gbps=100.0,
             installed_waves=1, spare_fiber_pairs=0, **base),
    ]  # fmt: skip
    opts = [
        dict(option_id="w", capacity_gbps=100.0, capex_fixed_usd=10.0),
        dict(option_id="p", capex_fixed_usd=20.0, corridor_id="AB", kind="fiber_pair",
             capacity_gbps=0.0),
    ]  # fmt: skip
    return make_inputs(tmp, ["A", "B", "C"], cors, opts)


TRI_DEM = demand([("A", "B", 2030, 300.0), ("A", "C", 2030, 100.0), ("B", "C", 2030, 100.0)])


@pytest.mark.parametrize("moves_only", [False, True])
def test_min_cost_drops_a_fiber_pair_for_waves_elsewhere(tmp_path, monkeypatch, moves_only):
    """Demand A-B 300 Gbps, A-C and C-B 100 each: 100 beyond what is installed. The 'MIP's
    plan': A-B's spare pair and a wave on it (30 USD). The optimum: a wave on A-C and one on
    C-B (20 USD), 100 Gbps of A-B routed A-C-B. The search drops the pair (the LP with the
    waves continuous: 20), and rounds that configuration's waves up, since rounding down
    would leave demand unserved. ``moves_only``: without the dive and the waves MIP, the
    plan found by rounding up after each move."""
    if moves_only:
        monkeypatch.setattr(lumpy, "_round_waves", lambda *a: None)
        monkeypatch.setattr(lumpy, "_waves_mip", lambda *a: None)
    inp = triangle(tmp_path)
    sc = scenario(objective="min-cost")
    m = build_model(inp, TRI_DEM, sc)
    r = Rounder(m, 10.0, 1)
    up = m.sets.upgrades.reset_index(drop=True)
    ints = np.zeros(len(r.icol))
    ints[np.flatnonzero(up["corridor_id"].eq("AB").to_numpy())] = 1.0  # its pair and a wave
    obj, y, _ = r.finish(ints)
    tiebreak = m.meta["routing_tiebreak_max_usd"]  # the latency tie-break, at most
    assert 30.0 <= obj / OBJ_SCALE <= 30.0 + tiebreak + 1e-9
    for v in m.prob.variables():
        v.varValue = float(y[v.index])
    info: dict = {}
    improved, bound = lumpy.lumpy_after_mip(m, sc.solver, sc.seed, time.perf_counter() + 60, info)
    assert improved and info["lumpy_moves"] >= 1
    assert bound is None  # min-cost: the run has its all-paths bound already
    p = extract(m, stopped(), None)
    assert p.summary["capex_usd_total"] == pytest.approx(20.0)
    bought = p.upgrades.groupby(["corridor_id", "option_id"])["units"].sum().to_dict()
    assert bought == {("AC", "w"): 1, ("BC", "w"): 1}
    assert check_plan(p, inp, sc, TRI_DEM).ok


def test_auto_leaves_the_path_stage_alone(tmp_path, monkeypatch):
    """auto's min-cost path stage, whose plan starts the arc stage, keeps its whole time;
    a path-only min-cost run has the search."""
    import planner.optimize as opt

    shares = []
    real = opt.solve

    def spy(m, cfg, *a, **k):
        shares.append((m.formulation, lumpy.lumpy_share(m, cfg)))
        return real(m, cfg, *a, **k)

    monkeypatch.setattr(opt, "solve", spy)
    inp, dem = triangle(tmp_path), TRI_DEM
    sc = scenario(objective="min-cost")
    opt.plan(inp, dem, sc, marginals=False)
    assert shares[0] == ("path", 0.0)
    assert all(s == lumpy.LUMPY_TIME_SHARE for f, s in shares[1:])  # the arc stage, if it ran
    shares.clear()
    opt.plan(inp, dem, sc, marginals=False, formulation="path")
    assert shares == [("path", lumpy.LUMPY_TIME_SHARE)]
