"""The network view: one route-cost rule for the optimiser and the latency report."""

from __future__ import annotations

import pytest

from planner.network import corridor_table, edges_from_inputs, network_table, route_costs
from planner.survive.latency import latency_report
from tests.builders import make_inputs, scenario


def routed(tmp_path):
    """A-B only over a 2000 km corridor; route N1 (250 km) priced by a regenerating option:
    $1000 + $2/km x 250 + $300 x floor(250 / 100) = $2100 (the old latency rule said $1500)."""
    return make_inputs(
        tmp_path,
        ["A", "B"],
        [
            dict(
                corridor_id="AB",
                site_a="A",
                site_b="B",
                distance_km=2000.0,
                installed_capacity_gbps=100.0,
            )
        ],
        [
            dict(option_id="w", capacity_gbps=100.0, capex_fixed_usd=10.0),
            dict(
                option_id="nb",
                kind="new_build",
                capacity_gbps=400.0,
                capex_fixed_usd=1000.0,
                capex_per_km_usd=2.0,
                reach_km=100.0,
                regen_capex_usd=300.0,
            ),
        ],
        routes=[dict(route_id="N1", site_a="A", site_b="B", distance_km=250.0, fiber_pairs=2)],
    )


def test_route_cost_includes_regeneration_everywhere(tmp_path):
    inp = routed(tmp_path)
    assert route_costs(inp).to_dict() == {"N1": pytest.approx(2100.0)}
    cor, _ = corridor_table(inp)
    assert cor.set_index("corridor_id").at["N1", "build_capex_base_usd"] == pytest.approx(2100.0)
    sc = scenario(latency_ms_max={"general": 2.0})  # AB is 9.8 ms, N1 1.2 ms
    rep = latency_report(inp, sc, inp.demand_history)
    assert rep["suggested_route_id"].tolist() == ["N1"]
    assert rep["route_capex_usd"].tolist() == [pytest.approx(2100.0)]


def test_one_table_for_every_stage(tmp_path):
    inp = routed(tmp_path)
    net = network_table(inp)
    assert net["corridor_id"].tolist() == ["AB", "N1"]
    assert net["candidate"].tolist() == [False, True]
    assert net["latency_ms"].tolist() == pytest.approx([2000 * 0.0049, 250 * 0.0049])
    cor, _ = corridor_table(inp)
    edges = edges_from_inputs(inp)
    for col in ("corridor_id", "site_a", "site_b", "distance_km", "latency_ms"):
        assert cor[col].tolist() == net[col].tolist() == edges[col].tolist()
    assert edges_from_inputs(inp, candidates=False)["corridor_id"].tolist() == ["AB"]
