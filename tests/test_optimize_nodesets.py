"""Cut-set rows on grown node sets (planner.optimize.nodesets): found, valid, and they lift the
bound where one- and two-site cuts cannot (issue 14).

Hand case, two triangles joined by two dear corridors: sites A, B, C and D, E, F, corridors
AB, AC, BC and DE, DF, EF at 1 USD per 100G wave, CD and BE at 100 USD per wave, nothing
installed, demand A-F 150 Gbps (utilisation 1). Every plan needs capacity for 150 Gbps
across {CD, BE}: two whole dear waves (200 USD), and two cheap waves at A and at F. Optimum
204 USD (e.g. A-B-E-F with 2 waves each). The LP buys 1.5 waves per corridor on one path
(153 USD); cuts around one site make A's and F's waves whole (+1), two-site cuts buy cheap
waves beside the path; only the cut of the three-site set {A, B, C} says two dear waves.
"""

from __future__ import annotations

import numpy as np
import pytest

from planner.optimize import build_model, cutrounds, plan
from planner.optimize.cutrounds import add_cutset_rows
from planner.optimize.cutset import base_inequalities
from planner.optimize.nodesets import GrownSets, SiteGraph, grow
from tests.builders import demand, make_inputs, random_case, run_case, scenario

CHEAP = ["AB", "AC", "BC", "DE", "DF", "EF"]
DEAR = ["CD", "BE"]
DEM = demand([("A", "F", 2030, 150.0)])


def two_triangles(tmp_path):
    cors = [
        dict(corridor_id=c, site_a=c[0], site_b=c[1], distance_km=100.0,
             installed_capacity_gbps=0.0)
        for c in CHEAP + DEAR
    ]  # fmt: skip
    opts = [
        dict(option_id=f"w_{c}", capacity_gbps=100.0, corridor_id=c,
             capex_fixed_usd=1.0 if c in CHEAP else 100.0)
        for c in CHEAP + DEAR
    ]  # fmt: skip
    return make_inputs(tmp_path / "in", list("ABCDEF"), cors, opts)


@pytest.mark.parametrize("formulation", ["arc", "path"])
def test_grown_set_cut_makes_the_dear_waves_whole(tmp_path, formulation):
    sc = scenario(objective="min-cost")
    m = build_model(two_triangles(tmp_path), DEM, sc, formulation=formulation)
    info = add_cutset_rows(m)
    assert info["cutset_lp_bound_before_usd"] == pytest.approx(153.0, abs=0.5)
    assert info["cutset_grown_cuts"] >= 1
    # the dear cut is whole: at least 200 USD; the hand optimum is 204 (+ tie-break)
    assert 200.0 <= info["cutset_lp_bound_after_usd"] <= 204.0 + 0.5
    p = run_case(tmp_path, two_triangles(tmp_path), DEM, sc, formulation=formulation)
    assert p.summary["solver_status"] == "optimal"
    assert p.summary["capex_usd_total"] == pytest.approx(204.0)


def test_without_grown_sets_the_fixed_families_stay_near_the_lp(tmp_path, monkeypatch):
    # the same case with the grown phase off: one- and two-site cuts only
    monkeypatch.setattr(cutrounds._Phases, "LAST", 1)
    sc = scenario(objective="min-cost")
    info = add_cutset_rows(build_model(two_triangles(tmp_path), DEM, sc, formulation="arc"))
    assert info["cutset_grown_cuts"] == 0
    assert info["cutset_lp_bound_after_usd"] < 160.0


def test_grow_keeps_sets_whose_slack_is_below_a_module_once():
    # a path of six sites 0-1-2-3-4-5; demand 0-5 of 150 crosses every cut once
    g = SiteGraph([str(i) for i in range(6)], np.arange(5), np.arange(1, 6),
                  np.array([0]), np.array([5]))  # fmt: skip
    cap = np.array([150.0, 150.0, 150.0, 150.0, 150.0])  # every cut exactly full: slack 0
    module = np.full(5, 100.0)
    seen: set = set()
    got = grow(g, cap, np.array([150.0]), module, seen)
    sets = {tuple(s) for s in got}
    assert (0, 1, 2) in sets and (3, 4, 5) in sets  # connected, size 3 (= n / 2)
    assert all(len(s) == 3 for s in sets)
    assert not grow(g, cap, np.array([150.0]), module, seen)  # each set returned once
    # a module smaller than the slack: no MIR cut can be violated, nothing is kept
    roomy = cap + 60.0
    assert not grow(g, roomy, np.array([150.0]), np.full(5, 50.0), set())


def test_grown_family_rows_are_the_one_end_demand_of_the_set(tmp_path):
    sc = scenario(objective="min-cost")
    m = build_model(two_triangles(tmp_path), DEM, sc, formulation="arc")
    fam = base_inequalities(m)
    x = np.zeros(len(m.columns))  # nothing bought, nothing served: every cut is short
    got = GrownSets(m, fam).family(x)
    assert got is not None
    cor = m.sets.corridors.set_index("e")["corridor_id"]
    by_name = dict(zip(got.names["what"], got.names["r"], strict=True))
    r = by_name["A+B+C"]
    assert sorted(cor[e] for e in got.sets[r]) == ["BE", "CD"]
    assert got.rows.loc[got.rows["r"] == r, "need"].tolist() == [pytest.approx(150.0)]


@pytest.mark.parametrize(
    ("seed", "kw"),
    [(12, dict(objective="min-cost")), (13, dict(objective="min-cost")),
     (15, dict(objective="min-cost")), (13, dict(budget=150.0))],
)  # fmt: skip
def test_grown_rows_keep_the_optimum_of_random_cases(seed, kw, monkeypatch):
    # eight sites (cases where grown sets give violated cuts that lift the LP): the optimum
    # solved without cuts satisfies every row, and solving with them gives the same optimum
    inp, dem = random_case(seed, 8, 1)
    sc = scenario(**kw)
    with monkeypatch.context() as mp:
        mp.setattr(cutrounds._Phases, "LAST", 1)
        fixed = add_cutset_rows(build_model(inp, dem, sc, formulation="arc"))
    off = sc.model_copy(update={"solver": sc.solver.model_copy(update={"cuts": False})})
    solved = []
    opt = plan(inp, dem, off, formulation="arc", marginals=False, hook=solved.append).summary
    assert opt["solver_status"] == "optimal"
    m = solved[0]
    info = add_cutset_rows(m)
    assert info["cutset_grown_cuts"] >= 1 and info["cutset_rows"] > fixed["cutset_rows"]
    assert info["cutset_lp_bound_after_usd"] > fixed["cutset_lp_bound_after_usd"] * (1 + 1e-3)
    for name in m.rows["cutset"]["name"]:
        c = m.constraint(name)
        lhs = sum(a * (v.varValue or 0.0) for v, a in c.items()) + c.constant
        assert lhs >= -1e-6 * (1 + abs(c.constant)), name
    cut = plan(inp, dem, sc, formulation="arc", marginals=False).summary
    assert cut["solver_status"] == "optimal" and cut["cutset_grown_cuts"] >= 1
    assert cut["objective"] == pytest.approx(opt["objective"], rel=1e-7)


def test_all_paths_bound_uses_grown_sets(tmp_path):
    # the priced LP's cut rows (valid on every path, no flow column) include grown sets: the
    # bound for every admissible path says two whole dear waves, as the MIP's optimum does
    sc = scenario(objective="min-cost")
    m = build_model(two_triangles(tmp_path), DEM, sc, formulation="path")
    info = m.meta["pricing"]
    assert info["path_pricing_converged"] and info["all_paths_grown_rows"] >= 1
    assert info["all_paths_lp_bound_usd"] == pytest.approx(153.0, abs=0.5)
    assert 200.0 <= info["all_paths_bound_usd"] <= 204.0 + 0.5
