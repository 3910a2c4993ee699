"""Survivability: failure states, the independent LP check, the latency report, `failures`.

The ring used throughout (answers by hand):

    A --AB-- B
    |        |
    DA       BC          demand only between neighbours: A-B 40, B-C 30, C-D 20, A-D 10 Gbps
    |        |
    D --CD-- C

With corridor e cut, its demand has exactly one way left (around the ring) and no other pair
can move off its own corridor (the long way runs through e), so corridor f must carry
``d_f + d_e``: 100 % protection against any single corridor needs
``cap_f >= d_f + max_{e != f} d_e`` = AB 70, BC 70, CD 60, DA 50.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.io.plan import write_plan
from planner.io.run import write_run_inputs
from planner.network import edges_from_inputs, split_srlg
from planner.survive.check import check_states
from planner.survive.latency import latency_report
from planner.survive.states import failure_states, states_frame
from tests.builders import (
    RING_DEMAND,
    RING_NEED,
    YEAR,
    ring_check,
    ring_inputs,
    ring_plan,
    ring_scenario,
)


def test_split_srlg_handles_blanks_and_duplicates():
    assert split_srlg(" X ; Y;X;") == ("X", "Y")
    assert split_srlg("") == () and split_srlg(None) == () and split_srlg(float("nan")) == ()
    assert split_srlg(pd.NA) == ()


def test_srlg_grouping_and_lone_corridors():
    edges = pd.DataFrame({"corridor_id": ["c1", "c2", "c3", "c4"], "srlg": ["X", "X;Y", "", "Y"]})
    st_ = failure_states(edges, "single_srlg")
    assert [(s.state_id, s.corridors) for s in st_] == [
        ("corridor:c3", ("c3",)),  # no SRLG: fails alone
        ("srlg:X", ("c1", "c2")),
        ("srlg:Y", ("c2", "c4")),  # c2 is in both groups
    ]
    one = failure_states(edges, "single_corridor")
    assert [s.corridors for s in one] == [("c1",), ("c2",), ("c3",), ("c4",)]
    f = states_frame(st_)
    assert f["failed_corridors"].tolist() == ["c3", "c1;c2", "c2;c4"]
    with pytest.raises(ValueError, match="unknown survivability mode"):
        failure_states(edges, "double")


def test_candidate_routes_join_the_states(tmp_path):
    inp = ring_inputs(
        routes=[dict(route_id="N1", site_a="A", site_b="C", distance_km=150.0, srlg="X")],
        srlg={"AB": "X"},
    )
    edges = edges_from_inputs(inp)
    assert edges["candidate"].tolist() == [False] * 4 + [True]
    ids = {s.state_id: s.corridors for s in failure_states(edges, "single_srlg")}
    assert ids == {
        "srlg:X": ("AB", "N1"),
        "corridor:BC": ("BC",),
        "corridor:CD": ("CD",),
        "corridor:DA": ("DA",),
    }


# ---- the independent check on the hand-solved ring ---------------------------------------------
@pytest.mark.parametrize("engine", ["path", "arc"])
def test_ring_exact_capacity_survives_every_single_cut(engine):
    r = ring_check(RING_NEED, engine=engine)
    assert len(r.states) == 4
    assert r.states["lost_gbps"].to_numpy() == pytest.approx(0.0, abs=1e-6)
    assert r.baseline["lost_gbps"].tolist() == pytest.approx([0.0], abs=1e-6)
    assert r.states["demand_gbps"].tolist() == pytest.approx([100.0] * 4)


@pytest.mark.parametrize("engine", ["path", "arc"])
def test_check_catches_a_plan_that_is_not_survivable(engine):
    # one Gbps short on BC: only the AB cut (A-B's 40 around via BC) loses, and exactly 1 Gbps
    r = ring_check({**RING_NEED, "BC": 69.0}, engine=engine)
    lost = r.states.set_index("state_id")["lost_gbps"]
    assert lost["corridor:AB"] == pytest.approx(1.0, abs=1e-6)
    assert lost.drop("corridor:AB").to_numpy() == pytest.approx(0.0, abs=1e-6)
    assert r.violated()["state_id"].tolist() == ["corridor:AB"]
    pr = r.pairs[r.pairs["state_id"] == "corridor:AB"]
    assert pr["lost_gbps"].sum() == pytest.approx(1.0, abs=1e-6)
    # with nothing failed the plan is fine: the whole loss is the failure's
    assert r.states.set_index("state_id").loc["corridor:AB", "failure_lost_gbps"] == (
        pytest.approx(1.0, abs=1e-6)
    )


def test_srlg_cut_that_splits_the_ring_loses_both_crossing_pairs():
    # AB and CD in one conduit: {A, D} and {B, C} are cut apart; A-B (40) and C-D (20) are lost
    # whatever the capacity; BC and DA have no SRLG and fail alone (capacity is ample)
    big = {c: 1000.0 for c in RING_NEED}
    r = ring_check(big, mode="single_srlg", srlg={"AB": "X", "CD": "X"})
    lost = r.states.set_index("state_id")["lost_gbps"]
    assert set(lost.index) == {"srlg:X", "corridor:BC", "corridor:DA"}
    assert lost["srlg:X"] == pytest.approx(60.0, abs=1e-6)
    assert lost[["corridor:BC", "corridor:DA"]].to_numpy() == pytest.approx(0.0, abs=1e-6)
    pr = r.pairs[r.pairs["state_id"] == "srlg:X"]
    assert sorted(zip(pr["site_a"], pr["site_b"], pr["lost_gbps"].round(6), strict=True)) == [
        ("A", "B", 40.0),
        ("C", "D", 20.0),
    ]


def test_half_protection_needs_half_the_rerouted_demand():
    # 50 %: with e cut, f carries d_f/2 + d_e/2 -> AB 35, BC 35, CD 30, DA 25 suffice
    need = {"AB": 35.0, "BC": 35.0, "CD": 30.0, "DA": 25.0}
    assert ring_check(need, share=0.5).states["lost_gbps"].max() == pytest.approx(0, abs=1e-6)
    r = ring_check({**need, "DA": 24.0}, share=0.5)
    assert r.states["lost_gbps"].max() == pytest.approx(1.0, abs=1e-6)


def test_screening_is_exact_and_saves_lps():
    caps = {**RING_NEED, "BC": 69.0}
    a, b = ring_check(caps), ring_check(caps)
    assert a.states.equals(b.states)  # deterministic
    from planner.survive.check import check_states as cs

    inp = ring_inputs()
    edges = edges_from_inputs(inp)
    pairs = pd.DataFrame(list(RING_DEMAND), columns=["site_a", "site_b"])
    # only A-B demand: cuts of BC, CD, DA do not touch its direct route -> screened, no LP
    dem = np.array([[40.0], [0.0], [0.0], [0.0]])
    cap = np.array([[40.0], [40.0], [40.0], [40.0]])
    r = cs(edges, cap, pairs, dem, [YEAR], failure_states(edges, "single_corridor"))
    m = r.states.set_index("state_id")["method"]
    assert m["corridor:AB"] == "lp" and (m.drop("corridor:AB") == "screened").all()
    assert r.stats["lp_state_years"] == 1  # only the AB cut needed an LP
    assert r.states.set_index("state_id")["lost_gbps"].tolist() == pytest.approx(
        [0.0, 0.0, 0.0, 0.0], abs=1e-6
    )  # AB cut: 40 around the ring at 40 each


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(4, 7),
    extra=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), max_size=5),
    caps=st.lists(st.floats(0, 100), min_size=12, max_size=12),
    dems=st.lists(st.floats(0, 60), min_size=6, max_size=6),
)
def test_path_pricing_matches_arc_formulation(n, extra, caps, dems):
    """Column generation and the arc LP are two exact solvers of one LP: same losses."""
    ring = [(i, (i + 1) % n) for i in range(n)]
    chords = [(a % n, b % n) for a, b in extra if a % n != b % n]
    es = ring + chords
    edges = pd.DataFrame(
        {
            "corridor_id": [f"e{i}" for i in range(len(es))],
            "site_a": [f"S{min(a, b)}" for a, b in es],
            "site_b": [f"S{max(a, b)}" for a, b in es],
            "srlg": "",
            "latency_ms": [1.0 + i for i in range(len(es))],
        }
    )
    prs = [(f"S{i}", f"S{j}") for i in range(n) for j in range(i + 1, n)][:6]
    pairs = pd.DataFrame(prs, columns=["site_a", "site_b"])
    dem = np.array(dems[: len(prs)])[:, None]
    cap = np.array((caps * 2)[: len(es)])[:, None]
    states = failure_states(edges, "single_corridor")
    a = check_states(edges, cap, pairs, dem, [YEAR], states, engine="path")
    b = check_states(edges, cap, pairs, dem, [YEAR], states, engine="arc", screen=False)
    assert a.states["lost_gbps"].to_numpy() == pytest.approx(
        b.states["lost_gbps"].to_numpy(), abs=1e-5
    )
    assert a.baseline["lost_gbps"].to_numpy() == pytest.approx(
        b.baseline["lost_gbps"].to_numpy(), abs=1e-5
    )


# ---- latency report ----------------------------------------------------------------------------
def test_latency_report_suggests_the_cheapest_route_that_fixes_it():
    # ring corridors 1000 km = 4.9 ms: A-C is 9.8 ms, limit 6 ms. N1 (A-C, 1100 km, $50M) and
    # N2 (A-C, 1200 km = 5.88 ms, $30M) both fix it: N2 is cheaper. N3 (B-D) does not help A-C.
    routes = [
        dict(route_id="N1", site_a="A", site_b="C", distance_km=1100.0, build_capex_usd=50e6),
        dict(route_id="N2", site_a="A", site_b="C", distance_km=1200.0, build_capex_usd=30e6),
        dict(route_id="N3", site_a="B", site_b="D", distance_km=400.0, build_capex_usd=1e6),
    ]
    inp = ring_inputs(km=1000.0, routes=routes)
    sc = ring_scenario(latency_ms_max={"ai_training": 6.0, "ai_inference": 6, "general": 6})
    pairs = pd.DataFrame({"site_a": ["C", "A"], "site_b": ["A", "B"]})  # C-A made canonical
    r = latency_report(inp, sc, pairs)
    assert len(r) == 1  # A-B (4.9 ms) is admissible
    row = r.iloc[0]
    assert (row["site_a"], row["site_b"], row["pair_class"]) == ("A", "C", "ai_training")
    assert row["best_latency_ms"] == pytest.approx(9.8)
    assert row["best_path"] in ("AB;BC", "DA;CD")
    assert row["suggested_route_id"] == "N2"
    assert row["latency_with_route_ms"] == pytest.approx(1200 * 0.0049)
    assert row["route_capex_usd"] == 30e6
    assert "build N2" in row["suggestion"]
    full = latency_report(inp, sc, pairs, all_pairs=True)
    assert full["admissible"].tolist() == [True, False]


def test_latency_report_when_no_route_or_a_combination_helps():
    # B-D at 9.8 ms, limit 3 ms: N3 (B-D, 400 km = 1.96 ms, blank cost -> new_build option
    # 1000 + 1 x 400 = $1400) fixes it. A-C with limit 3: nothing short enough -> advice.
    routes = [dict(route_id="N3", site_a="B", site_b="D", distance_km=400.0)]
    inp = ring_inputs(km=1000.0, routes=routes)
    sc = ring_scenario(latency_ms_max={"ai_training": 3.0, "ai_inference": 3, "general": 3})
    r = latency_report(inp, sc, pd.DataFrame({"site_a": ["A", "B"], "site_b": ["C", "D"]}))
    by = r.set_index(["site_a", "site_b"])
    assert by.loc[("B", "D"), "suggested_route_id"] == "N3"
    assert by.loc[("B", "D"), "route_capex_usd"] == pytest.approx(1400.0)
    assert by.loc[("A", "C"), "suggested_route_id"] == ""
    assert "raise latency_ms_max[ai_training]" in by.loc[("A", "C"), "suggestion"]


# ---- planner failures --plan DIR -------------------------------------------------------------
def write_ring_plan_dir(tmp_path, caps, mode="single_corridor", srlg=None):
    d = tmp_path / "plan"
    inp = ring_inputs(srlg=srlg)
    write_run_inputs(d, inp, ring_scenario(mode))
    write_plan(ring_plan(caps), d)
    return d


def test_failures_command_on_a_ring_plan(tmp_path):
    from planner.commands.failures import failures

    d = write_ring_plan_dir(tmp_path, {**RING_NEED, "BC": 69.0})
    res = CliRunner().invoke(failures, ["--plan", str(d)])
    assert res.exit_code == 0, res.output
    assert "3 of 4 failure states keep all protected demand after the plan in every" in res.output
    assert "worst: corridor:AB in 2030 loses 1 Gbps" in res.output
    t = pd.read_csv(d / "failures.csv")
    assert t["state_id"].tolist() == [
        "none",
        "corridor:AB",
        "corridor:BC",
        "corridor:CD",
        "corridor:DA",
    ]
    by = t.set_index("state_id")
    # before: 40 installed everywhere. No failure: all fits (40 >= each demand).
    assert by.loc["none", "lost_before_gbps"] == pytest.approx(0.0, abs=1e-6)
    # cut AB before: A-B's 40 goes A-D-C-B over DA (10 own), CD (20), BC (30): room 30, 20,
    # 10 -> 10 Gbps gets around; 30 lost (LP may drop others instead, the total is the same)
    assert by.loc["corridor:AB", "lost_before_gbps"] == pytest.approx(30.0, abs=1e-6)
    # after: only the AB cut loses, 1 Gbps, and it is protected demand (100 % share)
    assert by.loc["corridor:AB", "lost_after_gbps"] == pytest.approx(1.0, abs=1e-6)
    assert by.loc["corridor:AB", "protected_lost_after_gbps"] == pytest.approx(1.0, abs=1e-6)
    assert not by.loc["corridor:AB", "survivable_after"]
    assert by.drop(index="corridor:AB")["survivable_after"].all()
    assert by.loc["corridor:AB", "served_fraction_after"] == pytest.approx(0.99)
    for f in ("failures.png", "failure_pairs.csv", "latency.csv"):
        assert (d / f).exists()
    pl = pd.read_csv(d / "failure_pairs.csv")
    assert pl["state_id"].unique().tolist() == ["corridor:AB"]
    assert pl["lost_gbps"].sum() == pytest.approx(1.0, abs=1e-6)


def test_failures_command_srlg_mode_out_dir_and_year(tmp_path):
    from planner.commands.failures import failures

    d = write_ring_plan_dir(tmp_path, RING_NEED, srlg={"AB": "X", "CD": "X"})
    out = tmp_path / "rep"
    res = CliRunner().invoke(
        failures, ["--plan", str(d), "--mode", "single_srlg", "--out", str(out), "--year", "2030"]
    )
    assert res.exit_code == 0, res.output
    t = pd.read_csv(out / "failures.csv").set_index("state_id")
    assert t.loc["srlg:X", "lost_after_gbps"] == pytest.approx(60.0, abs=1e-6)
    assert t.loc["srlg:X", "failed_corridors"] == "AB;CD"
    assert not (d / "failures.csv").exists()


def test_failures_command_errors_are_one_line(tmp_path):
    from planner.cli import main

    res = CliRunner().invoke(main, ["failures", "--plan", str(tmp_path)])
    assert res.exit_code == 2
    assert "not a plan folder" in res.output and "Traceback" not in res.output
    d = write_ring_plan_dir(tmp_path, RING_NEED)
    res = CliRunner().invoke(main, ["failures", "--plan", str(d), "--year", "1999"])
    assert res.exit_code == 2 and "got [1999], expected years of the plan [2030]" in res.output


def test_failures_command_rejects_a_plan_made_on_other_inputs(tmp_path):
    from planner.cli import main
    from planner.io.atomic import write_csv

    d = write_ring_plan_dir(tmp_path, RING_NEED)
    cap = pd.read_csv(d / "capacity.csv")
    cap.loc[0, "corridor_id"] = "ZZ"
    write_csv(cap, d / "capacity.csv")
    res = CliRunner().invoke(main, ["failures", "--plan", str(d)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "capacity.csv: corridor_id: corridors ['ZZ'] are not in the plan's inputs" in res.output
