"""``planner sweep`` with ``demand: scenarios`` (issue 17): each run plans its scenario mode.

The tiny line network of tests/test_scenarios.py (A - B - C, 100G waves at $10), a forecast
stage that gives both pairs P50 50 / P90 100 Gbps, and two budgets of the expected-unserved
objective over 4 scenarios (all of them in the MIP): more budget never leaves more expected
unserved demand, and each plan stays within its budget.
"""

from __future__ import annotations

import pandas as pd
import pytest
from distributed import Client, LocalCluster

from planner.io.plan import read_plan
from planner.io.run import scenario_yaml, write_inputs
from planner.pipeline import demand_stage, plan_stage
from planner.sweep import Stages, run_sweep
from tests.builders import scenario
from tests.test_scenarios import YEAR, line3


def forecast_ab_ac(inputs, sc) -> pd.DataFrame:
    """Both pairs P50 50, P90 100 Gbps in every year (no history behind it: by hand)."""
    rows = [(a, b, y, 50.0, 100.0) for a, b in (("A", "B"), ("A", "C")) for y in sc.years]
    return pd.DataFrame(rows, columns=["site_a", "site_b", "year", "p50_gbps", "p90_gbps"])


@pytest.mark.slow
def test_budget_sweep_of_a_scenario_plan(tmp_path):
    d = tmp_path / "in"
    write_inputs(line3(tmp_path), d)
    dc = {"mode": "scenarios", "objective": "expected", "n_scenarios": 4, "representatives": 4}
    (tmp_path / "s.yaml").write_text(scenario_yaml(scenario(demand=dc)))
    stages = Stages(forecast=forecast_ab_ac, demand=demand_stage, plan=plan_stage)
    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0",
                     scheduler_kwargs={"dashboard": False}) as cluster,
        Client(cluster) as client,
    ):  # fmt: skip
        res = run_sweep(d, [tmp_path / "s.yaml"], [10.0, 30.0], tmp_path / "sw", client=client,
                        stages=stages, comparison=False)  # fmt: skip
    runs = res.runs.sort_values("budget_usd")
    assert runs["status"].tolist() == ["ok", "ok"], runs["error"].tolist()
    lost = []
    for r in runs.itertuples():
        plan = read_plan(tmp_path / "sw" / "runs" / r.run_id)
        ds = plan.summary["demand_scenarios"]
        assert ds["mode"] == "scenarios" and ds["objective"] == "expected"
        assert sorted(ds["scenarios_in_mip"]) == [0, 1, 2, 3]  # every scenario, weight 1/4
        assert plan.upgrades["capex_usd"].sum() <= r.budget_usd + 1e-6
        assert set(plan.unserved["year"]) == {YEAR}
        lost.append(ds["in_sample_unserved_gbps_years_mean"])
    assert lost[1] <= lost[0] + 1e-6
    assert lost[0] > 0  # $10 buys one wave: some of 4 scenarios of ~2 x 50 Gbps go unserved
