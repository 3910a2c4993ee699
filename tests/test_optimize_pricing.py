"""Path column generation (planner.optimize.pricing) on the triangle, answers by hand.

Triangle (tests/builders.py): A-B direct, 100 km, a 100G wave costs $100; A-C-B, 2 x 150 km,
$10 per wave on each corridor. 50 Gbps A-B, min-cost. With k = 1 the path model only knows
the direct path and must pay $100; the optimum (arc formulation) is A-C-B for $20.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.config import Scenario
from planner.io import read_inputs, read_scenario
from planner.io.run import read_demand
from planner.io.sndlib import import_sndlib
from planner.network import corridor_table
from planner.optimize import build_model, plan, pricing
from planner.optimize.model import OBJ_SCALE
from planner.pipeline import plan_line
from planner.solver.highs import Session
from tests.builders import demand, ring_demand, ring_inputs, ring_scenario, scenario, triangle
from tests.conftest import ROOT

DEM = demand([("A", "B", 2030, 50.0)])


def sc(pricing: bool, limit_ms: float = 1e3) -> Scenario:
    s = scenario(
        k_paths=1,
        objective="min-cost",
        latency_ms_max={"ai_training": limit_ms, "ai_inference": limit_ms, "general": limit_ms},
    )
    return s.model_copy(update={"solver": s.solver.model_copy(update={"path_pricing": pricing})})


def test_pricing_finds_the_path_the_k_shortest_miss(tmp_path: Path) -> None:
    inp = triangle(tmp_path)
    off = plan(inp, DEM, sc(False), marginals=False, formulation="path").summary
    on = plan(inp, DEM, sc(True), marginals=False, formulation="path").summary
    arc = plan(inp, DEM, sc(False), formulation="arc", marginals=False).summary
    assert off["capex_usd_total"] == pytest.approx(100.0)  # restricted to the direct path
    assert on["capex_usd_total"] == pytest.approx(20.0)  # A-C-B found by pricing
    assert arc["capex_usd_total"] == pytest.approx(20.0)
    assert on["paths_added"] == 1 and on["path_pricing_converged"] is True
    assert on["pricing_rounds"] == 3  # price, converge, converge again with the cut rows
    # the priced LP alone: half a wave on AC and BC each (fractional waves); the node cuts at
    # A (AB + AC carry 50 Gbps: a whole wave) and at B lift it to the optimum, 2 x $10 (plus
    # the latency tie-break), so the plan is proven optimal over every path
    assert on["all_paths_lp_bound_usd"] == pytest.approx(10.0, abs=0.2)
    assert on["all_paths_bound_usd"] == pytest.approx(20.0, abs=0.2)
    assert on["all_paths_cut_rounds"] == 1 and on["all_paths_cut_rows"] >= 2
    assert on["all_paths_bound_usd"] <= on["objective"] and on["all_paths_gap"] < 1e-6
    assert on["bound_scope"] == "k_paths" and arc["bound_scope"] == "all_paths"
    assert "paths_added" not in off
    assert "against the all-paths LP bound" in plan_line(on)
    assert "all-paths" not in plan_line(off) and "over the path set" in plan_line(off)
    assert "against a bound for every path" in plan_line(arc)
    assert "for every path" not in plan_line(off)


def test_nothing_prices_out_and_nothing_changes(tmp_path: Path) -> None:
    """AB already has room for the demand: every detour costs latency, none prices out."""
    inp = triangle(tmp_path, installed_ab_gbps=100.0)
    off = plan(inp, DEM, sc(False), marginals=False, formulation="path")
    on = plan(inp, DEM, sc(True), marginals=False, formulation="path")
    s = on.summary
    assert s["paths_added"] == 0 and s["pricing_rounds"] == 1
    assert s["path_pricing_converged"] is True
    assert s["capex_usd_total"] == pytest.approx(0.0)
    assert s["objective"] == pytest.approx(off.summary["objective"])
    pd.testing.assert_frame_equal(on.upgrades, off.upgrades)
    m = build_model(inp, DEM, sc(True))
    assert len(m.sets.paths) == 1


def test_pricing_respects_the_latency_limit(tmp_path: Path) -> None:
    """A-C-B would price out (see the first test) but is over the limit: never added."""
    inp = triangle(tmp_path)
    lat = corridor_table(inp)[0].set_index("corridor_id")["latency_ms"]
    direct, detour = lat["AB"], lat["AC"] + lat["BC"]
    assert direct < detour
    limit = (direct + detour) / 2
    m = build_model(inp, DEM, sc(True, limit))
    assert m.meta["pricing"]["paths_added"] == 0
    assert m.meta["pricing"]["path_pricing_converged"] is True
    assert m.sets.paths["corridor_ids"].map(tuple).tolist() == [("AB",)]
    s = plan(inp, DEM, sc(True, limit), marginals=False, formulation="path").summary
    assert s["capex_usd_total"] == pytest.approx(100.0)
    wide = build_model(inp, DEM, sc(True, detour * 1.01))
    assert sorted(wide.sets.paths["corridor_ids"].map(tuple)) == [("AB",), ("AC", "BC")]


def test_pricing_reaches_the_arc_optimum_on_sndlib_detour3(tmp_path: Path) -> None:
    """detour3 (tests/data/sndlib): k = 1 pays 14 on the direct link, the optimum is 10."""
    import_sndlib(ROOT / "tests" / "data" / "sndlib" / "detour3.txt", tmp_path)
    inp, dem = read_inputs(tmp_path), read_demand(tmp_path / "demand.csv")
    base = read_scenario(tmp_path / "scenarios" / "min_cost.yaml")
    solver = base.solver.model_copy(update={"path_pricing": True})
    sc = base.model_copy(update={"k_paths": 1, "solver": solver})
    s = plan(inp, dem, sc, marginals=False, formulation="path")
    assert s.summary["capex_usd_total"] == pytest.approx(10.0)
    assert s.summary["path_pricing_converged"] is True and s.summary["paths_added"] >= 1


def test_pricing_is_deterministic_and_its_bound_is_the_enlarged_lp(tmp_path: Path) -> None:
    """Ring, k = 1, three years, max-served: the detours around the ring price in; the LP of
    the model built from the enlarged sets has the converged bound (same objective, fixed
    tie-break weight), and two runs add the same paths."""
    inp = ring_inputs()
    dem = ring_demand(1.2, (2030, 2031, 2032))
    s = ring_scenario("none", k_paths=1, horizon_years=3)
    s = s.model_copy(update={"solver": s.solver.model_copy(update={"path_pricing": True})})
    a, b = build_model(inp, dem, s), build_model(inp, dem, s)
    info = a.meta["pricing"]
    assert info["path_pricing_converged"] is True and info["paths_added"] >= 1
    pd.testing.assert_frame_equal(a.sets.paths, b.sets.paths)

    def work(d: dict) -> dict:  # the same work; seconds differ
        return {k: v for k, v in d.items() if not k.endswith("_seconds")}

    assert work(info) == work(b.meta["pricing"])
    lp = Session.from_pulp(a.prob, threads=1)
    assert lp.run()
    assert lp.objective / OBJ_SCALE == pytest.approx(info["all_paths_lp_bound_usd"], rel=1e-7)
    assert info["all_paths_lp_bound_usd"] < info["pricing_lp_bound_before_usd"]
    assert info["all_paths_bound_usd"] >= info["all_paths_lp_bound_usd"]  # the cut rows


def test_pricing_out_of_work_is_not_converged_and_claims_no_bound(tmp_path, monkeypatch) -> None:
    """Out of label budget: nothing is priced, no all-paths bound, the gap stays k_paths."""
    monkeypatch.setattr(pricing, "MAX_LABELS_PER_ROUND", 1)
    s = plan(triangle(tmp_path), DEM, sc(True), marginals=False, formulation="path").summary
    assert s["path_pricing_converged"] is False and s["paths_added"] == 0
    assert s.get("all_paths_bound_usd") is None and s.get("all_paths_gap") is None
    assert s["capex_usd_total"] == pytest.approx(100.0) and s["bound_scope"] == "k_paths"
    # the planner is told the plan holds for its path set only (it costs 5x the optimum here)
    (w,) = [w for w in s["warnings"] if w.startswith("path pricing did not converge")]
    assert "stopped after 0 new paths" in w and "no all-paths bound" in w
    assert "paths not priced to the end" in plan_line(s)


def test_large_path_models_are_not_priced(tmp_path, monkeypatch) -> None:
    """Above the column bound pricing is skipped, said so, and no all-paths bound is claimed."""
    monkeypatch.setattr(pricing, "MAX_FLOW_COLUMNS", 0)
    m = build_model(triangle(tmp_path), DEM, sc(True))
    info = m.meta["pricing"]
    assert info["path_pricing_converged"] is False and info["paths_added"] == 0
    assert "work bound" in info["pricing_skipped"] and "all_paths_bound_usd" not in info
    assert len(m.sets.paths) == 1
    s = plan(triangle(tmp_path), DEM, sc(True), marginals=False, formulation="path").summary
    assert any("flow columns > 0 (work bound)" in w for w in s["warnings"])


def test_all_paths_gap_and_served_gap_by_hand(tmp_path: Path) -> None:
    """Max-served, budget $25, caps of one wave per corridor, 350 Gbps A-B (k = 1: pricing adds
    A-C-B). Unavoidable: 350 - 200 = 150 Gbps (the objective offset). The plan buys AC + BC
    ($20, 100 Gbps; the direct $100 wave does not fit). The all-paths LP also buys 5 % of the
    direct wave with the $5 left: 105 Gbps, bound 245 x 1e7 + 25. Both gaps are on the offset
    objective (as mip_gap), and the served share's bound over every path is 105 / 350."""
    inp = triangle(tmp_path)
    inp = replace(inp, upgrade_options=inp.upgrade_options.assign(max_units_per_corridor=1))
    s = scenario(budget=25.0, k_paths=1)
    sm = plan(inp, demand([("A", "B", 2030, 350.0)]), s, marginals=False, formulation="path")
    sm = sm.summary
    assert sm["capex_usd_total"] == pytest.approx(20.0)
    assert sm["path_pricing_converged"] is True and sm["mip_gap"] == pytest.approx(0.0, abs=1e-6)
    pen = 1e7
    assert sm["objective_offset_usd"] == pytest.approx(150 * pen, rel=1e-6)
    assert sm["all_paths_bound_usd"] == pytest.approx(245 * pen, rel=1e-6)
    # (250 - 245) / (250 - 150): the full objective's denominator would say 2 %
    assert sm["all_paths_gap"] == pytest.approx(0.05, rel=1e-4)
    assert sm["served_fraction"] == pytest.approx(100 / 350)
    assert sm["served_fraction_upper_bound_all_paths"] == pytest.approx(105 / 350, rel=1e-6)
    assert sm["served_gap_all_paths"] == pytest.approx(5 / 105, rel=1e-5)
    assert sm["served_gap"] == pytest.approx(0.0, abs=1e-6)  # the path set's own bound
    assert "on any path" not in plan_line(sm)  # served gap ~0: the line has no bound part
    shown = {**sm, "served_gap": 0.01, "served_fraction_upper_bound": 0.2886}
    assert "served gap 1.00%; on any path at most 30.0%, 4.76%)" in plan_line(shown)


def _graph(edges: list[tuple[int, int, float]]) -> dict[str, list[tuple[str, int, float, float]]]:
    adj: dict[str, list[tuple[str, int, float, float]]] = {}
    for e, (a, b, lat) in enumerate(edges):
        adj.setdefault(str(a), []).append((str(b), e, lat, 0.0))
        adj.setdefault(str(b), []).append((str(a), e, lat, 0.0))
    return adj


def _cheapest(labels, dst: str, lim: float):
    ok = pricing.admissible(labels, dst, lim)
    return min(ok, key=lambda lb: (lb[0], lb[1])) if ok else None


@settings(max_examples=60, deadline=None)
@given(
    edges=st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 6), st.floats(0.5, 10.0), st.floats(0.0, 5.0)),
        min_size=3,
        max_size=16,
    ),
    lims=st.lists(st.floats(1.0, 30.0), min_size=6, max_size=6),
    caps=st.lists(st.floats(0.0, 20.0), min_size=6, max_size=6),
)
def test_label_search_stops_early_without_losing_a_path_that_prices_out(edges, lims, caps):
    """The stopped search (cost caps = demand duals, destinations closed at their first
    admissible label) finds, for every destination, the same cheapest admissible path as the
    full search whenever that path costs less than the cap, and makes no more labels."""
    edges = [e for e in edges if e[0] != e[1]] or [(0, 1, 1.0, 1.0)]
    weight = np.array([w for *_, w in edges])
    adj = _graph([e[:3] for e in edges])
    limit = max(lims)
    dsts = [str(v) for v in range(1, 7)]
    targets = {d: (lim, cap) for d, lim, cap in zip(dsts, lims, caps, strict=True)}
    full, made_full = pricing.label_search(adj, "0", weight, limit, 10**6)
    fast, made_fast = pricing.label_search(adj, "0", weight, limit, 10**6, targets, first=True)
    assert made_fast <= made_full
    for d, (lim, cap) in targets.items():
        want = _cheapest(full, d, lim)
        got = _cheapest(fast, d, lim)
        if want is not None and want[0] < cap:
            assert got is not None and got[:2] == pytest.approx(want[:2])
        if got is not None:  # whatever the stopped search returns is a real admissible path
            assert got[1] <= lim + 1e-9


def test_label_search_stops_once_every_destination_is_closed() -> None:
    """A line 0-1-2-...-40: the only destination is site 1, so the search stops after it and
    does not walk the other 39 corridors (the full search does)."""
    edges = [(i, i + 1, 1.0) for i in range(40)]
    adj, weight = _graph(edges), np.full(40, 0.1)
    full, made_full = pricing.label_search(adj, "0", weight, 100.0, 10**6)
    fast, made_fast = pricing.label_search(
        adj, "0", weight, 100.0, 10**6, {"1": (100.0, 5.0)}, first=True
    )
    assert made_full == 80  # every site reached; each pushes a label to each neighbour
    assert made_fast <= 3
    assert fast["1"][0][2] == (0,) and fast["1"][0][0] == pytest.approx(0.1)
    # a cap below the cheapest path: nothing beyond the source is needed at all
    none, made = pricing.label_search(adj, "0", weight, 100.0, 10**6, {"1": (100.0, 0.05)})
    assert "1" not in none or none["1"][0][0] > 0.05
