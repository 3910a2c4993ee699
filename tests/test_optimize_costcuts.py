"""Cost cut-set rows (planner.optimize.costcuts): the knapsack against brute force, bridges,
and a chain whose LP bound they lift to the optimum written here."""

from __future__ import annotations

import itertools
import math

import highspy
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.io import read_inputs, read_scenario
from planner.io.run import read_demand
from planner.io.sndlib import import_sndlib
from planner.optimize import plan
from planner.optimize.costcuts import cover_cost
from planner.optimize.cutset import bridge_sides

INF = math.inf


@pytest.fixture(autouse=True)
def fresh_highs_scheduler():
    """As in test_import_sndlib: a solve with another thread count must not inherit the pool."""
    highspy.Highs.resetGlobalScheduler(True)


TWO = ([1000.0, 10000.0], [3000.0, 9000.0])  # Gbps, cost: the large size 3x cheaper per Gbps


@pytest.mark.parametrize(
    "sizes,R,lam,expected",
    [
        (TWO, 2500, INF, 9000),  # one 10,000 module (three 1,000s cost the same)
        (TWO, 25000, INF, 27000),  # three large, not two large and five small (33,000)
        (TWO, 2500, 0.5, 1250),  # leaving it unserved is cheaper than any module
        (TWO, 10500, 1.0, 9500),  # one large module, 500 Gbps unserved at 1 each
        (TWO, 0, INF, 0),
        # none of the last size: one 3 and 1 unserved (6), not 3 + 1 (7); found by hypothesis
        (([1.0, 3.0], [3.0, 4.0]), 4, 2.0, 6),
    ],
)
def test_cover_cost_by_hand(sizes, R, lam, expected):
    G, c = (np.array(v) for v in sizes)
    assert cover_cost(G, c, R, lam, 10_000) == pytest.approx(expected)


def test_cover_cost_out_of_work_gives_nothing():
    G, c = np.array([7.0, 11.0, 13.0]), np.array([7.0, 10.5, 12.0])
    assert cover_cost(G, c, 5000.0, INF, 50) is None  # never a guess: no row
    assert cover_cost(G, c, 5000.0, INF, 1_000_000) is not None


def brute(G, c, R, lam):
    tops = [math.ceil(R / g) + 1 for g in G]
    best = math.inf
    for n in itertools.product(*(range(t + 1) for t in tops)):
        short = max(0.0, R - float(np.dot(G, n)))
        if short > 1e-9 and not math.isfinite(lam):
            continue
        best = min(best, float(np.dot(c, n)) + (lam * short if short > 1e-9 else 0.0))
    return best


@settings(max_examples=300, deadline=None)
@given(
    sizes=st.lists(st.tuples(st.integers(1, 12), st.integers(1, 30)), min_size=1, max_size=3),
    R=st.integers(0, 40),
    lam=st.sampled_from([INF, 0.5, 2.0, 7.0]),
)
def test_cover_cost_equals_brute_force(sizes, R, lam):
    G = np.array([g for g, _ in sizes], float)
    c = np.array([k for _, k in sizes], float)
    assert cover_cost(G, c, float(R), lam, 1_000_000) == pytest.approx(brute(G, c, R, lam))


def test_bridge_sides():
    """A-B-C triangle, C-D pendant, D-E doubled, E-F pendant: bridges are C-D and E-F only."""
    cor = pd.DataFrame(
        {
            "e": range(7),
            "site_a": ["A", "B", "C", "C", "D", "D", "E"],
            "site_b": ["B", "C", "A", "D", "E", "E", "F"],
        }
    )
    sides = bridge_sides(cor)
    assert set(sides) == {3, 6}
    assert sides[3] in ({"A", "B", "C"}, {"D", "E", "F"})
    assert sides[6] in ({"F"}, {"A", "B", "C", "D", "E"})


# A chain A-B-C-D-E-F, every link with modules of 10 Gbps for 3 and 100 Gbps for 9, and one
# demand A-F of 25 Gbps: every link is a bridge carrying 25, so each needs one large module
# (9; three small ones cost 9 too) and the optimum is 5 x 9 = 45. The LP pays 0.09 per Gbps
# (11.25); MIR rows on one module size at a time leave it below 45.
CHAIN = (
    """?SNDlib native format; type: network; version: 1.0
# network chain6
NODES (
"""
    + "".join(f"  {s} ( {10 + i}.0 50.0 )\n" for i, s in enumerate("ABCDEF"))
    + """)
LINKS (
"""
    + "".join(
        f"  L{a}{b} ( {a} {b} ) 0 0 0 0 ( 10 3 100 9 )\n"
        for a, b in zip("ABCDE", "BCDEF", strict=True)
    )
    + """)
DEMANDS (
  dAF ( A F ) 1 25 UNLIMITED
)
"""
)
CHAIN_OPT = 45.0


@pytest.mark.parametrize("formulation", ["arc", "path"])
def test_cost_rows_lift_a_chain_to_its_optimum(formulation, tmp_path, monkeypatch):
    src = tmp_path / "chain6.txt"
    src.write_text(CHAIN)
    import_sndlib(src, tmp_path / "in")
    inp, dem = read_inputs(tmp_path / "in"), read_demand(tmp_path / "in" / "demand.csv")
    sc = read_scenario(tmp_path / "in" / "scenarios" / "min_cost.yaml")
    p = plan(inp, dem, sc, formulation=formulation, marginals=False)
    assert p.summary["capex_usd_total"] == pytest.approx(CHAIN_OPT)
    with_rows = p.summary["cutset_lp_bound_after_usd"]
    assert with_rows == pytest.approx(CHAIN_OPT, rel=1e-3)  # the root LP is the optimum
    monkeypatch.setattr(
        "planner.optimize.cutrounds.separate_costs", lambda *a, **k: [], raising=True
    )
    highspy.Highs.resetGlobalScheduler(True)
    p = plan(inp, dem, sc, formulation=formulation, marginals=False)
    assert p.summary["capex_usd_total"] == pytest.approx(CHAIN_OPT)
    assert p.summary["cutset_lp_bound_after_usd"] < 0.95 * CHAIN_OPT  # MIR rows alone


def test_no_cost_rows_where_the_budget_binds(tmp_path, monkeypatch):
    """Max-served under a budget below even the LP's cost of serving everything (11.25): the
    LP spends the whole budget on what serves most, so no cost cut-set is separated
    (costcuts.BUDGET_BINDS); the same chain without a binding budget gets them."""
    src = tmp_path / "chain6.txt"
    src.write_text(CHAIN)
    import_sndlib(src, tmp_path / "in")
    inp, dem = read_inputs(tmp_path / "in"), read_demand(tmp_path / "in" / "demand.csv")
    sc = read_scenario(tmp_path / "in" / "scenarios" / "min_cost.yaml")
    calls: list[int] = []

    def spy(*a, **k):
        calls.append(1)
        return []

    monkeypatch.setattr("planner.optimize.cutrounds.separate_costs", spy)
    monkeypatch.setattr("planner.optimize.nodecuts.separate_costs", spy)
    tight = sc.model_copy(update={"objective": "max-served", "budget_usd_total": 5.0})
    p = plan(inp, dem, tight, formulation="arc", marginals=False)
    assert p.summary["capex_usd_total"] <= 5.0 + 1e-6 and not calls
    plan(inp, dem, sc, formulation="arc", marginals=False)
    assert calls


def test_rows_on_single_corridors_only():
    """Two rows with the same need: one on corridor 0 alone, one on corridors {0, 1} (a site's
    cut). Only the single corridor gets a cost row (see the costcuts docstring: on cuts of
    several corridors they changed meshed networks' MIP search for the worse)."""
    from planner.optimize.costcuts import separate_costs
    from planner.optimize.cutset import CutFamily

    ints = {
        (0, 0): (np.array([0, 1]), np.array([1000.0, 10000.0])),
        (1, 0): (np.array([2]), np.array([1000.0])),
    }
    fam = CutFamily(
        rows=pd.DataFrame({"r": [0, 1], "ti": [0, 0], "need": [2500.0, 2500.0]}),
        sets={0: np.array([0]), 1: np.array([0, 1])},
        slack=pd.DataFrame(columns=["r", "ti", "col"]),
        ints=ints,
        flows={},
        installed=np.zeros(2),
        names=pd.DataFrame({"r": [0, 1], "kind": ["corridor", "site"], "what": ["e0", "v"]}),
    )
    cost = np.array([3000.0, 9000.0, 3000.0])
    x = np.array([0.0, 0.25, 0.0])  # the LP's 2,250 on corridor 0: a quarter large module
    cuts = separate_costs(fam, x, 1.0, cost)
    assert len(cuts) == 1
    cols, coef, rhs = cuts[0]
    assert list(cols) == [0, 1] and list(coef) == [3000.0, 9000.0] and rhs == pytest.approx(9000.0)
