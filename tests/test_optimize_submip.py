"""RINS sub-MIP on the start (planner.optimize.starts.submip).

Hand case (the trim tests' line): A-B, no capacity installed, 100G waves at 10 USD, demand
150 Gbps in 2030 and 250 Gbps in 2031 (utilisation 1), budget ample. The LP relaxation buys
1.5 waves in 2030 and 1 more in 2031. A start buying 3 waves in 2030 and 1 in 2031 (40 USD)
agrees with the LP on the 2031 wave only: that one is fixed at 1, and the sub-MIP over the
2030 waves finds 2 (the optimum, 30 USD, everything served).
"""

from __future__ import annotations

import numpy as np
import pytest

from planner.optimize import build_model
from planner.optimize.starts.rounding import Rounder, rounding_plan
from planner.optimize.starts.submip import submip_start
from tests.builders import demand, line, make_inputs, scenario
from tests.test_optimize_trim import DEM, capex, line_case, overbought, triangle_case, verified_plan


def start_of(m, ints: list[float]) -> dict:
    """A feasible start buying ``ints`` (one value per upgrade row), flows re-optimised."""
    r = Rounder(m, 10.0, 1)
    _, y, got = r.finish(np.array(ints))
    y[r.icol] = got
    return {v: float(y[v.index]) for v in m.prob.variables()}


def on_rounding_lp(m, start: dict, heuristic):
    """``heuristic(r, start, 10 s)`` with the rounding start's live LP ``r`` (as initial_plan
    and the LNS after the MIP run the sub-MIP and the search)."""
    _, _, r = rounding_plan(m, 10.0, 1)
    return heuristic(r, start, 10.0)


def abc_path(tmp_path):
    """Path A-B-C (A-B, B-C, 100 km, nothing installed), 100G waves at 10 USD."""
    return make_inputs(
        tmp_path,
        ["A", "B", "C"],
        [
            dict(corridor_id=c, site_a=a, site_b=b, distance_km=100.0, installed_capacity_gbps=0)
            for c, a, b in [("AB", "A", "B"), ("BC", "B", "C")]
        ],
        [dict(option_id="w100", capacity_gbps=100.0, capex_fixed_usd=10.0)],
    )


def improved(m, start: dict):
    return on_rounding_lp(m, start, submip_start)


def test_submip_reaches_the_hand_optimum(tmp_path):
    inp, sc, m, start = line_case(tmp_path)
    assert capex(m, start) == pytest.approx(40.0)
    got, info = improved(m, start)
    assert got is not None
    assert capex(m, got) == pytest.approx(30.0)
    assert info["submip_fixed_share"] == pytest.approx(0.5)  # the 2031 wave: LP and start agree
    assert info["submip_objective_after"] < info["submip_objective_before"]
    assert sum(got[m.columns[c]] for c in m.unserved["col"]) == pytest.approx(0.0, abs=1e-6)
    # the result passes the independent checks of the full plan
    p = verified_plan(m, got, inp, sc)
    assert p.summary["capex_usd_total"] == pytest.approx(30.0)
    assert p.summary["served_fraction"] == pytest.approx(1.0)


def test_submip_leaves_the_optimum_and_a_far_start_alone(tmp_path):
    m = build_model(line(tmp_path, installed=0.0), DEM, scenario(years=2, budget=1000.0))
    best = overbought(m, {("w100", 2030): 2.0, ("w100", 2031): 1.0})
    got, info = improved(m, best)
    assert got is None  # nothing cheaper exists
    # a start agreeing with the LP nowhere: the sub-MIP would be the whole MIP, so none runs
    far = overbought(m, {("w100", 2030): 4.0, ("w100", 2031): 2.0})
    got, info = improved(m, far)
    assert got is None and info["submip_skipped"] == "too_few_fixed"


def test_submip_is_deterministic(tmp_path):
    inp, dem = triangle_case(tmp_path, (0.0, 100.0, 150.0))
    sc = scenario(years=2, budget=1000.0)
    plans = []
    for _ in range(2):
        m = build_model(inp, dem, sc)
        # 4 + 1 waves on A-B; the LP buys nothing on A-C / B-C (installed capacity carries
        # them): those are fixed, the sub-MIP finds 2 waves on A-B in 2030 (20 USD, optimal:
        # 180 Gbps in 2031 need 2 waves, at most 10 Gbps detour over A-C-B)
        start = start_of(m, [4.0, 1.0, 0.0, 0.0, 0.0, 0.0])
        got, info = improved(m, start)
        assert got is not None and capex(m, got) == pytest.approx(20.0)
        plans.append(np.array([got[v] for v in m.columns]))
    assert np.array_equal(plans[0], plans[1])


def test_every_submip_info_key_is_a_summary_field():
    # the summary is strict (extra="forbid"): a key the sub-MIP reports but the plan contract
    # does not know would fail every plan that runs it
    import re
    from pathlib import Path

    from planner.optimize.starts import submip
    from planner.plan_schema import PlanSummary

    keys = set(re.findall(r'info\["(submip_\w+)"\]', Path(submip.__file__).read_text()))
    assert len(keys) >= 8
    assert keys <= set(PlanSummary.model_fields)


def test_pairs_through_free_corridors_by_hand(tmp_path):
    # path A-B-C: a free decision on A-B frees the flows and unserved demand of A-B and A-C
    # (A-C's only path uses A-B), not those of B-C
    from planner.optimize.starts.submip import pairs_through
    from planner.optimize.starts.trim import Trimmer

    inp = abc_path(tmp_path)
    dem = demand([("A", "B", 2030, 50.0), ("A", "C", 2030, 60.0), ("B", "C", 2030, 70.0)])
    m = build_model(inp, dem, scenario(years=1, budget=1000.0))
    tr = Trimmer(Rounder(m, 10.0, 1))
    free = (m.sets.upgrades["e"] == 0).to_numpy()  # corridor A-B (e = 0)
    assert m.sets.corridors["corridor_id"].iat[0] == "AB"
    got = pairs_through(tr, np.r_[free, np.zeros(len(m.sets.builds), bool)])
    us = m.unserved.merge(m.sets.pairs[["pair_id", "site_a", "site_b"]], on="pair_id")
    freed = {
        (a, b)
        for a, b, c in zip(us["site_a"], us["site_b"], us["col"], strict=True)
        if got[m.columns[c].index]
    }
    assert freed == {("A", "B"), ("A", "C")}
    assert not got[tr.r.icol].any()  # integer columns are never in this mask
