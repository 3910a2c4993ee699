"""Ingest of raw samples and the shared history rules (issue 16): cadence, partial months,
precision, sub-monthly dates in the API, one minimum-history rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from planner.commands.forecast import ingest_cmd
from planner.errors import InputError
from planner.forecast import ETSForecaster, check_history
from planner.forecast.ingest import monthly_p95
from planner.io import read_inputs
from planner.io.samples import read_samples
from planner.schema import MIN_HISTORY_MONTHS


def _write(path: Path, ts: pd.DatetimeIndex, gbps: np.ndarray, a="A", b="B") -> Path:
    df = pd.DataFrame(
        {"timestamp": ts.strftime("%Y-%m-%dT%H:%M:%SZ"), "site_a": a, "site_b": b, "gbps": gbps}
    )
    df.to_csv(path, index=False)
    return path


def _hourly_signal(ts: pd.DatetimeIndex) -> np.ndarray:
    """Traffic constant within each hour, different every hour (a deterministic pattern)."""
    h = ts.floor("h").asi8 // 3_600_000_000_000
    return 10.0 + (h * 7919 % 1000) / 100.0


@pytest.mark.parametrize("freq", ["1min", "5min", "1h"])
def test_any_cadence_gives_the_same_monthly_value(tmp_path: Path, freq: str):
    ts = pd.date_range("2025-01-01", "2025-03-01", freq=freq, inclusive="left")
    hist, dropped = monthly_p95(read_samples(_write(tmp_path / "s.csv", ts, _hourly_signal(ts))))
    hourly = pd.date_range("2025-01-01", "2025-03-01", freq="1h", inclusive="left")
    v = pd.Series(_hourly_signal(hourly), index=hourly)
    want = [np.sort(g)[int(np.ceil(0.95 * len(g))) - 1] for _, g in v.groupby(v.index.month)]
    assert dropped.empty and hist["month"].tolist() == ["2025-01", "2025-02"]
    np.testing.assert_allclose(hist["p95_gbps"], want, rtol=1e-6)
    assert (hist["coverage"] == 1.0).all()


def test_one_minute_samples_are_averaged_into_five_minute_intervals(tmp_path: Path):
    """A 1-minute series that alternates 0 / 20 inside each 5 minutes has 5-minute averages
    of ~10 (the P95 convention), not a P95 of 20."""
    ts = pd.date_range("2025-01-01", "2025-02-01", freq="1min", inclusive="left")
    g = np.where(np.arange(len(ts)) % 2 == 0, 20.0, 0.0)
    hist, _ = monthly_p95(read_samples(_write(tmp_path / "s.csv", ts, g)))
    assert hist["p95_gbps"].iloc[0] == pytest.approx(12.0)  # 3 of 5 minutes at 20 -> 12


def test_directions_sampled_at_offset_times_are_merged_per_interval(tmp_path: Path):
    ts = pd.date_range("2025-01-01", "2025-02-01", freq="5min", inclusive="left")
    up = pd.DataFrame({"timestamp": (ts + pd.Timedelta("1min")).strftime("%Y-%m-%dT%H:%M:%SZ"),
                       "site_a": "B", "site_b": "A", "gbps": 3.0})  # fmt: skip
    down = pd.DataFrame({"timestamp": ts.strftime("%Y-%m-%dT%H:%M:%SZ"), "site_a": "A",
                         "site_b": "B", "gbps": 5.0})  # fmt: skip
    p = tmp_path / "s.csv"
    pd.concat([up, down]).to_csv(p, index=False)
    hist, dropped = monthly_p95(read_samples(p))
    assert dropped.empty
    assert hist[["p95_gbps", "coverage"]].to_numpy().tolist() == [[5.0, 1.0]]


def test_partial_months_rule_and_override_are_in_the_message(tmp_path: Path):
    """Export from 10 Jan to 10 Mar: January (71 %) is kept, March (29 %) is dropped and the
    message names the rule, the export edge and the override."""
    ts = pd.date_range("2025-01-10", "2025-03-10", freq="5min", inclusive="left")
    p = _write(tmp_path / "s.csv", ts, np.full(len(ts), 2.0))
    hist, dropped = monthly_p95(read_samples(p))
    assert hist["month"].tolist() == ["2025-01", "2025-02"]
    (reason,) = dropped["reason"]
    assert "coverage 29% < 50%" in reason and "last month of the export" in reason
    assert "--min-coverage 0.29 keeps it" in reason
    kept, _ = monthly_p95(read_samples(p), min_coverage=0.29)
    assert kept["month"].tolist() == ["2025-01", "2025-02", "2025-03"]


def test_an_export_of_one_day_per_month_explains_how_to_keep_it(tmp_path: Path):
    days = [pd.date_range(f"2025-0{m}-01", periods=288, freq="5min") for m in (1, 2, 3)]
    ts = days[0].append(days[1]).append(days[2])
    p = _write(tmp_path / "s.csv", ts, np.full(len(ts), 1.0))
    r = CliRunner().invoke(ingest_cmd, [str(p), "--out", str(tmp_path / "h.csv")])
    assert isinstance(r.exception, InputError)
    msg = str(r.exception.problems[0])
    assert "--min-coverage 0.5" in msg and "--min-coverage 0.03 to keep them" in msg
    r = CliRunner().invoke(
        ingest_cmd, [str(p), "--out", str(tmp_path / "h.csv"), "--min-coverage", "0.03"]
    )
    assert r.exit_code == 0, r.output


def test_small_values_keep_their_precision(tmp_path: Path):
    ts = pd.date_range("2025-01-01", "2025-02-01", freq="1h", inclusive="left")
    p = _write(tmp_path / "s.csv", ts, np.full(len(ts), 0.000123456789))
    hist, _ = monthly_p95(read_samples(p))
    assert hist["p95_gbps"].iloc[0] == pytest.approx(0.000123457, rel=1e-9)


def test_the_api_refuses_or_aggregates_sub_monthly_dates():
    ds = pd.date_range("2025-01-01", "2025-06-30", freq="D")
    y = np.arange(len(ds), dtype=float) + 1.0
    df = pd.DataFrame({"unique_id": "a", "ds": ds, "y": y})
    with pytest.raises(ValueError, match="monthly data expected"):
        ETSForecaster().fit(df)
    f = ETSForecaster().fit(df, aggregate="p95")
    per_month = pd.Series(y, index=ds).groupby(ds.month)
    want = [np.sort(g)[int(np.ceil(0.95 * len(g))) - 1] for _, g in per_month]
    np.testing.assert_allclose(np.exp(f.matrix_.z[0]), want)
    out = f.predict(3)
    assert (out["p90"] > out["p50"]).all()  # a real interval, not P90 == P50


def test_validate_forecast_and_backtest_share_one_minimum_history(tmp_path: Path, tiny_dir):
    """A pair with MIN_HISTORY_MONTHS - 1 months fails validate with the forecast's message."""
    h = pd.read_csv(tiny_dir / "demand_history.csv")
    pair = h.iloc[0][["site_a", "site_b"]]
    mask = (h["site_a"] == pair["site_a"]) & (h["site_b"] == pair["site_b"])
    keep = h[mask].head(MIN_HISTORY_MONTHS - 1)
    (tiny_dir / "demand_history.csv").write_text(pd.concat([keep, h[~mask]]).to_csv(index=False))
    with pytest.raises(InputError) as e:
        read_inputs(tiny_dir)
    msgs = [p.message for p in e.value.problems]
    assert any(f"expected >= {MIN_HISTORY_MONTHS}" in m for m in msgs)
    hist = pd.concat([keep, h[~mask]]).assign(month=lambda d: pd.to_datetime(d["month"]))
    with pytest.raises(InputError) as e2:
        check_history(hist)
    assert e2.value.problems[0].message in msgs
