"""Calendar-month seasonality on the log scale, estimated once and removed before the ETS fit.

Why: traffic has a yearly cycle (summer lull, year-end peaks), often shared by every pair (the
shipped history grows 1-2 % a month in spring and 4-7 % in autumn). A non-seasonal trend
fitted across it forecasts the wrong level for the held-out months, all pairs in the same
direction, which neither MASE nor a pooled interval calibration can repair.

Classical decomposition, vectorised over all pairs (Hyndman & Athanasopoulos, FPP3 3.4):

1. ``r_t = z_t - MA_2x12(z)_t`` on the (burst-cleaned) log series, where the centred moving
   average has all 13 points.
2. ``S_i(m)``: mean of ``r`` by calendar month, centred to sum 0; ``k_i`` its number of years
   (fewest residuals in any month).
3. Common profile ``P(m)``: mean of ``S_i`` over pairs with ``k_i >= 1``, kept only if it is
   significant (chi-square on 11 df at 0.1 %, from its standard errors), else 0.
4. A pair's own profile is kept when it is significant by the same test on its own residual
   variance (``k_i >= 2``), shrunk toward the common one with weight ``k_i / (k_i + 1)``;
   other pairs (short, or no evidence of their own) take the common profile.

The forecast adds ``S_i`` of the target month back. The calibration refits see the series
with the common profile removed, and with the pair's own profile removed too only from
training lengths at which a pair could have one (``OWN_MIN_MONTHS``), so short histories are
calibrated on errors that still contain the seasonality they will not be corrected for. The
indices are estimated on the full history (a mild optimism, visible in the benchmark).
"""

from __future__ import annotations

import warnings

import numpy as np

PERIOD = 12
#: chi-square(11) 99.9 % point: a seasonal profile must beat noise at 0.1 % (heavy tails and
#: bursts make the Gaussian test anti-conservative; at 1 % bursty pairs got false seasons)
CHI2_11_99 = 31.264
#: prior weight (years) of the common profile in a pair's own one
SHRINK_YEARS = 1.0
#: an own profile needs two years of MA residuals: 12 + 2 x 12 months of history
OWN_MIN_YEARS = 2
OWN_MIN_MONTHS = 12 * (OWN_MIN_YEARS + 1)


def _centred_ma(z: np.ndarray) -> np.ndarray:
    """2x12 centred moving average; NaN unless all 13 points are observed."""
    n, t_len = z.shape
    out = np.full(z.shape, np.nan)
    if t_len < PERIOD + 1:
        return out
    w = np.r_[0.5, np.ones(PERIOD - 1), 0.5] / PERIOD
    win = np.lib.stride_tricks.sliding_window_view(z, PERIOD + 1, axis=1)  # (N, T-12, 13)
    out[:, PERIOD // 2 : t_len - PERIOD // 2] = win @ w  # NaN propagates: full windows only
    return out


def _nanmean(a: np.ndarray, axis: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(a, axis=axis)


def seasonal_profile(z: np.ndarray, months: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, 12) additive log seasonal index by calendar month (0 = January; zeros if none) and
    the (12,) common profile alone (what a pair without enough years of its own gets)."""
    z = np.asarray(z, dtype=float)
    n = len(z)
    cal = np.asarray(months, dtype=np.int64) % PERIOD
    r = z - _centred_ma(z)
    ok = np.isfinite(r)
    onehot = cal[None, :] == np.arange(PERIOD)[:, None]  # (12, T)
    k = (ok[:, None, :] & onehot[None]).sum(axis=2)  # (N, 12)
    sums = np.where(ok, r, 0.0) @ onehot.T.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = sums / k
    years = k.min(axis=1)
    has = years >= 1
    raw = np.where(has[:, None], raw - _nanmean(raw, axis=1)[:, None], 0.0)
    raw = np.nan_to_num(raw)
    fitted = np.where(ok, r - raw[:, cal], np.nan)
    var = _nanmean(fitted**2, axis=1)
    out = np.zeros((n, PERIOD))
    common = np.zeros(PERIOD)
    if has.sum() >= 3:
        mean = raw[has].mean(axis=0)
        se2 = raw[has].var(axis=0, ddof=1) / has.sum()
        if (mean**2 / np.maximum(se2, 1e-12)).sum() > CHI2_11_99:
            common = mean - mean.mean()
            out[:] = common
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = (raw**2 * k / var[:, None]).sum(axis=1)
    own = (years >= OWN_MIN_YEARS) & np.isfinite(stat) & (stat > CHI2_11_99)
    w = (years / (years + SHRINK_YEARS))[:, None]
    out = np.where(own[:, None], w * raw + (1 - w) * out, out)
    return out - out.mean(axis=1, keepdims=True), common
