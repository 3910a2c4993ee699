"""Synthetic series families for the harder forecast benchmark (bench-only, not a test).

Why two sets: the interval calibration must hold on data it was not designed on. The
``DESIGN`` families (seeds 100-199) were used while choosing the constants of
``planner.forecast.calibrate`` / ``robust``; the ``HELD_OUT`` families (other generators,
seeds 900-999) were run only to report. Every family draws history lengths from
:data:`LENGTHS` (3 months to 6 years), so short histories are always present.

A series is ``exp(level + trend + season + shocks + noise)`` on a monthly grid; the last
``horizon`` points are held out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LENGTHS = np.array([4, 5, 6, 7, 8, 10, 12, 15, 18, 24, 30, 36, 48, 60, 72])


def _growth(rng: np.random.Generator, n: int, t: np.ndarray, damped_share: float) -> np.ndarray:
    g = rng.normal(0.015, 0.015, n)
    damp = np.where(rng.random(n) < damped_share, rng.uniform(0.85, 0.98, n), 1.0)[:, None]
    steps = np.where(damp < 1, damp * (1 - damp**t) / np.where(damp < 1, 1 - damp, 1), t)
    return g[:, None] * steps


def _bursts(rng: np.random.Generator, shape: tuple[int, int], p: float, size: float):
    """Multiplicative bursts lasting 1-3 points (log jump up to ``size``)."""
    start = rng.random(shape) < p
    length = rng.integers(1, 4, shape)
    out = np.zeros(shape)
    for k in range(3):
        on = np.roll(start & (length > k), k, axis=1)
        on[:, :k] = False
        out += on * rng.uniform(0.5, size, shape)
    return np.minimum(out, size)


def family(name: str, n: int, horizon: int, seed: int) -> np.ndarray:
    """(n, T) raw values, NaN before each series' start; the last ``horizon`` columns are
    the held-out future."""
    rng = np.random.default_rng(seed)
    t_len = int(LENGTHS.max()) + horizon
    t = np.arange(t_len)[None, :].astype(float)
    lvl = rng.normal(np.log(200), 1.5, n)[:, None]
    noise_sd = rng.uniform(0.02, 0.12, n)[:, None]
    rw_sd = rng.uniform(0.0, 0.04, n)[:, None]
    z = lvl + _growth(rng, n, t, 0.3)
    z += (rng.normal(0, 1, (n, t_len)) * rw_sd).cumsum(axis=1)
    eps = rng.normal(0, 1, (n, t_len))
    if name == "smooth":  # design
        pass
    elif name == "bursty":  # design: 1-3 point bursts of up to 6x
        z += _bursts(rng, (n, t_len), 0.04, np.log(6))
    elif name == "level_shift":  # design: permanent jumps up or down
        jumps = (rng.random((n, t_len)) < 0.03) * rng.normal(0, 0.5, (n, t_len))
        z += jumps.cumsum(axis=1)
    elif name == "yearly":  # design: yearly seasonality, amplitude 5-30 %
        amp = rng.uniform(0.05, 0.3, n)[:, None]
        z += amp * np.sin(2 * np.pi * (t + rng.integers(0, 12, n)[:, None]) / 12)
    elif name == "heavy_tail":  # design: Student-t noise, 2.5 df
        eps = rng.standard_t(2.5, (n, t_len)) / np.sqrt(2.5 / 0.5)
    elif name == "weekly":  # held out: days standing in for months, weekly cycle
        amp = rng.uniform(0.05, 0.4, n)[:, None]
        z += amp * (np.mod(t + rng.integers(0, 7, n)[:, None], 7) >= 5) * -1.0
    elif name == "regime":  # held out: growth changes at a random point, bursts on top
        k = rng.integers(6, t_len, n)[:, None]
        z += np.where(t > k, rng.normal(0, 0.03, n)[:, None] * (t - k), 0.0)
        z += _bursts(rng, (n, t_len), 0.02, np.log(10))
    elif name == "mixed":  # held out: everything at once, milder each, t(4) noise
        z += _bursts(rng, (n, t_len), 0.02, np.log(4))
        z += ((rng.random((n, t_len)) < 0.015) * rng.normal(0, 0.4, (n, t_len))).cumsum(axis=1)
        z += rng.uniform(0, 0.2, n)[:, None] * np.sin(2 * np.pi * t / 12)
        eps = rng.standard_t(4, (n, t_len)) / np.sqrt(2.0)
    else:
        raise ValueError(name)
    z += eps * noise_sd
    y = np.exp(z)
    length = rng.choice(LENGTHS, n)
    start = t_len - horizon - length
    y[t < start[:, None]] = np.nan
    return y


DESIGN = ("smooth", "bursty", "level_shift", "yearly", "heavy_tail")
HELD_OUT = ("weekly", "regime", "mixed")


def long_frame(y: np.ndarray, horizon: int, prefix: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Training frame ``unique_id, ds, y`` and the held-out actuals (n, horizon)."""
    n, t_len = y.shape
    ds = pd.date_range("2015-01-01", periods=t_len, freq="MS")
    train = y[:, : t_len - horizon]
    ii, jj = np.nonzero(np.isfinite(train))
    ids = np.array([f"{prefix}{i:05d}" for i in range(n)])
    df = pd.DataFrame({"unique_id": ids[ii], "ds": ds[jj], "y": train[ii, jj]})
    return df, y[:, t_len - horizon :]
