"""Exact chance-constrained plan (``demand.chance_method: exact``, issue 17).

Hand case: the line A - B - C of tests/test_scenarios.py (100G waves at $10), scenarios
(A-B, A-C) Gbps s0 (100, 0), s1 (0, 100), s2 (100, 100). Serving 2 of 3: {s0, s1} needs AB
100 + BC 100, $20 (the optimum; with s2 it is AB 200 + BC 100, $30). Serving all 3: $30.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.config import SolverConfig
from planner.forecast.joint import JointModel
from planner.scenarios.exact import plan_chance_exact
from planner.scenarios.plan import _lost, plan_chance
from planner.scenarios.risk import pair_sets
from tests.builders import random_case, scenario
from tests.test_scenarios import S3, line3, tiny_model, units

NO_PRICING = SolverConfig(time_limit_s=30, mip_gap=0.0, threads=1, path_pricing=False)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("share", "want", "given_up"),
    [(2 / 3, {"AB": 1.0, "BC": 1.0}, [2]), (1.0, {"AB": 2.0, "BC": 1.0}, [])],
)
def test_exact_chance_by_hand(tmp_path, share, want, given_up):
    sc = scenario(demand={"mode": "scenarios", "n_scenarios": 3, "serve_share": share,
                          "chance_method": "exact"})  # fmt: skip
    p, info = plan_chance_exact(line3(tmp_path), tiny_model(), S3, sc)
    assert units(p) == want
    assert p.summary["capex_usd_total"] == pytest.approx(10.0 * sum(want.values()))
    assert info["given_up"] == given_up
    assert info["scenarios_required"] == round(3 * share)
    assert p.summary["solver_status"] == "optimal"
    assert info["exact_best_bound_usd"] == pytest.approx(p.summary["objective"], rel=1e-6)
    assert info["exact_best_bound_usd"] < p.summary["capex_usd_total"] * 1.01  # tie-breaks only


def _random_model(dem: pd.DataFrame, sigma: float) -> JointModel:
    """Each pair lognormal around its random-case demand, independent."""
    wide = dem.pivot_table(index=["site_a", "site_b"], columns="year", values="demand_gbps")
    wide = wide.fillna(0.0)
    pairs = wide.index.to_frame(index=False).assign(driver="r")
    v = wide.to_numpy(float)
    zero = v <= 0
    mu = np.log(np.where(zero, 1.0, v))
    return JointModel(pairs, [int(y) for y in wide.columns], mu, np.full(v.shape, sigma), zero,
                      np.zeros(len(pairs), np.int64), 0.0, 0.0)  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 11])
def test_exact_never_costs_more_than_the_heuristic(seed):
    """Same scenarios, same candidate paths (no pricing): the exact MIP's CapEx is at most the
    heuristic's, and its plan, routed per scenario, serves the required share in full."""
    inputs, dem = random_case(seed, 5, 1)
    model = _random_model(dem, 0.35)
    draws = model.draw(6, seed)
    dc = {"mode": "scenarios", "n_scenarios": 6, "serve_share": 0.65, "chance_method": "exact"}
    sc = scenario(solver=NO_PRICING, demand=dc)
    exact, info = plan_chance_exact(inputs, model, draws, sc)
    heur, _ = plan_chance(inputs, model, draws, sc)
    sets, pos = pair_sets(inputs, model, sc)
    need = info["scenarios_required"]
    assert need == 4
    served_e = (_lost(sets, pos, exact, draws, sc).sum(axis=(1, 2)) <= 0).sum()
    served_h = (_lost(sets, pos, heur, draws, sc).sum(axis=(1, 2)) <= 0).sum()
    assert served_e >= need  # the selection rows hold on the plan's own capacity
    assert exact.summary["solver_status"] == "optimal"
    if served_h >= need:  # the heuristic's plan is feasible for the exact problem
        assert exact.summary["capex_usd_total"] <= heur.summary["capex_usd_total"] + 1e-6


@pytest.mark.slow
def test_exact_with_an_unservable_scenario_reports_a_true_bound(tmp_path):
    """s0 asks 20 Tbps on A-B, beyond AB's 100 waves: it must be the one given up; serving s1
    (0, 100) and s2 (100, 100) needs AB 200 + BC 100, $30. The bound is the chance problem's
    (no offset for the penalty this objective does not have)."""
    draws = np.array([[20_000.0, 0.0], [0.0, 100.0], [100.0, 100.0]])[:, :, None]
    dc = {"mode": "scenarios", "n_scenarios": 3, "serve_share": 2 / 3, "chance_method": "exact"}
    p, info = plan_chance_exact(line3(tmp_path), tiny_model(), draws, scenario(demand=dc))
    assert units(p) == {"AB": 2.0, "BC": 1.0}
    assert info["given_up"] == [0]
    assert 29.99 <= info["exact_best_bound_usd"] <= p.summary["objective"] + 1e-6
    # the objective has no penalty, so no penalty offset either (it made the gap nonsense)
    assert p.summary["objective_offset_usd"] == 0.0
