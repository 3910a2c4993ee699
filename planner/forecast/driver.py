"""AI driver: site masses from announced AI MW, and a gravity model of pair demand.

Why: a new AI campus has no traffic history, yet it will pull large flows once its MW come
online, and an existing pair's growth follows the MW added at its ends. Both are tied to the
announced build-out (``ai_buildout.csv``) through one cross-sectional model.

MW by year and month. ``MW_s(y)`` is the latest ``ai_it_mw`` listed for site s at or before
year y (0 before the first listed year, carried forward after the last). Within a year, MW moves
linearly from last December's value to ``MW_s(Dec y) = MW_s(y)``, except in the first year
with MW > 0, which holds its MW from January (the site is online that year, not ramping from 0).

Mass (MW-equivalent)::

    M_s(t) = MW_s(t)                    if kind(s) == ai_campus  (0 MW -> mass 0)
    M_s(t) = T_s(t) / rho + MW_s(t)     otherwise

``T_s`` is the site's traffic: the sum of its pairs' current levels (mean of the last
``level_months`` months) for fitting, and the sum of its pairs' P50 forecasts for future years.
``rho`` (Gbps per MW) is the median of ``T_s / MW_s`` over AI campuses that have both MW and
traffic at the forecast origin (``gbps_per_mw_default`` when there is none).

Gravity (fitted on pairs with history, at the forecast origin)::

    log d_ab = log k + beta * log(M_a * M_b) - gamma * log(max(dist_ab, min_distance_km))

``dist_ab`` is the great-circle distance of the sites (``planner.tables.haversine_km``).
``beta, gamma`` are a ridge (MAP) estimate shrunk toward the classical gravity prior
``beta = gamma = 1`` with prior sd 0.5 (few pairs -> the prior, many pairs -> the data), then
clipped to ``beta in [0.1, 2]``, ``gamma in [0, 3]``. ``log k`` is unpenalised. The residual
scale is pooled with a prior guess, ``sigma^2 = (RSS + 3 * 0.5^2) / (n + 3)``, so that three
lucky pairs do not make a new campus look certain.

A new pair's demand is lognormal with median ``d_ab(y)`` and log-sd ``sigma``; it is 0 in any
year where one end has mass 0 (e.g. a campus before its MW come online).

MW adjustment of pairs with history (``mw_adjust``). For pairs with an end whose MW changes and
whose masses are positive over the whole observed history, the ETS model is fitted to
``log y_t - beta * x_t`` with ``x_t = log M_a(t) + log M_b(t)`` (traffic per unit of gravity
mass; ``T_s`` held at its origin value so only MW moves ``x``), and ``beta * x`` of the target
month is added back: traffic follows announced MW with the same elasticity as across sites,
and growth that history already owes to MW ramps is not extrapolated twice. Both the plain and
the adjusted model are fitted to the same log traffic, so their AICc compare directly; ``beta``
counts as one more parameter of the adjusted model, which is kept only where it fits better,
i.e. where the pair's traffic did track its MW. A pair whose ends' MW did not move during its
history keeps the plain model: there is no evidence of how its traffic follows MW, and
adding the MW step on top of a trend fitted to the same growth would count it twice. New
pairs always follow the MW (gravity).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from planner.forecast.models import MAX_LOG
from planner.tables import haversine_km

PRIOR_BETA = 1.0
PRIOR_GAMMA = 1.0
PRIOR_SD = 0.5
PRIOR_SIGMA = 0.5
PRIOR_N = 3.0
BETA_RANGE = (0.1, 2.0)
GAMMA_RANGE = (0.0, 3.0)


def month_index(ts: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Months since year 0 (``12 * year + month - 1``): integer arithmetic on months."""
    ts = pd.DatetimeIndex(ts)
    return (ts.year.to_numpy() * 12 + ts.month.to_numpy() - 1).astype(np.int64)


def december(year: int | np.ndarray) -> np.ndarray:
    return np.asarray(year, dtype=np.int64) * 12 + 11


def mw_by_year(ai_buildout: pd.DataFrame, site_ids: list[str], years: list[int]) -> pd.DataFrame:
    """MW online per site (rows) and year (columns): last listed value at or before the year."""
    out = pd.DataFrame(0.0, index=pd.Index(site_ids, name="site_id"), columns=list(years))
    if len(ai_buildout) == 0 or not years:
        return out
    b = ai_buildout[ai_buildout["site_id"].isin(site_ids)]
    for site, g in b.groupby("site_id", sort=True):
        g = g.sort_values("year")
        pos = np.searchsorted(g["year"].to_numpy(), np.asarray(years), side="right") - 1
        vals = g["ai_it_mw"].to_numpy(dtype=float)
        out.loc[site] = np.where(pos >= 0, vals[np.maximum(pos, 0)], 0.0)
    return out


def mw_at_months(ai_buildout: pd.DataFrame, site_ids: list[str], months: np.ndarray) -> np.ndarray:
    """(sites, months) MW, linear between December anchors, 0 before, carried after."""
    months = np.asarray(months, dtype=np.int64)
    out = np.zeros((len(site_ids), len(months)))
    if len(ai_buildout) == 0 or len(months) == 0:
        return out
    y0 = int(min(ai_buildout["year"].min(), months.min() // 12)) - 1
    y1 = int(max(ai_buildout["year"].max(), months.max() // 12)) + 1
    years = list(range(y0, y1 + 1))
    table = mw_by_year(ai_buildout, site_ids, years).to_numpy()
    anchors = december(np.array(years)).astype(float)
    for i in range(len(site_ids)):
        on = np.flatnonzero(table[i] > 0)
        if len(on) == 0:
            continue
        f = on[0]  # first online year: its MW holds from January (no ramp up from 0)
        row = table[i].copy()
        row[f - 1] = row[f]
        out[i] = np.interp(months.astype(float), anchors, row)
        out[i, months // 12 < years[f]] = 0.0
    return out


def pair_distance_km(pairs: pd.DataFrame, sites: pd.DataFrame, floor_km: float) -> np.ndarray:
    """Great-circle distance of each pair's sites, floored at ``floor_km``."""
    s = sites.set_index("site_id")
    a, b = pairs["site_a"], pairs["site_b"]
    d = haversine_km(
        a.map(s["lat"]).to_numpy(float),
        a.map(s["lon"]).to_numpy(float),
        b.map(s["lat"]).to_numpy(float),
        b.map(s["lon"]).to_numpy(float),
    )
    return np.maximum(np.nan_to_num(d, nan=floor_km), floor_km)


def site_traffic(pairs: pd.DataFrame, values: np.ndarray, site_ids: list[str]) -> np.ndarray:
    """Sum of pair values (N, ...) touching each site -> (sites, ...)."""
    idx = pd.Index(site_ids)
    ia = idx.get_indexer(pairs["site_a"])
    ib = idx.get_indexer(pairs["site_b"])
    out = np.zeros((len(site_ids),) + values.shape[1:])
    np.add.at(out, ia, values)
    np.add.at(out, ib, values)
    return out


def masses(
    is_campus: np.ndarray, traffic_gbps: np.ndarray, mw: np.ndarray, rho: float
) -> np.ndarray:
    """MW-equivalent mass per site (broadcast over trailing time axes)."""
    campus = is_campus.reshape((-1,) + (1,) * (mw.ndim - 1))
    return np.where(campus, mw, traffic_gbps / rho + mw)


def estimate_rho(
    is_campus: np.ndarray, traffic_gbps: np.ndarray, mw: np.ndarray, default: float
) -> float:
    """Gbps of traffic per MW at AI campuses that have both (median; default if none)."""
    ok = is_campus & (mw > 0) & (traffic_gbps > 0)
    return float(np.median(traffic_gbps[ok] / mw[ok])) if ok.any() else float(default)


@dataclass(frozen=True)
class Gravity:
    """Fitted gravity model; ``median`` is the new-pair demand in Gbps."""

    log_k: float
    beta: float
    gamma: float
    sigma: float
    n_pairs: int
    rho_gbps_per_mw: float
    min_distance_km: float

    def median(self, mass_a: np.ndarray, mass_b: np.ndarray, dist_km: np.ndarray) -> np.ndarray:
        ma, mb = np.asarray(mass_a, float), np.asarray(mass_b, float)
        live = (ma > 0) & (mb > 0)
        d = np.maximum(np.asarray(dist_km, float), self.min_distance_km)
        logm = np.log(np.where(live, ma, 1.0)) + np.log(np.where(live, mb, 1.0))
        logd = self.log_k + self.beta * logm - self.gamma * np.log(d)
        return np.where(live, np.exp(np.minimum(logd, MAX_LOG)), 0.0)

    def as_dict(self) -> dict:
        return asdict(self)


def fit_gravity(
    level_gbps: np.ndarray,
    mass_a: np.ndarray,
    mass_b: np.ndarray,
    dist_km: np.ndarray,
    rho: float,
    min_distance_km: float,
) -> Gravity:
    """Ridge (MAP) fit of the gravity model on pairs with positive level and masses."""
    ok = (level_gbps > 0) & (mass_a > 0) & (mass_b > 0) & np.isfinite(dist_km)
    n = int(ok.sum())
    prior = np.array([PRIOR_BETA, PRIOR_GAMMA])
    if n == 0:
        return Gravity(np.nan, PRIOR_BETA, PRIOR_GAMMA, PRIOR_SIGMA, 0, rho, min_distance_km)
    y = np.log(level_gbps[ok])
    u = np.column_stack(
        [
            np.log(mass_a[ok]) + np.log(mass_b[ok]),
            -np.log(np.maximum(dist_km[ok], min_distance_km)),
        ]
    )
    uc = u - u.mean(axis=0)
    yc = y - y.mean()
    sigma2 = PRIOR_SIGMA**2
    theta = prior
    for _ in range(3):  # lambda = sigma^2 / tau^2 depends on the residual scale
        lam = sigma2 / PRIOR_SD**2
        a = uc.T @ uc + lam * np.eye(2)
        theta = np.linalg.solve(a, uc.T @ yc + lam * prior)
        rss = float(((yc - uc @ theta) ** 2).sum())
        sigma2 = (rss + PRIOR_N * PRIOR_SIGMA**2) / (n + PRIOR_N)
    beta = float(np.clip(theta[0], *BETA_RANGE))
    gamma = float(np.clip(theta[1], *GAMMA_RANGE))
    log_k = float(np.mean(y - beta * u[:, 0] - gamma * u[:, 1]))
    rss = float(((y - log_k - beta * u[:, 0] - gamma * u[:, 1]) ** 2).sum())
    sigma = float(np.sqrt((rss + PRIOR_N * PRIOR_SIGMA**2) / (n + PRIOR_N)))
    return Gravity(log_k, beta, gamma, sigma, n, rho, min_distance_km)


def new_pair_candidates(
    sites: pd.DataFrame,
    history_pairs: pd.DataFrame,
    score: pd.Series,
    policy: str,
    per_site: int,
    max_total: int,
) -> pd.DataFrame:
    """Pairs without history to forecast with the gravity model, best ``score`` first.

    ``score`` (indexed by (site_a, site_b)) is the gravity demand of every canonical pair in the
    last planning year; only positive scores qualify. ``policy`` "ai" keeps pairs with at
    least one ai_campus end. Each site keeps its ``per_site`` best pairs, then the total is cut
    to ``max_total``: the optimiser routes every pair, so the list must stay small.
    """
    cols = ["site_a", "site_b"]
    if policy == "none" or len(score) == 0:
        return pd.DataFrame({c: pd.Series(dtype=str) for c in cols})
    s = score[score > 0].rename("score").reset_index()
    s.columns = ["site_a", "site_b", "score"]
    have = pd.MultiIndex.from_frame(history_pairs[["site_a", "site_b"]])
    s = s[~pd.MultiIndex.from_frame(s[["site_a", "site_b"]]).isin(have)]
    kind = sites.set_index("site_id")["kind"]
    camp_a = s["site_a"].map(kind).eq("ai_campus")
    camp_b = s["site_b"].map(kind).eq("ai_campus")
    if policy == "ai":
        s = s[camp_a | camp_b]
        camp_a, camp_b = camp_a[s.index], camp_b[s.index]
    # rank per site end; for "ai" only the campus ends nominate pairs
    ends = []
    for col, camp in (("site_a", camp_a), ("site_b", camp_b)):
        part = s if policy == "all" else s[camp]
        ends.append(part.assign(end=part[col]))
    long = pd.concat(ends).sort_values(["end", "score", "site_a", "site_b"], ascending=[1, 0, 1, 1])
    keep = long.groupby("end", sort=False).head(per_site)
    keep = keep.drop_duplicates(cols).sort_values(
        ["score", "site_a", "site_b"], ascending=[False, True, True]
    )
    return keep.head(max_total)[cols].sort_values(cols).reset_index(drop=True)
