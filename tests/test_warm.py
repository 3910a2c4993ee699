"""Build once, re-solve warm: survivability rounds and budget chains on one live HiGHS model.

Hand-solved cases on the ring of tests/builders.py (4 corridors of 40 Gbps, 10G waves at $10,
max utilisation 1, one year):

* survivability (100 % of every pair against any single corridor cut): ``cap_f >= d_f +
  max_{e != f} d_e`` -> AB 70, BC 70, CD 60, DA 50 -> 3 + 3 + 2 + 1 waves = $90;
* budget chain, demand doubled (AB 80, BC 60, CD 40, DA 20 = 200 Gbps, each pair served on
  its own corridor; the detour of a pair uses the other three, all full): with no money
  40 + 40 + 40 + 20 = 140 served (70 %), each $10 wave serves 10 Gbps more up to 200 at $60.
"""

from __future__ import annotations

import pytest

from planner.options import PlanOptions
from planner.survive import generate, warm
from planner.survive.generate import plan_survivable
from planner.sweep.chain import chainable, plan_chain
from planner.sweep.spec import budget_variant
from tests.builders import ring_demand, ring_inputs, ring_scenario

EXPECTED_UNITS = {"AB": 3, "BC": 3, "CD": 2, "DA": 1}


class _Spy(warm.WarmRounds):
    """WarmRounds that remembers itself and what each round started from."""

    made: list[_Spy] = []

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self.sessions = (self.mip, self.lp)
        self.rows: list[int] = []
        self.kept: list[bool] = []
        _Spy.made.append(self)

    def repair(self, x):
        out = super().repair(x)
        # the repaired start keeps the last round's purchases
        self.kept.append(
            out is not None
            and (out[self.index[self.ints]] == x[self.index[self.ints]].round()).all()
        )
        return out

    def solve(self):
        res = super().solve()
        self.rows.append(self.mip.h.getNumRow())
        return res


@pytest.mark.parametrize("objective", ["min-cost", "max-served"])
def test_survivable_rounds_reuse_one_session_and_keep_the_incumbent(monkeypatch, objective):
    _Spy.made.clear()
    monkeypatch.setattr(generate, "WarmRounds", _Spy)
    sc = ring_scenario("single_corridor", objective=objective)
    # no LP rounds: the MIP rounds themselves must find the cuts, one round after another
    p = plan_survivable(ring_inputs(), ring_demand(), sc, marginals=False, max_lp_rounds=0)
    assert len(_Spy.made) == 1  # one MIP session and one repair LP for every round
    spy = _Spy.made[0]
    assert spy.sessions == (spy.mip, spy.lp)
    s = p.summary["survivability"]
    assert s["mip_rounds"] >= 2 and spy.rounds == s["mip_rounds"]
    assert spy.rows == sorted(spy.rows) and spy.rows[-1] > spy.rows[0]  # rows added live
    assert len(spy.kept) == spy.rounds - 1 and all(spy.kept)
    u = p.upgrades.groupby("corridor_id")["units"].sum().astype(int).to_dict()
    assert u == EXPECTED_UNITS and p.summary["capex_usd_total"] == pytest.approx(90.0)
    assert s["converged"] and s["unprotected_gbps_final_year"] == pytest.approx(0.0, abs=1e-6)


def test_protected_gap_counts_unprotected_demand():
    # 200 Gbps demand, all protected at share 0.5 of the penalty: weighted demand 300
    from planner.optimize import build_model
    from planner.survive.protect import Protection
    from planner.survive.states import failure_states

    sc = ring_scenario("single_corridor", objective="max-served", budget_usd_total=20.0)
    m = build_model(ring_inputs(), ring_demand(scale=2.0), sc)
    prot = Protection(m, failure_states(generate.model_edges(m), sc.survivability))
    assert warm.weighted_demand(m, prot) == pytest.approx(300.0)
    pen = sc.unserved_penalty_usd_per_gbps
    # incumbent losing 30 weighted Gbps-years, bound proving at least 27: (273 - 270) / 273
    g = warm.protected_gap(m, prot, 30 * pen, 27 * pen + 20.0, 0.0)
    assert g == pytest.approx(3 / 273, rel=1e-6)
    assert warm.protected_gap(m, prot, 30 * pen, float("inf"), 0.0) is None


BUDGETS = [0.0, 20.0, 40.0, 60.0, 1000.0]
SERVED = [0.7, 0.8, 0.9, 1.0, 1.0]
CAPEX = [0.0, 20.0, 40.0, 60.0, 60.0]


def test_budget_chain_on_the_ring_each_budget_at_least_as_good():
    sc = ring_scenario("none", objective="max-served", share=0.0)
    scs = [budget_variant(sc, b) for b in reversed(BUDGETS)]  # any order in, ascending out
    plans = list(plan_chain(ring_inputs(), ring_demand(scale=2.0), scs, PlanOptions()))
    got = [p.summary["budget_usd_total"] for p in plans]
    assert got == BUDGETS
    served = [p.summary["served_fraction"] for p in plans]
    assert served == pytest.approx(SERVED)
    assert [p.summary["capex_usd_total"] for p in plans] == pytest.approx(CAPEX)
    objs = [p.summary["objective"] for p in plans]
    assert all(b <= a + 1e-6 for a, b in zip(objs, objs[1:], strict=False))
    for p in plans:
        assert p.summary["solver_status"] == "optimal"
        assert p.summary["best_bound"] <= p.summary["objective"] + 1e-6
        assert p.upgrades["capex_usd"].sum() <= p.summary["budget_usd_total"] + 1e-9


def test_chain_only_for_runs_that_differ_by_budget():
    sc = ring_scenario("none", objective="max-served", share=0.0)
    a, b = budget_variant(sc, 10.0), budget_variant(sc, 20.0)
    assert chainable([a, b], PlanOptions())
    assert not chainable([a], PlanOptions())
    other = a.model_copy(update={"max_utilization": 0.5})
    assert not chainable([other, b], PlanOptions())
    assert not chainable([a, b], PlanOptions(objective="min-cost"))
    surv = ring_scenario("single_corridor", objective="max-served")
    assert not chainable([budget_variant(surv, 1.0), budget_variant(surv, 2.0)], PlanOptions())


@pytest.mark.slow
def test_sweep_driver_runs_budget_variants_as_a_chain_without_a_cluster(tiny_dir, tmp_path):
    from planner.sweep import run_sweep
    from planner.sweep.frontier import frontier_violations

    def no_cluster():
        raise AssertionError("a budget chain needs no Dask cluster")

    res = run_sweep(
        tiny_dir, [tiny_dir / "scenarios" / "base.yaml"], [0.0, 2e6, 4e6, 8e6], tmp_path / "sw",
        cluster=no_cluster, comparison=False,
    )  # fmt: skip
    runs = res.runs.sort_values("budget_usd")
    assert runs["status"].tolist() == ["ok"] * 4, runs["error"].tolist()
    assert res.n_ran == 4 and frontier_violations(runs).empty
    assert runs["served_fraction"].is_monotonic_increasing
    assert runs["objective"].is_monotonic_decreasing


def test_protection_is_insisted_on_only_where_the_lp_affords_it():
    import numpy as np

    from planner.optimize import build_model
    from planner.survive.protect import Protection
    from planner.survive.states import failure_states

    def setup(objective: str):
        sc = ring_scenario("single_corridor", objective=objective, budget_usd_total=100.0)
        m = build_model(ring_inputs(), ring_demand(), sc)
        return m, Protection(m, failure_states(generate.model_edges(m), sc.survivability))

    m, prot = setup("max-served")
    x = np.zeros(len(m.columns))
    assert warm.insist_on_protection(m, prot, x)  # nothing short, all money left
    v = prot.protected_matrix()["v_col"].to_numpy(int)
    x[v] = 1.0  # 4 Gbps-years unprotected: above the 1e-5 tolerance of 100 protected
    assert warm.insist_on_protection(m, prot, x) is False
    assert warm.insist_on_protection(m, prot, None) is None
    m, prot = setup("min-cost")
    assert warm.insist_on_protection(m, prot, np.zeros(len(m.columns))) is None
