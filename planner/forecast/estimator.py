"""The one way in: ``ETSForecaster().fit(df).predict(h)`` (statsforecast style).

Why a class: the same robust fit, calibration and cap serve the library API (long frames
``unique_id, ds, y``), the production forecast (:func:`planner.forecast.forecast`, through
:meth:`ETSForecaster.fit_matrix`) and the backtest, so there is one fit/predict protocol and
one set of numbers. :func:`forecast_frame` is the same thing in one call.

Steps of :meth:`ETSForecaster.fit_matrix`: log matrix -> bursts winsorised
(:func:`planner.forecast.robust.clean_log`) -> vectorised ETS selection
(:func:`planner.forecast.models.fit_ets`) -> interval calibration from rolling-origin refits
of the same pipeline (:mod:`planner.forecast.calibrate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from planner.config import quantile_column
from planner.forecast.calibrate import Calibration, calibrate, prior_calibration, scale
from planner.forecast.models import (
    MAX_LOG,
    ETSFit,
    fit_ets,
    pooled_values,
    predict_log,
    z_score,
)
from planner.forecast.options import BASE_QUANTILES, ForecastConfig
from planner.forecast.robust import cap_reasons, clean_log, plausible_cap, volatility
from planner.forecast.seasonal import OWN_MIN_MONTHS, PERIOD, seasonal_profile

#: values below this share of a series' median positive value are floored before the log
ZERO_FLOOR_SHARE = 0.01
#: significant digits kept in output Gbps (0.001 Gbps rounding turned small pairs into 0)
SIG_DIGITS = 6
Aggregate = Literal["error", "p95", "max", "mean"]


@dataclass
class SeriesMatrix:
    """Series aligned on a common monthly grid (log scale) plus what is needed to undo it."""

    ids: np.ndarray  # (N,) unique ids in output order
    months: np.ndarray  # (T,) month index (12 * year + month - 1)
    z: np.ndarray  # (N, T) log values, NaN = missing; all-zero series are 0 (masked later)
    all_zero: np.ndarray  # (N,) series with no positive value: forecast 0
    y_max: np.ndarray  # (N,) largest raw value (the cap is tied to it)


def month_number(ds: pd.Series) -> np.ndarray:
    ds = pd.DatetimeIndex(pd.to_datetime(ds))
    return (ds.year.to_numpy() * 12 + ds.month.to_numpy() - 1).astype(np.int64)


def month_start(m: np.ndarray) -> pd.DatetimeIndex:
    m = np.asarray(m, dtype=np.int64)
    return pd.to_datetime(
        pd.DataFrame({"year": m // 12, "month": m % 12 + 1, "day": np.ones_like(m)})
    )


def round_sig(v: np.ndarray, digits: int = SIG_DIGITS) -> np.ndarray:
    """Round to ``digits`` significant digits (0 stays 0)."""
    v = np.asarray(v, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.floor(np.log10(np.abs(v)))
    dec = np.clip(np.where(np.isfinite(mag), digits - 1 - mag, 0.0), -300, 12)  # 1e-12 Gbps
    f = 10.0**dec
    return np.where(v != 0, np.round(v * f) / f, v)


def to_matrix(df: pd.DataFrame, id_col: str = "unique_id", ds_col: str = "ds") -> SeriesMatrix:
    """Long frame (one row per series and month) -> (N, T) log matrix; zeros floored at 1 %
    of the series' median positive value."""
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
    floor = np.maximum(np.where(all_zero, 1.0, med * ZERO_FLOOR_SHARE), np.finfo(float).tiny)
    with np.errstate(invalid="ignore"):
        z = np.log(np.where(np.isnan(y), np.nan, np.maximum(y, floor[:, None])))
    z = np.where(all_zero[:, None] & np.isfinite(z), 0.0, z)
    y_max = np.where(all_zero, 0.0, np.nanmax(np.where(np.isnan(y), -np.inf, y), axis=1))
    return SeriesMatrix(np.asarray(ids), m0 + np.arange(t_len), z, all_zero, y_max)


def quantile_table(
    mu: np.ndarray,
    offsets: dict[float, np.ndarray],
    zero: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """``mean`` and ``pNN`` arrays (raw scale) from the log median and log quantile offsets.

    The mean is the lognormal mean with the sd implied by the widest upper quantile.
    """
    qs = sorted(offsets)
    top = max(qs)
    s_eff = offsets[top] / z_score(top) if top > 0.5 else np.zeros_like(mu)
    out = {"mean": np.exp(np.minimum(mu + 0.5 * s_eff**2, MAX_LOG))}
    for q in qs:
        name = quantile_column(q).removesuffix("_gbps")
        out[name] = np.exp(np.minimum(mu + offsets[q], MAX_LOG))
    if zero is not None:
        out = {k: np.where(zero, 0.0, v) for k, v in out.items()}
    return out


def lognormal_offsets(sd: np.ndarray, quantiles: tuple[float, ...]) -> dict[float, np.ndarray]:
    """Textbook offsets ``z_q sd`` (new gravity pairs, and the prior of the calibration)."""
    return {q: float(z_score(q)) * sd for q in quantiles}


def aggregate_monthly(df: pd.DataFrame, how: Aggregate) -> pd.DataFrame:
    """One row per series and month; sub-monthly rows are refused or aggregated.

    Why refuse by default: keeping one value of a month silently (the old behaviour) gives a
    P90 equal to the P50. ``p95`` is the nearest-rank 95th percentile (as ``planner ingest``).
    """
    month = month_start(month_number(df["ds"])).to_numpy()
    key = pd.DataFrame({"unique_id": df["unique_id"].to_numpy(), "ds": month})
    dup = key.duplicated(keep=False).to_numpy()
    if not dup.any():
        return df.assign(ds=month)
    if how == "error":
        ex = key[dup].iloc[0]
        raise ValueError(
            f"series {ex['unique_id']!r} has {int(dup.sum())} rows sharing a month (e.g. "
            f"{ex['ds']:%Y-%m}): monthly data expected; aggregate first (planner ingest) or "
            "pass aggregate='p95' (or 'max' / 'mean') to fit()"
        )
    g = key.assign(y=df["y"].to_numpy(dtype=float)).groupby(["unique_id", "ds"], sort=True)["y"]
    if how == "p95":
        out = g.agg(lambda s: np.sort(s.to_numpy())[int(np.ceil(0.95 * len(s))) - 1])
    else:
        out = g.agg(how)
    return out.reset_index()


def _check_long(df: pd.DataFrame) -> None:
    missing = {"unique_id", "ds", "y"} - set(df.columns)
    if missing:
        raise ValueError(f"missing columns {sorted(missing)}; expected unique_id, ds, y")
    if df.duplicated(["unique_id", "ds"]).any():
        raise ValueError("duplicate (unique_id, ds) rows")
    y = df["y"].to_numpy(dtype=float)
    if not np.isfinite(y).all() or (y < 0).any():
        raise ValueError("y must be finite and >= 0")


class ETSForecaster:
    """Robust vectorised ETS (log scale), per-series selection by AICc, calibrated intervals.

    ``fit(df)`` takes a long frame ``unique_id, ds, y`` (monthly, ``y >= 0``);
    ``predict(h)`` returns ``unique_id, ds, mean, p50, p90, p95, ..., model, capped,
    cap_reason``. Options are the fields of :class:`ForecastConfig` (strict: a typo is an
    error), given as ``config=`` or as keywords.
    """

    def __init__(
        self,
        config: ForecastConfig | None = None,
        quantiles: tuple[float, ...] = BASE_QUANTILES,
        **options: object,
    ) -> None:
        base = config.model_dump() if config is not None else {}
        self.config = ForecastConfig(**{**base, **options}) if options else config
        if self.config is None:
            self.config = ForecastConfig()
        self.quantiles = tuple(sorted(set(quantiles)))
        bad = [q for q in self.quantiles if not 0 < q < 1]
        if bad:
            raise ValueError(f"quantiles must be in (0, 1), got {bad}")

    # --- fitting -----------------------------------------------------------------------

    def fit(self, df: pd.DataFrame, aggregate: Aggregate = "error") -> ETSForecaster:
        _check_long(df)
        return self.fit_matrix(to_matrix(aggregate_monthly(df, aggregate)))

    def _fit_z(self, z: np.ndarray, extra_params: int = 0, pool=None) -> ETSFit:
        cfg = self.config
        zc = clean_log(z)[0] if cfg.robust else z
        return fit_ets(
            zc,
            cfg.models,
            chunk=cfg.chunk,
            n_jobs=cfg.n_jobs,
            extra_params=extra_params,
            short_months=cfg.short_months,
            pool=pool,
        )

    def _refit(self, z: np.ndarray, hmax: int) -> tuple[np.ndarray, np.ndarray]:
        """The production pipeline on truncated histories (for the calibration)."""
        return predict_log(self._fit_z(z, pool=self.pool_), np.arange(1, hmax + 1))

    def fit_matrix(self, sm: SeriesMatrix) -> ETSForecaster:
        """Fit every row of a :class:`SeriesMatrix` and calibrate the interval widths."""
        cfg = self.config
        self.matrix_ = sm
        self.season_, common = np.zeros((len(sm.z), PERIOD)), np.zeros(PERIOD)
        if cfg.seasonal and len(sm.z):
            base = clean_log(sm.z)[0] if cfg.robust else sm.z
            self.season_, common = seasonal_profile(base, sm.months)
        z = self.deseasonalised(sm.z)
        self.fit_ = self._fit_z(z)
        self.pool_ = pooled_values(self.fit_)
        self.vol_ = volatility(z)
        self.calibration_: Calibration = prior_calibration()
        if cfg.calibrate and len(z):
            z_short = sm.z - common[sm.months % PERIOD][None, :]
            self.calibration_ = calibrate(
                z_short, self._refit, self.vol_, cfg.calibration_series, self.quantiles,
                z_long=z, long_from=OWN_MIN_MONTHS,
            )  # fmt: skip
        return self

    def deseasonalised(self, z: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """``z`` (rows of the fitted matrix, its months) minus the seasonal index."""
        season = self.season_ if rows is None else self.season_[rows]
        return z - season[:, self.matrix_.months % PERIOD]

    def season_at(self, steps: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Seasonal index (log) of the months ``steps`` after the last column, (N, H)."""
        season = self.season_ if rows is None else self.season_[rows]
        cal = (self.matrix_.months[-1] + np.asarray(steps, dtype=np.int64)) % PERIOD
        return season[:, cal]

    # --- prediction --------------------------------------------------------------------

    def _require_fit(self) -> None:
        if not hasattr(self, "fit_"):
            raise RuntimeError("call fit() before predict()")

    def offsets(
        self,
        sd: np.ndarray,
        steps: np.ndarray,
        quantiles: tuple[float, ...],
        rows: np.ndarray | None = None,
    ) -> dict[float, np.ndarray]:
        """Calibrated log offsets from the median, per quantile, for model sd (N, H).

        ``steps`` (H,) months after the last column; each series' gap is added. ``rows``:
        ``sd`` belongs to these series only (another model fitted to a subset).
        """
        self._require_fit()
        sel = slice(None) if rows is None else rows
        gap, n_obs, vol = self.fit_.gap[sel], self.fit_.n_obs[sel], self.vol_[sel]
        eff = np.asarray(steps, dtype=int)[None, :] + gap[:, None]
        s = scale(sd, vol, eff)
        cal = self.calibration_
        return {q: cal.offsets(n_obs, vol, eff, q) * s for q in quantiles}

    def predict_log(
        self,
        steps: np.ndarray,
        quantiles: tuple[float, ...] | None = None,
        seasonal: bool = True,
    ) -> tuple[np.ndarray, np.ndarray, dict[float, np.ndarray]]:
        """Log median, model sd and calibrated log offsets at ``steps`` months ahead
        (``seasonal=False``: the median without the seasonal index)."""
        self._require_fit()
        mu, sd = predict_log(self.fit_, np.asarray(steps, dtype=int))
        if seasonal:
            mu = mu + self.season_at(steps)
        return mu, sd, self.offsets(sd, steps, tuple(quantiles or self.quantiles))

    def predict(self, h: int, quantiles: tuple[float, ...] | None = None) -> pd.DataFrame:
        self._require_fit()
        sm, cfg = self.matrix_, self.config
        qs = tuple(sorted(set(quantiles or self.quantiles)))
        hs = np.arange(1, h + 1)
        mu, _, off = self.predict_log(hs, qs)
        cols = quantile_table(mu, off, np.repeat(sm.all_zero[:, None], h, axis=1))
        cap = plausible_cap(sm.y_max, hs, 1.0, cfg.cap_growth_per_year, cfg.cap_headroom)
        cols, capped, reason = apply_cap(cols, cap, sm.y_max, hs)
        n = len(sm.ids)
        model = np.where(sm.all_zero, "zero", self.fit_.model)
        return pd.DataFrame(
            {
                "unique_id": np.repeat(sm.ids, h),
                "ds": np.tile(month_start(sm.months[-1] + hs), n),
                **{k: v.ravel() for k, v in cols.items()},
                "model": np.repeat(model, h),
                "capped": capped.ravel(),
                "cap_reason": reason.ravel(),
            }
        )

    def params(self) -> pd.DataFrame:
        """Per-series chosen model, parameters and calibration group (reports, debugging)."""
        self._require_fit()
        f = self.fit_
        lg, vg = self.calibration_.groups(f.n_obs, self.vol_)
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
                "volatility": self.vol_,
                "length_group": lg,
                "volatility_group": vg,
            }
        )


def apply_cap(
    cols: dict[str, np.ndarray], cap: np.ndarray, y_max: np.ndarray, months: np.ndarray
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Clip every column at ``cap`` (N, H); flag and explain the cells that were above it."""
    qcols = [k for k in cols if k != "mean"]
    top = qcols[-1] if qcols else "mean"
    over = np.zeros(cap.shape, dtype=bool)
    for v in cols.values():
        over |= v > cap
    reason = np.full(cap.shape, "", dtype=object)
    ii, jj = np.nonzero(over)
    if len(ii):
        reason[ii, jj] = cap_reasons(
            cols[top][ii, jj], cap[ii, jj], y_max[ii], np.asarray(months)[jj], f"{top}_gbps"
        )
    return {k: np.minimum(v, cap) for k, v in cols.items()}, over, reason


def forecast_frame(
    df: pd.DataFrame,
    h: int,
    quantiles: tuple[float, ...] = BASE_QUANTILES,
    aggregate: Aggregate = "error",
    **options: object,
) -> pd.DataFrame:
    """One call: ``ETSForecaster(quantiles=..., **options).fit(df).predict(h)``."""
    return ETSForecaster(quantiles=quantiles, **options).fit(df, aggregate).predict(h)
