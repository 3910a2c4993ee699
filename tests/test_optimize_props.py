"""Properties on random small networks: budget never exceeded, more budget never serves less,
every plan passes the independent verifier, a time-limited run is marked and still valid."""

from __future__ import annotations

import itertools
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.config import SolverConfig
from planner.optimize import plan
from tests.test_optimize import demand, make_inputs, run_case, scenario


def random_case(seed: int, n: int, years: int):
    rng = np.random.default_rng(seed)
    g = nx.connected_watts_strogatz_graph(n, 2 if n < 5 else 3, 0.5, seed=seed)
    sites = [f"S{i}" for i in range(n)]
    cors = [
        dict(
            corridor_id=f"E{k}",
            site_a=sites[min(u, v)],
            site_b=sites[max(u, v)],
            distance_km=float(rng.integers(50, 800)),
            installed_capacity_gbps=float(rng.choice([0, 100, 400])),
            spare_fiber_pairs=int(rng.integers(0, 2)),
            max_waves_per_fiber_pair=4,
        )
        for k, (u, v) in enumerate(sorted(g.edges()))
    ]
    opts = [
        dict(
            option_id="w100",
            capacity_gbps=100.0,
            capex_fixed_usd=float(rng.integers(5, 20)),
            lead_time_years=int(rng.integers(0, 2)),
            price_change_per_year=-0.1,
        ),
        dict(
            option_id="w400",
            capacity_gbps=400.0,
            capex_fixed_usd=float(rng.integers(15, 60)),
            capex_per_km_usd=0.01,
            max_units_per_corridor=2,
        ),
        dict(option_id="pair", kind="fiber_pair", capacity_gbps=0.0, capex_fixed_usd=30.0),
    ]
    inp = make_inputs(Path("."), sites, cors, opts)
    rows = [  # canonical pairs (site_a < site_b as strings: S10 < S2), like read_demand gives
        (*sorted((a, b)), 2030 + t, float(rng.integers(0, 300)) * (1.4**t))
        for a, b in itertools.combinations(sites, 2)
        for t in range(years)
        if rng.random() < 0.6
    ]
    rows += [(sites[0], sites[-1], 2030 + t, 150.0) for t in range(years)]
    return inp, demand(rows).groupby(["site_a", "site_b", "year"], as_index=False).sum()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, 10_000),
    st.integers(3, 5),
    st.integers(1, 2),
    st.floats(0, 300),
    st.floats(0, 300),
)
def test_budget_respected_and_monotone(seed, n, years, b1, extra):
    inp, dem = random_case(seed, n, years)
    lo = run_case(None, inp, dem, scenario(years=years, budget=b1))
    hi = run_case(None, inp, dem, scenario(years=years, budget=b1 + extra))
    assert lo.summary["capex_usd_total"] <= b1 + 1e-6
    assert hi.summary["capex_usd_total"] <= b1 + extra + 1e-6
    assert hi.summary["unserved_gbps_years"] <= lo.summary["unserved_gbps_years"] + 1e-6


def test_time_limited_run_is_marked_and_valid(tmp_path):
    inp, dem = random_case(7, 14, 3)
    sc = scenario(
        years=3, budget=2000.0, solver=SolverConfig(time_limit_s=0.01, mip_gap=0.0, threads=1)
    )
    p = run_case(tmp_path, inp, dem, sc)
    s = p.summary
    assert s["solver_status"] == "time_limit_feasible" and s["time_limit_hit"]
    assert s["mip_gap"] > 0 and any("time limit" in w for w in s["warnings"])


def test_arc_and_path_agree_when_paths_are_not_binding():
    # on a tree each pair has one path, so both formulations must reach the same optimum
    inp, dem = random_case(3, 5, 2)
    chain = inp.corridors.iloc[:4].copy()
    chain["site_a"] = [f"S{i}" for i in range(4)]
    chain["site_b"] = [f"S{i + 1}" for i in range(4)]
    inp.corridors = chain.reset_index(drop=True)
    sc = scenario(years=2, budget=200.0)
    a = plan(inp, dem, sc, formulation="path", marginals=False).summary
    b = plan(inp, dem, sc, formulation="arc", marginals=False).summary
    assert a["unserved_gbps_years"] > 0  # the budget binds: the case is not trivial
    assert a["objective"] == pytest.approx(b["objective"], rel=1e-7)


@pytest.mark.parametrize("target", [0.2, 0.01])
def test_served_gap_target_stops_early_and_its_claim_holds(tmp_path, target):
    # the proven optimum (served_gap off, mip_gap 0) checks the early plan's claims
    inp, dem = random_case(7, 14, 3)
    base = scenario(years=3, budget=1000.0)
    best = run_case(None, inp, dem, base).summary
    assert best["solver_status"] == "optimal"
    sc = base.model_copy(update={"solver": base.solver.model_copy(update={"served_gap": target})})
    s = run_case(tmp_path, inp, dem, sc).summary
    assert s["solver_status"] == "served_gap_reached" and not s["time_limit_hit"]
    assert 0 < s["served_gap"] <= target
    # the bound it stopped on is a true bound, and the plan is within target of the optimum
    assert best["served_fraction"] <= s["served_fraction_upper_bound"] + 1e-9
    assert s["served_fraction"] >= (1 - target) * best["served_fraction"]
    assert s["served_fraction"] <= best["served_fraction"] + 1e-9
