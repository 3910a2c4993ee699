"""Typed scenario: what to plan, for how long, with how much money.

Why pydantic with ``extra="forbid"``: a typo such as ``budget_usd_totl`` must be an error
naming the key, not a silently ignored setting that changes a nine-figure decision.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from planner.schema import PAIR_CLASSES

GROWTH_NAMES = ("low", "base", "high")
#: Solver threads above this are refused: no planning server has more cores worth using,
#: and oversubscribed threads stretch the wall-clock limit (10000 turned 10 s into 44 s).
MAX_THREADS = 64
#: Largest money amount accepted (USD): beyond it the solver cannot scale the model.
MAX_USD = 1e13


def _no_bools(v: object) -> object:
    """YAML reads ``true``/``yes``/``on`` as booleans, which pydantic would take as 1."""
    if isinstance(v, bool):
        raise ValueError("expected a number or text, not a boolean")
    if isinstance(v, dict):
        for x in v.values():
            _no_bools(x)
    if isinstance(v, list):
        for x in v:
            _no_bools(x)
    return v


def _check_per_year(key: str, b: float | list[float], horizon: int, alt: str = "") -> None:
    """A money amount per horizon year (or one for all when ``alt``): count and range."""
    vals = b if isinstance(b, list) else [b]
    if isinstance(b, list) and len(b) != horizon:
        raise ValueError(f"{key} has {len(b)} values, expected {alt}horizon_years={horizon}")
    if any(x < 0 or x > MAX_USD for x in vals):
        raise ValueError(f"{key} values must be >= 0 and <= {MAX_USD:g}")


class _Strict(BaseModel):
    # allow_inf_nan=False: .inf / .nan are refused in every float, nested ones included
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _reject_bools(cls, v: object, info: ValidationInfo) -> object:
        ann = cls.model_fields[info.field_name].annotation
        if ann in (bool, "bool"):
            return v  # a switch: true/false is what it takes
        kinds = (ann, *get_args(ann))
        if any(isinstance(k, type) and issubclass(k, BaseModel) for k in kinds):
            return v  # a nested section checks its own fields (its switches included)
        return _no_bools(v)


class SolverConfig(_Strict):
    name: Literal["highs", "cbc"] = "highs"
    time_limit_s: float = Field(
        120.0, gt=0, le=7 * 86400, description="Wall-clock limit per solve (s, at most a week)."
    )
    mip_gap: float = Field(0.01, ge=0, lt=1, description="Relative MIP gap to stop at.")
    threads: int = Field(2, ge=1, le=MAX_THREADS, description="Solver threads (at most 64).")
    served_gap: float | None = Field(
        None,
        ge=0,
        lt=1,
        description=(
            "Also stop (HiGHS, max-served, no survivability) once the plan provably serves "
            "within this share of the most demand any plan within the budget can serve "
            "(e.g. 0.01)."
        ),
    )
    cuts: bool = Field(
        True,
        description=(
            "Add cut-set (MIR) inequalities for whole waves, fiber pairs and routes, separated "
            "from the LP relaxation, before branching (tightens the bound; see "
            "planner.optimize.cutset and reports/bench/optimize.md)."
        ),
    )
    path_pricing: bool = Field(
        True,
        description=(
            "Path formulation: price new admissible paths on the LP duals before the MIP "
            "(column generation at the root), so the LP bound holds for all paths, not only "
            "the k shortest (planner.optimize.pricing). Base scenario: +13 % wall time "
            "for a 1 % better plan (reports/bench/optimize.md)."
        ),
    )
    cumulative: bool = Field(
        False,
        description=(
            "Add integer columns for units bought by each year (z = cumulative purchases per "
            "corridor and option, and routes built by then) so the solver branches on "
            "capacity in service (planner.optimize.cumulative; reports/bench/cumulative.md)."
        ),
    )


class DemandConfig(_Strict):
    """How the plan treats demand uncertainty (``demand:`` in the scenario YAML).

    ``quantile`` (default): one number per pair and year, the scenario's ``demand_quantile``.
    ``scenarios``: one set of upgrades for ``n_scenarios`` joint demand trajectories sampled
    from the forecast (:mod:`planner.forecast.joint`), routing chosen per scenario
    (:mod:`planner.scenarios`); ``hose``: carry every matrix within per-site limits (each
    site's ``demand_quantile`` total over the scenarios). See docs/demand_modes.md.
    """

    mode: Literal["quantile", "scenarios", "hose"] = "quantile"
    n_scenarios: int = Field(50, ge=1, le=5000, description="Joint scenarios planned against.")
    seed: int | None = Field(
        None, ge=0, le=2**32 - 1, description="Sampling seed (default: the scenario's seed)."
    )
    objective: Literal["chance", "expected", "cvar"] = Field(
        "chance",
        description=(
            "chance: least CapEx serving all demand in >= serve_share of the scenarios; "
            "expected / cvar: within the budget, least expected / CVaR unserved Gbps-years."
        ),
    )
    serve_share: float = Field(0.9, gt=0, le=1, description="Chance: share of scenarios served.")
    cvar_alpha: float = Field(0.9, ge=0, lt=1, description="CVaR level (mean of the worst 1-a).")
    representatives: int = Field(
        8, ge=1, le=200, description="expected / cvar: scenarios kept after reduction."
    )
    search_steps: int = Field(
        3, ge=0, le=20, description="Chance: bisection steps on the corridor-load quantile."
    )
    hose_pair_cap: bool = Field(
        True, description="Hose: each pair also at most its demand_quantile (hose within pipe)."
    )
    holdout_share: float = Field(
        0.0,
        ge=0,
        lt=1,
        description=(
            "Chance (heuristic): share of the scenarios held out of the sizing; the sizing "
            "level (load quantile, then a safety margin) is chosen so that the held-out "
            "scenarios are served in >= serve_share. 0: chosen on the sized-for scenarios."
        ),
    )
    chance_method: Literal["heuristic", "exact"] = Field(
        "heuristic",
        description=(
            "Chance: heuristic (corridor-load targets, MIPs of the ordinary size) or exact "
            "(one MIP over every scenario with scenario-selection binaries: small models)."
        ),
    )
    common_loading: float | None = Field(
        None, ge=0, le=0.95, description="Share of log-demand variance common to all pairs."
    )
    driver_loading: float | None = Field(
        None, ge=0, le=0.95, description="Share common to pairs of one driver (campus/region)."
    )

    @model_validator(mode="after")
    def _loadings(self) -> DemandConfig:
        total = (self.common_loading or 0.0) + (self.driver_loading or 0.0)
        if total > 0.95:
            raise ValueError(f"common_loading + driver_loading = {total:g}, expected <= 0.95")
        return self


class Scenario(_Strict):
    name: str = Field(..., min_length=1)
    start_year: int = Field(..., ge=1990, le=2100, description="First planning year.")
    horizon_years: int = Field(5, ge=1, le=30, description="Number of yearly periods.")
    budget_usd_total: float = Field(
        ..., ge=0, le=MAX_USD, description="CapEx cap over the horizon (USD)."
    )
    budget_usd_per_year: list[float] | None = Field(
        None, description="Optional CapEx cap per year (USD), one value per horizon year."
    )
    demand_quantile: float = Field(0.9, gt=0, lt=1, description="Forecast quantile sized for.")
    growth: str | float = Field("base", description="low | base | high or a multiplier > 0.")
    max_utilization: float = Field(0.7, gt=0, le=1, description="Max flow / capacity.")
    survivability: Literal["none", "single_corridor", "single_srlg"] = "none"
    protected_share: dict[str, float] = Field(
        default_factory=lambda: {"ai_training": 1.0, "ai_inference": 0.5, "general": 0.5},
        description="Share of demand that must survive one failure, per pair class.",
    )
    latency_ms_max: dict[str, float] = Field(
        default_factory=lambda: {"ai_training": 25.0, "ai_inference": 40.0, "general": 80.0},
        description="One-way latency limit per pair class (ms); longer paths are inadmissible.",
    )
    k_paths: int = Field(5, ge=1, le=50, description="Candidate paths per pair.")
    objective: Literal["max-served", "min-cost"] = "max-served"
    unserved_penalty_usd_per_gbps: float = Field(
        1.0e7,
        gt=0,
        le=1e12,
        description="Penalty per Gbps-year unserved; must dwarf any CapEx per Gbps.",
    )
    solver: SolverConfig = Field(default_factory=SolverConfig)
    seed: int = Field(42, ge=0, le=2**32 - 1)
    # money over time (issue 18): leases, OpEx, net present value
    discount_rate: float = Field(
        0.0,
        ge=0,
        lt=1,
        description=(
            "Yearly discount rate of the cost objective: CapEx and lease fees of year t weigh "
            "1/(1+rate)^(t-start_year) (0 = undiscounted, the plan of earlier versions)."
        ),
    )
    opex_budget_usd_per_year: float | list[float] | None = Field(
        None,
        description=(
            "Optional cap on new lease fees per year (USD): one value for every year or one "
            "per horizon year; committed contracts are not counted."
        ),
    )
    new_leases: bool = Field(
        True,
        description=(
            "false: sign no new lease contract (committed ones are kept): own waves, fiber "
            "pairs and route builds only, as before lease offers existed."
        ),
    )
    compare_build_only: bool = Field(
        False,
        description=(
            "With lease offers: also plan without any new lease and report the NPV of both "
            "(a second solve)."
        ),
    )

    @model_validator(mode="after")
    def _opex_budget(self) -> Scenario:
        b = self.opex_budget_usd_per_year
        if b is not None:
            _check_per_year("opex_budget_usd_per_year", b, self.horizon_years, "one or ")
        return self

    @property
    def opex_budget_by_year(self) -> list[float] | None:
        """The OpEx cap of every horizon year (None: no cap)."""
        b = self.opex_budget_usd_per_year
        if b is None:
            return None
        return list(b) if isinstance(b, list) else [float(b)] * self.horizon_years

    def discount_factor(self, year):
        """1/(1+rate)^(year-start_year); ``year`` a number or an array."""
        return (1.0 + self.discount_rate) ** -(year - self.start_year)

    demand: DemandConfig = Field(default_factory=DemandConfig)

    @field_validator("growth", mode="before")
    @classmethod
    def _growth(cls, v: object) -> str | float:
        if isinstance(v, str) and v in GROWTH_NAMES:
            return v
        if isinstance(v, int | float) and not isinstance(v, bool) and 0 < v <= 100:
            return float(v)
        raise ValueError("expected low | base | high or a multiplier in (0, 100]")

    @field_validator("protected_share", "latency_ms_max")
    @classmethod
    def _known_classes(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(v) - set(PAIR_CLASSES))
        if unknown:
            raise ValueError(f"unknown pair class {unknown}; expected {list(PAIR_CLASSES)}")
        if any(x < 0 for x in v.values()):
            raise ValueError("values must be >= 0")
        if any(x > 1e5 for x in v.values()):
            raise ValueError("values must be <= 100000")
        return v

    @field_validator("protected_share")
    @classmethod
    def _share_le_one(cls, v: dict[str, float]) -> dict[str, float]:
        if any(x > 1 for x in v.values()):
            raise ValueError("a protected share is a fraction between 0 and 1")
        return v

    @model_validator(mode="after")
    def _per_year_length(self) -> Scenario:
        if self.budget_usd_per_year is not None:
            _check_per_year("budget_usd_per_year", self.budget_usd_per_year, self.horizon_years)
        return self

    @property
    def years(self) -> list[int]:
        return list(range(self.start_year, self.start_year + self.horizon_years))

    @property
    def quantile_column(self) -> str:
        """Forecast column sized for, e.g. 0.9 -> ``p90_gbps``."""
        return quantile_column(self.demand_quantile)


def quantile_column(q: float) -> str:
    pct = round(q * 100, 1)
    return f"p{int(pct)}_gbps" if float(pct).is_integer() else f"p{pct:g}_gbps".replace(".", "_")
