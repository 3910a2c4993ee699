"""Pure numpy exponential-smoothing models, fitted to thousands of series at once.

Why hand-written and vectorised: the planner forecasts every site pair (10^4 series) on every
run and inside sweeps; a Python loop calling a per-series optimiser costs minutes. Here every
step of the filter is one numpy operation over *all pairs x all candidate parameters*.

Models (additive error ETS on the log scale, Hyndman et al. 2008, "Forecasting with
exponential smoothing", ch. 2 and 6), for a series ``z_t = log y_t``::

    prediction   zhat_t = l_{t-1} + phi * b_{t-1}
    error        e_t    = z_t - zhat_t
    level        l_t    = zhat_t + alpha * e_t
    trend        b_t    = phi * b_{t-1} + beta * e_t

- ``ets_flat``   (A,N,N): beta = 0, b = 0.            params alpha, l0                (k = 2)
- ``ets_drift``  (A,A,N) with beta = 0, phi = 1: a fixed log-growth per month, the level
  smoothed (SES with drift, i.e. the Theta method). params alpha, l0, b0          (k = 3)
- ``ets_trend``  (A,A,N): phi = 1.                    params alpha, beta, l0, b0      (k = 4)
- ``ets_damped`` (A,Ad,N): phi in {0.85, 0.93, 0.98}.  params alpha, beta, phi, l0, b0 (k = 5)
- ``ets_pooled``: a series with < 12 months is fitted as ``ets_drift`` and its drift shrunk
  toward the median trend of the other series (see ``_pool_short``).

Fitting. For fixed (alpha, beta, phi) the one-step errors are *affine* in the initial states,
``e = e^y + l0 * e^l + b0 * e^b`` (three filter runs: data with zero start, unit level, unit
trend), so the least-squares ``l0, b0`` come from a 2x2 normal equation per series: the initial
states are solved exactly and only (alpha, beta, phi) are searched, on a fixed grid
(``beta = alpha * beta_frac`` keeps ``0 < beta <= alpha``; every grid point is stable).

Selection. Per series and family, the grid point with the least SSE wins; families are compared
by AICc ``n log(SSE/n) + 2(k+1) + 2(k+1)(k+2)/(n-k-2)`` (``+1`` counts sigma), infinite when
``n <= k + 2``; ties go to the simpler family. SSE is floored at ``n * 1e-12`` so an exact fit
(a noiseless exponential) picks the simplest family that is exact.

Forecast (log scale), origin T, horizon h, ``phi_h = phi + ... + phi^h`` (h for ets_trend)::

    mu_h      = l_T + phi_h * b_T
    sigma_h^2 = sigma^2 * (1 + sum_{j=1}^{h-1} c_j^2),   c_j = alpha + beta * phi_j
    sigma^2   = SSE / max(n - k, 1)

so demand is lognormal: ``p_q = exp(mu_h + z_q sigma_h)`` (quantiles never cross),
``mean = exp(mu_h + sigma_h^2 / 2)``. These intervals ignore parameter uncertainty (as does
every ETS implementation) and assume the model is right; production widths are therefore
calibrated on the model's own out-of-sample errors (:mod:`planner.forecast.calibrate`), with
this formula as the prior.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

FAMILIES: tuple[str, ...] = ("ets_flat", "ets_drift", "ets_trend", "ets_damped")
#: free parameters per family (smoothing + initial states), sigma excluded
N_PARAMS = np.array([2, 3, 4, 5])
#: label of series too short for any AICc (see ``fit_ets``); not a selectable family
POOLED = "ets_pooled"
NAMES: tuple[str, ...] = (*FAMILIES, POOLED)
#: Search grid. A 243-point grid (9 x 5 x 4) gave no better backtest (synthetic 1,000 pairs:
#: MASE 1.395 / 1.668 at 6 / 12 months vs 1.390 / 1.647 here) at twice the cost.
ALPHAS = (0.05, 0.1, 0.2, 0.35, 0.55, 0.8, 0.99)
BETA_FRACS = (0.02, 0.1, 0.3, 1.0)
PHIS = (0.85, 0.93, 0.98)
SSE_FLOOR = 1e-12
#: exponent cap (1e9 Gbps): pathological histories must give a huge number, not inf
MAX_LOG = float(np.log(1e9))
#: prior weight (in months) of the pooled trend for short series
SHRINK_MONTHS = 12.0
#: undamped trend (phi = 1) only with at least this many months: with fewer, a burst or a level
#: shift near the end is extrapolated for years; the damped trend is preferred
TREND_MIN_MONTHS = 24
#: Series per batch: (grid x batch) arrays of ~0.5 MB stay in L2 cache (1.5-2x faster than 2048).
CHUNK = 256


@dataclass(frozen=True)
class Grid:
    """Candidate smoothing parameters; ``family[g]`` indexes :data:`FAMILIES`."""

    alpha: np.ndarray
    beta: np.ndarray
    phi: np.ndarray
    family: np.ndarray

    def __len__(self) -> int:
        return len(self.alpha)


def make_grid(families: tuple[str, ...] = FAMILIES) -> Grid:
    """The fixed search grid (126 points for all four families)."""
    rows: list[tuple[float, float, float, int]] = []
    for name in families:
        f = FAMILIES.index(name)
        for a in ALPHAS:
            if name in ("ets_flat", "ets_drift"):
                rows.append((a, 0.0, 1.0, f))
                continue
            for bf in BETA_FRACS:
                for p in (1.0,) if name == "ets_trend" else PHIS:
                    rows.append((a, a * bf, p, f))
    arr = np.array(rows, dtype=float)
    return Grid(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3].astype(int))


@dataclass
class ETSFit:
    """Fitted state of N series (all arrays have length N)."""

    family: np.ndarray  # int index into NAMES
    alpha: np.ndarray
    beta: np.ndarray
    phi: np.ndarray
    l0: np.ndarray
    b0: np.ndarray
    level: np.ndarray  # l_T at the last column of the matrix
    trend: np.ndarray  # b_T
    sigma: np.ndarray  # residual sd, log scale
    n_obs: np.ndarray
    gap: np.ndarray  # months between the last observation and the last column
    aicc: np.ndarray  # (N, len(FAMILIES)), inf where a family was not fitted

    @property
    def model(self) -> np.ndarray:
        return np.array(NAMES, dtype=object)[self.family]


def _masks(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """obs (observed), act (on or after the first observation) as float; first index."""
    obs = np.isfinite(z)
    first = np.where(obs.any(axis=1), obs.argmax(axis=1), z.shape[1])
    act = np.arange(z.shape[1])[None, :] >= first[:, None]
    return obs.astype(float), act.astype(float), first


def _grid_sums(
    zc: np.ndarray,
    obs: np.ndarray,
    act: np.ndarray,
    uobs: np.ndarray,
    uact: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
    phi: np.ndarray,
    lengths: np.ndarray | None = None,
) -> tuple[np.ndarray, ...]:
    """Sums of error products for every (grid point, series).

    ``zc`` (N, T) centred data with 0 where missing; ``uobs/uact`` the masks of the unit-response
    filters, shape (U, T) with U = 1 (all series share one pattern) or U = N. Parameters are
    (G, 1) or (G, N). Returns S_yy, S_yl, S_yb (G, N) and S_ll, S_lb, S_bb (G, U).
    ``lengths``: rows are left-aligned, observed exactly on columns ``0 .. lengths-1``, and the
    shared unit filter is fully observed; its sums are then read at each row's length (G, N).
    The filter is carried as (prediction, trend): ``zhat_{t+1} = zhat_t + alpha e_t + phi b_t``.
    """
    n, t_len = zc.shape
    g = max(alpha.shape[0], 1)
    u = uobs.shape[0]
    pred = np.zeros((g, n))
    b = np.zeros((g, n))
    upred = np.zeros((2, g, u))
    ub = np.zeros((2, g, u))
    upred[0] = 1.0  # unit level: zhat_1 = l0
    ub[1] = 1.0
    upred[1] = phi  # unit trend: zhat_1 = phi * b0
    syy = np.zeros((g, n))
    syl = np.zeros((g, n))
    syb = np.zeros((g, n))
    sll = np.zeros((g, u))
    slb = np.zeros((g, u))
    sbb = np.zeros((g, u))
    e = np.empty((g, n))
    tmp = np.empty((g, n))
    if lengths is not None:
        cum = np.zeros((3, t_len, g))  # running S_ll, S_lb, S_bb of the shared unit filter
    all_obs = obs.all(axis=0)
    all_act = act.all(axis=0)
    any_act = act.any(axis=0)
    for t in range(t_len):
        if not any_act[t]:
            continue
        np.subtract(zc[:, t], pred, out=e)
        if not all_obs[t]:
            e *= obs[:, t]
        if all_act[t]:
            b *= phi
            np.multiply(beta, e, out=tmp)
            b += tmp
            np.multiply(alpha, e, out=tmp)
            pred += tmp
            np.multiply(phi, b, out=tmp)
            pred += tmp
        else:
            # before its first observation a series' state is frozen at (l0, b0)
            at = act[:, t]
            nb = phi * b + beta * e
            pred += at * (alpha * e + phi * nb)
            b += at * (nb - b)
        # unit responses (y = 0)
        ue = -upred * uobs[:, t]
        uat = uact[:, t]
        unb = phi * ub + beta * ue
        upred += uat * (alpha * ue + phi * unb)
        ub += uat * (unb - ub)
        np.multiply(e, e, out=tmp)
        syy += tmp
        np.multiply(e, ue[0], out=tmp)
        syl += tmp
        np.multiply(e, ue[1], out=tmp)
        syb += tmp
        sll += ue[0] * ue[0]
        slb += ue[0] * ue[1]
        sbb += ue[1] * ue[1]
        if lengths is not None:
            cum[0, t], cum[1, t], cum[2, t] = sll[:, 0], slb[:, 0], sbb[:, 0]
    if lengths is not None:
        at = np.maximum(np.asarray(lengths, dtype=int) - 1, 0)
        sll, slb, sbb = (cum[k][at].T for k in range(3))
    return syy, syl, syb, sll, slb, sbb


def _solve_init(
    sums: tuple[np.ndarray, ...], with_trend: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares initial states and the concentrated SSE for each (grid point, series)."""
    syy, syl, syb, sll, slb, sbb = sums
    ridge = 1e-10
    # level only
    l_only = -syl / (sll + ridge)
    sse_l = syy + l_only * syl
    # level + trend (2x2)
    a11, a12, a22 = sll + ridge, slb, sbb + ridge
    det = a11 * a22 - a12 * a12
    det = np.where(np.abs(det) < 1e-14, 1e-14, det)
    l2 = (-syl * a22 + syb * a12) / det
    b2 = (-syb * a11 + syl * a12) / det
    sse_2 = syy + l2 * syl + b2 * syb
    wt = with_trend[:, None]
    l0 = np.where(wt, l2, l_only)
    b0 = np.where(wt, b2, 0.0)
    sse = np.maximum(np.where(wt, sse_2, sse_l), 0.0)
    return l0, b0, sse


def _run_filter(
    z: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
    phi: np.ndarray,
    l0: np.ndarray,
    b0: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One filter pass with per-series parameters: SSE, n_obs, l_T, b_T."""
    obs = np.isfinite(z)
    _, act, _ = _masks(z)
    lev, b = l0.copy(), b0.copy()
    sse = np.zeros(len(z))
    zz = np.where(obs, z, 0.0)
    for t in range(z.shape[1]):
        pred = lev + phi * b
        e = (zz[:, t] - pred) * obs[:, t]
        at = act[:, t]
        lev = np.where(at > 0, pred + alpha * e, lev)
        b = np.where(at > 0, phi * b + beta * e, b)
        sse += e * e
    return sse, obs.sum(axis=1), lev, b


def aicc(sse: np.ndarray, n: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Corrected AIC of a Gaussian model; +inf when there are too few observations."""
    n = np.asarray(n, dtype=float)
    kk = np.asarray(k, dtype=float) + 1.0
    denom = n - kk - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (
            n * np.log(np.maximum(sse, SSE_FLOOR * n) / n)
            + 2 * kk
            + 2 * kk * (kk + 1) / np.where(denom > 0, denom, 1.0)
        )
    return np.where(denom > 0, out, np.inf)


def _fit_chunk(
    z: np.ndarray,
    grid: Grid,
    families: tuple[str, ...],
    extra: int = 0,
    short_n: int = 0,
    aligned: bool = False,
) -> ETSFit:
    """Fit one batch. ``aligned``: every row is observed on one contiguous run of months, so
    rows are shifted to start at column 0 and share one unit-response filter."""
    n, t_len = z.shape
    obs, act, first = _masks(z)
    n_obs = obs.sum(axis=1)
    centre = np.where(first < t_len, z[np.arange(n), np.minimum(first, t_len - 1)], 0.0)
    sums = _chunk_sums(z, grid, obs, act, first, n_obs, centre, aligned)
    l0, b0, sse = _solve_init(sums, grid.family > 0)
    fam, best_g, crit, short = _choose_family(sse, grid, families, n_obs, extra, short_n)
    g = best_g[np.arange(n), fam]
    cols = np.arange(n)
    alpha, beta, phi = grid.alpha[g], grid.beta[g], grid.phi[g]
    l_init, b_init = l0[g, cols] + centre, b0[g, cols]
    sse_f, n_f, lev, tr = _run_filter(z, alpha, beta, phi, l_init, b_init)
    k = N_PARAMS[fam]
    sigma = np.sqrt(sse_f / np.maximum(n_f - k, 1.0))
    fam = np.where(short, len(FAMILIES), fam)
    last = np.where(obs.any(axis=1), z.shape[1] - 1 - np.argmax(obs[:, ::-1], axis=1), 0)
    return ETSFit(
        family=fam,
        alpha=alpha,
        beta=beta,
        phi=phi,
        l0=l_init,
        b0=b_init,
        level=lev,
        trend=tr,
        sigma=sigma,
        n_obs=n_f.astype(int),
        gap=(z.shape[1] - 1 - last).astype(int),
        aicc=crit,
    )


def _chunk_sums(
    z: np.ndarray,
    grid: Grid,
    obs: np.ndarray,
    act: np.ndarray,
    first: np.ndarray,
    n_obs: np.ndarray,
    centre: np.ndarray,
    aligned: bool,
) -> tuple[np.ndarray, ...]:
    """The error-product sums of every (grid point, row), each (G, N) (see ``_grid_sums``)."""
    n, t_len = z.shape
    col = (slice(None), None)
    params = (grid.alpha[col], grid.beta[col], grid.phi[col])
    if aligned:
        src = first[:, None] + np.arange(t_len)[None, :]
        zc = np.take_along_axis(z, np.minimum(src, t_len - 1), axis=1) - centre[:, None]
        o = (np.arange(t_len)[None, :] < n_obs[:, None]).astype(float)
        zc = np.where(o > 0, zc, 0.0)
        ones = np.ones((1, t_len))
        sums = _grid_sums(zc, o, np.ones_like(o), ones, ones, *params, lengths=n_obs)
    else:
        zc = np.where(obs > 0, z - centre[:, None], 0.0)
        # one shared unit-response pattern when every series has the same mask
        shared = bool((obs == obs[:1]).all())
        uobs, uact = (obs[:1], act[:1]) if shared else (obs, act)
        sums = _grid_sums(zc, obs, act, uobs, uact, *params)
    return tuple(np.broadcast_to(s, (len(grid), n)) for s in sums)


def _choose_family(
    sse: np.ndarray,
    grid: Grid,
    families: tuple[str, ...],
    n_obs: np.ndarray,
    extra: int,
    short_n: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row: the family of least AICc, each family's best grid point, the AICc table and
    which rows are short (fitted with drift now, pooled later)."""
    n = sse.shape[1]
    nf = len(FAMILIES)
    crit = np.full((n, nf), np.inf)
    best_g = np.zeros((n, nf), dtype=int)
    for name in families:
        f = FAMILIES.index(name)
        idx = np.flatnonzero(grid.family == f)
        j = idx[np.argmin(sse[idx], axis=0)]
        best_g[:, f] = j
        crit[:, f] = aicc(sse[j, np.arange(n)], n_obs, N_PARAMS[f] + extra)
        if name == "ets_trend":
            crit[n_obs < TREND_MIN_MONTHS, f] = np.inf
    fam = np.argmin(crit, axis=1)
    fam = np.where(np.isinf(crit).all(axis=1), min(FAMILIES.index(f) for f in families), fam)
    # Short series (< short_n months, or no finite AICc for a trend family): the drift fit now,
    # its trend shrunk toward the other series' later (_pool_short).
    short = np.zeros(n, dtype=bool)
    if "ets_drift" in families:
        trendy = [FAMILIES.index(f) for f in families if f != "ets_flat"]
        short = (n_obs < short_n) | np.isinf(crit[:, trendy]).all(axis=1)
        fam = np.where(short, FAMILIES.index("ets_drift"), fam)
    return fam, best_g, crit, short


def _batches(obs: np.ndarray, chunk: int) -> list[tuple[np.ndarray, bool]]:
    """Row batches with cheap shared unit filters where possible: ``(rows, aligned)``.

    Rows observed on one contiguous run (the usual case, whatever their start and end) are
    aligned; rows with gaps are grouped by identical pattern, the rest get per-row filters.
    """
    n, t_len = obs.shape
    if n == 0:
        return []
    first = obs.argmax(axis=1)
    last = t_len - 1 - obs[:, ::-1].argmax(axis=1)
    contiguous = obs.sum(axis=1) == last - first + 1
    rows = np.flatnonzero(contiguous)
    out = [(rows[i : i + chunk], True) for i in range(0, len(rows), chunk)]
    gappy = np.flatnonzero(~contiguous)
    if len(gappy):
        _, inv = np.unique(obs[gappy], axis=0, return_inverse=True)
        inv = inv.ravel()
        big = np.bincount(inv)[inv] >= 32  # patterns worth a batch of their own
        for p in np.unique(inv[big]):
            r = gappy[inv == p]
            out += [(r[i : i + chunk], False) for i in range(0, len(r), chunk)]
        rest = gappy[~big]
        out += [(rest[i : i + chunk], False) for i in range(0, len(rest), chunk)]
    return out


def fit_ets(
    z: np.ndarray,
    families: tuple[str, ...] = FAMILIES,
    chunk: int = CHUNK,
    n_jobs: int = 1,
    extra_params: int = 0,
    short_months: int = 12,
    pool: tuple[float, float] | None = None,
) -> ETSFit:
    """Fit and select ETS models for every row of ``z`` (N, T), log values, NaN = missing.

    Every row needs at least one finite value; rows are aligned on a common monthly grid, so a
    series may start late (leading NaN) or stop early (trailing NaN: the state is propagated to
    the last column and ``gap`` counts the extra forecast steps). ``n_jobs > 1`` runs batches
    in threads (numpy releases the GIL); results do not depend on it. ``extra_params`` is
    added to every family's parameter count in the AICc (e.g. 1 for an estimated regressor).
    Series with fewer than ``short_months`` observations get the pooled trend (``_pool_short``)
    when ``ets_drift`` is allowed; ``pool`` (trend, sigma) overrides the pooled values (the
    calibration refits truncated histories and must borrow what production borrows).
    """
    z = np.asarray(z, dtype=float)
    if z.ndim != 2:
        raise ValueError(f"expected a 2-D array (series x months), got shape {z.shape}")
    unknown = set(families) - set(FAMILIES)
    if unknown or not families:
        raise ValueError(f"unknown model families {sorted(unknown)}; expected {FAMILIES}")
    if len(z) and not np.isfinite(z).any(axis=1).all():
        raise ValueError("every series needs at least one finite value")
    grid = make_grid(tuple(f for f in FAMILIES if f in families))
    batches = _batches(np.isfinite(z), chunk)

    def run(batch: tuple[np.ndarray, bool]) -> ETSFit:
        rows, aligned = batch
        return _fit_chunk(z[rows], grid, families, extra_params, short_months, aligned)

    if n_jobs > 1 and len(batches) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=n_jobs) as ex:
            parts = list(ex.map(run, batches))
    else:
        parts = [run(rows) for rows in batches]
    if not parts:
        return _fit_chunk(np.zeros((0, max(z.shape[1], 1))), grid, families)
    order = np.concatenate([rows for rows, _ in batches])
    out = {}
    for k in ETSFit.__dataclass_fields__:
        joined = np.concatenate([getattr(p, k) for p in parts])
        arr = np.empty_like(joined)
        arr[order] = joined
        out[k] = arr
    return _pool_short(ETSFit(**out), pool)


def pooled_values(fit: ETSFit) -> tuple[float, float]:
    """Median trend and sigma of the series that are not short (what short series borrow)."""
    ok = fit.family != len(FAMILIES)
    if not ok.any():
        return 0.0, 0.0
    return float(np.median(fit.trend[ok])), float(np.median(fit.sigma[ok]))


def _pool_short(fit: ETSFit, pool: tuple[float, float] | None = None) -> ETSFit:
    """Short series: own level, own drift shrunk toward the other series' typical growth.

    Why: with a few months AICc always prefers a flat model (the trend's parameters cost more
    than they can save), so a pair that started months ago and is ramping would be sized for
    today's traffic; its own drift alone is too noisy to extrapolate for years. The drift
    model's ``b`` is shrunk, ``b = w b_own + (1 - w) b_pool`` with ``w = n / (n + 12)`` and
    ``b_pool`` the median trend of the other series, and sigma is at least their median.
    """
    short = fit.family == len(FAMILIES)
    if not short.any():
        return fit
    pooled_b, pooled_s = pool if pool is not None else pooled_values(fit)
    w = fit.n_obs / (fit.n_obs + SHRINK_MONTHS)
    fit.trend = np.where(short, w * fit.trend + (1 - w) * pooled_b, fit.trend)
    fit.sigma = np.where(short, np.maximum(fit.sigma, pooled_s), fit.sigma)
    fit.beta = np.where(short, 0.0, fit.beta)
    fit.phi = np.where(short, 1.0, fit.phi)
    return fit


def cum_phi(phi: np.ndarray, h: np.ndarray) -> np.ndarray:
    """``phi + phi^2 + ... + phi^h`` per (series, horizon); equals h when phi = 1."""
    phi = np.asarray(phi, dtype=float)[:, None]
    h = np.asarray(h, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        damped = phi * (1.0 - phi**h) / (1.0 - phi)
    return np.where(np.isclose(phi, 1.0), h, damped)


def predict_log(fit: ETSFit, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd of log demand h months after the last column; (N, H) arrays.

    ``h`` is an increasing 1-D array of positive integers; each series' own ``gap`` is added,
    so a series that stopped early gets the wider interval it deserves.
    """
    h = np.asarray(h, dtype=int)
    if h.ndim != 1 or (h < 1).any():
        raise ValueError("horizons must be a 1-D array of integers >= 1")
    n = len(fit.level)
    if n == 0:
        return np.zeros((0, len(h))), np.zeros((0, len(h)))
    trend = np.where(fit.family == FAMILIES.index("ets_flat"), 0.0, fit.trend)
    mu = fit.level[:, None] + cum_phi(fit.phi, h)[:, :] * trend[:, None]
    # Variance: steps counted from the last observation.
    steps = h[None, :] + fit.gap[:, None]
    hmax = int(steps.max())
    j = np.arange(1, hmax)  # j = 1 .. hmax-1
    cj = fit.alpha[:, None] + fit.beta[:, None] * cum_phi(fit.phi, j)
    cj = np.where(fit.family[:, None] == FAMILIES.index("ets_flat"), fit.alpha[:, None], cj)
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum(cj**2, axis=1)], axis=1)  # index s-1
    var_ratio = 1.0 + np.take_along_axis(cum, steps - 1, axis=1)
    sd = fit.sigma[:, None] * np.sqrt(var_ratio)
    return mu, sd


def z_score(q: float | np.ndarray) -> np.ndarray:
    return ndtri(np.asarray(q, dtype=float))


def lognormal_summary(
    mu: np.ndarray, sd: np.ndarray, quantiles: tuple[float, ...]
) -> tuple[np.ndarray, dict[float, np.ndarray]]:
    """Mean and quantiles of ``exp(N(mu, sd^2))``; quantiles are monotone by construction."""
    mean = np.exp(np.minimum(mu + 0.5 * sd**2, MAX_LOG))
    qs = {q: np.exp(np.minimum(mu + z_score(q) * sd, MAX_LOG)) for q in sorted(quantiles)}
    return mean, qs


# --- baselines (raw scale), used by the backtest --------------------------------------------


def _rms(d: np.ndarray) -> np.ndarray:
    """Root mean square per row over finite values (0 when there are none)."""
    ok = np.isfinite(d)
    return np.sqrt((np.where(ok, d, 0.0) ** 2).sum(axis=1) / np.maximum(ok.sum(axis=1), 1))


def _last_obs(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    obs = np.isfinite(y)
    last = y.shape[1] - 1 - np.argmax(obs[:, ::-1], axis=1)
    return last, y[np.arange(len(y)), last]


def baseline_forecast(
    y: np.ndarray, h: int, method: str, season: int = 12
) -> tuple[np.ndarray, np.ndarray]:
    """Point forecast and normal sd for horizons 1..h of ``naive``, ``snaive`` or ``drift``.

    Textbook formulas (Hyndman & Athanasopoulos, FPP3 5.5) on the raw scale, NaN-aware:
    naive ``sd_h = s sqrt(h)``; seasonal naive ``sd_h = s sqrt(floor((h-1)/m) + 1)``;
    drift ``sd_h = s sqrt(h (1 + h/(T-1)))``. Forecasts are clipped at 0 by the caller.
    """
    y = np.asarray(y, dtype=float)
    n, t_len = y.shape
    hs = np.arange(1, h + 1)
    last, y_last = _last_obs(y)
    if method == "naive":
        s = _rms(np.diff(y, axis=1))
        return np.repeat(y_last[:, None], h, axis=1), s[:, None] * np.sqrt(hs)[None, :]
    if method == "snaive":
        if t_len <= season:
            return baseline_forecast(y, h, "naive")
        idx = t_len - season + (hs - 1) % season
        f = y[:, idx]
        f = np.where(np.isfinite(f), f, y_last[:, None])
        s = _rms(y[:, season:] - y[:, :-season])
        return f, s[:, None] * np.sqrt((hs - 1) // season + 1)[None, :]
    if method == "drift":
        obs = np.isfinite(y)
        first = obs.argmax(axis=1)
        y_first = y[np.arange(n), first]
        span = np.maximum(last - first, 1)
        slope = (y_last - y_first) / span
        d = np.diff(y, axis=1) - slope[:, None]
        m = np.isfinite(d).sum(axis=1)
        s = np.sqrt((np.where(np.isfinite(d), d, 0.0) ** 2).sum(axis=1) / np.maximum(m - 1, 1))
        f = y_last[:, None] + slope[:, None] * hs[None, :]
        sd = s[:, None] * np.sqrt(hs[None, :] * (1 + hs[None, :] / span[:, None]))
        return f, sd
    raise ValueError(f"unknown baseline {method!r}; expected naive, snaive or drift")
