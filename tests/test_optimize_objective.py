"""Lexicographic objectives: the latency tie-break never buys capacity (issue 14).

Hand case: A-B demand 1000 Gbps for 5 years. The long path A-C-B (2 x 1000 km, 9.8 ms) has
the capacity already; the direct corridor A-B (100 km, 0.49 ms) needs ten 100G waves at 3
USD each. Least CapEx: buy nothing, route on A-C-B. The old fixed tie-break (1e-3 USD per
Gbps per ms per year) made A-C-B cost 1e-3 x 9.8 x 5000 = 49 USD of "latency", more than
the 30 USD of waves + 2.45 of latency on A-B, so the old objective bought the waves.
"""

from __future__ import annotations

import pytest

from planner.optimize import build_model, objective
from tests.builders import demand, make_inputs, run_case, scenario

DEMAND = demand([("A", "B", 2030 + t, 1000.0) for t in range(5)])


def long_path_has_capacity(tmp, direct_installed: float = 0.0):
    cors = [
        dict(
            corridor_id="AB",
            site_a="A",
            site_b="B",
            distance_km=100.0,
            installed_capacity_gbps=direct_installed,
        ),
        dict(
            corridor_id="AC",
            site_a="A",
            site_b="C",
            distance_km=1000.0,
            installed_capacity_gbps=1e3,
        ),
        dict(
            corridor_id="BC",
            site_a="B",
            site_b="C",
            distance_km=1000.0,
            installed_capacity_gbps=1e3,
        ),
    ]
    opts = [dict(option_id="w", capacity_gbps=100.0, capex_fixed_usd=3.0, corridor_id="AB")]
    return make_inputs(tmp / "in", ["A", "B", "C"], cors, opts)


@pytest.mark.parametrize("mode", ["min-cost", "max-served"])
def test_tiebreak_never_buys_capacity(tmp_path, mode):
    inp = long_path_has_capacity(tmp_path)
    p = run_case(tmp_path, inp, DEMAND, scenario(years=5, objective=mode))
    s = p.summary
    assert s["solver_status"] == "optimal"
    assert s["capex_usd_total"] == 0.0 and len(p.upgrades) == 0  # the optimum, by hand
    assert s["served_fraction"] == pytest.approx(1.0)
    assert set(p.routing["path"]) == {"AC;BC"}
    # the whole tie-break is at most 1 % of the cheapest unit (3 USD)
    assert s["routing_tiebreak_max_usd"] <= 0.01 * 3.0 + 1e-12
    assert s["objective"] == pytest.approx(s["routing_usd_per_gbps_ms"] * 5000 * 9.8, rel=1e-6)


def test_old_fixed_weight_would_have_bought_the_waves(tmp_path, monkeypatch):
    # the same case with the old constant: proves the case above can fail
    monkeypatch.setattr(objective, "routing_weight", lambda m: 1e-3)
    p = run_case(tmp_path, long_path_has_capacity(tmp_path), DEMAND, scenario(years=5))
    assert p.summary["capex_usd_total"] == pytest.approx(30.0)


def test_routing_takes_the_lowest_latency_even_when_the_tiebreak_is_tiny(tmp_path):
    # both paths have capacity: stage 3 (least Gbps-ms for the fixed plan) picks A-B
    inp = long_path_has_capacity(tmp_path, direct_installed=1000.0)
    p = run_case(tmp_path, inp, DEMAND, scenario(years=5, objective="min-cost"))
    assert p.summary["capex_usd_total"] == 0.0
    assert set(p.routing["path"]) == {"AB"}
    assert p.routing["latency_ms"].tolist() == pytest.approx([0.49] * 5)


def test_weight_comes_from_the_cost_scale(tmp_path):
    m = build_model(long_path_has_capacity(tmp_path), DEMAND, scenario(years=5))
    # cheapest unit 3 USD; longest admissible path per Gbps-year 9.8 ms over 5000 Gbps-years
    assert objective.routing_reach(m) == pytest.approx(5000 * 9.8)
    assert objective.routing_weight(m) == pytest.approx(0.01 * 3.0 / (5000 * 9.8))
