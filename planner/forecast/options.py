"""Knobs of the forecaster that are not part of the scenario (defaults are what the CLI uses)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from planner.forecast.models import FAMILIES

#: Growth name -> multiplier of the forecast log-growth (see ``planner.forecast`` docstring).
GROWTH_FACTORS = {"low": 0.5, "base": 1.0, "high": 1.5}
#: Quantiles always written to forecast.csv.
BASE_QUANTILES = (0.5, 0.9, 0.95)


@dataclass(frozen=True)
class ForecastConfig:
    """Why these defaults: see the module docstrings of ``models`` and ``driver``."""

    #: model families the per-pair selection may choose from
    models: tuple[str, ...] = FAMILIES
    #: fewer months than this for a pair is an input error (a trend needs >= 3 points)
    min_months: int = 3
    #: pairs with fewer months get their own drift shrunk toward the typical trend
    short_months: int = 12
    #: let announced AI MW at a pair's ends shift its forecast (ETS on MW-normalised traffic)
    mw_adjust: bool = True
    #: which pairs without history get a gravity forecast: at least one ai_campus end, any
    #: pair of sites with mass, or none
    new_pairs: Literal["ai", "all", "none"] = "ai"
    #: keep at most this many new pairs per site (highest gravity demand in the last year)
    new_pairs_per_site: int = 8
    #: and at most this many new pairs in total (the optimiser routes every pair)
    max_new_pairs: int = 500
    #: gravity distances are floored here so two campuses in one metro do not explode
    min_distance_km: float = 50.0
    #: Gbps per MW used to put traffic-inferred masses on the MW scale when no AI campus has
    #: both MW and traffic history to estimate it from
    gbps_per_mw_default: float = 20.0
    #: months in the most recent window used as a pair's current level for the gravity fit
    level_months: int = 3
    #: threads for the ETS fit (results do not depend on it)
    n_jobs: int = 1

    def __post_init__(self) -> None:
        unknown = set(self.models) - set(FAMILIES)
        if unknown or not self.models:
            raise ValueError(f"unknown models {sorted(unknown)}; expected a subset of {FAMILIES}")
        if self.min_months < 3:
            raise ValueError("min_months must be >= 3")
        if self.new_pairs not in ("ai", "all", "none"):
            raise ValueError("new_pairs must be ai, all or none")


def growth_factor(growth: str | float) -> float:
    """``low | base | high`` -> 0.5 | 1 | 1.5; a number is used as is (must be > 0)."""
    if isinstance(growth, str):
        if growth not in GROWTH_FACTORS:
            raise ValueError(f"growth {growth!r}: expected low | base | high or a number > 0")
        return GROWTH_FACTORS[growth]
    g = float(growth)
    if not g > 0:
        raise ValueError(f"growth multiplier must be > 0, got {growth!r}")
    return g
