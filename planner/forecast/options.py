"""Knobs of the forecaster that are not part of the scenario (defaults are what the CLI uses).

Why pydantic with ``extra="forbid"`` (as :class:`planner.config.Scenario`): a typo such as
``calibrat=False`` must be an error naming the key, not a silently ignored setting.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from planner.forecast.models import CHUNK, FAMILIES
from planner.schema import MIN_HISTORY_MONTHS

#: Growth name -> multiplier of the forecast log-growth (see ``planner.forecast`` docstring).
GROWTH_FACTORS = {"low": 0.5, "base": 1.0, "high": 1.5}
#: Quantiles always written to forecast.csv.
BASE_QUANTILES = (0.5, 0.9, 0.95)


class ForecastConfig(BaseModel):
    """Why these defaults: see the module docstrings of ``models``, ``calibrate``, ``robust``
    and ``driver``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: model families the per-pair selection may choose from
    models: tuple[str, ...] = FAMILIES
    #: fewer months than this for a pair is an input error (one rule with validate/backtest)
    min_months: int = Field(MIN_HISTORY_MONTHS, ge=MIN_HISTORY_MONTHS)
    #: pairs with fewer months get their own drift shrunk toward the typical trend
    short_months: int = Field(12, ge=1)
    #: let announced AI MW at a pair's ends shift its forecast (ETS on MW-normalised traffic)
    mw_adjust: bool = True
    #: which pairs without history get a gravity forecast: at least one ai_campus end, any
    #: pair of sites with mass, or none
    new_pairs: Literal["ai", "all", "none"] = "ai"
    #: keep at most this many new pairs per site (highest gravity demand in the last year)
    new_pairs_per_site: int = Field(8, ge=0)
    #: and at most this many new pairs in total (the optimiser routes every pair)
    max_new_pairs: int = Field(500, ge=0)
    #: gravity distances are floored here so two campuses in one metro do not explode
    min_distance_km: float = Field(50.0, gt=0)
    #: Gbps per MW used to put traffic-inferred masses on the MW scale when no AI campus has
    #: both MW and traffic history to estimate it from
    gbps_per_mw_default: float = Field(20.0, gt=0)
    #: months in the most recent window used as a pair's current level for the gravity fit
    level_months: int = Field(3, ge=1)
    #: threads for the ETS fit (results do not depend on it)
    n_jobs: int = Field(1, ge=1)
    #: series per vectorised batch (memory vs speed; results do not depend on it)
    chunk: int = Field(CHUNK, ge=1)
    #: winsorise isolated bursts of the log history before fitting (``robust.clean_log``)
    robust: bool = True
    #: remove a calendar-month seasonal index (common to all pairs and/or a pair's own,
    #: kept only where significant, ``seasonal``) before the fit and add it back after
    seasonal: bool = True
    #: interval widths from rolling-origin errors of the model itself (``calibrate``);
    #: False keeps the textbook lognormal ETS intervals
    calibrate: bool = True
    #: at most this many series (a fixed-seed sample) are refitted for the calibration
    calibration_series: int = Field(1500, ge=10)
    #: plausible growth of a pair's traffic per year beyond its MW driver (cap, ``robust``)
    cap_growth_per_year: float = Field(2.0, ge=1.0)
    #: the cap starts at this multiple of the pair's history maximum
    cap_headroom: float = Field(2.0, ge=1.0)

    @field_validator("models")
    @classmethod
    def _known_models(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        unknown = set(v) - set(FAMILIES)
        if unknown or not v:
            raise ValueError(f"unknown models {sorted(unknown)}; expected a subset of {FAMILIES}")
        return tuple(v)


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
