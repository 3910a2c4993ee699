"""The ``auto`` formulation (planner.optimize.auto), on cases solved by hand.

trap12 (tests/data/sndlib/trap12.txt, optimum 16 proved in its header): the k = 10 shortest
paths miss the optimal detour A-C-B and root-LP pricing leaves it out (the LP prefers the
big direct module), so the path model pays 50 and calls it optimal over its path set; auto
runs the arc model from the path plan and finds 16 with a bound valid for every path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.io import read_inputs, read_scenario
from planner.io.run import read_demand
from planner.io.sndlib import import_sndlib
from planner.optimize import auto, benders, build_model, plan
from planner.optimize.solve import SolveResult
from tests.builders import demand, scenario, triangle
from tests.conftest import ROOT
from tests.test_import_sndlib import reference_optimum

TRAP12 = ROOT / "tests" / "data" / "sndlib" / "trap12.txt"
TRAP12_OPT, TRAP12_PATH_MODEL = 16.0, 50.0


def trap12(tmp_path: Path):
    import_sndlib(TRAP12, tmp_path)
    sc = read_scenario(tmp_path / "scenarios" / "min_cost.yaml")
    return read_inputs(tmp_path), read_demand(tmp_path / "demand.csv"), sc


def test_trap12_hand_optimum_is_the_reference_optimum() -> None:
    assert reference_optimum(TRAP12) == pytest.approx(TRAP12_OPT, abs=1e-6)


def test_benders_finds_the_optimum_the_priced_path_model_misses(tmp_path: Path) -> None:
    # the path model's own decomposition (planner.optimize.benders) finds and proves it
    inp, dem, sc = trap12(tmp_path)
    path = plan(inp, dem, sc, formulation="path", marginals=False).summary
    assert path["capex_usd_total"] == pytest.approx(TRAP12_OPT)
    assert path["benders_bound_usd"] == pytest.approx(TRAP12_OPT)
    assert path["all_paths_gap"] * path["objective"] <= path["routing_tiebreak_max_usd"] + 1e-9


def test_auto_finds_the_optimum_the_path_model_misses(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(benders, "ROUNDS", 0)  # the path model as it was without the master
    inp, dem, sc = trap12(tmp_path)
    path = plan(inp, dem, sc, formulation="path", marginals=False).summary
    assert path["capex_usd_total"] == pytest.approx(TRAP12_PATH_MODEL)
    assert path["mip_gap"] <= 1e-9 and path["bound_scope"] == "k_paths"  # "optimal" on k paths
    assert path["path_pricing_converged"] is True and path["paths_added"] == 0
    assert path["all_paths_gap"] > 0.5  # ... and honest against the all-paths LP bound
    s = plan(inp, dem, sc, marginals=False).summary  # the default: auto
    assert s["capex_usd_total"] == pytest.approx(TRAP12_OPT)
    assert s["formulation"] == "arc" and s["bound_scope"] == "all_paths"
    assert s["solver_status"] == "optimal" and s["mip_gap"] <= 1e-6
    assert s["best_bound"] <= TRAP12_OPT + s["routing_tiebreak_max_usd"] + 1e-9
    assert s["path_stage_objective_usd"] >= TRAP12_PATH_MODEL
    assert s["formulation_choice"].startswith("auto: path (")
    assert s["time_limit_s"] == sc.solver.time_limit_s  # the run's, not the arc stage's rest


def test_auto_stays_with_the_path_model_where_arc_is_not_the_same_problem(tmp_path) -> None:
    """Latency limit below the detour's latency: arc (no limits) would route A-C-B; auto keeps
    the path model. Max-served keeps it too. Each time the summary says why."""
    inp = triangle(tmp_path)
    dem = demand([("A", "B", 2030, 50.0)])
    tight = scenario(
        k_paths=1,
        objective="min-cost",
        latency_ms_max={"ai_training": 1.0, "ai_inference": 1.0, "general": 1.0},
    )
    s = plan(inp, dem, tight, marginals=False).summary
    assert s["formulation"] == "path" and "latency limits can bind" in s["formulation_choice"]
    assert s["capex_usd_total"] == pytest.approx(100.0)  # the direct path, as the limit says
    served = plan(inp, dem, scenario(k_paths=1), marginals=False).summary
    assert served["formulation"] == "path" and "max-served" in served["formulation_choice"]


def test_auto_size_bound(tmp_path: Path, monkeypatch) -> None:
    inp, dem, sc = trap12(tmp_path)
    m = build_model(inp, dem, sc)
    assert m.formulation == "path" and auto.arc_stage_reason(m, False) is None
    assert auto.arc_flow_columns(m) == 2 * 23  # one source, 23 corridors, one year
    assert "hook" in auto.arc_stage_reason(m, True)
    monkeypatch.setattr(auto, "ARC_MAX_FLOW_COLUMNS", 45)
    assert "too large" in auto.arc_stage_reason(m, False)
    s = plan(inp, dem, sc, marginals=False).summary  # the path model (with its master)
    assert s["formulation"] == "path" and s["capex_usd_total"] == pytest.approx(16.0)
    monkeypatch.setattr(benders, "ROUNDS", 0)
    s = plan(inp, dem, sc, marginals=False).summary
    assert s["formulation"] == "path" and s["capex_usd_total"] == pytest.approx(50.0)


def test_arc_stage_keeps_the_path_stages_higher_all_paths_bound() -> None:
    # both bounds hold for the same problem: the result states the higher, and its gap
    def res(obj: float, bound: float | None, info: dict) -> SolveResult:
        return SolveResult("highs", "time_limit_feasible", obj, bound, 0.5, 1.0, 0.0, 1, 1,
                           60.0, 1e-4, "t", info)  # fmt: skip

    arc = res(100.0, 80.0, {"objective_offset_usd": 0.0})
    auto._keep_path_bound(arc, res(105.0, 90.0, {"all_paths_bound_usd": 95.0}))
    assert arc.best_bound == 95.0 and arc.mip_gap == pytest.approx(0.05)
    assert arc.start_info["bound_source"] == "path_stage_all_paths"
    low = res(100.0, 97.0, {})
    auto._keep_path_bound(low, res(105.0, 90.0, {"all_paths_bound_usd": 95.0}))
    assert low.best_bound == 97.0 and "bound_source" not in low.start_info
