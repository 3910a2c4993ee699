"""Benchmark of the demand forecast: speed at scale and accuracy against statsforecast.

Why a script and not a test: timings depend on the machine. Writes reports/bench/forecast.md.

1. Speed: ``planner.forecast.forecast`` on synthetic inputs of 10,000 pairs x 60 months
   (``--quick``: 2,000 pairs), 1 and 2 threads; wall time and peak memory (tracemalloc of the
   call, in a separate run, and the process peak RSS).
2. Accuracy on the same rolling-origin windows as ``planner backtest`` (last 6 and 12 months
   held out) for a sample of pairs (1,000; quick 200): our production model (``auto``) vs
   statsforecast AutoETS (raw scale, season 12, and on log y), SeasonalNaive(12) and
   RandomWalkWithDrift, all scored by the same code (MASE, sMAPE, one-sided P90/P95 coverage).

Usage: ``.venv/bin/python tests/bench/bench_forecast.py [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from planner.config import Scenario  # noqa: E402
from planner.forecast import ForecastConfig, forecast  # noqa: E402
from planner.forecast.backtest import (  # noqa: E402
    backtest,
    naive_scale,
    pair_scores,
    split_matrix,
    summarise,
)
from planner.forecast.demand import check_history  # noqa: E402
from planner.forecast.models import make_grid  # noqa: E402
from planner.tables import Inputs  # noqa: E402

OUT = ROOT / "reports" / "bench" / "forecast.md"


def synthetic_inputs(n_pairs: int, n_months: int = 60, seed: int = 0) -> Inputs:
    """Pairs with their own growth (some damped, some declining), noise, mild seasonality,
    10 % starting late; 40 AI campuses whose MW ramp drives part of their pairs' traffic."""
    rng = np.random.default_rng(seed)
    n_sites = max(60, int(np.sqrt(n_pairs * 8)))
    ids = [f"S{i:04d}" for i in range(n_sites)]
    campus = np.zeros(n_sites, dtype=bool)
    campus[: min(40, n_sites // 4)] = True
    sites = pd.DataFrame(
        {
            "site_id": ids,
            "name": ids,
            "operator": "op",
            "lat": rng.uniform(26, 48, n_sites),
            "lon": rng.uniform(-122, -70, n_sites),
            "region": "r",
            "kind": np.where(campus, "ai_campus", "cloud_region"),
        }
    )
    start_year = 2026 - n_months // 12
    years = np.arange(start_year, 2032)
    mw0 = rng.uniform(50, 400, campus.sum())
    mw_growth = rng.uniform(0.1, 0.6, campus.sum())
    ai = pd.DataFrame(
        [
            (ids[i], int(y), float(round(mw0[i] * (1 + mw_growth[i]) ** (y - start_year), 1)))
            for i in range(campus.sum())
            for y in years
        ],
        columns=["site_id", "year", "ai_it_mw"],
    )
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < n_pairs:
        a, b = rng.integers(0, n_sites, 2)
        if a != b:
            pairs.add((min(a, b), max(a, b)))
    pa, pb = np.array(sorted(pairs)).T
    t = np.arange(n_months)
    growth = rng.normal(0.012, 0.01, n_pairs)
    damp = np.where(rng.random(n_pairs) < 0.3, rng.uniform(0.9, 0.99, n_pairs), 1.0)
    d = damp[:, None]
    trend = growth[:, None] * np.where(d < 1, (1 - d**t) / np.where(d < 1, 1 - d, 1.0), t)
    rw = rng.normal(0, 0.015, (n_pairs, n_months)).cumsum(axis=1)
    season = 0.03 * np.sin(2 * np.pi * (t - 3) / 12)
    z = np.log(rng.lognormal(5, 1.2, n_pairs))[:, None] + trend + rw + season
    z += rng.normal(0, 0.04, (n_pairs, n_months))
    y = np.exp(z)
    late = rng.random(n_pairs) < 0.1
    start = np.where(late, rng.integers(1, n_months - 12, n_pairs), 0)
    mask = t[None, :] >= start[:, None]
    months = pd.date_range(end="2026-10-01", periods=n_months, freq="MS")
    ii, jj = np.nonzero(mask)
    hist = pd.DataFrame(
        {
            "site_a": np.array(ids)[pa[ii]],
            "site_b": np.array(ids)[pb[ii]],
            "month": months[jj],
            "p95_gbps": np.round(y[ii, jj], 3),
        }
    )
    empty = pd.DataFrame()
    return Inputs(sites, ai, empty, empty, empty, hist)


def core_speed(inputs: Inputs) -> list[tuple[int, float]]:
    """Time of the vectorised ETS alone on the (pairs x months) log matrix."""
    from planner.forecast.estimator import to_matrix
    from planner.forecast.models import fit_ets, predict_log

    h = inputs.demand_history
    sm = to_matrix(
        pd.DataFrame(
            {"unique_id": h["site_a"] + "|" + h["site_b"], "ds": h["month"], "y": h["p95_gbps"]}
        )
    )
    out = []
    for jobs in (1, 2):
        t = time.perf_counter()
        fit = fit_ets(sm.z, n_jobs=jobs)
        predict_log(fit, np.arange(1, 61))
        out.append((jobs, time.perf_counter() - t))
    return out


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def time_forecast(inputs: Inputs, sc: Scenario, jobs: int) -> tuple[float, pd.DataFrame]:
    cfg = ForecastConfig(n_jobs=jobs)
    t = time.perf_counter()
    out = forecast(inputs, sc, config=cfg)
    return time.perf_counter() - t, out


def statsforecast_scores(
    inputs: Inputs, pair_keys: set[str], horizons: tuple[int, ...], jobs: int
) -> tuple[list[dict], dict[str, float]]:
    """AutoETS / SeasonalNaive / RWD on the backtest windows, scored like ``backtest``."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, Naive, RandomWalkWithDrift, SeasonalNaive

    hist = check_history(inputs.demand_history)
    hist = hist[(hist["site_a"] + "|" + hist["site_b"]).isin(pair_keys)]
    rows: list[dict] = []
    secs: dict[str, float] = {}
    for h in horizons:
        train, y, act = split_matrix(hist, h)
        ok = (np.isfinite(y).sum(axis=1) >= 3) & np.isfinite(act).any(axis=1)
        keys = (train["site_a"] + "|" + train["site_b"]).to_numpy()
        good = np.unique(keys)[ok]
        train = train[np.isin(keys, good)]
        y, act = y[ok], act[ok]
        df = pd.DataFrame(
            {
                "unique_id": train["site_a"] + "|" + train["site_b"],
                "ds": train["month"],
                "y": train["p95_gbps"].astype(float),
            }
        )
        scale = naive_scale(y)
        specs = {
            "sf AutoETS (raw, m=12)": ([AutoETS(season_length=12)], df, False),
            "sf AutoETS (log y, m=12)": (
                [AutoETS(season_length=12)],
                df.assign(y=np.log(np.maximum(df["y"], 1e-3))),
                True,
            ),
            "sf SeasonalNaive(12)": ([SeasonalNaive(season_length=12)], df, False),
            "sf RWD (drift)": ([RandomWalkWithDrift()], df, False),
        }
        for name, (models, data, logged) in specs.items():
            t = time.perf_counter()
            # AutoETS refuses series of < 4-ish points: those fall back to Naive (counted)
            sf = StatsForecast(models=models, freq="MS", n_jobs=jobs, fallback_model=Naive())
            fc = sf.forecast(df=data, h=h, level=[80, 90])
            secs[name] = secs.get(name, 0.0) + time.perf_counter() - t
            col = [c for c in fc.columns if c not in ("unique_id", "ds") and "-" not in c][0]
            fc = fc.sort_values(["unique_id", "ds"])
            mat = {
                k: fc[k].to_numpy().reshape(len(good), h)
                for k in (col, f"{col}-hi-80", f"{col}-hi-90")
            }
            if logged:
                mat = {k: np.exp(v) for k, v in mat.items()}
            p50 = np.maximum(mat[col], 0)
            sc = pair_scores(
                act,
                p50,
                np.maximum(mat[f"{col}-hi-80"], 0),
                np.maximum(mat[f"{col}-hi-90"], 0),
                scale,
            )
            rows.append(summarise(sc, h, name))
    return rows, secs


def table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for r in df.itertuples(index=False):
        out.append(
            "| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in r) + " |"
        )
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="2,000 pairs, 200 for accuracy")
    ap.add_argument("--no-statsforecast", action="store_true", help="only our numbers")
    args = ap.parse_args()
    n_pairs, n_acc = (2000, 200) if args.quick else (10_000, 500)
    load0 = os.getloadavg()[0]
    horizons = (6, 12)
    lines = [
        "# Forecast benchmark",
        "",
        f"Machine: 2 cores, 24 GiB RAM (shared), {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}.",
        f"Run: `{' '.join(['python', 'tests/bench/bench_forecast.py', *sys.argv[1:]])}` "
        f"on {time.strftime('%Y-%m-%d %H:%M')}.",
        "",
    ]
    t = time.perf_counter()
    inputs = synthetic_inputs(n_pairs)
    gen_s = time.perf_counter() - t
    n_rows = len(inputs.demand_history)
    sc = Scenario(name="bench", start_year=2027, horizon_years=5, budget_usd_total=1e9)
    rss0 = rss_mib()
    print(f"generated {n_pairs} pairs, {n_rows} rows in {gen_s:.1f} s", flush=True)

    speed = []
    out = None
    for jobs in (1, 2):
        secs, out = time_forecast(inputs, sc, jobs)
        speed.append((jobs, secs))
        print(f"forecast jobs={jobs}: {secs:.2f} s", flush=True)
    core = core_speed(inputs)
    tracemalloc.start()
    forecast(inputs, sc, config=ForecastConfig(n_jobs=1))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    info = out.attrs["forecast"]
    lines += [
        f"## Speed: {n_pairs:,} pairs x 60 months ({n_rows:,} history rows)",
        "",
        "Full `planner.forecast.forecast` (validation, gravity fit, per-pair ETS selection over "
        f"4 families / {len(make_grid())} grid points, MW-adjusted refits, new AI pairs, "
        "output table).",
        "",
        "| threads | wall s | rows out | pairs (history / new) |",
        "|---|---|---|---|",
    ]
    for jobs, secs in speed:
        lines.append(
            f"| {jobs} | {secs:.2f} | {len(out):,} | {info['pairs_history']:,} / "
            f"{info['pairs_new']:,} |"
        )
    lines += [
        "",
        "ETS core alone (`fit_ets` + `predict_log` on the log matrix, all 4 families, no MW "
        "refits): " + ", ".join(f"{j} thread(s) {v:.2f} s" for j, v in core) + ".",
        "",
        f"Peak memory of one call (tracemalloc, numpy buffers included): {peak / 2**20:,.0f} MiB. "
        f"Process peak RSS: {rss_mib():,.0f} MiB (of which {rss0:,.0f} MiB before the first "
        "call: interpreter, pandas, inputs).",
        "",
        f"Models chosen: {', '.join(f'{k} {v:,}' for k, v in sorted(info['models'].items()))}.",
        "",
    ]

    # accuracy on a sample of pairs (statsforecast is far slower; same windows, same scoring)
    rng = np.random.default_rng(1)
    h = check_history(inputs.demand_history)
    keys = np.unique(h["site_a"] + "|" + h["site_b"])
    sample = set(rng.choice(keys, size=min(n_acc, len(keys)), replace=False))
    sub = h[(h["site_a"] + "|" + h["site_b"]).isin(sample)]
    sub_inputs = Inputs(inputs.sites, inputs.ai_buildout, *(pd.DataFrame(),) * 3, sub)
    t = time.perf_counter()
    ours = backtest(sub_inputs, horizons, config=ForecastConfig(n_jobs=2))
    ours_s = time.perf_counter() - t
    ours = ours[ours["model"].isin(["auto", "snaive", "drift"])].copy()
    ours["model"] = ours["model"].map(
        {"auto": "ours auto (ETS+selection)", "snaive": "ours snaive", "drift": "ours drift"}
    )
    rows = ours.to_dict("records")
    sf_secs: dict[str, float] = {}
    sf_note = ""
    try:
        if args.no_statsforecast:
            raise ImportError("--no-statsforecast")
        sf_rows, sf_secs = statsforecast_scores(sub_inputs, sample, horizons, jobs=2)
        rows += sf_rows
    except ImportError as e:
        sf_note = f"statsforecast not run ({e}); only our numbers are reported."
    acc = pd.DataFrame(rows).sort_values(["horizon_months", "model"]).reset_index(drop=True)
    lines += [
        f"## Accuracy: {len(sample):,} sampled pairs, last 6 / 12 months held out",
        "",
        "Same windows and scoring for all rows (`planner.forecast.backtest`). MASE: mean "
        "|actual - P50| over the in-sample one-step naive MAE (lower is better). cover_p90: "
        "share of held-out months at or below the P90 (target 0.900); cover_p95 target 0.950. "
        "statsforecast P90/P95 = upper ends of its 80 % / 90 % intervals.",
        "",
        table(acc),
        "",
        "Fit + forecast time for these pairs, both horizons (2 workers each): "
        f"ours {ours_s:.1f} s (incl. numpy baselines)"
        + "".join(f"; {k} {v:.1f} s" for k, v in sf_secs.items())
        + ".",
        "",
    ]
    if sf_note:
        lines += [sf_note, ""]
    lines += verdict(acc)
    lines += shipped_backtest()
    lines += [
        f"Load average (1 min) at start / end: {load0:.1f} / {os.getloadavg()[0]:.1f} on 2 "
        "cores: other jobs shared the machine, so wall times above are upper bounds.",
        "",
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    print(f"wrote {OUT}")
    return 0


def verdict(acc: pd.DataFrame) -> list[str]:
    """Plain statements of where we win and lose, computed from the table."""
    out = ["## Where we win and where we lose", ""]
    for h, g in acc.groupby("horizon_months"):
        g = g.set_index("model")
        us = g.loc["ours auto (ETS+selection)"]
        for name in g.index:
            if name.startswith("ours"):
                continue
            r = g.loc[name]
            mase = "better" if us["mase"] < r["mase"] else "worse"
            ours_gap = abs(us["cover_p90"] - 0.9)
            their_gap = abs(r["cover_p90"] - 0.9)
            cal = "closer to" if ours_gap < their_gap else "further from"
            out.append(
                f"- H={h}: vs {name}: our MASE {us['mase']:.3f} is {mase} than {r['mase']:.3f}; "
                f"our P90 coverage {us['cover_p90']:.3f} is {cal} 0.90 than {r['cover_p90']:.3f}."
            )
        miss = 1 - us["cover_p90"]
        out.append(
            f"- H={h}: demand exceeded our P90 in {miss:.1%} of held-out months (target 10%)"
            + (": our intervals are too narrow here." if miss > 0.11 else ".")
        )
    out += [
        "- Our model has no seasonal states; on strongly seasonal pairs AutoETS (m=12) can "
        "win. The synthetic series here carry a mild (3 %) seasonal swing.",
        "- The synthetic generator is ours (random-walk + drift / damped trends); the shipped "
        "inputs table below is a second, independent check.",
        "",
    ]
    return out


def shipped_backtest() -> list[str]:
    """``planner backtest`` on the shipped inputs/ (if they validate), for reference."""
    from planner.forecast.backtest import format_table
    from planner.io import read_inputs

    try:
        inputs = read_inputs(ROOT / "inputs")
        df = backtest(inputs, (6, 12))
    except Exception as e:  # noqa: BLE001 - a reference table only
        return [f"(shipped inputs not usable: {e})", ""]
    n = inputs.demand_history[["site_a", "site_b"]].drop_duplicates().shape[0]
    return [
        f"## Backtest on the shipped inputs/ ({n} pairs)",
        "",
        format_table(df),
        "",
    ]


if __name__ == "__main__":
    sys.exit(main())
