"""Joint demand scenarios, scenario plans and out-of-sample risk (issue 17).

The tiny network (answers by hand): a line A - B - C, corridors AB and BC (no capacity
installed), 100G waves at $10; pairs A-B (over AB) and A-C (over AB and BC). Three scenarios
(A-B, A-C) Gbps: s0 (100, 0), s1 (0, 100), s2 (100, 100). Per-pair max sizing needs AB 200
and BC 100: 3 waves, $30. Serving 2 of the 3 scenarios needs at least one of s0, s1 with one
more: {s0, s1} needs AB 100 + BC 100, $20 (the optimum); {s0 or s1, s2} needs $30.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from planner.cli import main
from planner.config import Scenario
from planner.forecast.joint import (
    JointModel,
    fit_joint,
    history_loadings,
    sample_scenarios,
    scenario_frame,
)
from planner.forecast.models import z_score
from planner.io.atomic import write_csv
from planner.optimize.sets import index_sets
from planner.scenarios.plan import plan_chance, plan_expected
from planner.scenarios.risk import evaluate_draws, risk_table
from tests.builders import demand, make_inputs, run_case, scenario

YEAR = 2030
S3 = np.array([[100.0, 0.0], [0.0, 100.0], [100.0, 100.0]])[:, :, None]  # (S, P, Y)


def line3(tmp):
    cor = [
        dict(corridor_id=c, site_a=c[0], site_b=c[1], distance_km=100.0,
             installed_capacity_gbps=0.0)
        for c in ("AB", "BC")
    ]  # fmt: skip
    opt = [dict(option_id="w100", capacity_gbps=100.0, capex_fixed_usd=10.0)]
    return make_inputs(tmp / "in", ["A", "B", "C"], cor, opt)


def tiny_model() -> JointModel:
    """P50 50 Gbps, P90 100 Gbps for both pairs, independent."""
    pairs = pd.DataFrame({"site_a": ["A", "A"], "site_b": ["B", "C"], "driver": ["r", "r"]})
    sig = np.full((2, 1), np.log(2.0) / float(z_score(0.9)))
    return JointModel(pairs, [YEAR], np.full((2, 1), np.log(50.0)), sig,
                      np.zeros((2, 1), bool), np.zeros(2, np.int64), 0.0, 0.0)  # fmt: skip


def units(p) -> dict[str, float]:
    return p.upgrades.groupby("corridor_id")["units"].sum().to_dict()


def forecast_frame(n_pairs: int = 6, years=(2027, 2028, 2029)) -> pd.DataFrame:
    rows = []
    for i in range(n_pairs):
        for k, y in enumerate(years):
            p50 = 100.0 * (i + 1) * (1.2**k)
            rows.append(("S0", f"S{i + 1}", y, p50, p50 * (1.3 + 0.1 * k)))
    return pd.DataFrame(rows, columns=["site_a", "site_b", "year", "p50_gbps", "p90_gbps"])


def sites_frame(n: int = 7) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "site_id": [f"S{i}" for i in range(n)],
            "kind": ["ai_campus"] + ["cloud_region"] * (n - 1),
            "region": ["r1"] * n,
        }
    )


# ---- sampler ------------------------------------------------------------------------------


def test_same_seed_same_scenarios_other_seed_others():
    f, s = forecast_frame(), sites_frame()
    a = sample_scenarios(f, s, 20, seed=7, common=0.3, driver=0.2)
    b = sample_scenarios(f, s, 20, seed=7, common=0.3, driver=0.2)
    c = sample_scenarios(f, s, 20, seed=8, common=0.3, driver=0.2)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["demand_gbps"], c["demand_gbps"])
    assert list(a.columns) == ["scenario", "site_a", "site_b", "year", "demand_gbps"]
    assert len(a) == 20 * 6 * 3


@pytest.mark.parametrize("common", [0.0, 0.6])
def test_each_pair_keeps_its_forecast_p50_and_p90(common):
    """Within sampling error: P(draw <= forecast P90) = 0.9, P(draw <= P50) = 0.5."""
    f = forecast_frame()
    m = fit_joint(f, sites_frame(), common=common, driver=0.0)
    n = 4000
    d = m.draw(n, seed=1)
    p50 = f["p50_gbps"].to_numpy().reshape(6, 3)
    p90 = f["p90_gbps"].to_numpy().reshape(6, 3)
    se = 4 * np.sqrt(0.09 / n)  # 4 standard errors of a binomial share at 0.9
    # with a common factor the pairs' hit rates are correlated, but each one's own share
    # still has the binomial error of its own n draws
    assert np.abs((d <= p90[None]).mean(axis=0) - 0.9).max() < se
    assert np.abs((d <= p50[None]).mean(axis=0) - 0.5).max() < 4 * np.sqrt(0.25 / n)


def test_a_growth_path_shock_persists_across_years():
    d = fit_joint(forecast_frame(), sites_frame(), common=0.0, driver=0.0).draw(500, seed=2)
    r = np.corrcoef(np.log(d[:, 0, 0]), np.log(d[:, 0, 2]))[0, 1]
    assert r > 0.99  # the same pair is high in every year of a scenario


def _history(common_shock: float, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    months = pd.date_range("2024-01-01", periods=36, freq="MS")
    g = rng.standard_normal(36)
    rows = []
    for i in range(1, 7):
        e = rng.standard_normal(36)
        logy = np.cumsum(0.02 + 0.05 * (common_shock * g + (1 - common_shock) * e)) + 5
        rows += [("S0", f"S{i}", m, float(np.exp(v))) for m, v in zip(months, logy, strict=True)]
    return pd.DataFrame(rows, columns=["site_a", "site_b", "month", "p95_gbps"])


def test_loadings_follow_the_history():
    c_hi, _, info = history_loadings(_history(0.8), sites_frame())
    c_lo, _, _ = history_loadings(_history(0.0), sites_frame())
    assert info["mean_corr_all"] > 0.5 and c_hi > 0.4
    assert c_lo < 0.15
    m = fit_joint(forecast_frame(), sites_frame(), _history(0.8))
    d = np.log(m.draw(3000, seed=4)[:, :, -1])
    corr = np.corrcoef(d.T)[np.triu_indices(6, 1)]
    assert corr.min() > 0.2  # positive in the draws when it is in the history


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 30),
    seed=st.integers(0, 2**32 - 1),
    common=st.floats(0, 0.9),
    zero_pair=st.integers(0, 5),
)
def test_draws_are_finite_nonnegative_and_zero_stays_zero(n, seed, common, zero_pair):
    f = forecast_frame()
    f.loc[f["site_b"] == f"S{zero_pair + 1}", ["p50_gbps", "p90_gbps"]] = 0.0
    m = fit_joint(f, sites_frame(), common=common, driver=0.0)
    d = m.draw(n, seed)
    assert d.shape == (n, 6, 3)
    assert np.isfinite(d).all() and (d >= 0).all()
    assert (d[:, zero_pair, :] == 0).all()
    assert (d[:, [i for i in range(6) if i != zero_pair], :] > 0).all()


# ---- risk evaluation ----------------------------------------------------------------------


def test_routing_lp_loses_what_the_bottleneck_cannot_carry(tmp_path):
    """AB 100, BC 100 Gbps; (A-B, A-C) = (60, 30): all served; (60, 70): AB carries 100 of
    130, 30 lost; (0, 150): BC carries 100, 50 lost."""
    inputs, sc = line3(tmp_path), scenario()
    sets = index_sets(inputs, demand([("A", "B", YEAR, 1.0), ("A", "C", YEAR, 1.0)]), sc)
    cap = np.array([[100.0], [100.0]])
    d = np.array([[60.0, 30.0], [60.0, 70.0], [0.0, 150.0]])[:, :, None]
    lost = evaluate_draws(sets, cap, d, sc)
    assert lost.sum(axis=(1, 2)) == pytest.approx([0.0, 30.0, 50.0], abs=1e-6)
    t = risk_table(d, lost, sets.pairs["pair_class"].to_numpy(), sets.years)
    row = t[(t["pair_class"] == "all") & (t["year"] == "all")].iloc[0]
    assert row["p_serve_all"] == pytest.approx(1 / 3)
    assert row["unserved_gbps_mean"] == pytest.approx(80 / 3)
    assert row["demand_gbps_mean"] == pytest.approx((90 + 130 + 150) / 3)
    assert row["unserved_gbps_p95"] == pytest.approx(np.quantile([0, 30, 50], 0.95))


# ---- scenario plans ------------------------------------------------------------------------


@pytest.mark.slow
def test_chance_two_of_three_buys_less_than_per_pair_max(tmp_path):
    inputs = line3(tmp_path)
    dc = {"mode": "scenarios", "n_scenarios": 3, "serve_share": 2 / 3}
    sc = scenario(demand=dc)
    p, info = plan_chance(inputs, tiny_model(), S3, sc)
    assert units(p) == {"AB": 1.0, "BC": 1.0}  # the optimum, $20
    assert p.summary["capex_usd_total"] == pytest.approx(20.0)
    assert info["given_up"] == [2]
    per_pair_max = run_case(
        None, inputs, demand([("A", "B", YEAR, 100.0), ("A", "C", YEAR, 100.0)]), sc,
        objective="min-cost",
    )  # fmt: skip
    assert per_pair_max.summary["capex_usd_total"] == pytest.approx(30.0)
    again, _ = plan_chance(inputs, tiny_model(), S3, sc)
    pd.testing.assert_frame_equal(p.upgrades, again.upgrades)  # same scenarios, same plan


@pytest.mark.slow
def test_chance_holdout_raises_a_margin_until_the_held_out_scenario_is_served(tmp_path):
    """holdout_share 1/3: sized on s0, s1 (peaks AB 100, BC 100: $20), judged on s2 (100,
    100), which needs AB 200: not served; +5 % targets (AB 105, BC 105) buy two waves on
    each corridor, $40, and s2 is served."""
    dc = {"mode": "scenarios", "n_scenarios": 3, "serve_share": 2 / 3, "holdout_share": 1 / 3}
    p, info = plan_chance(line3(tmp_path), tiny_model(), S3, scenario(demand=dc))
    assert units(p) == {"AB": 2.0, "BC": 2.0}
    assert info["holdout_scenarios"] == 1 and info["holdout_served_share"] == 1.0
    steps = [(s["margin"], s["capex_usd"], s["judged_served_share"])
             for s in info["load_quantile_search"]]  # fmt: skip
    assert steps == [(0.0, 20.0, 0.0), (0.05, 40.0, 1.0)]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("budget", "want", "unserved"),
    [(10.0, {"AB": 1.0}, 200 / 3), (20.0, {"AB": 1.0, "BC": 1.0}, 100 / 3)],
)
def test_expected_unserved_within_budget(tmp_path, budget, want, unserved):
    """$10: one wave on AB serves s0 and half of s2 (E = 200/3 Gbps); $20: AB + BC serve
    s0, s1 and half of s2 (E = 100/3); two waves on AB would leave A-C dark (E = 200/3)."""
    inputs = line3(tmp_path)
    dc = {"mode": "scenarios", "n_scenarios": 3, "objective": "expected", "representatives": 3}
    sc = scenario(budget=budget, demand=dc)
    p, info = plan_expected(inputs, tiny_model(), S3, sc)
    assert units(p) == want
    assert sorted(info["scenarios_in_mip"]) == [0, 1, 2]
    assert info["weights"] == pytest.approx([1 / 3] * 3)
    cap = p.capacity.pivot_table(index="corridor_id", values="capacity_gbps").reindex(["AB", "BC"])
    sets = index_sets(inputs, demand([("A", "B", YEAR, 1.0), ("A", "C", YEAR, 1.0)]), sc)
    lost = evaluate_draws(sets, cap.to_numpy(), S3, sc)
    assert lost.sum(axis=(1, 2)).mean() == pytest.approx(unserved, abs=1e-6)


@pytest.mark.slow
def test_cvar_spends_the_budget_on_the_worst_scenarios(tmp_path):
    inputs = line3(tmp_path)
    dc = {"mode": "scenarios", "objective": "cvar", "cvar_alpha": 0.5, "representatives": 3}
    p, _ = plan_expected(inputs, tiny_model(), S3, scenario(budget=20.0, demand=dc))
    assert units(p) == {"AB": 1.0, "BC": 1.0}


# ---- CLI and scenario keys -----------------------------------------------------------------


def _plan_folder(tmp_path, ab_gbps: float):
    inputs = line3(tmp_path)
    sc = scenario()
    dem = demand([("A", "B", YEAR, ab_gbps), ("A", "C", YEAR, 10.0)])
    run_case(tmp_path, inputs, dem, sc, objective="min-cost", marginals=False)
    f = pd.DataFrame(
        {"site_a": ["A", "A"], "site_b": ["B", "C"], "year": [YEAR] * 2,
         "p50_gbps": [50.0, 5.0], "p90_gbps": [100.0, 10.0]}
    )  # fmt: skip
    write_csv(f, tmp_path / "plan" / "forecast.csv")
    return tmp_path / "plan"


@pytest.mark.slow
def test_cli_risk_writes_tables_and_compares_plans(tmp_path):
    big = _plan_folder(tmp_path / "big", 990.0)  # AB 1000 Gbps for a P90 of 110: never short
    small = _plan_folder(tmp_path / "small", 90.0)  # AB 100 Gbps: short when A-B + A-C > 100
    r = CliRunner().invoke(
        main, ["risk", "--plan", str(big), "--plan", str(small), "--scenarios", "200",
               "--out", str(tmp_path / "cmp")],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    rb = pd.read_csv(big / "risk.csv")
    rs = pd.read_csv(small / "risk.csv")
    tot = (rb["pair_class"] == "all") & (rb["year"].astype(str) == "all")
    assert rb.loc[tot, "p_serve_all"].item() == 1.0
    assert rb.loc[tot, "unserved_gbps_mean"].item() == 0.0
    # small: P(A-B + A-C > 100) with A-B ~ LN(P50 50, P90 100), A-C ~ LN(5, 10): ~ 12 %
    rng = np.random.default_rng(0)
    z = rng.standard_normal((2, 200_000)) * np.log(2.0) / float(z_score(0.9))
    p_hand = float((50 * np.exp(z[0]) + 5 * np.exp(z[1]) <= 100).mean())
    p_small = rs.loc[tot, "p_serve_all"].item()
    assert abs(p_small - p_hand) < 4 * np.sqrt(p_hand * (1 - p_hand) / 200)
    assert 0.75 < p_small < 0.97
    cmp = pd.read_csv(tmp_path / "cmp" / "risk_comparison.csv")
    assert set(cmp["plan"]) == {"big/plan", "small/plan"}
    assert len(cmp) == len(rb) + len(rs)
    assert (tmp_path / "cmp" / "risk_comparison.png").stat().st_size > 10_000
    assert "P(serve all) 100.0%" in r.output


def test_cli_risk_without_forecast_is_one_line(tmp_path):
    d = tmp_path / "p"
    d.mkdir()
    r = CliRunner().invoke(main, ["risk", "--plan", str(d)])
    assert r.exit_code == 2
    assert len([x for x in r.output.splitlines() if x.strip()]) == 1


def _base() -> dict:
    with open("inputs/scenarios/base.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)


def test_bad_demand_keys_name_the_key(tmp_path):
    base = _base()
    with pytest.raises(ValidationError, match="n_scenaros"):
        Scenario(**{**base, "demand": {"mode": "scenarios", "n_scenaros": 5}})
    with pytest.raises(ValidationError, match="common_loading"):
        Scenario(**{**base, "demand": {"common_loading": 0.8, "driver_loading": 0.5}})
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**base, "demand": {"mode": "scenario"}}))
    r = CliRunner().invoke(main, ["validate", "--scenario", str(bad)])
    assert r.exit_code == 2
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert len(lines) == 1 and "demand.mode" in lines[0], r.output


def test_default_demand_mode_keeps_the_quantile_plan():
    sc = Scenario(**_base())
    assert sc.demand.mode == "quantile"


def test_scenario_frame_long_layout():
    m = tiny_model()
    t = scenario_frame(m, S3)
    assert t["scenario"].tolist() == [0, 0, 1, 1, 2, 2]
    assert t["demand_gbps"].tolist() == [100.0, 0.0, 0.0, 100.0, 100.0, 100.0]


def test_scenario_mode_needs_the_forecast(tmp_path):
    from planner.errors import InputError
    from planner.pipeline import plan_stage

    sc = scenario(demand={"mode": "scenarios"})
    with pytest.raises(InputError, match="demand.mode"):
        plan_stage(line3(tmp_path), demand([("A", "B", YEAR, 1.0)]), sc)


def test_hose_worst_loads_by_hand(tmp_path):
    """Hoses at P90 of the site totals over S3: A 180, B 100, C 100 (linear quantile).
    A-B over AB, A-C over AB + BC: AB's worst matrix fills A's hose (180), BC's fills C's
    (100); with each pair capped at 60 Gbps, AB's worst is 120 and BC's 60."""
    from planner.scenarios.hose import site_hoses, worst_loads

    inputs, sc = line3(tmp_path), scenario()
    sets = index_sets(inputs, demand([("A", "B", YEAR, 1.0), ("A", "C", YEAR, 1.0)]), sc)
    sites, hose = site_hoses(sets, S3, 0.9)
    assert sites == ["A", "B", "C"]
    assert hose[:, 0] == pytest.approx([180.0, 100.0, 100.0])
    share = np.zeros((1, 2, 2))
    share[0, 0, 0] = share[0, 1, 0] = share[0, 1, 1] = 1.0  # (Y, P, E): corridors AB, BC
    free = worst_loads(sets, share, hose, sites, np.full((2, 1), np.inf))
    assert free[:, 0] == pytest.approx([180.0, 100.0])
    capped = worst_loads(sets, share, hose, sites, np.full((2, 1), 60.0))
    assert capped[:, 0] == pytest.approx([120.0, 60.0])


@pytest.mark.slow
def test_hose_plan_carries_every_hose_matrix(tmp_path):
    """Pure hose at P90 needs AB 180 -> 2 waves, BC 100 -> 1 wave: $30; with pairs capped at
    their P90 (100 each) AB still needs 180: the same plan."""
    from planner.scenarios.plan import plan_hose

    inputs = line3(tmp_path)
    for cap in (False, True):
        sc = scenario(demand={"mode": "hose", "hose_pair_cap": cap})
        p, info = plan_hose(inputs, tiny_model(), S3, sc)
        assert units(p) == {"AB": 2.0, "BC": 1.0}
        assert info["hose_gbps_final_year"] == pytest.approx({"A": 180, "B": 100, "C": 100})


@pytest.mark.slow
def test_run_and_verify_a_scenario_plan(tmp_path):
    """``planner run`` with ``demand: scenarios``: scenarios.csv, the summary's statement,
    and ``planner verify`` re-checks the plan's own tables."""
    from planner.io.run import scenario_yaml, write_inputs

    write_inputs(line3(tmp_path), tmp_path / "in")
    sc = scenario(years=2, demand={"mode": "scenarios", "n_scenarios": 12, "serve_share": 0.75})
    (tmp_path / "s.yaml").write_text(scenario_yaml(sc))
    out = tmp_path / "run"
    args = ["run", "--inputs", str(tmp_path / "in"), "--scenario", str(tmp_path / "s.yaml"),
            "--out", str(out), "--stages", "forecast,optimize"]  # fmt: skip
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    assert "last sizing MIP; the scenario plan itself has no bound" in r.output
    scen = pd.read_csv(out / "scenarios.csv")
    assert scen["scenario"].nunique() == 12
    ds = Scenario.model_validate(yaml.safe_load((out / "scenario.yaml").read_text())).demand
    assert ds.mode == "scenarios"
    import json

    summary = json.loads((out / "summary.json").read_text())
    sm = summary["demand_scenarios"]
    assert sm["in_sample_served_share"] >= 0.75
    # the bound is the last sizing MIP's, said so; no all-paths bound of another model
    assert "all_paths_gap" not in summary and "all_paths_bound_usd" not in summary
    assert any("not proven optimal for the scenarios (chance)" in w for w in summary["warnings"])
    assert CliRunner().invoke(main, ["verify", "--plan", str(out)]).exit_code == 0
