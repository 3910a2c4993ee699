"""Survivable planning by row generation on the hand-solved ring (see tests/test_survive.py).

100 % protection against any single corridor cut needs ``cap_f >= d_f + max_{e != f} d_e``:
AB 70, BC 70, CD 60, DA 50 on 40 installed -> 3 + 3 + 2 + 1 waves of 10G at $10 = $90.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from planner.optimize import plan
from planner.survive import plan_survivable
from planner.survive.failures import failure_table
from tests.builders import RING_NEED, ring_demand, ring_inputs, ring_scenario

EXPECTED_UNITS = {"AB": 3, "BC": 3, "CD": 2, "DA": 1}


def _units(p) -> dict[str, int]:
    u = p.upgrades[p.upgrades["kind"] == "wave"]
    return u.groupby("corridor_id")["units"].sum().astype(int).to_dict()


def _caps(p) -> dict[str, float]:
    return p.capacity.set_index("corridor_id")["capacity_gbps"].to_dict()


@pytest.mark.parametrize(
    "kw",
    [
        {},  # cuts on the LP relaxation, then the MIP
        {"method": "flows"},  # re-routing flows for violated states only
        {"full": True},  # every state's flows at once
    ],
    ids=["cuts", "flows", "full"],
)
@pytest.mark.parametrize("objective", ["min-cost", "max-served"])
def test_ring_single_corridor_full_protection(kw, objective):
    sc = ring_scenario("single_corridor", objective=objective)
    p = plan_survivable(ring_inputs(), ring_demand(), sc, marginals=False, **kw)
    assert _units(p) == EXPECTED_UNITS
    assert _caps(p) == pytest.approx(RING_NEED)
    assert p.summary["capex_usd_total"] == pytest.approx(90.0)
    s = p.summary["survivability"]
    assert s["mode"] == "single_corridor" and s["converged"]
    assert s["states_total"] == 4 and s["states_added"] == 4  # every cut matters on a ring
    assert s["unprotected_gbps_final_year"] == pytest.approx(0.0, abs=1e-6)
    assert s["rounds"] == len(s["round_log"]) >= 1
    assert s["round_log"][-1]["violated_state_years"] == 0
    if kw.get("full"):
        assert s["rounds"] == 1 and s["flow_states_added"] == 4
    # which paths the bound holds for, as a plain run says it (the warm rounds said nothing)
    sm = p.summary
    assert sm["bound_scope"] in ("k_paths", "all_paths") and sm["path_pricing_converged"]
    assert sm.get("all_paths_bound_usd") is None or sm["all_paths_bound_usd"] <= sm["objective"]
    # the independent check agrees: every single cut keeps all protected demand
    t, pairs, _ = failure_table(ring_inputs(), sc, p)
    assert t["protected_lost_after_gbps"].max() == pytest.approx(0.0, abs=1e-6)
    assert t["survivable_after"].all() and len(pairs) == 0


def test_without_survivability_the_ring_buys_nothing():
    # 40 installed carries every pair directly; the check then shows what a cut would lose
    sc = ring_scenario("none", objective="min-cost")
    p = plan_survivable(ring_inputs(), ring_demand(), sc, marginals=False)
    assert len(p.upgrades) == 0 and "survivability" not in p.summary
    t, _, _ = failure_table(ring_inputs(), sc, p, mode="single_corridor")
    lost = t.set_index("state_id")["protected_lost_after_gbps"]
    assert lost["corridor:AB"] == pytest.approx(30.0, abs=1e-6)  # A-B: 10 of 40 fit around
    assert lost["none"] == pytest.approx(0.0, abs=1e-6)


def test_half_protection_is_cheaper():
    # 50 %: with e cut, f carries d_f/2 + d_e/2; normally d_f (u = 1). Need the larger:
    # AB max(40, 20 + 15) = 40, BC max(30, 15 + 20) = 35, CD max(20, 10 + 20) = 30,
    # DA max(10, 5 + 20) = 25 Gbps
    sc = ring_scenario("single_corridor", share=0.5, objective="min-cost")
    p = plan_survivable(ring_inputs(installed=20.0), ring_demand(), sc, marginals=False)
    # on 20 installed: AB +20, BC +20, CD +10, DA +10 (in 10G waves) -> 6 waves
    assert _units(p) == {"AB": 2, "BC": 2, "CD": 1, "DA": 1}
    assert p.summary["survivability"]["converged"]


def test_srlg_that_splits_the_ring_is_reported_not_forced():
    # AB and CD share a conduit: cutting both separates {A, D} from {B, C}; A-B and C-D can
    # never survive that state, but must still survive the BC and DA cuts:
    #   cut BC: B-C 30 via B-A-D-C  -> AB 40+30, DA 10+30, CD 20+30
    #   cut DA: A-D 10 via A-B-C-D  -> AB 40+10, BC 30+10, CD 20+10
    # so AB >= 70, BC >= 40, CD >= 50, DA >= 40: buy AB 3, CD 1 waves on 40 installed
    sc = ring_scenario("single_srlg", objective="min-cost")
    inp = ring_inputs(srlg={"AB": "X", "CD": "X"})
    p = plan_survivable(inp, ring_demand(), sc, marginals=False)
    assert _units(p) == {"AB": 3, "CD": 1}
    s = p.summary["survivability"]
    assert s["converged"] and s["states_total"] == 3
    cut_off = {(u["state_id"], u["site_a"], u["site_b"]) for u in s["unprotectable"]}
    assert cut_off == {("srlg:X", "A", "B"), ("srlg:X", "C", "D")}
    t, _, _ = failure_table(inp, sc, p)
    by = t.set_index("state_id")
    assert by.loc["srlg:X", "protected_lost_after_gbps"] == pytest.approx(60.0, abs=1e-6)
    assert by.loc["srlg:X", "protected_disconnected_after_gbps"] == pytest.approx(60.0)
    assert by.loc[["corridor:BC", "corridor:DA"], "survivable_after"].all()


def test_budget_too_small_leaves_a_reported_shortfall():
    # $40 buys 4 of the 9 waves: serving demand comes first (already served by 40 installed),
    # the rest protects what it can; the shortfall is reported, the model stays feasible
    sc = ring_scenario("single_corridor", objective="max-served", budget_usd_total=40.0)
    p = plan_survivable(ring_inputs(), ring_demand(), sc, marginals=False)
    assert p.summary["capex_usd_total"] <= 40.0 + 1e-9
    assert p.summary["served_fraction"] == pytest.approx(1.0)
    s = p.summary["survivability"]
    assert s["converged"] and s["unprotected_gbps_final_year"] > 1.0
    assert any("not protected" in w for w in p.summary["warnings"])


def test_same_plan_as_plain_optimiser_when_nothing_is_protected():
    sc = ring_scenario("single_corridor", share=0.0, objective="min-cost")
    a = plan_survivable(ring_inputs(installed=20.0), ring_demand(), sc, marginals=False)
    b = plan(ring_inputs(installed=20.0), ring_demand(), sc, marginals=False)
    assert _units(a) == _units(b) == {"AB": 2, "BC": 1}
    assert a.summary["survivability"]["states_added"] == 0


def test_round_cap_repairs_the_claim_instead_of_returning_it():
    # no LP phase and a single MIP round: the MIP buys nothing (no protection rows yet) and
    # the check refutes it. The repair keeps the purchases (none: 40 installed everywhere) and
    # lowers the protected Gbps a to what survives every cut: each cut e puts a_e on the
    # three other corridors next to their own a_f, so a_e + a_f <= 40 for every two pairs;
    # with a <= demand (40, 30, 20, 10) the most is a = (20, 20, 20, 10): 70 of 100 protected.
    sc = ring_scenario("single_corridor", objective="min-cost")
    p = plan_survivable(
        ring_inputs(), ring_demand(), sc, marginals=False, max_lp_rounds=0, max_mip_rounds=1
    )
    s = p.summary["survivability"]
    assert s["repaired"] and s["converged"] and s["mip_rounds"] == 1
    assert len(p.upgrades) == 0
    assert s["unprotected_gbps_final_year"] == pytest.approx(30.0, abs=1e-6)
    assert [r["phase"] for r in s["round_log"]][:1] == ["mip"]
    assert s["round_log"][-1]["phase"] == "repair"


def test_served_bound_stays_valid_with_protection_penalties():
    # demand twice the ring's 40 installed, $20 of waves: unserved and unprotected demand
    # both cost penalties, so the objective bound limits their weighted sum, not unserved
    # alone; the served bound must still hold (it read 50 % for a plan serving 80 %)
    sc = ring_scenario("single_corridor", objective="max-served", budget_usd_total=20.0)
    p = plan_survivable(ring_inputs(), ring_demand(scale=2.0), sc, marginals=False)
    s = p.summary
    assert s["served_fraction"] == pytest.approx(0.8)
    assert s["survivability"]["unprotected_gbps_final_year"] > 1.0
    assert s["served_fraction_upper_bound"] >= s["served_fraction"] - 1e-9


@pytest.mark.parametrize("full", [False, True], ids=["rows", "full"])
def test_cli_optimize_plans_survivable_scenarios(tmp_path, full):
    # `planner optimize` used to ignore survivability (plain plan, nothing protected)
    import yaml
    from click.testing import CliRunner

    from planner.cli import main
    from planner.io.atomic import write_csv
    from planner.io.run import write_inputs

    write_inputs(ring_inputs(), tmp_path / "in")
    sc = ring_scenario("single_corridor", objective="min-cost")
    (tmp_path / "sc.yaml").write_text(yaml.safe_dump(sc.model_dump(mode="json")))
    write_csv(ring_demand(), tmp_path / "dem.csv")
    args = ["optimize", "--inputs", str(tmp_path / "in"), "--scenario", str(tmp_path / "sc.yaml")]
    args += ["--demand", str(tmp_path / "dem.csv"), "--out", str(tmp_path / "p"), "--no-marginals"]
    r = CliRunner().invoke(main, args + (["--full-survivability"] if full else []))
    assert r.exit_code == 0, r.output
    assert (
        "survivability single_corridor" in r.output and "0 protected Gbps unprotected" in r.output
    )
    up = pd.read_csv(tmp_path / "p" / "upgrades.csv")
    assert up.groupby("corridor_id")["units"].sum().to_dict() == EXPECTED_UNITS
    sm = json.loads((tmp_path / "p" / "summary.json").read_text())
    assert sm["survivability"]["full_model"] is full and sm["capex_usd_total"] == pytest.approx(90)
    assert CliRunner().invoke(main, ["verify", str(tmp_path / "p")]).exit_code == 0


def test_cli_full_survivability_needs_a_survivable_scenario(tmp_path):
    import yaml
    from click.testing import CliRunner

    from planner.cli import main
    from planner.io.run import write_inputs

    write_inputs(ring_inputs(), tmp_path / "in")
    sc = ring_scenario("none")
    (tmp_path / "sc.yaml").write_text(yaml.safe_dump(sc.model_dump(mode="json")))
    r = CliRunner().invoke(
        main,
        ["optimize", "--inputs", str(tmp_path / "in"), "--scenario", str(tmp_path / "sc.yaml"),
         "--out", str(tmp_path / "p"), "--full-survivability"],
    )  # fmt: skip
    assert r.exit_code == 2 and "survivability: none" in r.output
    assert not (tmp_path / "p").exists()


def test_served_gap_stop_is_off_when_protection_shares_the_objective():
    # stopping on served demand alone would ignore the protection shortfall
    from planner.config import SolverConfig
    from planner.optimize import build_model
    from planner.optimize.solve import served_gap_stop
    from planner.survive.generate import model_edges
    from planner.survive.protect import Protection
    from planner.survive.states import failure_states

    sc = ring_scenario("single_corridor", objective="max-served", budget_usd_total=20.0)
    cfg = SolverConfig(served_gap=0.5)
    m = build_model(ring_inputs(), ring_demand(scale=2.0), sc)
    stop = served_gap_stop(m, cfg, {})
    assert stop is not None and stop(0.0, 0.0)  # nothing unserved at all: done
    Protection(m, failure_states(model_edges(m), sc.survivability))
    assert served_gap_stop(m, cfg, {}) is None


@pytest.mark.parametrize("objective", ["min-cost", "max-served"])
def test_leased_capacity_protects_like_own_capacity(objective):
    """A lease on AB ($1 a year per 10G, one year) is cheaper than a $10 wave: the survivable
    plan leases AB's 3 units and buys the rest, 6 waves ($60) + $3 of fees, and the
    independent failure check counts the leased Gbps."""
    from planner.tables import table_from_records
    from planner.verify import check_plan

    inp = ring_inputs()
    lease = dict(lease_id="L10", corridor_id="AB", capacity_gbps=10.0, opex_usd_per_unit_year=1.0,
                 upfront_usd_per_unit=0.0, min_term_years=1, lead_time_years=0, max_units=10,
                 price_change_per_year=0.0, available_from_year=None, source="test")  # fmt: skip
    inp.lease_options = table_from_records("lease_options", [lease])
    sc = ring_scenario("single_corridor", objective=objective)
    p = plan_survivable(inp, ring_demand(), sc, marginals=False)
    assert _units(p) == {k: v for k, v in EXPECTED_UNITS.items() if k != "AB"}
    assert p.leases.groupby("corridor_id")["units"].sum().to_dict() == {"AB": 3}
    assert _caps(p) == pytest.approx(RING_NEED)
    assert p.summary["capex_usd_total"] == pytest.approx(60.0)
    assert p.summary["opex_usd_total"] == pytest.approx(3.0)
    assert p.summary["survivability"]["converged"]
    t, pairs, _ = failure_table(inp, sc, p)
    assert t["protected_lost_after_gbps"].max() == pytest.approx(0.0, abs=1e-6)
    assert t["survivable_after"].all() and len(pairs) == 0
    res = check_plan(p, inp, sc, ring_demand())  # verify's checks: leases, money, capacity
    assert res.ok, res.violations
