"""Robustness of the per-pair fit: winsorised bursts, a volatility measure, a plausible cap.

Why: measured backbone traffic has bursts (a pair jumps six-fold for two points and falls
back), level shifts and outliers. A least-squares ETS fit lets one burst set the trend, and a
trend extrapolated for five years turns a burst into a P95 of 10^7 Gbps. Three defences:

1. ``clean_log``: a Hampel filter on the detrended log series. ``u_t = z_t - m t`` with ``m``
   the median log change (so a steady exponential is not an outlier); a point further than
   ``K_SIGMA`` robust sd (1.4826 MAD of ``u - median_5(u)``) from the running median of 5
   (3 at the ends) is winsorised to that bound. A spike of 1-2 points is pulled in; a level
   shift (the new level lasts) moves the running median and stays.
2. ``volatility``: 1.4826 MAD of the one-month log changes, the scale that groups pairs for
   the interval calibration (``calibrate``).
3. ``plausible_cap``: no forecast above ``headroom x history max x growth^(years ahead) x
   MW factor`` (growth scenario applied to the exponent), where the MW factor is the gravity
   elasticity applied to the announced MW at the pair's ends. Values above are capped and the
   row is flagged with the reason, so a planner sees which numbers were clipped and why.
"""

from __future__ import annotations

import warnings

import numpy as np

K_SIGMA = 5.0
WINDOW = 5
#: scale floor (log units): an exact exponential has residuals ~1e-15 and nothing to clean
SCALE_FLOOR = 1e-3
MAD_TO_SD = 1.4826


def _nanmedian(a: np.ndarray, axis: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows give NaN, on purpose
        return np.nanmedian(a, axis=axis)


def clean_log(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Winsorised copy of ``z`` (N, T; NaN = missing) and the mask of changed points."""
    z = np.asarray(z, dtype=float)
    n, t_len = z.shape
    if n == 0 or t_len < 3:
        return z.copy(), np.zeros(z.shape, dtype=bool)
    m = _nanmedian(np.diff(z, axis=1), axis=1)
    m = np.where(np.isfinite(m), m, 0.0)
    u = z - m[:, None] * np.arange(t_len)[None, :]
    half = WINDOW // 2
    pad = np.pad(u, ((0, 0), (half, half)), constant_values=np.nan)
    win = np.lib.stride_tricks.sliding_window_view(pad, WINDOW, axis=1)
    med = _nanmedian(win, axis=2)
    # at the two ends use a window of 3 centred on the neighbour, not a 1-2 point window
    for t, lo in ((0, 0), (t_len - 1, max(t_len - 3, 0))):
        med[:, t] = _nanmedian(u[:, lo : lo + 3], axis=1)
    resid = u - med
    scale = MAD_TO_SD * _nanmedian(np.abs(resid), axis=1)
    scale = np.maximum(np.where(np.isfinite(scale), scale, 0.0), SCALE_FLOOR)
    bound = K_SIGMA * scale[:, None]
    with np.errstate(invalid="ignore"):
        out_mask = np.abs(resid) > bound
    clipped = med + np.clip(resid, -bound, bound)
    cleaned = np.where(out_mask, clipped + m[:, None] * np.arange(t_len)[None, :], z)
    return cleaned, out_mask


def volatility(z: np.ndarray) -> np.ndarray:
    """Robust sd of one-step log changes per row (NaN-aware; 0 when undefined)."""
    z = np.asarray(z, dtype=float)
    if z.shape[1] < 2:
        return np.zeros(len(z))
    d = np.diff(z, axis=1)
    c = _nanmedian(d, axis=1)
    v = MAD_TO_SD * _nanmedian(np.abs(d - c[:, None]), axis=1)
    return np.where(np.isfinite(v), v, 0.0)


def plausible_cap(
    hist_max: np.ndarray,
    steps: np.ndarray,
    growth: float,
    growth_per_year: float,
    headroom: float,
    log_mw_factor: np.ndarray | None = None,
) -> np.ndarray:
    """Cap (raw units) per series and horizon: (N,) history max x (H,) months ahead -> (N, H).

    ``log_mw_factor`` (N, H) is the log of the MW-driven growth of the pair (>= 0 counts).
    """
    steps = np.asarray(steps, dtype=float)
    log_cap = (
        np.log(np.maximum(headroom, 1.0))
        + growth * np.log(growth_per_year) * steps[None, :] / 12.0
        + np.zeros((len(hist_max), 1))
    )
    if log_mw_factor is not None:
        log_cap = log_cap + growth * np.maximum(log_mw_factor, 0.0)
    with np.errstate(divide="ignore"):
        return np.exp(np.minimum(np.log(np.maximum(hist_max, 0.0))[:, None] + log_cap, 700.0))


def cap_reasons(
    value: np.ndarray, cap: np.ndarray, hist_max: np.ndarray, months: np.ndarray, column: str
) -> list[str]:
    """One line per capped value (only the capped rows are passed: a handful, not all pairs)."""
    return [
        f"{column} {v:.4g} above the cap {c:.4g} (history max {m:.4g} x headroom x growth "
        f"over {k:g} months x MW driver)"
        for v, c, m, k in zip(value, cap, hist_max, months, strict=True)
    ]
