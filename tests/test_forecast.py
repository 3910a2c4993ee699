"""Forecast models: known answers, invariants, fit+predict == one call, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.config import Scenario
from planner.errors import InputError
from planner.forecast import ETSForecaster, check_history, demand_for, forecast, forecast_frame
from planner.forecast import models as M
from planner.forecast.demand import scale_growth
from planner.tables import Inputs

MONTHS = pd.date_range("2024-01-01", periods=24, freq="MS")


def long_frame(series: dict[str, np.ndarray], start: str = "2024-01-01") -> pd.DataFrame:
    rows = []
    for uid, y in series.items():
        ds = pd.date_range(start, periods=len(y), freq="MS")
        rows.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": y}))
    return pd.concat(rows, ignore_index=True)


def sites_frame(rows: list[tuple[str, float, float, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "site_id": [r[0] for r in rows],
            "name": [r[0] for r in rows],
            "operator": "op",
            "lat": [r[1] for r in rows],
            "lon": [r[2] for r in rows],
            "region": "r",
            "kind": [r[3] for r in rows],
        }
    )


def history(pairs: dict[tuple[str, str], np.ndarray], start: str = "2024-01-01") -> pd.DataFrame:
    rows = []
    for (a, b), y in pairs.items():
        ds = pd.date_range(start, periods=len(y), freq="MS")
        rows.append(pd.DataFrame({"site_a": a, "site_b": b, "month": ds, "p95_gbps": y}))
    return pd.concat(rows, ignore_index=True)


def inputs_for(hist: pd.DataFrame, sites: pd.DataFrame, ai: pd.DataFrame | None = None) -> Inputs:
    empty = pd.DataFrame()
    ai = ai if ai is not None else pd.DataFrame({"site_id": [], "year": [], "ai_it_mw": []})
    return Inputs(sites, ai, empty, empty, empty, hist)


def scenario(**kw) -> Scenario:
    base = {"name": "t", "start_year": 2026, "horizon_years": 3, "budget_usd_total": 1e6}
    return Scenario(**{**base, **kw})


# --- known answers ------------------------------------------------------------------------


def test_exact_exponential_growth_is_recovered():
    y = 100.0 * 1.02 ** np.arange(24)
    out = forecast_frame(long_frame({"a": y}), h=12)
    expected = 100.0 * 1.02 ** np.arange(24, 36)
    np.testing.assert_allclose(out["p50"], expected, rtol=1e-9)
    np.testing.assert_allclose(out["p95"], expected, rtol=1e-6)  # no noise, no spread
    assert out["model"].iloc[0] in ("ets_drift", "ets_trend")


def test_flat_series_stays_flat():
    out = forecast_frame(long_frame({"a": np.full(24, 50.0)}), h=36)
    for col in ("mean", "p50", "p90", "p95"):
        np.testing.assert_allclose(out[col], 50.0, rtol=1e-12)
    assert set(out["model"]) == {"ets_flat"}


def test_all_zero_series_forecasts_zero():
    out = forecast_frame(long_frame({"z": np.zeros(12), "a": np.full(12, 5.0)}), h=3)
    z = out[out["unique_id"] == "z"]
    assert (z[["mean", "p50", "p90", "p95"]] == 0).all().all()
    assert set(z["model"]) == {"zero"}


def test_concentrated_initial_states_match_a_direct_filter_run():
    """The 2x2 least-squares initial states give exactly the SSE of a filter started there,
    and moving them away only increases it (they are the optimum)."""
    rng = np.random.default_rng(1)
    z = np.log(100) + 0.01 * np.arange(30) + rng.normal(0, 0.05, (6, 30))
    z[0, :5] = np.nan  # late start
    z[1, 10] = np.nan  # gap
    obs, act, first = M._masks(z)
    centre = z[np.arange(6), first]
    zc = np.where(obs > 0, z - centre[:, None], 0.0)
    grid = M.make_grid()
    col = (slice(None), None)
    sums = M._grid_sums(zc, obs, act, obs, act, grid.alpha[col], grid.beta[col], grid.phi[col])
    l0, b0, sse = M._solve_init(sums, grid.family > 0)
    for g in (0, 12, 60, len(grid) - 1):
        p = [np.full(6, v[g]) for v in (grid.alpha, grid.beta, grid.phi)]
        direct, *_ = M._run_filter(z, *p, l0[g] + centre, b0[g])
        np.testing.assert_allclose(direct, sse[g], atol=1e-9)
        moved, *_ = M._run_filter(z, *p, l0[g] + centre + 0.02, b0[g])
        assert (moved > direct).all()


def test_prediction_variance_matches_hand_formula():
    """Holt: sigma_h^2 = sigma^2 (1 + sum_{j<h} (alpha + beta j)^2)."""
    fit = M.ETSFit(
        family=np.array([M.FAMILIES.index("ets_trend")]),
        alpha=np.array([0.5]),
        beta=np.array([0.1]),
        phi=np.array([1.0]),
        l0=np.zeros(1),
        b0=np.zeros(1),
        level=np.array([2.0]),
        trend=np.array([0.1]),
        sigma=np.array([0.2]),
        n_obs=np.array([24]),
        gap=np.array([0]),
        aicc=np.zeros((1, len(M.FAMILIES))),
    )
    mu, sd = M.predict_log(fit, np.array([1, 3]))
    np.testing.assert_allclose(mu, [[2.1, 2.3]])
    np.testing.assert_allclose(sd[0, 0], 0.2)
    np.testing.assert_allclose(sd[0, 1], 0.2 * np.sqrt(1 + 0.6**2 + 0.7**2))


def test_damped_cumulative_phi():
    np.testing.assert_allclose(
        M.cum_phi(np.array([0.5]), np.array([1, 2, 3])), [[0.5, 0.75, 0.875]]
    )
    np.testing.assert_allclose(M.cum_phi(np.array([1.0]), np.array([1, 4])), [[1, 4]])


def test_model_selection_prefers_trend_for_noisy_growth_and_flat_for_noise():
    rng = np.random.default_rng(7)
    t = np.arange(48)
    grow = 100 * np.exp(0.03 * t + rng.normal(0, 0.01, 48))
    noise = 100 * np.exp(rng.normal(0, 0.05, 48))
    f = ETSForecaster().fit(long_frame({"g": grow, "n": noise}))
    p = f.params().set_index("unique_id")
    assert p.loc["g", "model"] in ("ets_drift", "ets_trend", "ets_damped")
    assert p.loc["g", "trend"] == pytest.approx(0.03, abs=0.005)
    assert p.loc["n", "model"] == "ets_flat"


def test_short_series_gets_shrunk_pooled_trend():
    """A 5-month series borrows the growth of the long ones instead of staying flat."""
    long = {f"l{i}": 100 * 1.03 ** np.arange(36) for i in range(4)}
    short = {"s": np.array([50.0, 51.0, 50.5, 51.5, 51.0])}
    df = pd.concat([long_frame(long), long_frame(short, start="2026-08-01")])
    f = ETSForecaster().fit(df)
    p = f.params().set_index("unique_id")
    assert p.loc["s", "model"] == "ets_pooled"
    assert 0.0 < p.loc["s", "trend"] < np.log(1.03)
    out = f.predict(12)
    s = out[out["unique_id"] == "s"]
    assert s["p50"].iloc[-1] > 55.0


def test_fit_predict_equals_one_call_path():
    rng = np.random.default_rng(3)
    series = {
        f"p{i}": 100 * np.exp(0.01 * np.arange(30) + rng.normal(0, 0.05, 30)) for i in range(20)
    }
    series["short"] = np.array([10.0, 11.0, 12.0])
    df = long_frame(series)
    df = df.drop(index=[5, 40]).reset_index(drop=True)  # gaps
    one = forecast_frame(df, h=14, quantiles=(0.5, 0.8, 0.9, 0.95))
    two = ETSForecaster(quantiles=(0.5, 0.8, 0.9, 0.95)).fit(df).predict(14)
    pd.testing.assert_frame_equal(one, two)
    threaded = forecast_frame(df, h=14, quantiles=(0.5, 0.8, 0.9, 0.95), n_jobs=2, chunk=4)
    pd.testing.assert_frame_equal(one, threaded)


def test_ragged_series_are_aligned_and_stale_series_get_wider_intervals():
    """Same 18 values: "a" ends in the last month, "b" stopped 6 months earlier."""
    y = 100 * np.exp(np.random.default_rng(0).normal(0, 0.05, 18))
    df = pd.concat([long_frame({"a": y}, start="2024-07-01"), long_frame({"b": y})])
    out = ETSForecaster().fit(df).predict(1).set_index("unique_id")
    a, b = out.loc["a"], out.loc["b"]
    assert a["ds"] == b["ds"] == pd.Timestamp("2026-01-01")
    assert a["model"] == b["model"]
    assert (b["p95"] / b["p50"]) > (a["p95"] / a["p50"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.lists(
        st.lists(st.floats(0, 1e4, allow_nan=False), min_size=3, max_size=30),
        min_size=1,
        max_size=6,
    ),
    growth=st.floats(0.2, 3.0),
    q=st.lists(st.floats(0.01, 0.99), min_size=1, max_size=4),
)
def test_quantiles_never_cross_and_are_never_negative(data, growth, q):
    hist = history({(f"A{i}", f"B{i}"): np.array(y) for i, y in enumerate(data)})
    ids = sorted(set(hist["site_a"]) | set(hist["site_b"]))
    sites = sites_frame([(s, 40.0, -80.0 + i, "cloud_region") for i, s in enumerate(ids)])
    sc = scenario(start_year=2025, horizon_years=5, growth=growth)
    out = forecast(inputs_for(hist, sites), sc, quantiles=tuple(q))
    qcols = sorted(
        [c for c in out.columns if c.startswith("p") and c.endswith("_gbps")],
        key=lambda c: float(c[1:-5].replace("_", ".")),
    )
    vals = out[qcols].to_numpy()
    assert (vals >= 0).all() and np.isfinite(vals).all()
    assert (np.diff(vals, axis=1) >= 0).all()
    assert (out["mean_gbps"] >= 0).all()
    assert len(out) == len(data) * 5


def test_growth_scaling_is_monotone_in_the_multiplier():
    d = np.array([-1.0, -0.1, 0.0, 0.2, 2.0])
    lo, mid, hi = (scale_growth(d, g) for g in (0.5, 1.0, 1.5))
    assert (lo <= mid).all() and (mid <= hi).all()
    np.testing.assert_allclose(mid, d)
    np.testing.assert_allclose(hi[3:], 1.5 * d[3:])


def test_growth_scenarios_order_every_row():
    rng = np.random.default_rng(2)
    pairs = {
        ("A", "B"): 100 * np.exp(0.02 * np.arange(24) + rng.normal(0, 0.03, 24)),
        ("A", "C"): 100 * np.exp(-0.01 * np.arange(24) + rng.normal(0, 0.03, 24)),
    }
    sites = sites_frame([("A", 40, -80, "cloud_region"), ("B", 41, -81, "cloud_region"),
                         ("C", 39, -79, "cloud_region")])  # fmt: skip
    inp = inputs_for(history(pairs), sites)
    out = {g: forecast(inp, scenario(growth=g)) for g in ("low", "base", "high", 2.0)}
    for col in ("p50_gbps", "p90_gbps", "p95_gbps"):
        assert (out["low"][col] <= out["base"][col] + 1e-9).all()
        assert (out["base"][col] <= out["high"][col] + 1e-9).all()
        assert (out["high"][col] <= out[2.0][col] + 1e-9).all()


def test_output_contract_and_demand_for():
    y = 100.0 * 1.01 ** np.arange(24)
    hist = history({("B", "A"): y})  # non-canonical on purpose
    sites = sites_frame([("A", 40, -80, "cloud_region"), ("B", 41, -81, "cloud_region")])
    sc = scenario(demand_quantile=0.975)
    out = forecast(inputs_for(hist, sites), sc)
    assert list(out.columns) == [
        "site_a", "site_b", "year", "mean_gbps", "p50_gbps", "p90_gbps", "p95_gbps",
        "p97_5_gbps", "model", "capped", "cap_reason",
    ]  # fmt: skip
    assert not out["capped"].any() and (out["cap_reason"] == "").all()
    assert (out["site_a"] == "A").all() and out["year"].tolist() == [2026, 2027, 2028]
    # December of each year: months since 2024-01 = 35, 47, 59
    np.testing.assert_allclose(out["p50_gbps"], 100 * 1.01 ** np.array([35, 47, 59]), atol=1e-3)
    d = demand_for(out, sc)
    assert list(d.columns) == ["site_a", "site_b", "year", "demand_gbps"]
    np.testing.assert_allclose(d["demand_gbps"], out["p97_5_gbps"])
    # a quantile the table lacks is derived from p50/p90 (lognormal) and sits in between
    d80 = demand_for(out, scenario(demand_quantile=0.8))
    assert (d80["demand_gbps"] >= out["p50_gbps"] - 1e-6).all()
    assert (d80["demand_gbps"] <= out["p90_gbps"] + 1e-6).all()


# --- bad input ----------------------------------------------------------------------------


def _sites_ab() -> pd.DataFrame:
    return sites_frame([("A", 40, -80, "cloud_region"), ("B", 41, -81, "cloud_region"),
                        ("C", 42, -82, "cloud_region")])  # fmt: skip


def test_pair_with_one_month_is_a_clear_input_error():
    hist = history({("A", "B"): np.arange(1.0, 13.0), ("A", "C"): np.array([5.0])})
    with pytest.raises(InputError) as e:
        forecast(inputs_for(hist, _sites_ab()), scenario())
    (p,) = e.value.problems
    assert p.path == "demand_history.csv" and p.column == "month"
    assert p.row == 14  # header + 12 rows of A-B, then A-C on line 14
    assert "A-C has 1 month" in p.message and ">= 3" in p.message


def test_nan_and_negative_values_name_the_line_and_column():
    hist = history({("A", "B"): np.arange(1.0, 13.0)})
    hist.loc[3, "p95_gbps"] = np.nan
    hist.loc[7, "p95_gbps"] = -2.0
    with pytest.raises(InputError) as e:
        forecast(inputs_for(hist, _sites_ab()), scenario())
    got = {(p.row, p.column) for p in e.value.problems}
    assert got == {(5, "p95_gbps"), (9, "p95_gbps")}
    assert any("got -2, expected >= 0" in p.message for p in e.value.problems)
    assert all(p.path == "demand_history.csv" for p in e.value.problems)


def test_line_column_is_used_when_the_loader_kept_it():
    hist = history({("A", "B"): np.array([1.0, 2.0])})
    hist["_line"] = [10, 11]
    with pytest.raises(InputError) as e:
        check_history(hist)
    assert e.value.problems[0].row == 10


def test_missing_columns_duplicates_and_self_pairs():
    with pytest.raises(InputError) as e:
        check_history(pd.DataFrame({"site_a": ["A"], "site_b": ["B"]}))
    assert {p.column for p in e.value.problems} == {"month", "p95_gbps"}
    dup = history({("A", "B"): np.arange(1.0, 5.0)})
    dup = pd.concat([dup, dup.iloc[[0]].rename(columns={"site_a": "site_b", "site_b": "site_a"})])
    with pytest.raises(InputError, match="duplicate month 2024-01 for pair A-B"):
        check_history(dup.reset_index(drop=True))
    loop = history({("A", "A"): np.arange(1.0, 5.0)})
    with pytest.raises(InputError, match="expected two different sites"):
        check_history(loop)


def test_estimator_rejects_bad_frames():
    with pytest.raises(ValueError, match="missing columns"):
        ETSForecaster().fit(pd.DataFrame({"unique_id": [1], "ds": [MONTHS[0]]}))
    bad = long_frame({"a": np.array([1.0, -1.0, 2.0])})
    with pytest.raises(ValueError, match=">= 0"):
        forecast_frame(bad, 3)
    with pytest.raises(RuntimeError, match="fit"):
        ETSForecaster().predict(3)
