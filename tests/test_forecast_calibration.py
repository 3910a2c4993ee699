"""Calibrated intervals, robust fits and the plausible cap (issue 16)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from planner.forecast import ETSForecaster, ForecastConfig, forecast
from planner.forecast.robust import clean_log, plausible_cap
from tests.test_forecast import history, inputs_for, scenario, sites_frame


def held_out_family(n: int, horizon: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """A family no constant was chosen on: random walk with drift, t(3) noise, rare 3x
    bursts, histories of 5-48 months; returns (training frame, actuals, history lengths)."""
    rng = np.random.default_rng(seed)
    lengths = rng.choice([5, 6, 8, 10, 12, 18, 24, 36, 48], n)
    t_len = int(lengths.max()) + horizon
    drift = rng.normal(0.01, 0.01, n)[:, None]
    steps = rng.normal(0, 1, (n, t_len)) * rng.uniform(0.01, 0.05, n)[:, None]
    z = np.log(rng.lognormal(4, 1, n))[:, None] + (drift + steps).cumsum(axis=1)
    z += rng.standard_t(3, (n, t_len)) * rng.uniform(0.02, 0.08, n)[:, None]
    z += (rng.random((n, t_len)) < 0.02) * np.log(3)
    y = np.exp(z)
    start = t_len - horizon - lengths
    ii, jj = np.nonzero(np.arange(t_len - horizon)[None, :] >= start[:, None])
    ds = pd.date_range("2018-01-01", periods=t_len, freq="MS")
    df = pd.DataFrame({"unique_id": ii, "ds": ds[jj], "y": y[ii, jj]})
    return df, y[:, t_len - horizon :], lengths


@pytest.mark.parametrize("seed", [11, 12])
def test_coverage_holds_on_a_held_out_family(seed: int):
    """600 series x 12 months per seed: binomial noise of the pooled coverage is ~0.01, the
    bands (0.85-0.95, 0.90-0.98) are the issue's targets."""
    df, act, lengths = held_out_family(600, 12, seed)
    out = ETSForecaster().fit(df).predict(12)
    p90 = out["p90"].to_numpy().reshape(-1, 12)
    p95 = out["p95"].to_numpy().reshape(-1, 12)
    assert 0.85 <= (act <= p90).mean() <= 0.95
    assert 0.90 <= (act <= p95).mean() <= 0.98
    short = lengths <= 8
    assert 0.83 <= (act[short] <= p90[short]).mean() <= 0.97  # fewer series: wider band


def test_textbook_intervals_are_what_the_calibration_fixes():
    """The same family with the lognormal ETS formula: coverage falls outside the band
    (so the test above can fail), which is the reason for the calibration."""
    df, act, _ = held_out_family(600, 12, 11)
    out = ETSForecaster(calibrate=False).fit(df).predict(12)
    p90 = out["p90"].to_numpy().reshape(-1, 12)
    assert not 0.85 <= (act <= p90).mean() <= 0.95


def test_short_histories_get_wider_intervals_than_long_ones():
    """Growth differs by pair: a 5-month history cannot tell its own growth from noise, so
    its 12-month-ahead interval must be wider than a 48-month one's."""
    rng = np.random.default_rng(5)
    series = {}
    for i in range(120):
        n = 5 if i % 2 else 48
        g = rng.normal(0.01, 0.02)
        series[f"s{i}"] = 100 * np.exp(g * np.arange(n) + rng.normal(0, 0.05, n))
    rows = [
        pd.DataFrame({"unique_id": k, "ds": pd.date_range(end="2026-06-01", periods=len(v),
                      freq="MS"), "y": v})
        for k, v in series.items()
    ]  # fmt: skip
    f = ETSForecaster().fit(pd.concat(rows, ignore_index=True))
    out = f.predict(12)
    ratio = (out["p95"] / out["p50"]).to_numpy().reshape(-1, 12)
    short = np.arange(120) % 2 == 1
    assert np.median(ratio[short, 11]) > 1.2 * np.median(ratio[~short, 11])
    assert np.median(ratio[short, 0]) > np.median(ratio[~short, 0])
    p = f.params().set_index("unique_id")
    assert (p.loc[[f"s{i}" for i in range(1, 120, 2)], "model"] == "ets_pooled").all()


def test_an_isolated_burst_is_winsorised_and_a_level_shift_is_kept():
    z = np.log(np.full((2, 24), 100.0)) + np.random.default_rng(0).normal(0, 0.02, (2, 24))
    z[0, 10] += np.log(6)  # one-month burst
    z[1, 12:] += np.log(3)  # level shift that lasts
    cleaned, changed = clean_log(z)
    assert changed[0, 10] and cleaned[0, 10] < z[0, 10] - 1.0
    assert not changed[1, 13:].any()
    np.testing.assert_allclose(cleaned[1, 14:], z[1, 14:])


def _burst_inputs() -> tuple:
    """Pair A-B is steady at ~7 Gbps then jumps 6x in its last two months; A-C grows 50 %
    a month (implausible for 5 years); A-D is ordinary."""
    rng = np.random.default_rng(3)
    burst = np.r_[7 * np.exp(rng.normal(0, 0.05, 10)), 42.0, 45.0]
    rocket = 10 * 1.5 ** np.arange(12)
    calm = 50 * np.exp(0.01 * np.arange(12) + rng.normal(0, 0.03, 12))
    hist = history({("A", "B"): burst, ("A", "C"): rocket, ("A", "D"): calm}, start="2025-01-01")
    sites = sites_frame([(s, 40 + i, -80 - i, "cloud_region") for i, s in enumerate("ABCD")])
    return inputs_for(hist, sites), hist


def test_implausible_forecasts_are_capped_and_flagged_with_the_reason():
    inp, hist = _burst_inputs()
    cfg = ForecastConfig()
    out = forecast(inp, scenario(start_year=2026, horizon_years=5), config=cfg)
    y_max = hist.groupby("site_b")["p95_gbps"].max()
    months = (out["year"].to_numpy() - 2025) * 12  # origin 2025-12 -> Decembers
    cap = plausible_cap(y_max[out["site_b"]].to_numpy(), months, 1.0, 2.0, 2.0)
    cap = np.diag(cap)  # one (pair, horizon) per row
    for col in ("mean_gbps", "p50_gbps", "p90_gbps", "p95_gbps"):
        assert (out[col].to_numpy() <= cap * (1 + 1e-6)).all()
    rocket = out[out["site_b"] == "C"]
    assert rocket["capped"].all()
    assert rocket["cap_reason"].str.contains("above the cap").all()
    burst = out[out["site_b"] == "B"]
    assert burst["p50_gbps"].max() < 2 * 45.0  # the jump does not become a trend
    assert burst["p95_gbps"].max() <= 45.0 * 2.0 * 2.0**5  # at most the cap, nowhere near 1e7
    flagged = out["capped"].to_numpy()
    assert (out.loc[~flagged, "cap_reason"] == "").all()
    assert "capped at a plausible bound" in " ".join(out.attrs["forecast"]["notes"])
    assert out.attrs["forecast"]["pairs_capped"] == out.loc[flagged, "site_b"].nunique()


def test_forecast_config_is_strict():
    with pytest.raises(ValidationError, match="calibrat"):
        ForecastConfig(calibrat=False)
    with pytest.raises(ValidationError):
        ETSForecaster(min_months=2)
    with pytest.raises(ValidationError):
        ForecastConfig(models=("ets_seasonal",))


def test_the_report_names_capped_pairs():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from planner.report.plot_demand import forecast_fan, forecast_pairs

    inp, hist = _burst_inputs()
    out = forecast(inp, scenario(start_year=2026, horizon_years=5))
    fig = forecast_fan(hist, out)
    texts = " ".join(t.get_text() for t in fig.texts)
    assert "Capped at a plausible bound" in texts and "A\u2013C 2026\u20132030" in texts
    fig2 = forecast_pairs(hist, out, n=3)
    titles = " ".join(t.get_text() for ax in fig2.axes for t in ax.texts)
    assert "capped" in titles
    plt.close("all")


def test_a_seasonal_pattern_shared_by_pairs_is_forecast():
    """40 pairs share a +-20 % yearly cycle on top of their own growth: the forecast repeats
    the cycle (a non-seasonal trend would miss every month by up to 20 %)."""
    rng = np.random.default_rng(8)
    t = np.arange(48)
    season = 0.2 * np.sin(2 * np.pi * t / 12)
    rows, future = [], []
    for i in range(40):
        z = np.log(rng.uniform(50, 500)) + 0.01 * t + season + rng.normal(0, 0.01, 48)
        ds = pd.date_range("2022-01-01", periods=36, freq="MS")
        rows.append(pd.DataFrame({"unique_id": i, "ds": ds, "y": np.exp(z[:36])}))
        future.append(np.exp(z[36:]))
    df = pd.concat(rows, ignore_index=True)
    truth = np.array(future)
    on = ETSForecaster().fit(df).predict(12)["p50"].to_numpy().reshape(40, 12)
    off = ETSForecaster(seasonal=False).fit(df).predict(12)["p50"].to_numpy().reshape(40, 12)
    err_on = np.abs(np.log(on / truth)).mean()
    err_off = np.abs(np.log(off / truth)).mean()
    assert err_on < 0.03 < 0.1 < err_off
