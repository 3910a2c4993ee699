"""statsforecast-style wrapper: long frames ``unique_id, ds, y`` in, quantile frames out.

Why a thin class over :mod:`planner.forecast.models`: callers that forecast many times (the
backtest, sweeps, notebooks) fit once and predict several horizons; the one-call function
:func:`forecast_frame` runs the same pure functions without the object and must give the same
numbers (a test checks it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.config import quantile_column
from planner.forecast.models import (
    CHUNK,
    FAMILIES,
    ETSFit,
    fit_ets,
    lognormal_summary,
    predict_log,
)

#: values below this share of a series' median positive value are floored before the log
ZERO_FLOOR_SHARE = 0.01


@dataclass
class SeriesMatrix:
    """Series aligned on a common monthly grid (log scale) plus what is needed to undo it."""

    ids: np.ndarray  # (N,) unique ids in output order
    months: np.ndarray  # (T,) month index (12 * year + month - 1)
    z: np.ndarray  # (N, T) log values, NaN = missing; all-zero series are 0 (masked later)
    all_zero: np.ndarray  # (N,) series with no positive value: forecast 0


def month_number(ds: pd.Series) -> np.ndarray:
    ds = pd.DatetimeIndex(pd.to_datetime(ds))
    return (ds.year.to_numpy() * 12 + ds.month.to_numpy() - 1).astype(np.int64)


def month_start(m: np.ndarray) -> pd.DatetimeIndex:
    m = np.asarray(m, dtype=np.int64)
    return pd.to_datetime(
        pd.DataFrame({"year": m // 12, "month": m % 12 + 1, "day": np.ones_like(m)})
    )


def to_matrix(df: pd.DataFrame, id_col: str = "unique_id", ds_col: str = "ds") -> SeriesMatrix:
    """Long frame -> (N, T) log matrix; zeros floored at 1 % of the series' median positive."""
    codes, ids = pd.factorize(df[id_col], sort=True)
    m = month_number(df[ds_col])
    m0 = int(m.min()) if len(m) else 0
    t_len = int(m.max()) - m0 + 1 if len(m) else 1
    y = np.full((len(ids), t_len), np.nan)
    y[codes, m - m0] = df["y"].to_numpy(dtype=float)
    pos = np.where(y > 0, y, np.nan)
    all_zero = ~np.isfinite(pos).any(axis=1)
    med = np.ones(len(ids))
    if (~all_zero).any():
        med[~all_zero] = np.nanmedian(pos[~all_zero], axis=1)
    floor = np.where(all_zero, 1.0, med * ZERO_FLOOR_SHARE)
    with np.errstate(invalid="ignore"):
        z = np.log(np.where(np.isnan(y), np.nan, np.maximum(y, floor[:, None])))
    return SeriesMatrix(np.asarray(ids), m0 + np.arange(t_len), z, all_zero)


def quantile_table(
    mu: np.ndarray, sd: np.ndarray, quantiles: tuple[float, ...], zero: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """``mean`` and ``pNN`` arrays (raw scale) from log-scale moments; zero rows forced to 0."""
    mean, qs = lognormal_summary(mu, sd, quantiles)
    out = {"mean": mean, **{quantile_column(q).removesuffix("_gbps"): v for q, v in qs.items()}}
    if zero is not None:
        out = {k: np.where(zero, 0.0, v) for k, v in out.items()}
    return out


def _frame(sm: SeriesMatrix, fit: ETSFit, h: int, quantiles: tuple[float, ...]) -> pd.DataFrame:
    hs = np.arange(1, h + 1)
    mu, sd = predict_log(fit, hs)
    cols = quantile_table(mu, sd, quantiles, np.repeat(sm.all_zero[:, None], h, axis=1))
    n = len(sm.ids)
    model = np.where(sm.all_zero, "zero", fit.model)
    out = pd.DataFrame(
        {
            "unique_id": np.repeat(sm.ids, h),
            "ds": np.tile(month_start(sm.months[-1] + hs), n),
            **{k: v.ravel() for k, v in cols.items()},
            "model": np.repeat(model, h),
        }
    )
    return out


def _check_long(df: pd.DataFrame) -> None:
    missing = {"unique_id", "ds", "y"} - set(df.columns)
    if missing:
        raise ValueError(f"missing columns {sorted(missing)}; expected unique_id, ds, y")
    if df.duplicated(["unique_id", "ds"]).any():
        raise ValueError("duplicate (unique_id, ds) rows")
    y = df["y"].to_numpy(dtype=float)
    if not np.isfinite(y).all() or (y < 0).any():
        raise ValueError("y must be finite and >= 0")


def _fit_matrix(
    sm: SeriesMatrix, models: tuple[str, ...], n_jobs: int, chunk: int, short_months: int
) -> ETSFit:
    z = np.where(sm.all_zero[:, None] & np.isfinite(sm.z), 0.0, sm.z)
    return fit_ets(z, models, chunk=chunk, n_jobs=n_jobs, short_months=short_months)


def forecast_frame(
    df: pd.DataFrame,
    h: int,
    quantiles: tuple[float, ...] = (0.5, 0.9, 0.95),
    models: tuple[str, ...] = FAMILIES,
    n_jobs: int = 1,
    chunk: int = CHUNK,
    short_months: int = 12,
) -> pd.DataFrame:
    """One call: fit every series and forecast months 1..h after the last month in ``df``."""
    _check_long(df)
    sm = to_matrix(df)
    fit = _fit_matrix(sm, models, n_jobs, chunk, short_months)
    return _frame(sm, fit, h, tuple(quantiles))


class ETSForecaster:
    """Vectorised ETS (log scale) with per-series model selection by AICc.

    ``fit(df)`` takes a long frame ``unique_id, ds, y`` (monthly, ``y >= 0``);
    ``predict(h)`` returns ``unique_id, ds, mean, p50, p90, p95, ..., model``.
    """

    def __init__(
        self,
        models: tuple[str, ...] = FAMILIES,
        quantiles: tuple[float, ...] = (0.5, 0.9, 0.95),
        n_jobs: int = 1,
        chunk: int = CHUNK,
        short_months: int = 12,
    ) -> None:
        self.models = tuple(models)
        self.quantiles = tuple(quantiles)
        self.n_jobs = n_jobs
        self.chunk = chunk
        self.short_months = short_months

    def fit(self, df: pd.DataFrame) -> ETSForecaster:
        _check_long(df)
        self.matrix_ = to_matrix(df)
        self.fit_ = _fit_matrix(
            self.matrix_, self.models, self.n_jobs, self.chunk, self.short_months
        )
        return self

    def predict(self, h: int, quantiles: tuple[float, ...] | None = None) -> pd.DataFrame:
        if not hasattr(self, "fit_"):
            raise RuntimeError("call fit() before predict()")
        return _frame(self.matrix_, self.fit_, h, tuple(quantiles or self.quantiles))

    def params(self) -> pd.DataFrame:
        """Per-series chosen model and parameters (for reports and debugging)."""
        f = self.fit_
        return pd.DataFrame(
            {
                "unique_id": self.matrix_.ids,
                "model": np.where(self.matrix_.all_zero, "zero", f.model),
                "alpha": f.alpha,
                "beta": f.beta,
                "phi": f.phi,
                "level": f.level,
                "trend": f.trend,
                "sigma": f.sigma,
                "n_obs": f.n_obs,
            }
        )
