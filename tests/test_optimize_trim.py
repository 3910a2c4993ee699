"""Capacity trimming (planner.optimize.starts.trim): the same served demand for less CapEx.

Hand case (the cut-set tests' line): A-B, no capacity installed, 100G waves at 10 USD,
demand 150 Gbps in 2030 and 250 Gbps in 2031 (utilisation 1), budget ample. Optimum: 2 waves
in 2030 + 1 in 2031 = 30 USD, everything served. An over-bought plan (3 waves in 2030 + 1 in
2031 = 40 USD) is trimmed to it. With a 400G wave at 25 USD as well, the cheapest cover of
150 / 250 Gbps is 2 x 100G in 2030 then one more 100G in 2031 (30 USD) against one 400G in
2030 (25 USD): the round-up picks the 400G (25 USD, the optimum).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from planner.optimize import build_model, plan
from planner.optimize.extract import extract
from planner.optimize.solve import SolveResult
from planner.optimize.starts.rounding import Rounder
from planner.optimize.starts.trim import cheapest_cover, trim_start
from planner.verify import check_plan
from tests.builders import demand, line, make_inputs, scenario

DEM = demand([("A", "B", 2030, 150.0), ("A", "B", 2031, 250.0)])


def two_sizes(tmp, installed: float = 0.0):
    """The line with a 400G wave at 25 USD next to the 100G wave at 10 USD."""
    return line(
        tmp, installed, more=[dict(option_id="w400", capacity_gbps=400.0, capex_fixed_usd=25.0)]
    )


def overbought(m, units: dict[tuple[str, int], float]) -> dict:
    """A feasible plan ``{variable: value}`` buying ``units`` (option, year), flows routed."""
    r = Rounder(m, 10.0, 1)
    up = m.sets.upgrades
    ints = np.array(
        [units.get((o, y), 0.0) for o, y in zip(up["option_id"], up["year"], strict=True)]
        + [0.0] * len(m.sets.builds)
    )
    obj, y, ints = r.finish(ints)
    y[r.icol] = ints
    return {v: float(y[v.index]) for v in m.prob.variables()}


def line_case(tmp):
    """The line (nothing installed), two years, $1,000: ``(inputs, scenario, model, start)``,
    the start buying 3 + 1 waves ($40) where 2 + 1 ($30) serve everything (the hand optimum
    of the trim, sub-MIP and LNS tests)."""
    sc = scenario(years=2, budget=1000.0)
    inp = line(tmp, installed=0.0)
    m = build_model(inp, DEM, sc)
    return inp, sc, m, overbought(m, {("w100", 2030): 3.0, ("w100", 2031): 1.0})


def verified_plan(m, values: dict, inputs, sc):
    """The plan tables of a start ``{variable: value}`` after verify's independent checks."""
    for v in m.prob.variables():
        v.varValue = values.get(v, 0.0)
    res = SolveResult(
        "highs", "time_limit_feasible", capex(m, values), None, math.inf, 0.0, 0.0, 1, 1,
        10.0, 0.0, "heuristic start",
    )  # fmt: skip
    p = extract(m, res, None)
    out = check_plan(p, inputs, sc, DEM)
    assert out.ok, out.violations
    return p


def triangle_case(tmp, installed: tuple[float, float, float]):
    """A-B-C, 100 km each, installed Gbps on AB, AC, BC; 100G waves at $10; two years of demand."""
    ends = [("AB", "A", "B"), ("AC", "A", "C"), ("BC", "B", "C")]
    inp = make_inputs(
        tmp,
        ["A", "B", "C"],
        [dict(corridor_id=c, site_a=a, site_b=b, distance_km=100.0, installed_capacity_gbps=g)
         for (c, a, b), g in zip(ends, installed, strict=True)],
        [dict(option_id="w100", capacity_gbps=100.0, capex_fixed_usd=10.0)],
    )  # fmt: skip
    dem = demand(
        [("A", "B", 2030, 130.0), ("A", "C", 2030, 70.0), ("B", "C", 2030, 90.0)]
        + [("A", "B", 2031, 180.0), ("A", "C", 2031, 90.0), ("B", "C", 2031, 120.0)]
    )
    return inp, dem


def capex(m, start: dict) -> float:
    up = m.sets.upgrades
    cv = m.columns
    return float(
        sum(start[cv[c]] * u for c, u in zip(up["col"], up["unit_capex_usd"], strict=True))
    )


def trimmed(m, start: dict):
    return trim_start(Rounder(m, 10.0, 1), start, 10.0)


def test_trim_reaches_the_hand_optimum(tmp_path):
    _, _, m, start = line_case(tmp_path)
    assert capex(m, start) == pytest.approx(40.0)
    got, info = trimmed(m, start)
    assert got is not None
    assert capex(m, got) == pytest.approx(30.0)
    assert info["trim_objective_after"] < info["trim_objective_before"]
    us = m.unserved
    assert sum(got[m.columns[c]] for c in us["col"]) == pytest.approx(0.0, abs=1e-6)
    # the optimum itself cannot be trimmed
    again, _ = trimmed(m, got)
    assert again is None


def test_round_up_takes_the_cheapest_cover(tmp_path):
    inp = two_sizes(tmp_path)
    m = build_model(inp, DEM, scenario(years=2, budget=1000.0))
    start = overbought(m, {("w100", 2030): 2.0, ("w100", 2031): 1.0})
    got, _ = trimmed(m, start)
    assert got is not None and capex(m, got) == pytest.approx(25.0)
    best = plan(inp, DEM, scenario(years=2, budget=1000.0), marginals=False).summary
    assert best["solver_status"] == "optimal" and best["capex_usd_total"] == pytest.approx(25.0)


def test_cheapest_cover_by_hand():
    g, cost, room = np.array([100.0, 400.0]), np.array([10.0, 25.0]), np.array([9.0, 9.0])
    assert cheapest_cover(150.0, g, cost, room) == {0: 2}  # 20 < 25
    assert cheapest_cover(250.0, g, cost, room) == {1: 1}  # 25 < 30
    assert cheapest_cover(450.0, g, cost, room) == {1: 1, 0: 1}  # 35 < 50
    assert cheapest_cover(450.0, g, cost, np.array([9.0, 0.0])) == {0: 5}
    assert cheapest_cover(450.0, g, cost, np.array([1.0, 0.0])) == {}


def test_trimmed_plan_passes_the_independent_checks(tmp_path):
    inp = two_sizes(tmp_path)
    sc = scenario(years=2, budget=1000.0)
    m = build_model(inp, DEM, sc)
    got, _ = trimmed(m, overbought(m, {("w100", 2030): 3.0, ("w100", 2031): 2.0}))
    assert got is not None
    p = verified_plan(m, got, inp, sc)
    assert p.summary["capex_usd_total"] == pytest.approx(25.0)
    assert p.summary["served_fraction"] == pytest.approx(1.0)


def test_trim_is_deterministic(tmp_path):
    inp, dem = triangle_case(tmp_path, (0.0, 0.0, 0.0))
    sc = scenario(years=2, budget=1000.0)
    plans = []
    for _ in range(2):
        m = build_model(inp, dem, sc)
        start = overbought(m, {("w100", 2030): 4.0, ("w100", 2031): 1.0})
        got, info = trimmed(m, start)
        assert got is not None and capex(m, got) < capex(m, start)
        plans.append([got[v] for v in m.columns])
    assert plans[0] == plans[1]


def test_cut_lp_optimum_rounded_replaces_a_dearer_start(tmp_path):
    # with the cut-set rows the LP buys 2 waves by 2030 and 3 by 2031 (the cuts of the line):
    # rounded, that is the 30 USD optimum, offered instead of the 40 USD start
    from planner.optimize.cutrounds import add_cutset_rows

    _, _, m, start = line_case(tmp_path)
    info = add_cutset_rows(m, 1, 10.0, start)
    assert info["cutset_rows"] >= 1
    assert capex(m, start) == pytest.approx(30.0)
    assert info["cutset_start_objective"] == pytest.approx(30.0 + 0.1, abs=1e-6)
    # a start already at the optimum is left alone
    m2 = build_model(line(tmp_path, installed=0.0), DEM, scenario(years=2, budget=1000.0))
    best = overbought(m2, {("w100", 2030): 2.0, ("w100", 2031): 1.0})
    kept = dict(best)
    assert "cutset_start_objective" not in add_cutset_rows(m2, 1, 10.0, best)
    assert best == kept


def test_slope_factor_prices_the_rounding_by_hand(tmp_path):
    # the LP bought 1.5 x 100G in 2030 (15 USD), rounded to 2 (20 USD): factor 20 / 15;
    # a corridor the LP left alone keeps its factor
    from planner.optimize.starts.trim import SLOPE_MAX, Trimmer, slope_factor

    m = build_model(line(tmp_path, installed=0.0), DEM, scenario(years=2, budget=1000.0))
    tr = Trimmer(Rounder(m, 10.0, 1))
    first = (m.sets.upgrades["year"] == 2030).to_numpy()
    lp_ints, ints = np.where(first, 1.5, 0.0), np.where(first, 2.0, 0.0)
    assert slope_factor(tr, lp_ints, ints, np.ones(1)) == pytest.approx([20.0 / 15.0])
    assert slope_factor(tr, 0 * lp_ints, ints, np.array([3.0])) == pytest.approx([3.0])
    tiny = np.where(first, 0.01, 0.0)  # a sliver of a wave: priced at most SLOPE_MAX times
    assert slope_factor(tr, tiny, ints, np.ones(1)) == pytest.approx([SLOPE_MAX])
