"""AI driver: MW by year/month, masses, gravity fit, new campuses, MW-adjusted history pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.forecast import ForecastConfig, forecast, history_paths
from planner.forecast.driver import (
    december,
    estimate_rho,
    fit_gravity,
    masses,
    mw_at_months,
    mw_by_year,
    new_pair_candidates,
)
from tests.test_forecast import history, inputs_for, scenario, sites_frame

AI = pd.DataFrame(
    {
        "site_id": ["C", "C", "C", "N"],
        "year": [2024, 2025, 2027, 2028],
        "ai_it_mw": [100, 200, 400, 300],
    }
)


def test_mw_by_year_carries_forward_and_is_zero_before():
    t = mw_by_year(AI, ["C", "N", "X"], [2023, 2024, 2026, 2027, 2030])
    assert t.loc["C"].tolist() == [0, 100, 200, 400, 400]
    assert t.loc["N"].tolist() == [0, 0, 0, 0, 300]
    assert t.loc["X"].tolist() == [0, 0, 0, 0, 0]


def test_mw_by_month_ramps_between_decembers_and_holds_the_first_year():
    m = december(np.array([2023, 2024, 2025])) - np.array([0, 6, 0])  # Dec 23, Jun 24, Dec 25
    got = mw_at_months(AI, ["C"], np.concatenate([m, [december(2026) - 6]]))[0]
    # 2023: 0; 2024 (first year): 100 all year; Dec 2025: 200; mid-2026: halfway 200 -> 200
    np.testing.assert_allclose(got, [0, 100, 200, 200])
    mid27 = mw_at_months(AI, ["C"], np.array([december(2027) - 6]))[0, 0]
    assert mid27 == pytest.approx(200 + 200 * 6 / 12)


def test_masses_and_rho():
    is_campus = np.array([True, False, True])
    traffic = np.array([1000.0, 400.0, 0.0])
    mw = np.array([100.0, 10.0, 0.0])
    assert estimate_rho(is_campus, traffic, mw, default=20.0) == 10.0  # only site 0 has both
    np.testing.assert_allclose(masses(is_campus, traffic, mw, 10.0), [100.0, 50.0, 0.0])
    assert estimate_rho(is_campus, traffic * 0, mw, default=20.0) == 20.0


def test_gravity_recovers_exact_parameters_from_many_pairs():
    rng = np.random.default_rng(0)
    n = 300
    ma, mb = rng.uniform(10, 1000, n), rng.uniform(10, 1000, n)
    d = rng.uniform(60, 3000, n)
    level = np.exp(1.5) * (ma * mb) ** 0.7 / d**1.3
    g = fit_gravity(level, ma, mb, d, rho=10.0, min_distance_km=50.0)
    assert g.beta == pytest.approx(0.7, abs=0.01)
    assert g.gamma == pytest.approx(1.3, abs=0.01)
    assert g.log_k == pytest.approx(1.5, abs=0.1)
    # no noise: sigma is the prior's share only, sqrt(3 * 0.25 / 303)
    assert g.sigma == pytest.approx(np.sqrt(0.75 / 303), rel=0.05)
    np.testing.assert_allclose(g.median(ma[:5], mb[:5], d[:5]), level[:5], rtol=0.05)
    assert g.median(np.array([0.0]), np.array([5.0]), np.array([100.0]))[0] == 0.0


def test_gravity_with_few_pairs_stays_near_the_prior():
    g = fit_gravity(
        np.array([100.0, 300.0]),
        np.array([10.0, 20.0]),
        np.array([10.0, 30.0]),
        np.array([500.0, 400.0]),
        rho=10.0,
        min_distance_km=50.0,
    )
    assert 0.5 < g.beta < 1.5 and 0.5 < g.gamma < 1.5
    assert g.sigma >= 0.3  # three lucky points do not make a new campus certain


def _network():
    sites = sites_frame(
        [
            ("A", 39.0, -77.5, "cloud_region"),
            ("B", 41.9, -87.6, "carrier_hotel"),
            ("C", 40.1, -82.8, "ai_campus"),
            ("N", 32.4, -99.7, "ai_campus"),  # new campus: MW from 2028, no history
            ("Z", 33.7, -84.4, "ai_campus"),  # announced but never gets MW
        ]
    )
    rng = np.random.default_rng(5)
    t = np.arange(24)
    pairs = {
        ("A", "B"): 800 * np.exp(0.01 * t + rng.normal(0, 0.02, 24)),
        ("A", "C"): 1500 * np.exp(0.02 * t + rng.normal(0, 0.02, 24)),
        ("B", "C"): 600 * np.exp(0.02 * t + rng.normal(0, 0.02, 24)),
    }
    ai = pd.DataFrame(
        {
            "site_id": ["C", "C", "N", "N", "Z"],
            "year": [2024, 2027, 2028, 2029, 2024],
            "ai_it_mw": [100.0, 100.0, 300.0, 600.0, 0.0],
        }
    )
    return inputs_for(history(pairs), sites, ai)


def test_new_campus_gets_zero_before_its_mw_and_positive_after():
    out = forecast(_network(), scenario(start_year=2026, horizon_years=5))
    new = out[(out["site_a"] == "N") | (out["site_b"] == "N")]
    assert set(new["model"]) == {"gravity"}
    assert {tuple(p) for p in new[["site_a", "site_b"]].drop_duplicates().to_numpy()} == {
        ("A", "N"),
        ("B", "N"),
        ("C", "N"),
    }
    cols = ["mean_gbps", "p50_gbps", "p90_gbps", "p95_gbps"]
    for _, g in new.groupby(["site_a", "site_b"]):
        by_year = g.set_index("year")
        assert (by_year.loc[[2026, 2027], cols] == 0).all().all()
        assert (by_year.loc[[2028, 2029, 2030], cols] > 0).all().all()
        assert by_year.loc[2029, "p50_gbps"] > by_year.loc[2028, "p50_gbps"]  # MW doubled
        assert (by_year["p50_gbps"] <= by_year["p90_gbps"]).all()
    # Z never has MW: mass 0, no pair
    assert not ((out["site_a"] == "Z") | (out["site_b"] == "Z")).any()
    info = out.attrs["forecast"]
    assert info["pairs_new"] == 3 and info["gravity"]["n_pairs"] == 3


def test_new_pair_policies_and_caps():
    inp = _network()
    sc = scenario(start_year=2026, horizon_years=5)
    none = forecast(inp, sc, config=ForecastConfig(new_pairs="none"))
    assert set(none["model"]) != {"gravity"} and "gravity" not in set(none["model"])
    one = forecast(inp, sc, config=ForecastConfig(max_new_pairs=1))
    assert (one["model"] == "gravity").sum() == 5  # one pair x 5 years
    per = forecast(inp, sc, config=ForecastConfig(new_pairs_per_site=1))
    got = {tuple(p) for p in per[per["model"] == "gravity"][["site_a", "site_b"]].to_numpy()}
    # each campus end nominates its best pair: C's only candidate is C-N, N adds its best one
    assert ("C", "N") in got and len(got) <= 2


def test_candidates_rank_by_score_per_site_then_total():
    sites = sites_frame(
        [
            ("P", 0, 0, "ai_campus"),
            ("Q", 0, 1, "ai_campus"),
            ("R", 0, 2, "cloud_region"),
            ("S", 0, 3, "cloud_region"),
        ]  # fmt: skip
    )
    idx = pd.MultiIndex.from_tuples([("P", "R"), ("P", "S"), ("Q", "R"), ("R", "S"), ("P", "Q")])
    score = pd.Series([5.0, 1.0, 3.0, 9.0, 0.0], index=idx)
    hist_pairs = pd.DataFrame({"site_a": ["Q"], "site_b": ["R"]})
    got = new_pair_candidates(sites, hist_pairs, score, "ai", per_site=1, max_total=10)
    # Q-R has history, R-S has no campus end, P-Q has score 0: P keeps its best, P-R
    assert got.to_numpy().tolist() == [["P", "R"]]
    got = new_pair_candidates(sites, hist_pairs, score, "all", per_site=5, max_total=2)
    assert got.to_numpy().tolist() == [["P", "R"], ["R", "S"]]


def _mw_tracking_inputs(beta: float):
    """Traffic of A-C follows C's MW (doubling in 2025) with elasticity ``beta``."""
    inp = _network()
    ai = pd.DataFrame(
        {
            "site_id": ["C", "C", "C", "C"],
            "year": [2024, 2025, 2026, 2027],
            "ai_it_mw": [100.0, 200.0, 200.0, 800.0],
        }  # fmt: skip
    )
    months = pd.date_range("2024-01-01", periods=24, freq="MS")
    m = (months.year * 12 + months.month - 1).to_numpy()
    mw = mw_at_months(ai, ["C"], m)[0]
    h = inp.demand_history.copy()
    ac = (h["site_a"] == "A") & (h["site_b"] == "C")
    h.loc[ac, "p95_gbps"] = 1500 * (mw / 100.0) ** beta
    return inputs_for(h, inp.sites, ai)


def test_history_that_tracks_mw_gets_the_mw_adjusted_model():
    beta = 1.0
    for _ in range(4):  # the gravity beta depends (weakly) on the levels: find the fixed point
        inp = _mw_tracking_inputs(beta)
        targets = december(np.array([2026, 2027]))
        hp = history_paths(
            inp.demand_history, inp.sites, inp.ai_buildout, targets, ForecastConfig()
        )
        beta = hp.gravity.beta
    i = hp.pairs.index[(hp.pairs["site_a"] == "A") & (hp.pairs["site_b"] == "C")][0]
    assert hp.model[i].endswith("+mw")
    # flat per unit of mass: the forecast moves exactly with C's MW (200 -> 800 in 2027)
    ratio = np.exp(hp.mu[i, 1] - hp.mu[i, 0])
    assert ratio == pytest.approx(4.0**beta, rel=1e-3)
    # the other pairs grow on their own trend: plain models win
    assert not any(m.endswith("+mw") for k, m in enumerate(hp.model) if k != i)


def test_mw_flat_during_history_keeps_the_plain_model():
    """No evidence how traffic follows MW: announced steps are not added on top of a trend."""
    inp = _network()  # C holds 100 MW through 2027
    out = forecast(inp, scenario(start_year=2026, horizon_years=2))
    assert not out["model"].str.endswith("+mw").any()
    off = forecast(
        inp, scenario(start_year=2026, horizon_years=2), config=ForecastConfig(mw_adjust=False)
    )
    hist_rows = out["model"] != "gravity"
    pd.testing.assert_frame_equal(out[hist_rows], off[off["model"] != "gravity"])


def test_two_campuses_in_one_metro_do_not_explode():
    sites = sites_frame(
        [
            ("A", 40.0, -80.0, "cloud_region"),
            ("B", 40.5, -80.5, "cloud_region"),
            ("N1", 35.0, -90.0, "ai_campus"),
            ("N2", 35.001, -90.001, "ai_campus"),
        ]  # fmt: skip
    )
    ai = pd.DataFrame({"site_id": ["N1", "N2"], "year": [2026, 2026], "ai_it_mw": [500.0, 500.0]})
    hist = history({("A", "B"): 100 * 1.01 ** np.arange(12)})
    out = forecast(inputs_for(hist, sites, ai), scenario())
    row = out[(out["site_a"] == "N1") & (out["site_b"] == "N2")]
    assert len(row) == 3 and np.isfinite(row["p95_gbps"]).all()
    assert out.attrs["forecast"]["gravity"]["min_distance_km"] == 50.0
