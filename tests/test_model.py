"""The Model layer: index frames stay untouched, so one set of frames backs two models."""

from __future__ import annotations

import pytest

from planner.optimize import build, extract, index_sets, solve
from planner.optimize.model import grid_keys, grid_row
from tests.builders import demand, scenario, triangle


def test_one_index_set_backs_two_models(tmp_path):
    inp = triangle(tmp_path)
    sc = scenario()
    sets = index_sets(inp, demand([("A", "B", 2030, 100.0)]), sc)
    before = {n: list(getattr(sets, n).columns) for n in ("upgrades", "builds", "demand")}
    m1, m2 = build(sets, sc), build(sets, sc)
    after = {n: list(getattr(sets, n).columns) for n in ("upgrades", "builds", "demand")}
    assert after == before and "col" not in sets.upgrades.columns
    plans = [extract(m, solve(m, sc.solver, sc.seed), None) for m in (m1, m2)]
    # the optimum by hand: A-C-B for $20 (two $10 waves) beats the $100 direct wave
    assert [p.summary["capex_usd_total"] for p in plans] == [20.0, 20.0]
    assert plans[0].summary["objective"] == pytest.approx(plans[1].summary["objective"])


def test_grid_rows_are_corridor_major(tmp_path):
    sets = index_sets(triangle(tmp_path), demand([("A", "B", 2030, 1.0)]), scenario(years=1))
    years = [2030, 2031, 2032]
    keys = grid_keys(sets.corridors, years, "corridor_id")
    assert len(keys) == 3 * len(sets.corridors)
    r = grid_row([2, 0], [1, 2], years)
    assert keys.iloc[r][["e", "year"]].values.tolist() == [[2, 2031], [0, 2032]]


def test_budget_rhs_change_on_a_live_mip_session(tmp_path):
    """Build once, re-solve warm: the sweep / engine path through the solver session."""
    from planner.solver.highs import Session

    sc = scenario(budget=100.0)
    m = build(index_sets(triangle(tmp_path), demand([("A", "B", 2030, 100.0)]), sc), sc)
    lp = Session.from_pulp(m.prob, mip=True)
    assert lp.run()
    x = lp.col_values()[lp.col_index(m.columns)]
    up = m.sets.upgrades
    assert float(x[up["col"]] @ up["unit_capex_usd"]) == pytest.approx(20.0)  # A-C-B
    budget = lp.row_index(m.family("budget"))
    lp.set_rhs(budget, [15.0 * m.meta["budget_scale"]])  # $15: one $10 wave serves nothing
    assert lp.run()
    x = lp.col_values()[lp.col_index(m.columns)]
    assert float(x[up["col"]] @ up["unit_capex_usd"]) == pytest.approx(0.0)
    us = m.unserved
    assert float(x[us["col"]].sum()) == pytest.approx(100.0)
