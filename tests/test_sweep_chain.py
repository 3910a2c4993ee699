"""Budget chain starts (issue 14 target 6): the neighbour's plan is really offered, the
neighbour-plus-fill start is feasible and no worse, the helper process changes nothing.

Hand-solved ring of tests/builders.py, demand doubled (see tests/test_warm.py): 200 Gbps on 4
corridors of 40 Gbps, 140 served with no money, each $10 wave serves 10 Gbps more up to 200.
"""

from __future__ import annotations

from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

import numpy as np
import pytest

from planner.optimize import build_model
from planner.optimize.starts import start_is_feasible, start_solution
from planner.options import PlanOptions
from planner.solver.highs import Session
from planner.sweep import ahead, chain
from planner.sweep.fill import NeighbourFill
from planner.sweep.spec import budget_variant
from tests.builders import ring_demand, ring_inputs, ring_scenario

BUDGETS = [0.0, 20.0, 40.0, 60.0]
SERVED = [0.7, 0.8, 0.9, 1.0]


def _scenarios():
    sc = ring_scenario("none", objective="max-served", share=0.0)
    return [budget_variant(sc, b) for b in BUDGETS]


def test_neighbour_plan_is_offered_when_the_own_start_is_poor(monkeypatch):
    # the own heuristic returns nothing (all unserved): every larger budget must start from
    # the smaller budget's plan or its fill (before the fix HiGHS had forgotten that plan:
    # a changed row bound clears its solution, so the neighbour was never offered)
    def unserved(m, sc):
        chain.set_budget(m, sc, None)
        return {v.name: x for v, x in start_solution(m).items()}, {"heuristic_used": "none"}

    monkeypatch.setattr(chain, "own_start", unserved)
    plans = list(chain.plan_chain(ring_inputs(), ring_demand(scale=2.0), _scenarios(), ahead=False))
    used = [p.summary["heuristic_used"] for p in plans]
    assert used[0] == "none"
    assert all(u in ("smaller_budget_plan", "smaller_budget_plan_lp_fill") for u in used[1:])
    assert [p.summary["served_fraction"] for p in plans] == pytest.approx(SERVED)
    objs = [p.summary["objective"] for p in plans]
    assert all(b <= a + 1e-6 for a, b in zip(objs, objs[1:], strict=False))


def test_fill_keeps_the_neighbours_purchases_and_spends_the_extra_money():
    sc = _scenarios()
    m = build_model(ring_inputs(), ring_demand(scale=2.0), sc[-1])
    chain.set_budget(m, budget_variant(sc[0], 10.0), None)
    s = Session.from_pulp(m.prob, mip=True)
    fill = NeighbourFill(m, 5.0, 1)
    served_idx = np.array([v.index for v in m.columns])[
        m.unserved.loc[m.unserved["col"] >= 0, "col"].to_numpy(int)
    ]
    cost = np.asarray(s.h.getLp().col_cost_, dtype=float)
    x1, _ = fill.fill(np.zeros(len(s.variables)))  # $10 from nothing: one wave
    fill.set_rhs(np.array(chain._budget_rhs(m, sc[1])))  # then $20 from that plan
    chain.set_budget(m, sc[1], None)
    x2, _ = fill.fill(x1)
    assert x1 is not None and x2 is not None
    for x in (x1, x2):
        assert start_is_feasible(m, {v: float(x[v.index]) for v in s.variables})
    u1, u2 = np.round(x1[fill.icol]), np.round(x2[fill.icol])
    assert u1.sum() == 1 and u2.sum() == 2
    assert (u2 >= u1).all()  # never buys less than the neighbour
    assert float((u2 * fill.cost).sum()) <= 20.0
    assert cost @ x2 < cost @ x1  # better than the neighbour's plan at the larger budget
    # unserved: 60 with no money, 10 less per wave
    assert x1[served_idx].sum() == pytest.approx(50.0)
    assert x2[served_idx].sum() == pytest.approx(40.0)


def test_helper_failure_falls_back_to_this_process(monkeypatch):
    class Broken:
        def __init__(self, *a, **kw) -> None:
            self.closed = False

        def start(self, i, *a):
            f: Future = Future()
            f.set_exception(BrokenProcessPool("no main guard"))
            return f

        after = start  # the plan of budget 0 asks for its marginals before budget 1 fails

        def close(self) -> None:
            self.closed = True

    monkeypatch.setattr(chain, "Ahead", Broken)
    plans = list(chain.plan_chain(ring_inputs(), ring_demand(scale=2.0), _scenarios(), ahead=True))
    assert [p.summary["served_fraction"] for p in plans] == pytest.approx(SERVED)
    assert all(len(p.marginal_values) for p in plans)
    assert all(p.summary["all_paths_bound_usd"] is not None for p in plans)  # priced here


@pytest.mark.slow
def test_helper_process_gives_the_same_plans():
    inp, dem = ring_inputs(), ring_demand(scale=2.0)
    here = list(chain.plan_chain(inp, dem, _scenarios(), PlanOptions(), ahead=False))
    there = list(chain.plan_chain(inp, dem, _scenarios(), PlanOptions(), ahead=True))
    for a, b in zip(here, there, strict=True):
        assert a.upgrades.equals(b.upgrades)
        assert a.unserved.equals(b.unserved)
        assert a.summary["heuristic_used"] == b.summary["heuristic_used"]
        assert a.marginal_values.fillna(-1).equals(b.marginal_values.fillna(-1))
        for k in ("all_paths_bound_usd", "all_paths_gap", "bound_scope", "pricing_rounds"):
            assert a.summary[k] == b.summary[k], k
    # the helper's own start is the one computed here
    m = build_model(inp, dem, _scenarios()[-1])
    st, info = ahead.own_start(m, _scenarios()[2])
    assert info["heuristic_used"] in ("lp_rounding", "greedy", "none")
    assert sum(st.values()) > 0


def test_chain_without_the_floor_keeps_the_solver_off_its_diluted_gap(monkeypatch):
    # the first budget's floor LP out of work: its offset (0) is the chain's, so every
    # budget's MIP gets gap 0 and says why; the plans are the hand-solved ones all the same
    from planner.config import SolverConfig
    from planner.optimize.starts.rounding import Rounder

    monkeypatch.setattr(Rounder, "unserved_floor", lambda self: None)
    cfg = SolverConfig(time_limit_s=20, mip_gap=0.01, threads=1)
    scs = [s.model_copy(update={"solver": cfg}) for s in _scenarios()]
    plans = list(chain.plan_chain(ring_inputs(), ring_demand(scale=2.0), scs, ahead=False))
    assert [p.summary["served_fraction"] for p in plans] == pytest.approx(SERVED)
    assert all(p.summary["mip_gap_stop_off"] is True for p in plans)
    assert all(p.summary["mip_gap_target"] == 0.0 for p in plans)


def test_every_budget_states_its_bound_scope_and_all_paths_bound():
    """Chain plans said nothing about which paths their bound holds for (no bound_scope, no
    all-paths bound) where a run alone says both. Each budget is now priced to the end: the
    hand-solved ring's optimum at every budget is also its all-paths bound (gap 0), the same
    bound a run alone reports, and never above the plan."""
    from planner.optimize import plan

    inp, dem = ring_inputs(), ring_demand(scale=2.0)
    plans = list(chain.plan_chain(inp, dem, _scenarios(), ahead=False))
    for p, sc in zip(plans, _scenarios(), strict=True):
        sm = p.summary
        assert sm["bound_scope"] in ("k_paths", "all_paths")
        assert sm["path_pricing_converged"] is True
        assert sm["all_paths_bound_usd"] <= sm["objective"] + 1e-6
        assert sm["all_paths_gap"] == pytest.approx(0.0, abs=1e-9)
        alone = plan(inp, dem, sc, marginals=False).summary
        assert sm["all_paths_bound_usd"] == pytest.approx(alone["all_paths_bound_usd"], rel=1e-9)


def test_chain_bounds_with_candidate_routes(tmp_path):
    """With a candidate route the chain's bounds include the build-linking rows too
    (tests/test_optimize_linkbound.py's A-B case: a $30 wave on X or the $100 route N1;
    120 Gbps). The linked LP at each budget is the one a run alone solves (same optimum);
    where the budget binds (no Benders stage alone) the reported bound is the same too;
    every bound is below its plan."""
    from planner.optimize import plan
    from tests.builders import demand, scenario
    from tests.test_optimize_linkbound import _case

    inp, dem = _case(tmp_path), demand([("A", "B", 2030, 120.0)])
    scs = [budget_variant(scenario(budget=100.0), b) for b in (20.0, 40.0, 70.0)]
    plans = list(chain.plan_chain(inp, dem, scs, PlanOptions(formulation="path"), ahead=False))
    for p, sc in zip(plans, scs, strict=True):
        sm, alone = p.summary, plan(inp, dem, sc, formulation="path", marginals=False).summary
        assert sm["build_link_bound_usd"] == pytest.approx(alone["build_link_bound_usd"])
        assert sm["build_link_bound_usd"] <= sm["all_paths_bound_usd"] <= sm["objective"] + 1e-6
        if alone.get("benders_bound_usd") is None:
            assert sm["all_paths_bound_usd"] == pytest.approx(alone["all_paths_bound_usd"])
    assert plans[1].summary["all_paths_lp_bound_usd"] is None  # not "without cut rows" there


def test_chain_bounds_keep_pricing_s_work_bound(monkeypatch):
    """A chain too big to price (as price_paths would refuse it) says so, as a run alone
    does, instead of pricing each budget without a bound on the work."""
    from planner.optimize import pricing

    monkeypatch.setattr(pricing, "MAX_FLOW_COLUMNS", 1)
    plans = list(chain.plan_chain(ring_inputs(), ring_demand(scale=2.0), _scenarios(), ahead=False))
    for p in plans:
        assert p.summary["path_pricing_converged"] is False
        assert "work bound" in p.summary["pricing_skipped"]
        assert (
            p.summary.get("all_paths_bound_usd") is None and p.summary["bound_scope"] == "k_paths"
        )
    assert [p.summary["served_fraction"] for p in plans] == pytest.approx(SERVED)
