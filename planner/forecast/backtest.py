"""Rolling-origin backtest: how wrong were we, and how often did demand beat the P90?

Why: a forecast that sizes nine-figure purchases must show its track record. For each horizon
H (default 6 and 12 months) the history is cut H months before its end, the production model
(:func:`planner.forecast.history_paths`, same selection, MW adjustment and gravity fit, growth
``base``) is refitted on what is left, and months 1..H are compared with what happened.

Metrics (per pair, then averaged over pairs; coverage pooled over all pair-months):

- MASE = mean |actual - p50| / mean |y_t - y_{t-1}| (in-sample one-step naive MAE, raw
  Gbps). < 1 beats the in-sample naive forecast; pairs with a constant history are left out.
- sMAPE = mean 200 |actual - p50| / (|actual| + |p50|), in percent (0 when both are 0).
- cover_p90 / cover_p95 = share of actual months at or below the forecast P90 / P95 (one-sided:
  capacity is sized to the upper quantile). Well calibrated: 0.90 / 0.95.

Rows: ``auto`` (our per-pair selected model over all pairs), one row per winning model, and
the baselines ``snaive`` (seasonal naive, m = 12) and ``drift`` (random walk with drift) on the
raw scale with their textbook normal intervals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.forecast.demand import SEP, check_history, history_paths
from planner.forecast.estimator import apply_cap, month_number
from planner.forecast.models import baseline_forecast, z_score
from planner.forecast.options import ForecastConfig
from planner.tables import Inputs

COLUMNS = ("horizon_months", "model", "pairs", "mase", "smape_pct", "cover_p90", "cover_p95")
BASELINES = ("snaive", "drift")
TOL = 1e-9  # float slack: an exact forecast of a noiseless series counts as covered


def naive_scale(y: np.ndarray) -> np.ndarray:
    """In-sample mean absolute one-step change per row (NaN-aware); NaN when undefined."""
    d = np.abs(np.diff(y, axis=1))
    n = np.isfinite(d).sum(axis=1)
    s = np.where(n > 0, np.nansum(d, axis=1) / np.maximum(n, 1), np.nan)
    return np.where(s > 0, s, np.nan)


def pair_scores(
    actual: np.ndarray, p50: np.ndarray, p90: np.ndarray, p95: np.ndarray, scale: np.ndarray
) -> dict[str, np.ndarray]:
    """Per-pair MASE, sMAPE and counts of actuals under P90/P95; (N, H) inputs, NaN = missing."""
    ok = np.isfinite(actual)
    n = ok.sum(axis=1)
    a = np.where(ok, actual, 0.0)
    err = np.where(ok, np.abs(a - p50), 0.0)
    den = np.abs(a) + np.abs(p50)
    with np.errstate(divide="ignore", invalid="ignore"):
        sm = np.where(ok & (den > 0), 200.0 * err / np.where(den > 0, den, 1.0), 0.0)
        nn = np.maximum(n, 1)
        return {
            "n": n,
            "mase": np.where(n > 0, err.sum(axis=1) / nn / scale, np.nan),
            "smape": np.where(n > 0, sm.sum(axis=1) / nn, np.nan),
            "under_p90": (ok & (a <= p90 * (1 + TOL) + TOL)).sum(axis=1),
            "under_p95": (ok & (a <= p95 * (1 + TOL) + TOL)).sum(axis=1),
        }


def summarise(scores: dict[str, np.ndarray], horizon: int, model: str) -> dict:
    """One table row from per-pair scores (pairs without any actual are ignored)."""
    has = scores["n"] > 0
    points = max(int(scores["n"][has].sum()), 1)
    mase = scores["mase"][has]
    mase = mase[np.isfinite(mase)]
    return {
        "horizon_months": horizon,
        "model": model,
        "pairs": int(has.sum()),
        "mase": float(mase.mean()) if len(mase) else np.nan,
        "smape_pct": float(np.nanmean(scores["smape"][has])) if has.any() else np.nan,
        "cover_p90": float(scores["under_p90"][has].sum() / points),
        "cover_p95": float(scores["under_p95"][has].sum() / points),
    }


def _subset(scores: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[mask] for k, v in scores.items()}


def split_matrix(hist: pd.DataFrame, horizon: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Training rows, raw training matrix (pairs x months) and actuals (pairs x horizon).

    Pairs are ordered like :func:`history_paths` orders them (by ``site_a, site_b``).
    """
    m = month_number(hist["month"])
    m_last = int(m.max())
    cut = m_last - horizon
    key = (hist["site_a"] + SEP + hist["site_b"]).to_numpy()
    train_mask = m <= cut
    train_keys = np.unique(key[train_mask])
    idx = pd.Index(train_keys)
    m0 = int(m[train_mask].min()) if train_mask.any() else cut
    y = np.full((len(train_keys), cut - m0 + 1), np.nan)
    act = np.full((len(train_keys), horizon), np.nan)
    rows = idx.get_indexer(key)
    keep = rows >= 0
    tm = keep & train_mask
    y[rows[tm], m[tm] - m0] = hist["p95_gbps"].to_numpy()[tm]
    em = keep & ~train_mask
    act[rows[em], m[em] - cut - 1] = hist["p95_gbps"].to_numpy()[em]
    return hist[train_mask], y, act


def backtest(
    inputs: Inputs,
    horizons: tuple[int, ...] = (6, 12),
    config: ForecastConfig | None = None,
    baselines: tuple[str, ...] = BASELINES,
) -> pd.DataFrame:
    """Backtest table with :data:`COLUMNS`; raises InputError on bad history."""
    cfg = config or ForecastConfig()
    hist = check_history(inputs.demand_history, cfg.min_months)
    n_months = int(month_number(hist["month"]).max() - month_number(hist["month"]).min() + 1)
    rows: list[dict] = []
    for h in sorted(set(int(x) for x in horizons)):
        if h < 1 or h > n_months - cfg.min_months:
            raise ValueError(
                f"horizon {h} months leaves fewer than {cfg.min_months} months to fit "
                f"({n_months} months of history)"
            )
        train, y, act = split_matrix(hist, h)
        counts = np.isfinite(y).sum(axis=1)
        ok = (counts >= cfg.min_months) & np.isfinite(act).any(axis=1)
        if not ok.any():
            continue
        keys = (train["site_a"] + SEP + train["site_b"]).to_numpy()
        train = train[np.isin(keys, np.unique(keys)[ok])]
        y, act = y[ok], act[ok]
        m_cut = int(month_number(train["month"]).max())
        targets = m_cut + np.arange(1, h + 1)
        hp = history_paths(train, inputs.sites, inputs.ai_buildout, targets, cfg, 1.0)
        q, _, _ = apply_cap(hp.quantiles(), hp.cap, hp.y_max, np.arange(1, h + 1))
        scale = naive_scale(y)
        sc = pair_scores(act, q["p50"], q["p90"], q["p95"], scale)
        rows.append(summarise(sc, h, "auto"))
        for name in sorted(set(hp.model)):
            rows.append(summarise(_subset(sc, hp.model == name), h, name))
        for b in baselines:
            f, sd = baseline_forecast(y, h, b)
            p50 = np.maximum(f, 0.0)
            p90 = np.maximum(f + z_score(0.9) * sd, 0.0)
            p95 = np.maximum(f + z_score(0.95) * sd, 0.0)
            rows.append(summarise(pair_scores(act, p50, p90, p95, scale), h, b))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def format_table(df: pd.DataFrame) -> str:
    """Plain-text (markdown) table; the CLI prints it, the benchmark writes it."""
    head = "| " + " | ".join(COLUMNS) + " |"
    sep = "|" + "|".join("---" for _ in COLUMNS) + "|"
    lines = [head, sep]
    for r in df.itertuples(index=False):
        d = r._asdict()
        lines.append(
            f"| {d['horizon_months']} | {d['model']} | {d['pairs']} | {d['mase']:.3f} | "
            f"{d['smape_pct']:.2f} | {d['cover_p90']:.3f} | {d['cover_p95']:.3f} |"
        )
    return "\n".join(lines)
