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
