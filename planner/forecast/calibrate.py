"""Interval widths learned from the model's own out-of-sample errors (split-conformal style).

Why: the textbook ETS interval assumes the model is right, its parameters known and the
noise Gaussian. On measured traffic none holds (P90 coverage 0.78, 0.59 on 7-point histories,
and far too wide on smooth hourly series). So the widths are measured instead:

1. Rolling origins. Every series (a fixed-seed sample of at most ``calibration_series``) is
   cut after its first L observed months, L in :data:`ORIGIN_LENGTHS`; the production model
   (same cleaning, selection, pooled short-series trend) is refitted on the cut series and
   forecasts h = 1, 2, ... months, compared with the *raw* later values (bursts included).
2. Scaled errors ``e = (z_{L+h} - mu_h) / s_h`` with ``s_h = max(sd_h, vol sqrt(h) / 2)``:
   the model's own lognormal sd, floored by the series' volatility so an exact in-sample fit
   (3 points, a drift model) does not make every later error infinite.
3. Pooling. Errors are grouped by training length (:data:`LENGTH_EDGES`), volatility tercile
   (edges from the series being forecast) and horizon; a group's q-quantile is the empirical
   one shrunk toward a prior with weight ``n / (n + PRIOR_N)``. The prior is the group's value
   at h - 1 (so horizons beyond the data carry the last measured ratio to the model sd) and,
   at h = 1, the next-shorter length group's value, and for the shortest the lognormal
   ``z_q``: with no evidence the formula stands.
4. A series with n months, volatility v and horizon h gets
   ``log p_q = mu_h + qhat(q | group(n, v), h) * s_h``; ``qhat >= 0`` above the median, so
   P50 <= P90 <= P95 always. The P50 itself is the model's median (no shift).

The calibration runs on the data being forecast; the benchmark checks that widths learned this
way hold on held-out generators and seeds (``tests/bench/bench_forecast.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from planner.forecast.models import z_score
from planner.forecast.robust import volatility

#: training lengths (months) of the rolling origins
ORIGIN_LENGTHS = (3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 18, 21, 24, 27, 30, 33, 36, 42, 48, 60, 72,
                  96)  # fmt: skip
#: lower edges of the history-length groups (months)
LENGTH_EDGES = np.array([0, 6, 12, 24])
N_VOL = 3
#: longest horizon measured; later horizons carry its ratio
MAX_H = 60
#: prior weight, in residuals, of the shrinkage toward the prior
PRIOR_N = 30.0
#: quantile levels tabulated; other levels are interpolated on the normal-score scale
Q_GRID = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.925, 0.95,
          0.975, 0.99)  # fmt: skip
SEED = 0
#: residuals (horizon window pooled) a cell needs before it may be narrower than a shorter h
EVIDENCE_N = 200

#: fit(z_train) -> (mu, sd) for horizons 1..h on the log scale, both (N, h)
FitFn = Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]]


def scale(sd: np.ndarray, vol: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Error scale per (series, horizon): the model sd floored by the volatility."""
    floor = 0.5 * vol[:, None] * np.sqrt(np.asarray(steps, dtype=float))
    return np.maximum(sd, floor)


def length_group(n_obs: np.ndarray) -> np.ndarray:
    return np.searchsorted(LENGTH_EDGES, np.asarray(n_obs), side="right") - 1


@dataclass
class Calibration:
    """Scaled-error quantiles per (level, length group, volatility group, horizon)."""

    levels: np.ndarray  # (Q,) increasing
    table: np.ndarray  # (Q, L, V, MAX_H)
    counts: np.ndarray  # (L, V, MAX_H) residuals behind each cell
    vol_edges: np.ndarray  # (N_VOL - 1,) volatility tercile edges

    def groups(self, n_obs: np.ndarray, vol: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return length_group(n_obs), np.searchsorted(self.vol_edges, vol, side="right")

    def offsets(
        self, n_obs: np.ndarray, vol: np.ndarray, steps: np.ndarray, q: float
    ) -> np.ndarray:
        """``qhat`` (N, H) for level q (interpolated on the z scale between tabulated levels)."""
        lg, vg = self.groups(n_obs, vol)
        h = np.clip(np.asarray(steps, dtype=int), 1, self.table.shape[-1]) - 1
        cells = self.table[:, lg[:, None], vg[:, None], h]  # (Q, N, H)
        zl = z_score(self.levels)
        zq = float(z_score(q))
        j = int(np.clip(np.searchsorted(zl, zq), 1, len(zl) - 1))
        gap = zl[j] - zl[j - 1]
        w = float(np.clip((zq - zl[j - 1]) / gap, 0.0, 1.0)) if gap > 0 else 1.0
        out = (1 - w) * cells[j - 1] + w * cells[j]
        if q == 0.5:  # the P50 is the model's median: no bias shift (it cost MASE)
            return np.zeros_like(out)
        if q > 0.5:
            return np.maximum(out, 0.0)
        return np.minimum(out, 0.0)


def prior_calibration(vol_edges: np.ndarray | None = None) -> Calibration:
    """No evidence: every cell is the lognormal ``z_q`` (the textbook interval)."""
    lv = np.array(Q_GRID)
    shape = (len(LENGTH_EDGES), N_VOL, MAX_H)
    table = np.broadcast_to(z_score(lv)[:, None, None, None], (len(lv), *shape)).copy()
    edges = np.zeros(N_VOL - 1) if vol_edges is None else vol_edges
    return Calibration(lv, table, np.zeros(shape, dtype=int), edges)


def _left_align(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows shifted to start at their first value; (aligned matrix, span per row)."""
    n, t_len = z.shape
    obs = np.isfinite(z)
    first = np.where(obs.any(axis=1), obs.argmax(axis=1), t_len)
    src = np.minimum(first[:, None] + np.arange(t_len)[None, :], t_len - 1)
    inside = np.arange(t_len)[None, :] < (t_len - first)[:, None]
    return np.where(inside, z[np.arange(n)[:, None], src], np.nan), t_len - first


def rolling_errors(
    z: np.ndarray,
    fit: FitFn,
    lengths: tuple[int, ...] = ORIGIN_LENGTHS,
    z_long: np.ndarray | None = None,
    long_from: int = 0,
) -> tuple[np.ndarray, ...]:
    """Scaled errors of refits on the first L months: (e, n_train, vol, h) flat arrays.

    ``z`` (N, T) log values, NaN = missing; rows are shifted to start at their first value.
    ``z_long``: the same series as production models them at long histories (own seasonal
    index removed), used for cuts of at least ``long_from`` months.
    """
    z = np.asarray(z, dtype=float)
    t_len = z.shape[1]
    za, span = _left_align(z)
    za_long = _left_align(np.asarray(z_long, dtype=float))[0] if z_long is not None else za
    parts: list[tuple[np.ndarray, ...]] = []
    for cut in lengths:
        src = za_long if cut >= long_from else za
        rows = np.flatnonzero(span > cut)
        if len(rows) == 0:
            continue
        hmax = int(min(MAX_H, span[rows].max() - cut))
        train = src[rows, :cut]
        keep = np.isfinite(train).sum(axis=1) >= 2
        rows, train = rows[keep], train[keep]
        if len(rows) == 0:
            continue
        mu, sd = fit(train, hmax)
        steps = np.arange(1, hmax + 1)
        vol = volatility(train)
        actual = np.full((len(rows), hmax), np.nan)
        stop = min(t_len, cut + hmax)
        actual[:, : stop - cut] = src[rows, cut:stop]
        e = (actual - mu) / np.maximum(scale(sd, vol, steps), 1e-12)
        ok = np.isfinite(e)
        ii, hh = np.nonzero(ok)
        n_train = np.isfinite(train).sum(axis=1)
        parts.append((e[ok], n_train[ii], vol[ii], hh + 1))
    if not parts:
        return tuple(np.zeros(0) for _ in range(4))
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(4))


def calibrate(
    z: np.ndarray,
    fit: FitFn,
    vol_ref: np.ndarray,
    max_series: int,
    levels: tuple[float, ...] = (),
    z_long: np.ndarray | None = None,
    long_from: int = 0,
) -> Calibration:
    """Calibration table from rolling-origin refits of (a fixed-seed sample of) ``z``
    (``z_long`` / ``long_from``: see :func:`rolling_errors`)."""
    lv = np.unique(np.round(np.r_[Q_GRID, levels], 10))
    vol_edges = np.quantile(vol_ref, [k / N_VOL for k in range(1, N_VOL)]) if len(vol_ref) else None
    if len(z) > max_series:
        rows = np.sort(np.random.default_rng(SEED).choice(len(z), max_series, replace=False))
        z = z[rows]
        z_long = z_long[rows] if z_long is not None else None
    e, n_train, vol, h = rolling_errors(z, fit, z_long=z_long, long_from=long_from)
    base = prior_calibration(vol_edges)
    if len(e) == 0:
        return base
    lg, vg = base.groups(n_train, vol)
    n_l, n_v = len(LENGTH_EDGES), N_VOL
    cell = (lg * n_v + vg) * MAX_H + (h - 1)
    counts = np.bincount(cell, minlength=n_l * n_v * MAX_H)
    emp = np.zeros((len(lv), n_l * n_v * MAX_H))
    counts_w = counts.copy()
    order = np.argsort(cell, kind="stable")
    bounds = np.searchsorted(cell[order], np.arange(n_l * n_v * MAX_H + 1))
    for c in np.flatnonzero(counts):
        h0 = c % MAX_H  # pool neighbouring horizons: h +- h // 4 (same length/volatility group)
        w = (h0 + 1) // 4
        lo, hi = c - min(w, h0), c + min(w, MAX_H - 1 - h0)
        emp[:, c] = np.quantile(e[order[bounds[lo] : bounds[hi + 1]]], lv)
        counts_w[c] = bounds[hi + 1] - bounds[lo]
    emp = emp.reshape(len(lv), n_l, n_v, MAX_H)
    counts = counts_w.reshape(n_l, n_v, MAX_H)
    table = np.empty_like(emp)
    zq = z_score(lv)[:, None]
    for li in range(n_l):
        for hi in range(MAX_H):
            if hi > 0:
                prior = table[:, li, :, hi - 1]
            elif li > 0:
                prior = table[:, li - 1, :, 0]
            else:
                prior = np.broadcast_to(zq, (len(lv), n_v))
            n = counts[li, :, hi][None, :]
            table[:, li, :, hi] = (n * emp[:, li, :, hi] + PRIOR_N * prior) / (n + PRIOR_N)
    table = np.maximum.accumulate(table, axis=0)  # monotone in the level, whatever the noise
    # where the evidence is thin, upper quantiles do not narrow with the horizon (lower ones
    # do not rise): a few residuals must not say that further ahead is more certain
    up = lv > 0.5
    mono = table.copy()
    mono[up] = np.maximum.accumulate(table[up], axis=-1)
    mono[~up] = np.minimum.accumulate(table[~up], axis=-1)
    table = np.where(counts[None] >= EVIDENCE_N, table, mono)
    return Calibration(lv, table, counts, base.vol_edges)
