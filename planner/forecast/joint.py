"""Joint demand scenarios: whole futures (all pairs, all years) drawn from the forecast.

Why: the forecast gives each pair a distribution, and sizing every pair at its own P90 plans
for a future in which every pair is unlucky at once. A planner who wants "the chance this plan
carries the 2030 demand" needs futures in which pairs move together only as much as they
actually do. Each scenario is one draw of that joint distribution.

The model (a Gaussian copula over the forecast marginals):

* marginal of pair p in year t: lognormal with the forecast's P50 and P90,
  ``log d = log p50 + sigma z``, ``sigma = log(p90 / p50) / z_0.9``, so every pair's own P50 and
  P90 are the forecast's (a pair with P50 = 0 stays 0);
* one standard normal shock z per pair and scenario, the same in every year: uncertainty in a
  pair's growth path, not independent yearly noise (a pair that is high in 2029 is high in 2030);
* ``z = sqrt(c) G + sqrt(d) F_driver(p) + sqrt(1 - c - d) eps_p``: G common to all pairs, F
  shared by the pairs of one driver (pairs touching one AI campus; else pairs whose smaller
  region is the same), eps the pair's own. Loadings c, d come from the history: the mean
  correlation of pairs' monthly log-growth residuals, overall (c) and within a driver in excess
  of overall (d), shrunk toward 0 by ``m / (m + SHRINK_MONTHS)`` for m months, or as given in
  the scenario (``demand.common_loading`` / ``driver_loading``).

Draws are made in one fixed order from ``numpy.random.default_rng(seed)``: same seed, same
scenarios.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.forecast.estimator import round_sig
from planner.forecast.models import z_score

#: Shrinkage of the history's correlations: weight m / (m + SHRINK_MONTHS) for m months.
SHRINK_MONTHS = 12
#: Loadings above this leave too little pair noise to be a credible estimate.
MAX_LOADING = 0.9
#: Pairs need this many common months for their correlation to count.
MIN_COMMON_MONTHS = 12
SCENARIO_COLUMNS = ("scenario", "site_a", "site_b", "year", "demand_gbps")


@dataclass
class JointModel:
    """Everything needed to draw scenarios: per pair-year lognormal + the copula's loadings."""

    pairs: pd.DataFrame  # site_a, site_b, driver
    years: list[int]
    mu: np.ndarray  # (P, Y) log P50
    sigma: np.ndarray  # (P, Y) log sd
    zero: np.ndarray  # (P, Y) demand is 0 in every scenario
    driver: np.ndarray  # (P,) driver code
    common: float
    driver_loading: float
    info: dict = field(default_factory=dict)

    def draw(self, n: int, seed: int) -> np.ndarray:
        """``(n, P, Y)`` demand in Gbps, reproducible from ``seed``."""
        rng = np.random.default_rng(int(seed))
        n_drv = int(self.driver.max()) + 1 if len(self.driver) else 0
        g = rng.standard_normal((n, 1))
        f = rng.standard_normal((n, n_drv))
        e = rng.standard_normal((n, len(self.pairs)))
        own = max(0.0, 1.0 - self.common - self.driver_loading)
        z = np.sqrt(self.common) * g + np.sqrt(self.driver_loading) * f[:, self.driver]
        z = z + np.sqrt(own) * e
        d = np.exp(self.mu[None] + self.sigma[None] * z[:, :, None])
        return np.where(self.zero[None], 0.0, round_sig(d))


def drivers(pairs: pd.DataFrame, sites: pd.DataFrame) -> pd.Series:
    """Driver of each pair: ``campus:ID`` if an end is an AI campus, else ``region:NAME``."""
    s = sites.set_index("site_id")
    kind = s["kind"] if "kind" in s else pd.Series(dtype=str)
    region = s["region"] if "region" in s else pd.Series(dtype=str)
    a, b = pairs["site_a"], pairs["site_b"]
    ca = a.map(kind).eq("ai_campus")
    cb = b.map(kind).eq("ai_campus")
    campus = np.where(ca, a, np.where(cb, b, ""))
    ra = a.map(region).fillna("?").astype(str)
    rb = b.map(region).fillna("?").astype(str)
    reg = np.where(ra <= rb, ra, rb)
    out = np.where(campus != "", "campus:" + pd.Series(campus).astype(str), "region:" + reg)
    return pd.Series(out, index=pairs.index, name="driver")


def history_loadings(hist: pd.DataFrame, sites: pd.DataFrame) -> tuple[float, float, dict]:
    """(common, driver) loadings from the history's monthly log-growth residual correlations."""
    h = hist[hist["p95_gbps"] > 0]
    if not len(h):
        return 0.0, 0.0, {"history_pairs": 0}
    wide = h.pivot_table(index="month", columns=["site_a", "site_b"], values="p95_gbps")
    g = np.log(wide).diff().iloc[1:]
    g = g - g.mean()  # a pair's own trend is not a shock shared with others
    corr = g.corr(min_periods=MIN_COMMON_MONTHS).to_numpy()
    cols = g.columns.to_frame(index=False)
    drv = drivers(cols, sites).to_numpy()
    n = corr.shape[0]
    off = ~np.eye(n, dtype=bool) & np.isfinite(corr)
    if not off.any():
        return 0.0, 0.0, {"history_pairs": n}
    same = (drv[:, None] == drv[None, :]) & off
    r_all = float(corr[off].mean())
    r_in = float(corr[same].mean()) if same.any() else r_all
    months = len(g)
    lam = months / (months + SHRINK_MONTHS)
    common = float(np.clip(lam * r_all, 0.0, MAX_LOADING))
    driver = float(np.clip(lam * (r_in - r_all), 0.0, MAX_LOADING - common))
    info = {
        "history_pairs": n,
        "history_months": months,
        "mean_corr_all": r_all,
        "mean_corr_same_driver": r_in,
        "shrinkage": lam,
    }
    return common, driver, info


def fit_joint(
    forecast_df: pd.DataFrame,
    sites: pd.DataFrame,
    history: pd.DataFrame | None = None,
    common: float | None = None,
    driver: float | None = None,
) -> JointModel:
    """Joint model of the forecast; loadings from ``history`` unless given."""
    f = forecast_df.sort_values(["site_a", "site_b", "year"], kind="stable")
    years = sorted(f["year"].astype(int).unique().tolist())
    pairs = f[["site_a", "site_b"]].drop_duplicates().reset_index(drop=True)
    key = pd.MultiIndex.from_frame(pairs)
    idx = key.get_indexer(pd.MultiIndex.from_frame(f[["site_a", "site_b"]]))
    yi = pd.Index(years).get_indexer(f["year"].astype(int))
    p50 = np.zeros((len(pairs), len(years)))
    p90 = np.zeros_like(p50)
    p50[idx, yi] = f["p50_gbps"].to_numpy(float)
    p90[idx, yi] = f["p90_gbps"].to_numpy(float)
    zero = p50 <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = np.where(zero, 0.0, np.log(np.where(zero, 1.0, p50)))
        sig = np.where(zero, 0.0, np.log(np.maximum(p90, p50) / np.where(zero, 1.0, p50)))
    sig = sig / float(z_score(0.9))
    info: dict = {}
    c_hist, d_hist = 0.0, 0.0
    if history is not None and (common is None or driver is None):
        c_hist, d_hist, info = history_loadings(history, sites)
    c = c_hist if common is None else float(common)
    d = d_hist if driver is None else float(driver)
    d = min(d, max(0.0, 0.95 - c))
    drv = drivers(pairs, sites)
    codes, names = pd.factorize(drv, sort=True)
    pairs = pairs.assign(driver=drv.to_numpy())
    info.update({"common_loading": c, "driver_loading": d, "drivers": len(names)})
    return JointModel(pairs, years, mu, sig, zero, codes.astype(np.int64), c, d, info)


def scenario_frame(model: JointModel, draws: np.ndarray, first: int = 0) -> pd.DataFrame:
    """Long table ``scenario, site_a, site_b, year, demand_gbps`` of ``draws`` (n, P, Y)."""
    n, p, y = draws.shape
    return pd.DataFrame(
        {
            "scenario": np.repeat(np.arange(first, first + n), p * y),
            "site_a": np.tile(np.repeat(model.pairs["site_a"].to_numpy(), y), n),
            "site_b": np.tile(np.repeat(model.pairs["site_b"].to_numpy(), y), n),
            "year": np.tile(np.asarray(model.years, dtype=int), n * p),
            "demand_gbps": draws.ravel(),
        }
    )


def sample_scenarios(
    forecast_df: pd.DataFrame,
    sites: pd.DataFrame,
    n: int,
    seed: int,
    history: pd.DataFrame | None = None,
    common: float | None = None,
    driver: float | None = None,
) -> pd.DataFrame:
    """``n`` joint scenarios as a long table (see the module docstring); ``attrs["joint"]``
    holds the loadings used and how they were estimated."""
    model = fit_joint(forecast_df, sites, history, common, driver)
    out = scenario_frame(model, model.draw(n, seed))
    out.attrs["joint"] = {**model.info, "seed": int(seed), "n_scenarios": int(n)}
    return out
