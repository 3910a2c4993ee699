"""CLI commands forecast / backtest / ingest, the backtest table and the samples ingest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from planner.commands.forecast import backtest_cmd, forecast_cmd, ingest_cmd
from planner.errors import InputError
from planner.forecast.backtest import COLUMNS, backtest, naive_scale, pair_scores
from planner.forecast.ingest import monthly_p95
from planner.io import read_inputs
from planner.io.samples import read_samples
from tests.test_forecast import history, inputs_for, sites_frame

# --- forecast command -------------------------------------------------------------------


def test_forecast_command_writes_the_table(tiny_dir: Path, tmp_path: Path):
    out = tmp_path / "run"
    r = CliRunner().invoke(
        forecast_cmd,
        [
            "--inputs",
            str(tiny_dir),
            "--scenario",
            str(tiny_dir / "scenarios/base.yaml"),
            "--out",
            str(out),
        ],  # fmt: skip
    )
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out / "forecast.csv")
    assert list(df.columns) == [
        "site_a", "site_b", "year", "mean_gbps", "p50_gbps", "p90_gbps", "p95_gbps", "model",
        "capped", "cap_reason",
    ]  # fmt: skip
    assert (df["site_a"] < df["site_b"]).all()
    assert sorted(df["year"].unique()) == [2027, 2028, 2029]
    pairs = df[["site_a", "site_b"]].drop_duplicates()
    assert len(df) == len(pairs) * 3
    # 4 history pairs + NAL-ATL (campus NAL, no history) from the gravity model
    grav = df[df["model"] == "gravity"]
    assert set(grav["site_a"] + "-" + grav["site_b"]) == {"ATL-NAL"}
    assert (df["p50_gbps"] <= df["p90_gbps"]).all() and (df["p90_gbps"] <= df["p95_gbps"]).all()
    assert "4 pairs with history" in r.output and "1 new pairs" in r.output
    assert not list(out.glob(".*.tmp"))  # atomic write left no temp file


def test_forecast_command_bad_history_raises_input_error(tiny_dir: Path, tmp_path: Path):
    h = tiny_dir / "demand_history.csv"
    h.write_text(h.read_text() + "ASH,CHI,2024-01,5.0\nATL,CHI,2026-10,10.0\n")
    r = CliRunner().invoke(
        forecast_cmd,
        [
            "--inputs",
            str(tiny_dir),
            "--scenario",
            str(tiny_dir / "scenarios/base.yaml"),
            "--out",
            str(tmp_path / "o"),
        ],  # fmt: skip
    )
    assert r.exit_code != 0
    assert isinstance(r.exception, InputError)
    (p,) = r.exception.problems
    n_lines = len(h.read_text().splitlines())
    assert p.row == n_lines and p.column == "month" and "ATL-CHI has 1 month" in p.message
    assert not (tmp_path / "o" / "forecast.csv").exists()


def test_forecast_command_through_the_main_group(tiny_dir: Path, tmp_path: Path):
    """Registered on `planner`: InputError becomes one red line and exit code 2."""
    from planner.cli import main

    if "forecast" not in main.commands:
        pytest.fail("planner.commands.forecast was not registered on the main group")
    h = tiny_dir / "demand_history.csv"
    h.write_text(h.read_text() + "ATL,CHI,2026-10,10.0\n")
    r = CliRunner().invoke(
        main,
        [
            "forecast",
            "--inputs",
            str(tiny_dir),
            "--scenario",
            str(tiny_dir / "scenarios/base.yaml"),
            "--out",
            str(tmp_path / "o"),
        ],  # fmt: skip
    )
    assert r.exit_code == 2
    assert "demand_history.csv" in r.output and "Traceback" not in r.output


# --- backtest -----------------------------------------------------------------------------


def test_backtest_known_answer_on_exact_growth():
    """Noiseless exponential growth: the forecast is exact, baselines are not."""
    t = np.arange(36)
    hist = history({("A", "B"): 100 * 1.02**t, ("A", "C"): 50 * 1.01**t})
    sites = sites_frame([("A", 40, -80, "cloud_region"), ("B", 41, -81, "cloud_region"),
                         ("C", 42, -82, "cloud_region")])  # fmt: skip
    df = backtest(inputs_for(hist, sites), horizons=(6, 12))
    assert list(df.columns) == list(COLUMNS)
    auto = df[df["model"] == "auto"].set_index("horizon_months")
    assert auto.loc[6, "pairs"] == 2 and auto.loc[12, "pairs"] == 2
    assert auto["mase"].max() < 1e-6 and auto["smape_pct"].max() < 1e-6
    assert (auto["cover_p90"] == 1.0).all()
    drift = df[df["model"] == "drift"].set_index("horizon_months")
    assert (drift["mase"] > 0.01).all()
    assert set(df["model"]) >= {"auto", "snaive", "drift"}


def test_pair_scores_by_hand():
    actual = np.array([[10.0, 20.0, np.nan]])
    p50 = np.array([[12.0, 20.0, 99.0]])
    p90 = np.array([[9.0, 25.0, 99.0]])  # 10 > 9 is a miss, 20 <= 25 a hit
    s = pair_scores(actual, p50, p90, p90, scale=np.array([4.0]))
    assert s["mase"][0] == pytest.approx((2 + 0) / 2 / 4)
    assert s["smape"][0] == pytest.approx((200 * 2 / 22 + 0) / 2)
    assert s["under_p90"][0] == 1 and s["n"][0] == 2
    np.testing.assert_allclose(
        naive_scale(np.array([[1.0, 3.0, np.nan, 4.0], [2, 2, 2, 2]])), [2.0, np.nan]
    )


def test_backtest_command_prints_and_writes(tiny_dir: Path, tmp_path: Path):
    out = tmp_path / "bt.csv"
    r = CliRunner().invoke(
        backtest_cmd, ["--inputs", str(tiny_dir), "--horizons", "3,6", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert "| 3 | auto |" in r.output and "| 6 | drift |" in r.output
    df = pd.read_csv(out)
    assert set(df["horizon_months"]) == {3, 6}
    r = CliRunner().invoke(backtest_cmd, ["--inputs", str(tiny_dir), "--horizons", "6,x"])
    assert r.exit_code == 2 and "expected months like 6,12" in r.output
    r = CliRunner().invoke(backtest_cmd, ["--inputs", str(tiny_dir), "--horizons", "40"])
    assert isinstance(r.exception, InputError) and "leaves fewer than 3 months" in str(r.exception)


def test_backtest_reads_the_validated_tiny_inputs(tiny_dir: Path):
    df = backtest(read_inputs(tiny_dir), horizons=(6,))
    auto = df[df["model"] == "auto"].iloc[0]
    assert auto["pairs"] == 4 and auto["cover_p90"] >= 0.0


# --- ingest -------------------------------------------------------------------------------


def _write_samples(path: Path, rows: list[tuple[str, str, str, float]]) -> Path:
    pd.DataFrame(rows, columns=["timestamp", "site_a", "site_b", "gbps"]).to_csv(path, index=False)
    return path


def test_ingest_p95_merges_directions_and_uses_nearest_rank(tmp_path: Path):
    ts = pd.date_range("2025-01-01", "2025-02-01", freq="5min", inclusive="left")
    n = len(ts)  # 8928 samples in January
    up = np.arange(n, dtype=float)  # B->A ramps 0..n-1
    down = np.full(n, 5000.0)  # A->B constant; max per timestamp = max(up, 5000)
    rows = [(t.isoformat(), "B", "A", u) for t, u in zip(ts, up, strict=True)]
    rows += [(t.isoformat(), "A", "B", d) for t, d in zip(ts, down, strict=True)]
    p = _write_samples(tmp_path / "s.csv", rows)
    hist, dropped = monthly_p95(read_samples(p, chunksize=5000))
    assert dropped.empty
    merged = np.sort(np.maximum(up, down))
    expected = merged[int(np.ceil(0.95 * n)) - 1]
    assert hist.to_dict("records")[0] | {} == {
        "site_a": "A", "site_b": "B", "month": "2025-01", "p95_gbps": expected,
        "samples": n, "coverage": 1.0,
    }  # fmt: skip


def test_ingest_drops_thin_months_and_assigns_months_in_the_time_zone(tmp_path: Path):
    jan = pd.date_range("2025-01-01", "2025-02-01", freq="1h", inclusive="left")
    feb = pd.date_range("2025-02-01", periods=24, freq="1h")  # one day of February
    rows = [(t.strftime("%Y-%m-%d %H:%M"), "A", "B", 10.0) for t in jan.append(feb)]
    rows.append(("2025-03-01 02:00", "A", "C", 7.0))  # a single sample
    p = _write_samples(tmp_path / "s.csv", rows)
    hist, dropped = monthly_p95(read_samples(p))
    assert hist["month"].tolist() == ["2025-01"]
    assert dropped[["site_a", "site_b", "month"]].to_numpy().tolist() == [
        ["A", "B", "2025-02"],
        ["A", "C", "2025-03"],
    ]
    assert "coverage 4% < 50%" in dropped["reason"].iloc[0]
    # 2025-03-01 02:00 UTC is still February in New York
    rows_tz = [("2025-03-01T02:00:00Z", "A", "C", 7.0), ("2025-03-01T03:00:00Z", "A", "C", 9.0)]
    s = read_samples(_write_samples(tmp_path / "t.csv", rows_tz), tz="America/New_York")
    assert set(s.month % 12 + 1) == {2}


def test_ingest_command_end_to_end_and_round_trip(tmp_path: Path, tiny_dir: Path):
    ts = pd.date_range("2025-01-01", "2025-04-01", freq="1h", inclusive="left")
    rng = np.random.default_rng(0)
    rows = [(str(int(t.timestamp())), "NAL", "ASH", float(v)) for t, v in
            zip(ts, rng.uniform(0, 100, len(ts)), strict=True)]  # fmt: skip
    p = _write_samples(tmp_path / "s.csv", rows)
    out = tmp_path / "inputs" / "demand_history.csv"
    r = CliRunner().invoke(ingest_cmd, [str(p), "--out", str(out)])
    assert r.exit_code == 0, r.output
    h = pd.read_csv(out)
    assert list(h.columns) == ["site_a", "site_b", "month", "p95_gbps"]
    assert h["month"].tolist() == ["2025-01", "2025-02", "2025-03"]
    assert (h["site_a"] == "ASH").all() and "3 pair-months kept" in r.output
    # the written file is a valid demand_history.csv for the validator
    (tiny_dir / "demand_history.csv").write_text(out.read_text())
    assert len(read_inputs(tiny_dir).demand_history) == 3


def test_ingest_bad_rows_name_line_and_column(tmp_path: Path):
    rows = [
        ("2025-01-01T00:00:00Z", "A", "B", 1.0),
        ("not a time", "A", "B", 1.0),
        ("2025-01-01T00:10:00Z", "A", "B", -3.0),
        ("2025-01-01T00:15:00Z", "A", "A", 1.0),
    ]
    p = _write_samples(tmp_path / "s.csv", rows)
    r = CliRunner().invoke(ingest_cmd, [str(p), "--out", str(tmp_path / "h.csv")])
    assert r.exit_code != 0 and isinstance(r.exception, InputError)
    got = {(q.row, q.column) for q in r.exception.problems}
    assert got == {(3, "timestamp"), (4, "gbps"), (5, "site_b")}
    with pytest.raises(InputError, match="missing required column"):
        read_samples(_write_samples_cols(tmp_path / "c.csv"))
    with pytest.raises(InputError, match="unknown time zone"):
        read_samples(p, tz="Mars/Olympus")
    with pytest.raises(InputError, match="missing file"):
        read_samples(tmp_path / "nope.csv")
    ms = tmp_path / "ms.csv"
    ms.write_text("timestamp,site_a,site_b,gbps\n1735689600000,A,B,1\n")
    with pytest.raises(InputError, match="not milliseconds"):
        read_samples(ms)


def _write_samples_cols(path: Path) -> Path:
    path.write_text("time,site_a,site_b,gbps\n2025-01-01,A,B,1\n")
    return path


def test_ingest_warns_for_each_dropped_month(tmp_path: Path):
    ts = pd.date_range("2025-01-01", "2025-02-01", freq="1h", inclusive="left")
    rows = [(t.isoformat(), "A", "B", 1.0) for t in ts] + [("2025-02-01T00:00:00", "A", "B", 1.0)]
    p = _write_samples(tmp_path / "s.csv", rows)
    r = CliRunner().invoke(ingest_cmd, [str(p), "--out", str(tmp_path / "h.csv")])
    assert r.exit_code == 0
    assert "warning: A-B 2025-02: dropped" in r.output  # stderr is part of output in click 8.2
