"""solve.lift_bound: the root LP optimum replaces a lower (trivial) solver bound, by hand."""

from __future__ import annotations

import pytest

from planner.optimize.solve import SolveResult, lift_bound


def result(bound: float | None) -> SolveResult:
    return SolveResult("highs", "time_limit_feasible", 1000.0, bound, 0.999, 1, 0, 1, 1, 1, 0, "")


def test_root_lp_lifts_a_trivial_solver_bound() -> None:
    """Objective 1000, offset 900 (solver sees 100), solver bound 900.1 (its gap 99.9 %), root
    LP with cuts 980: bound 980, gap (1000 - 980) / 100 = 20 %."""
    info = {"lp_relaxation_objective": 970.0, "cutset_lp_bound_after_usd": 980.0}
    res = result(900.1)
    lift_bound(res, info, 900.0)
    assert res.best_bound == pytest.approx(980.0) and res.mip_gap == pytest.approx(0.2)
    assert info["bound_source"] == "root_lp"


@pytest.mark.parametrize("bound", [990.0, None])
def test_a_better_or_missing_solver_bound_is_kept(bound) -> None:
    res, info = result(bound), {"lp_relaxation_objective": 970.0}
    lift_bound(res, info, 900.0)
    assert res.best_bound == bound and res.mip_gap == 0.999 and "bound_source" not in info


def test_a_missing_solver_bound_gets_the_root_lp_in_solve() -> None:
    """solve: the solver stopped before any bound (or returned the start): the root LP 980
    bounds the plan; gap (1000 - 980) / 100; nothing to lift from: no bound, gap inf."""
    from planner.optimize.solve import _lift_missing_bound

    res, info = result(None), {"cutset_lp_bound_after_usd": 980.0}
    _lift_missing_bound(res, info, 900.0)
    assert res.best_bound == pytest.approx(980.0) and res.mip_gap == pytest.approx(0.2)
    assert info["bound_source"] == "root_lp"
    res, info = result(None), {}
    _lift_missing_bound(res, info, 900.0)
    assert res.best_bound is None and res.mip_gap == float("inf")


def test_the_all_paths_bound_proves_a_plan_the_mip_did_not() -> None:
    """Objective 1000, offset 900, the MIP stopped on its limit at bound 950 (its gap 50 %
    over its path set); the Benders master proved 999.5 for every path: gap 0.5 / 100 =
    0.5 %, within the 1 % MIP gap, so the plan is optimal and the gap holds for all paths."""
    from planner.optimize.solve import lift_all_paths

    res, info = result(950.0), {"all_paths_bound_usd": 999.5, "bound_scope": "k_paths"}
    lift_all_paths(res, info, 900.0, 0.01)
    assert res.best_bound == pytest.approx(999.5) and res.mip_gap == pytest.approx(0.005)
    assert res.solver_status == "optimal" and "all-paths bound" in res.raw_status
    assert info["bound_scope"] == "all_paths" and info["bound_source"] == "all_paths"


@pytest.mark.parametrize(("ap", "status"), [(990.0, "time_limit_feasible"), (940.0, None)])
def test_an_all_paths_bound_lifts_only_what_it_proves(ap, status) -> None:
    """990: a higher bound (gap 10 %, not within 1 %: still time-limited); 940: below the
    MIP's own 950, nothing changes."""
    from planner.optimize.solve import lift_all_paths

    res, info = result(950.0), {"all_paths_bound_usd": ap, "bound_scope": "k_paths"}
    lift_all_paths(res, info, 900.0, 0.01)
    if status is None:
        assert res.best_bound == 950.0 and info["bound_scope"] == "k_paths"
    else:
        assert res.best_bound == pytest.approx(990.0) and res.mip_gap == pytest.approx(0.1)
        assert res.solver_status == status and info["bound_scope"] == "all_paths"


def test_the_bound_stop_fires_within_the_gap() -> None:
    """Solver units: bound 99 (USD 999 less the offset 900, scale 1); 1 % of a 100 plan is 1."""
    from planner.optimize.solve import AnyStop, BoundStop

    stop = BoundStop(99.0, 0.01)
    assert stop(100.0, 50.0) and not stop(100.5, 99.0) and not stop(float("inf"), 99.0)
    assert AnyStop((lambda p, d: False, stop))(100.0, 0.0)
    assert not AnyStop((lambda p, d: False,))(100.0, 0.0)
