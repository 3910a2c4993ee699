"""Forecast table for the optimiser: history pairs (ETS) + new AI pairs (gravity).

Why one function: the planner buys capacity for every pair that will carry traffic, whether it
carries traffic today or not, so both parts must come out on one scale, under one growth
scenario, with quantiles that never cross.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.config import Scenario, quantile_column
from planner.errors import InputError, Problem
from planner.forecast.driver import (
    Gravity,
    december,
    estimate_rho,
    fit_gravity,
    masses,
    mw_at_months,
    mw_by_year,
    new_pair_candidates,
    pair_distance_km,
    site_traffic,
)
from planner.forecast.estimator import (
    ETSForecaster,
    apply_cap,
    lognormal_offsets,
    quantile_table,
    round_sig,
    to_matrix,
)
from planner.forecast.models import predict_log, z_score
from planner.forecast.options import BASE_QUANTILES, ForecastConfig, growth_factor
from planner.forecast.robust import plausible_cap
from planner.schema import MIN_HISTORY_MONTHS
from planner.tables import Inputs

HISTORY_FILE = "demand_history.csv"
HISTORY_COLUMNS = ("site_a", "site_b", "month", "p95_gbps")
MAX_PROBLEMS = 50
SEP = "\x1f"  # pair key separator; sorts before any printable character


def _lines(df: pd.DataFrame) -> np.ndarray:
    """1-based file line of each row: ``_line`` if the loader kept it, else position + 2."""
    if "_line" in df.columns:
        return df["_line"].to_numpy(dtype=int)
    return np.arange(2, len(df) + 2)


def check_history(
    hist: pd.DataFrame, min_months: int = MIN_HISTORY_MONTHS, path: str = HISTORY_FILE
) -> pd.DataFrame:
    """Clean copy ``site_a, site_b, month, p95_gbps`` (canonical pairs) or InputError.

    ``read_inputs`` already rejects blanks and negatives; this guards the library API
    (hand-built frames) and the forecaster's own rule: every pair needs ``min_months``.
    """
    missing = [c for c in HISTORY_COLUMNS if c not in hist.columns]
    if missing:
        raise InputError(
            [Problem(path, "missing required column", row=1, column=c) for c in missing]
        )
    lines = _lines(hist)
    month, val, problems = _cell_problems(hist, lines, path)
    if problems:
        raise InputError(_capped(problems, path))
    a = hist["site_a"].astype(str).str.strip().to_numpy()
    b = hist["site_b"].astype(str).str.strip().to_numpy()
    lo, hi = np.where(a <= b, a, b), np.where(a <= b, b, a)
    out = pd.DataFrame({"site_a": lo, "site_b": hi, "month": month.to_numpy(), "p95_gbps": val})
    problems = _pair_problems(out, lines, path, min_months)
    if problems:
        raise InputError(_capped(problems, path))
    return out.sort_values(["site_a", "site_b", "month"], kind="stable").reset_index(drop=True)


def _cell_problems(
    hist: pd.DataFrame, lines: np.ndarray, path: str
) -> tuple[pd.Series, np.ndarray, list[Problem]]:
    """Months parsed to month starts, values as floats, and every bad cell (row by row)."""
    problems: list[Problem] = []
    raw_month = hist["month"]
    if pd.api.types.is_datetime64_any_dtype(raw_month):
        month = pd.Series(raw_month.to_numpy().astype("datetime64[M]").astype("datetime64[ns]"))
    else:
        month = pd.to_datetime(raw_month, errors="coerce", format="mixed")
        month = month.dt.to_period("M").dt.to_timestamp()
    for i in np.flatnonzero(month.isna().to_numpy()):
        got = f"got {hist['month'].iloc[i]!r}, expected a month YYYY-MM"
        problems.append(Problem(path, got, lines[i], "month"))
    val = pd.to_numeric(hist["p95_gbps"], errors="coerce").to_numpy(dtype=float)
    for i in np.flatnonzero(~np.isfinite(val)):
        got = f"got {hist['p95_gbps'].iloc[i]!r}, expected a number >= 0"
        problems.append(Problem(path, got, lines[i], "p95_gbps"))
    for i in np.flatnonzero(val < 0):
        problems.append(Problem(path, f"got {val[i]:g}, expected >= 0 Gbps", lines[i], "p95_gbps"))
    a = hist["site_a"].astype(str).str.strip().to_numpy()
    b = hist["site_b"].astype(str).str.strip().to_numpy()
    for i in np.flatnonzero(a == b):
        got = f"got {a[i]!r} at both ends, expected two different sites"
        problems.append(Problem(path, got, lines[i], "site_b"))
    return month, val, problems


def _pair_problems(
    out: pd.DataFrame, lines: np.ndarray, path: str, min_months: int
) -> list[Problem]:
    """Duplicate months of a pair (both directions merged) and pairs with too few months."""
    problems: list[Problem] = []
    lo, hi = out["site_a"].to_numpy(), out["site_b"].to_numpy()
    dup = out.duplicated(["site_a", "site_b", "month"], keep="first").to_numpy()
    for i in np.flatnonzero(dup):
        msg = (
            f"duplicate month {out['month'].iloc[i]:%Y-%m} for pair {lo[i]}-{hi[i]} "
            "(expected one row per pair and month, both directions merged)"
        )
        problems.append(Problem(path, msg, lines[i], "month"))
    counts = out.groupby(["site_a", "site_b"], sort=False)["month"].transform("size").to_numpy()
    first = ~out.duplicated(["site_a", "site_b"], keep="first").to_numpy()
    for i in np.flatnonzero(first & (counts < min_months)):
        msg = (
            f"pair {lo[i]}-{hi[i]} has {counts[i]} month(s) of history, expected >= "
            f"{min_months} to fit a trend (drop the pair or add months)"
        )
        problems.append(Problem(path, msg, lines[i], "month"))
    return problems


def _capped(problems: list[Problem], path: str) -> list[Problem]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    more = len(problems) - MAX_PROBLEMS
    return problems[:MAX_PROBLEMS] + [Problem(path, f"... and {more} more problems")]


def scale_growth(delta: np.ndarray, g: float) -> np.ndarray:
    """Log change from the anchor under growth multiplier g: rises x g, declines / g.

    Why asymmetric: ``high`` must never forecast less than ``base`` for any pair and year, so a
    declining pair declines more slowly under ``high`` rather than faster.
    """
    return np.where(delta >= 0, delta * g, delta / g)


@dataclass
class HistoryPaths:
    """Log-scale forecast of every pair with history at the target months."""

    pairs: pd.DataFrame  # site_a, site_b
    mu: np.ndarray  # (N, H) log median after growth scaling
    sd: np.ndarray  # (N, H) the model's own (lognormal) log sd, before calibration
    offsets: dict[float, np.ndarray]  # quantile -> (N, H) calibrated log offset from mu
    zero: np.ndarray  # (N, H) demand forced to 0
    model: np.ndarray  # (N,) winning model name
    anchor: np.ndarray  # (N,) log level at the origin (growth is measured from here)
    cap: np.ndarray  # (N, H) plausible upper bound (Gbps), see ``robust.plausible_cap``
    y_max: np.ndarray  # (N,) history maximum (Gbps)
    origin_month: int
    gravity: Gravity
    site_ids: list[str]
    is_campus: np.ndarray
    notes: list[str] = field(default_factory=list)

    def quantiles(self) -> dict[str, np.ndarray]:
        """``mean`` / ``pNN`` (Gbps, not yet capped) for every quantile in ``offsets``."""
        return quantile_table(self.mu, self.offsets, self.zero)


def _site_frame(sites: pd.DataFrame, hist: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    ends = np.concatenate([hist["site_a"].unique(), hist["site_b"].unique()])
    ids = sorted(set(sites["site_id"].tolist()) | set(np.unique(ends).tolist()))
    kind = sites.set_index("site_id")["kind"] if "kind" in sites else pd.Series(dtype=str)
    return ids, np.array([kind.get(s, "cloud_region") == "ai_campus" for s in ids])


def history_paths(
    hist: pd.DataFrame,
    sites: pd.DataFrame,
    ai_buildout: pd.DataFrame,
    target_months: np.ndarray,
    cfg: ForecastConfig,
    growth: float = 1.0,
    quantiles: tuple[float, ...] = BASE_QUANTILES,
) -> HistoryPaths:
    """Fit every pair with history (checked by :func:`check_history`) and forecast targets."""
    grouped = hist.groupby(["site_a", "site_b"], sort=True)
    key = grouped.ngroup().to_numpy()  # pair code in (site_a, site_b) order
    sm = to_matrix(pd.DataFrame({"unique_id": key, "ds": hist["month"], "y": hist["p95_gbps"]}))
    pairs = grouped.size().index.to_frame(index=False)[["site_a", "site_b"]]
    n = len(pairs)
    m_t = int(sm.months[-1])
    target = np.asarray(target_months, dtype=np.int64)
    notes: list[str] = []
    steps = np.maximum(target - m_t, 1)

    # current level (mean of the last months) and site traffic at the origin
    # hist is sorted by pair and month (check_history), so tail() takes the latest months
    recent = (
        pd.DataFrame({"key": key, "y": hist["p95_gbps"].to_numpy()})
        .groupby("key")
        .tail(cfg.level_months)
    )
    level = recent.groupby("key", sort=True)["y"].mean().to_numpy()
    site_ids, is_campus = _site_frame(sites, hist)
    sidx = pd.Index(site_ids)
    ia, ib = sidx.get_indexer(pairs["site_a"]), sidx.get_indexer(pairs["site_b"])
    t0 = site_traffic(pairs, level, site_ids)
    all_months = np.concatenate([sm.months, target])
    mw = mw_at_months(ai_buildout, site_ids, all_months)  # (S, T + H)
    mw0 = mw[:, len(sm.months) - 1]
    rho = estimate_rho(is_campus, t0, mw0, cfg.gbps_per_mw_default)
    mass0 = masses(is_campus, t0, mw0, rho)
    dist = (
        pair_distance_km(pairs, sites, cfg.min_distance_km)
        if "lat" in sites
        else np.full(n, np.nan)
    )
    grav = fit_gravity(level, mass0[ia], mass0[ib], dist, rho, cfg.min_distance_km)

    # Robust ETS on log traffic for every pair, intervals calibrated on its own errors.
    est = ETSForecaster(cfg, quantiles).fit_matrix(sm)
    mu, sd, off = est.predict_log(steps, seasonal=False)  # season added after growth scaling
    anchor = est.fit_.level.copy()
    zero = np.repeat(sm.all_zero[:, None], len(target), axis=1)
    model = np.where(sm.all_zero, "zero", est.fit_.model).astype(object)

    # MW-adjusted ETS on traffic per unit of gravity mass (only MW moves x) for pairs with an
    # end whose MW changes. Both models describe the same data z, so their AICc compare
    # directly; the elasticity counts as one more parameter, so the adjusted model must earn
    # its place: history in which traffic tracked MW (a tie, MW flat in the history, stays plain).
    # Its intervals use the same calibration (errors scaled by its own model sd).
    t_len = len(sm.months)
    mass_t = masses(is_campus, t0[:, None], mw, rho)  # (S, T + H)
    with np.errstate(divide="ignore"):
        x = np.log(mass_t[ia]) + np.log(mass_t[ib])  # -inf: mass 0
    if cfg.mw_adjust and grav.n_pairs > 0 and len(ai_buildout):
        fc = _Fitted(mu, sd, off, anchor, zero, model)
        _mw_adjust(fc, est, sm, x, mass_t, mw, (ia, ib), grav.beta, steps, quantiles)
    mu = anchor[:, None] + scale_growth(mu - anchor[:, None], growth) + est.season_at(steps)
    with np.errstate(invalid="ignore"):  # -inf - -inf: no mass either side, no MW factor
        dx = x[:, t_len:] - x[:, [t_len - 1]]
    log_mw = grav.beta * np.where(np.isfinite(dx), dx, 0.0)
    cap = plausible_cap(sm.y_max, steps, growth, cfg.cap_growth_per_year, cfg.cap_headroom, log_mw)
    return HistoryPaths(
        pairs, mu, sd, off, zero, model, anchor, cap, sm.y_max, m_t, grav, site_ids, is_campus,
        notes,
    )  # fmt: skip


@dataclass
class _Fitted:
    """Per-pair log forecasts of the plain ETS, replaced in place where MW adjustment wins."""

    mu: np.ndarray
    sd: np.ndarray
    off: dict
    anchor: np.ndarray
    zero: np.ndarray
    model: np.ndarray


def _mw_adjust(
    fc: _Fitted,
    est: ETSForecaster,
    sm,
    x: np.ndarray,
    mass_t: np.ndarray,
    mw: np.ndarray,
    ends: tuple[np.ndarray, np.ndarray],
    beta: float,
    steps: np.ndarray,
    quantiles: tuple[float, ...],
) -> None:
    """MW-adjusted ETS on traffic per unit of gravity mass, kept where its AICc is lower.

    Only pairs with an end whose MW changes are eligible; ``x`` is log mass of both ends per
    month (history, then targets), ``beta`` the gravity elasticity.
    """
    ia, ib = ends
    z, t_len = sm.z, len(sm.months)
    moving = mw.max(axis=1) > mw.min(axis=1)
    pos = (mass_t[ia, :t_len] > 0) & (mass_t[ib, :t_len] > 0)
    elig = (moving[ia] | moving[ib]) & ~sm.all_zero & (pos | ~np.isfinite(z)).all(axis=1)
    rows = np.flatnonzero(elig)
    if not len(rows):
        return
    xr = x[rows]
    bx = beta * np.where(np.isfinite(xr), xr, 0.0)
    za = est.deseasonalised(z[rows] - bx[:, :t_len], rows)
    fit_a = est._fit_z(za, extra_params=1, pool=est.pool_)
    better = fit_a.aicc.min(axis=1) < est.fit_.aicc[rows].min(axis=1)
    use = rows[better]
    mu_a, sd_a = predict_log(fit_a, steps)
    off_a = est.offsets(sd_a, steps, quantiles, rows)
    fc.mu[use] = mu_a[better] + bx[better, t_len:]
    fc.sd[use] = sd_a[better]
    for q in fc.off:
        fc.off[q][use] = off_a[q][better]
    fc.anchor[use] = fit_a.level[better] + bx[better, t_len - 1]
    fc.zero[use] |= ~np.isfinite(xr[better, t_len:])
    fc.model[use] = fit_a.model[better] + "+mw"


def _driver_pairs(
    hp: HistoryPaths,
    sites: pd.DataFrame,
    ai_buildout: pd.DataFrame,
    years: list[int],
    hist_p50: np.ndarray,
    cfg: ForecastConfig,
) -> tuple[pd.DataFrame, np.ndarray]:
    """New pairs and their median gravity demand (pairs x years), before growth scaling."""
    grav = hp.gravity
    empty = pd.DataFrame({"site_a": pd.Series(dtype=str), "site_b": pd.Series(dtype=str)})
    if cfg.new_pairs == "none" or not np.isfinite(grav.log_k) or "lat" not in sites:
        return empty, np.zeros((0, len(years)))
    ids = hp.site_ids
    traffic = site_traffic(hp.pairs, hist_p50, ids)  # (S, Y)
    mw = mw_by_year(ai_buildout, ids, years).to_numpy()
    mass = masses(hp.is_campus, traffic, mw, grav.rho_gbps_per_mw)
    live = np.flatnonzero((mass > 0).any(axis=1))
    known = set(sites["site_id"])
    live = np.array([i for i in live if ids[i] in known], dtype=int)
    left = [i for i in live if hp.is_campus[i]] if cfg.new_pairs == "ai" else list(live)
    cand = {(min(ids[i], ids[j]), max(ids[i], ids[j])) for i in left for j in live if i != j}
    if not cand:
        return empty, np.zeros((0, len(years)))
    cp = pd.DataFrame(sorted(cand), columns=["site_a", "site_b"])
    sidx = pd.Index(ids)
    ia, ib = sidx.get_indexer(cp["site_a"]), sidx.get_indexer(cp["site_b"])
    dist = pair_distance_km(cp, sites, cfg.min_distance_km)
    med = grav.median(mass[ia], mass[ib], dist[:, None])
    score = pd.Series(med.max(axis=1), index=pd.MultiIndex.from_frame(cp))
    chosen = new_pair_candidates(
        sites, hp.pairs, score, cfg.new_pairs, cfg.new_pairs_per_site, cfg.max_new_pairs
    )
    pos = pd.MultiIndex.from_frame(cp).get_indexer(pd.MultiIndex.from_frame(chosen))
    return chosen, med[pos]


def forecast(
    inputs: Inputs,
    scenario: Scenario,
    quantiles: tuple[float, ...] | None = None,
    config: ForecastConfig | None = None,
) -> pd.DataFrame:
    """Forecast table: one row per pair and planning year (December demand), see the
    package docstring for the models. Raises InputError on bad history."""
    cfg = config or ForecastConfig()
    hist = check_history(inputs.demand_history, cfg.min_months)
    qs = tuple(sorted(set(BASE_QUANTILES) | {scenario.demand_quantile} | set(quantiles or ())))
    bad = [q for q in qs if not 0 < q < 1]
    if bad:
        raise ValueError(f"quantiles must be in (0, 1), got {bad}")
    g = growth_factor(scenario.growth)
    m_last = int(hist["month"].max().year * 12 + hist["month"].max().month - 1)
    origin_year = m_last // 12
    years_ext = list(range(min(origin_year, scenario.years[0]), scenario.years[-1] + 1))
    keep = np.isin(years_ext, scenario.years)
    targets = december(np.array(years_ext))
    hp = history_paths(hist, inputs.sites, inputs.ai_buildout, targets, cfg, g, qs)
    if december(scenario.years[0]) <= m_last:
        hp.notes.append(
            f"planning years ending by the last history month {origin_year}-"
            f"{m_last % 12 + 1:02d} get the one-month-ahead forecast"
        )
    raw_cols = hp.quantiles()
    months = np.maximum(targets - m_last, 1)
    hist_cols, capped, reason = apply_cap(raw_cols, hp.cap, hp.y_max, months)
    n_capped = int(capped[:, keep].any(axis=1).sum())
    if n_capped:
        hp.notes.append(
            f"{n_capped} pair(s) capped at a plausible bound (history max x "
            f"{cfg.cap_headroom:g} x {cfg.cap_growth_per_year:g}/year growth x MW driver): see "
            "the capped / cap_reason columns"
        )
    extra = {"capped": capped[:, keep], "cap_reason": reason[:, keep]}
    parts = [
        _long(
            hp.pairs,
            scenario.years,
            {k: v[:, keep] for k, v in hist_cols.items()},
            hp.model,
            extra,
        )
    ]

    new, med = _driver_pairs(hp, inputs.sites, inputs.ai_buildout, years_ext, raw_cols["p50"], cfg)
    if len(new):
        parts.append(_new_pair_rows(new, med, hp, years_ext, origin_year, keep, g, qs, scenario))
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(["site_a", "site_b", "year"], kind="stable").reset_index(drop=True)
    qcols = [quantile_column(q) for q in qs]
    vals = np.maximum(out[qcols].to_numpy(), 0.0)
    out[qcols] = np.maximum.accumulate(vals, axis=1)  # defensive: never cross, never negative
    out["mean_gbps"] = out["mean_gbps"].clip(lower=0.0)
    out = out[["site_a", "site_b", "year", "mean_gbps", *qcols, "model", "capped", "cap_reason"]]
    out.attrs["forecast"] = {
        "origin_month": f"{origin_year}-{m_last % 12 + 1:02d}",
        "growth_factor": g,
        "pairs_history": len(hp.pairs),
        "pairs_new": len(new),
        "pairs_capped": n_capped,
        "models": {str(k): int(v) for k, v in pd.Series(hp.model).value_counts().items()},
        "gravity": hp.gravity.as_dict(),
        "notes": hp.notes,
    }
    return out


def _new_pair_rows(
    new: pd.DataFrame,
    med: np.ndarray,
    hp: HistoryPaths,
    years_ext: list[int],
    origin_year: int,
    keep: np.ndarray,
    g: float,
    qs: tuple[float, ...],
    scenario: Scenario,
) -> pd.DataFrame:
    """Rows for pairs without history (new AI campuses): the gravity model's median from the
    year they come online, scaled by the growth scenario, lognormal with the gravity fit's sigma."""
    logm = np.log(np.where(med > 0, med, 1.0))
    online = (med > 0) & (np.array(years_ext)[None, :] >= origin_year)
    first = np.where(online.any(axis=1), online.argmax(axis=1), 0)
    anchor = logm[np.arange(len(new)), first]
    mu = anchor[:, None] + scale_growth(logm - anchor[:, None], g)
    sd = np.full(mu.shape, hp.gravity.sigma)
    cols = quantile_table(mu, lognormal_offsets(sd, qs), med <= 0)
    model = np.full(len(new), "gravity", dtype=object)
    shape = (len(new), int(keep.sum()))
    none = {"capped": np.zeros(shape, dtype=bool), "cap_reason": np.full(shape, "", object)}
    return _long(new, scenario.years, {k: v[:, keep] for k, v in cols.items()}, model, none)


def _long(
    pairs: pd.DataFrame,
    years: list[int],
    cols: dict[str, np.ndarray],
    model: np.ndarray,
    extra: dict[str, np.ndarray],
) -> pd.DataFrame:
    ny = len(years)
    return pd.DataFrame(
        {
            "site_a": np.repeat(pairs["site_a"].to_numpy(), ny),
            "site_b": np.repeat(pairs["site_b"].to_numpy(), ny),
            "year": np.tile(np.asarray(years, dtype=int), len(pairs)),
            **{f"{k}_gbps": round_sig(v).ravel() for k, v in cols.items()},
            "model": np.repeat(model, ny),
            **{k: v.ravel() for k, v in extra.items()},
        }
    )


def demand_for(forecast_df: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """``site_a, site_b, year, demand_gbps`` at the scenario's quantile (the optimiser input).

    If the column is absent (a forecast written for another quantile) it is derived from
    ``p50`` and ``p90`` under the lognormal law every model here uses.
    """
    col = scenario.quantile_column
    if col in forecast_df.columns:
        d = forecast_df[col].to_numpy(dtype=float)
    elif {"p50_gbps", "p90_gbps"} <= set(forecast_df.columns):
        p50 = forecast_df["p50_gbps"].to_numpy(dtype=float)
        p90 = forecast_df["p90_gbps"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.where(p50 > 0, np.log(np.maximum(p90, p50) / p50), 0.0) / z_score(0.9)
        d = np.where(p50 > 0, p50 * np.exp(z_score(scenario.demand_quantile) * s), 0.0)
    else:
        raise InputError(
            Problem("forecast.csv", f"missing column {col} (and p50_gbps/p90_gbps to derive it)")
        )
    out = forecast_df[["site_a", "site_b", "year"]].copy()
    out["demand_gbps"] = np.maximum(round_sig(d), 0.0)
    return out.reset_index(drop=True)
