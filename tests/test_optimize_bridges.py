"""Min-cost decomposition along bridges (planner.optimize.bridges): hand cases with the
optimum written here, random tree-plus-cycle networks against an independent MIP."""

from __future__ import annotations

import highspy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.io import read_inputs, read_scenario
from planner.io.run import read_demand
from planner.io.sndlib import import_sndlib
from planner.optimize import bridges, plan
from planner.optimize.cutset import bridge_sides
from planner.optimize.sets import index_sets
from tests.test_import_sndlib import reference_optimum

# A-B and D-E are bridges; B-C-D is a triangle (the one block with more than one site).
# Modules: 10 Gbps for 3, 100 Gbps for 9. Demands: A-E 25, B-C 8, A-B 4.
# Bridge A-B carries A-E + A-B = 29 -> one large module (9; three small ones cost 9 too).
# Bridge D-E carries 25 -> 9. The triangle gets B->D 25 (A-E enters at B, leaves at D) and
# B-C 8: B-D direct 25 -> 9 and B-C 8 -> 3 (small), C-D nothing: 12. Optimum 9 + 9 + 12 = 30.
TRI = """NODES (
  A ( 10 50 )
  B ( 11 50 )
  C ( 11.5 50.5 )
  D ( 12 50 )
  E ( 13 50 )
)
LINKS (
  LAB ( A B ) 0 0 0 0 ( 10 3 100 9 )
  LBC ( B C ) 0 0 0 0 ( 10 3 100 9 )
  LCD ( C D ) 0 0 0 0 ( 10 3 100 9 )
  LDB ( D B ) 0 0 0 0 ( 10 3 100 9 )
  LDE ( D E ) 0 0 0 0 ( 10 3 100 9 )
)
DEMANDS (
  dAE ( A E ) 1 25 UNLIMITED
  dBC ( B C ) 1 8 UNLIMITED
  dAB ( A B ) 1 4 UNLIMITED
)
"""
TRI_OPT = 30.0


@pytest.fixture(autouse=True)
def fresh_highs_scheduler():
    """As in test_import_sndlib: a solve with another thread count must not inherit the pool."""
    highspy.Highs.resetGlobalScheduler(True)


def load(tmp_path, text):
    src = tmp_path / "net.txt"
    src.write_text(text)
    import_sndlib(src, tmp_path / "in")
    inp, dem = read_inputs(tmp_path / "in"), read_demand(tmp_path / "in" / "demand.csv")
    return src, inp, dem, read_scenario(tmp_path / "in" / "scenarios" / "min_cost.yaml")


def test_loads_and_block_demands(tmp_path):
    _, inp, dem, sc = load(tmp_path, TRI)
    sets = index_sets(inp, dem, sc, paths=False)
    cor = sets.corridors
    sides = bridge_sides(cor)
    by_id = dict(zip(cor["e"], cor["corridor_id"], strict=True))
    assert {by_id[e] for e in sides} == {"LAB", "LDE"}
    block, t = bridges._tree(cor, sides)
    load_, inner = bridges._routes(sets, block, t)
    assert {by_id[e]: v for e, v in load_.items()} == {"LAB": 29.0, "LDE": 25.0}
    assert inner == {block["B"]: {("B", "D"): 25.0, ("B", "C"): 8.0}}


def test_plan_is_the_optimum_and_the_bound_holds(tmp_path):
    src, inp, dem, sc = load(tmp_path, TRI)
    assert reference_optimum(src) == pytest.approx(TRI_OPT)
    highspy.Highs.resetGlobalScheduler(True)
    s = plan(inp, dem, sc, marginals=False).summary
    assert s["capex_usd_total"] == pytest.approx(TRI_OPT)
    assert (s["bridges_count"], s["bridges_blocks_solved"]) == (2, 1)
    # the bridges' exact 18 plus the block's bound (12, less its latency tie-break)
    assert TRI_OPT - 0.1 <= s["bridges_bound_usd"] <= TRI_OPT + 1e-9
    assert s["solver_status"] == "optimal" and s["heuristic_used"] == "bridges"


def test_not_for_max_served_or_a_given_formulation(tmp_path):
    _, inp, dem, sc = load(tmp_path, TRI)
    assert bridges.why_not(inp, sc.model_copy(update={"objective": "max-served"}), None)
    s = plan(inp, dem, sc, formulation="arc", marginals=False).summary
    assert s.get("bridges_count") is None and s["capex_usd_total"] == pytest.approx(TRI_OPT)


@st.composite
def trees_with_a_cycle(draw) -> str:
    """A random tree on 5-7 sites plus one or two extra links (cycles), two module sizes with
    random prices, 2-4 random demands."""
    n = draw(st.integers(5, 7))
    names = [f"S{i}" for i in range(n)]
    links = {(draw(st.integers(0, i - 1)), i) for i in range(1, n)}
    for _ in range(draw(st.integers(1, 2))):
        a, b = sorted(draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True)))
        links.add((a, b))
    body = ["NODES ("] + [f"  {s} ( {10 + i % 3}.{i} 5{i % 2}.0 )" for i, s in enumerate(names)]
    body += [")", "LINKS ("]
    for a, b in sorted(links):
        small, big = draw(st.integers(2, 5)), draw(st.integers(6, 14))
        body.append(f"  L{a}_{b} ( {names[a]} {names[b]} ) 0 0 0 0 ( 10 {small} 100 {big} )")
    body += [")", "DEMANDS ("]
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
    for a, b in draw(st.lists(st.sampled_from(pairs), min_size=2, max_size=4, unique=True)):
        body.append(f"  d{a}_{b} ( {names[a]} {names[b]} ) 1 {draw(st.integers(1, 60))} UNLIMITED")
    return "\n".join([*body, ")"]) + "\n"


@settings(max_examples=6, deadline=None)
@given(text=trees_with_a_cycle())
def test_random_networks_match_an_independent_mip(text, tmp_path_factory):
    d = tmp_path_factory.mktemp("br")
    src, inp, dem, sc = load(d, text)
    ref = reference_optimum(src)
    highspy.Highs.resetGlobalScheduler(True)
    s = plan(inp, dem, sc, marginals=False).summary
    assert s["capex_usd_total"] == pytest.approx(ref, abs=1e-6)
    if s.get("bridges_bound_usd") is not None:
        assert s["bridges_bound_usd"] <= ref + 1e-6


def test_a_block_that_fails_falls_back_to_the_whole_model(tmp_path):
    """A block's own plan raising (here: a solver error) ends the decomposition, not the run:
    the whole model plans as it did before, to the same optimum."""
    from planner.errors import SolverError

    _, inp, dem, sc = load(tmp_path, TRI)

    def broken(*a, **k):
        raise SolverError("block failed")

    assert bridges.decompose(inp, dem, sc, None, broken) is None
    s = plan(inp, dem, sc, marginals=False).summary  # the real planner: decomposition used
    assert s["capex_usd_total"] == pytest.approx(TRI_OPT) and s["bridges_count"] == 2
