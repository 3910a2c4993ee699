"""Large-neighbourhood search on the start (planner.optimize.starts.lns).

Hand cases (the trim and sub-MIP tests'):

* line A-B, no capacity installed, 100G waves at 10 USD, demand 150 Gbps in 2030 and 250 in
  2031 (utilisation 1): optimum 2 waves in 2030 + 1 in 2031 = 30 USD, all served. A start
  buying 3 + 1 (40 USD) is not optimal.
* triangle A-B-C (100 km each), installed 0 / 100 / 150 Gbps on AB / AC / BC; demand AB, AC,
  BC = 130, 70, 90 Gbps in 2030 and 180, 90, 120 in 2031. AC and BC are left with 10 Gbps
  spare in 2031 (30 in 2030), so A-B needs 170 Gbps in 2031 (2 waves) and 100 in 2030:
  optimum 2 waves on A-B = 20 USD. A start with 4 + 1 waves on A-B, 3 on A-C and 2 on B-C
  in 2031 costs 100 USD.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pytest

from planner.optimize import build_model, plan
from planner.optimize.starts import lns
from planner.optimize.starts.lns import Neighbourhoods, lns_plan, lns_start, sub_mip
from planner.optimize.starts.rounding import Rounder, rounding_plan
from planner.optimize.starts.submip import on_start
from planner.optimize.starts.trim import Trimmer
from tests.builders import demand, line, scenario
from tests.test_optimize_submip import abc_path, on_rounding_lp, start_of
from tests.test_optimize_trim import DEM, capex, line_case, overbought, triangle_case, verified_plan

TRIANGLE_START = [4.0, 1.0, 0.0, 3.0, 0.0, 2.0]  # AB 2030, AB 2031, AC 2030, AC 2031, BC ...


def searched(m, start: dict):
    return on_rounding_lp(m, start, lns_start)


def test_lns_reaches_the_hand_optimum_and_passes_verify(tmp_path):
    inp, sc, m, start = line_case(tmp_path)
    assert capex(m, start) == pytest.approx(40.0)
    got, info = searched(m, start)
    assert got is not None
    assert capex(m, got) == pytest.approx(30.0)
    assert info["lns_improvements"] >= 1 and info["lns_rounds"] >= info["lns_improvements"]
    assert info["lns_improvement_usd"] == pytest.approx(10.0, abs=0.1)
    assert info["lns_objective_after"] < info["lns_objective_before"]
    p = verified_plan(m, got, inp, sc)  # the independent checks of the full plan
    assert p.summary["capex_usd_total"] == pytest.approx(30.0)
    assert p.summary["served_fraction"] == pytest.approx(1.0)


def test_lns_on_the_triangle(tmp_path, monkeypatch):
    inp, dem = triangle_case(tmp_path, (0.0, 100.0, 150.0))
    sc = scenario(years=2, budget=1000.0)
    m = build_model(inp, dem, sc)
    start = start_of(m, TRIANGLE_START)
    assert capex(m, start) == pytest.approx(100.0)
    # the model (24 columns) fits one sub-MIP: the optimum, which the full MIP agrees on
    got, info = searched(m, start)
    assert got is not None and capex(m, got) == pytest.approx(20.0)
    best = plan(inp, dem, sc, marginals=False).summary
    assert best["solver_status"] == "optimal"
    assert best["capex_usd_total"] == pytest.approx(20.0)
    assert best.get("lns_rounds") is None  # in plan(): no search below lns.MIN_COLUMNS
    # one corridor at a time, every pair-year with a path over it freed (FLOW_GROUPS "all":
    # every pair has a path over each corridor, so a corridor frees its 2 integers and all
    # 18 flow / unserved columns): A-B first (the LP buys ~2 waves
    # there, the start 5), with A-C and B-C's 2031 waves held: 100 Gbps in 2030 -> 1 wave;
    # then A-C with 1 wave on A-B: 90 + 80 detour Gbps in 2031 -> 1 wave; B-C the same: 1.
    # 30 USD: a local optimum for these neighbourhoods (20 needs three corridors at once)
    monkeypatch.setattr(lns, "MAX_FREE_COLUMNS", 20)
    monkeypatch.setattr(lns, "MAX_FREE_SHARE", 1.0)
    monkeypatch.setattr(lns, "FLOW_GROUPS", "all")
    got, info = searched(m, start)
    assert got is not None and capex(m, got) == pytest.approx(30.0)
    assert info["lns_improvements"] >= 3 and info["lns_max_free_columns"] == 20


def test_lns_after_mip_replaces_the_plan(tmp_path):
    # the search on a (time-limited) MIP's plan, read from and written to the variables
    inp, sc, m, start = line_case(tmp_path)
    rounding_plan(m, 10.0, 1)  # leaves the LP relaxation's values, as solve() does
    for v, x in start.items():
        v.varValue = x
    info: dict = {}
    assert lns.lns_after_mip(m, 1, 10.0, info)
    got = {v: v.varValue for v in m.prob.variables()}
    assert capex(m, got) == pytest.approx(30.0)
    assert info["lns_stage"] == "after_mip" and info["lns_improvements"] >= 1
    verified_plan(m, got, inp, sc)
    # on the optimum: nothing changes
    assert not lns.lns_after_mip(m, 1, 10.0, info)
    assert capex(m, {v: v.varValue for v in m.prob.variables()}) == pytest.approx(30.0)


def test_lns_is_deterministic(tmp_path):
    inp, dem = triangle_case(tmp_path, (0.0, 100.0, 150.0))
    sc = scenario(years=2, budget=1000.0)
    plans, infos = [], []
    for _ in range(2):
        m = build_model(inp, dem, sc)
        got, info = searched(m, start_of(m, TRIANGLE_START))
        assert got is not None and capex(m, got) == pytest.approx(20.0)
        plans.append(np.array([got[v] for v in m.columns]))
        infos.append({k: v for k, v in info.items() if k != "lns_seconds"})
    assert np.array_equal(plans[0], plans[1])
    assert infos[0] == infos[1]


def test_lns_keeps_an_optimal_start(tmp_path):
    m = build_model(line(tmp_path, installed=0.0), DEM, scenario(years=2, budget=1000.0))
    best = overbought(m, {("w100", 2030): 2.0, ("w100", 2031): 1.0})
    got, info = searched(m, best)
    assert got is None  # nothing cheaper exists: the start is kept
    assert info["lns_rounds"] >= 1 and info["lns_improvements"] == 0
    assert info["lns_improvement_usd"] == 0.0
    assert info["lns_objective_after"] == info["lns_objective_before"]


def test_neighbourhood_and_sub_mip_by_hand(tmp_path):
    # path A-B-C, two years: a 2031 purchase on A-B frees the 2031 flows and unserved demand
    # of A-B and A-C (A-C's only path uses A-B), not B-C's and not 2030's
    inp = abc_path(tmp_path)
    rows = [(a, b, y, g) for y in (2030, 2031) for a, b, g in [("A", "B", 50.0), ("A", "C", 60.0)]]
    dem = demand(rows + [("B", "C", 2030, 70.0), ("B", "C", 2031, 70.0)])
    m = build_model(inp, dem, scenario(years=2, budget=1000.0))
    tr = Trimmer(Rounder(m, 10.0, 1))
    nb = Neighbourhoods(tr)
    up = m.sets.upgrades
    assert m.sets.corridors["corridor_id"].iat[0] == "AB"
    free = np.r_[((up["e"] == 0) & (up["year"] == 2031)).to_numpy(), np.zeros(len(m.sets.builds))]
    free = free.astype(bool)
    cols = nb.columns(free)
    us = m.unserved.merge(m.sets.pairs[["pair_id", "site_a", "site_b"]], on="pair_id")
    freed = {
        (a, b, y)
        for a, b, y, c in zip(us["site_a"], us["site_b"], us["year"], us["col"], strict=True)
        if m.columns[c].index in cols
    }
    assert freed == {("A", "B", 2031), ("A", "C", 2031)}
    ints = set(tr.r.icol[free].tolist())
    assert ints <= set(cols.tolist())
    assert not (set(tr.r.icol.tolist()) - ints) & set(cols.tolist())  # no other integer
    assert nb.size(free) == len(cols)
    # the sub-MIP has the free columns only (not a copy of the model)
    y = np.zeros(len(m.columns))
    y[[m.columns[c].index for c in m.unserved["col"]]] = m.unserved["demand_gbps"]
    s, size = sub_mip(tr, cols, y, tr.A @ y, 1)
    assert s.h.getNumCol() == len(cols) < len(m.columns)
    assert size == s.h.getNumCol() + s.h.getNumRow()


def test_lns_share_by_model_size():
    assert lns.lns_share(lns.MIN_COLUMNS - 1) == 0.0  # base scenario: HiGHS's own search
    assert lns.lns_share(lns.MIN_COLUMNS) == lns.LNS_TIME_SHARE  # Kdl
    assert lns.lns_share(lns.MAX_MODEL_COLUMNS + 1) == 0.0  # Cogentco, all pairs
    assert 0 < lns.LNS_TIME_SHARE < 1


def test_every_lns_info_key_is_a_summary_field():
    # the summary is strict (extra="forbid"): an unknown key would fail every plan
    from planner.plan_schema import PlanSummary

    keys = set(re.findall(r'info\["(lns_\w+)"\]', Path(lns.__file__).read_text()))
    keys |= set(re.findall(r'"(lns_\w+)": 0', Path(lns.__file__).read_text()))
    assert len(keys) >= 8
    assert keys <= set(PlanSummary.model_fields)


def test_no_round_starts_after_the_deadline(tmp_path):
    """After a time-limited MIP the search keeps the solve's time limit: a deadline in the
    past stops it before its first round (the start is kept)."""
    _, _, m, start = line_case(tmp_path)
    _, _, r = rounding_plan(m, 10.0, 1)
    late = functools.partial(lns_plan, deadline=0.0)
    got, info = on_start(r, start, late, 10.0, 1, "lns_seconds")
    assert got is None and info["lns_rounds"] == 0 and info["lns_stopped"] == "time_limit"
    assert searched(m, start)[0] is not None  # the same search without it improves
