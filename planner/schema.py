"""Column specifications of every input table (the plan's are in :mod:`planner.plan_schema`).

Why one place: the validator (``planner.validate``) checks files against these specs and the
docs (``inputs/README.md``, ``planner schema``) are generated from them, so the two can never
disagree. Column names carry their unit (``_gbps``, ``_km``, ``_usd``, ``_mw``, ``_ms``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd

SITE_KINDS = ("ai_campus", "cloud_region", "carrier_hotel")
OPTION_KINDS = ("wave", "fiber_pair", "new_build")
#: Pair classes drive latency limits and protected shares in the scenario.
PAIR_CLASSES = ("ai_training", "ai_inference", "general")
MIN_HISTORY_MONTHS = 3  #: months of history per pair: one rule for validate/forecast/backtest
#: Light in fiber travels at ~c/1.468: about 4.9 microseconds per km, one way.
FIBER_LATENCY_MS_PER_KM = 0.0049
#: Default wave size used to infer wave slots already used when ``installed_waves`` is blank.
DEFAULT_WAVE_GBPS = 400.0
#: Months of demand history accepted: nothing before the year the schema's years start.
HISTORY_FIRST_MONTH = "1990-01"
#: A corridor route may be this much shorter than the great circle between its sites' coordinates
#: (coordinates of a campus are approximate) before it is an error: fiber never beats geodesy.
GREAT_CIRCLE_TOLERANCE = 0.05
GREAT_CIRCLE_SLACK_KM = 5.0


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # "str" | "int" | "float" | "month"
    unit: str
    description: str
    required: bool = True
    #: lower bound; ``strict`` makes it exclusive (> instead of >=)
    min: float | None = None
    strict: bool = False
    max: float | None = None
    choices: tuple[str, ...] | None = None
    #: may the value be blank in a row (only for optional-valued columns)
    nullable: bool = False
    default: object = None
    #: plausibility bound: above it the value is an error unless the planner passes
    #: ``planner --allow-implausible`` (then a warning); ``max`` is never overridable
    plausible_max: float | None = None


@dataclass(frozen=True)
class Table:
    name: str
    filename: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    required: bool = True
    #: columns holding site ids that must exist in sites.csv
    site_refs: tuple[str, ...] = field(default=())
    #: (col_a, col_b) of an unordered site pair
    pair: tuple[str, str] | None = None

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


SITES = Table(
    "sites",
    "sites.csv",
    "Data centers, AI campuses and carrier hotels: the nodes of the network.",
    (
        Column("site_id", "str", "-", "Unique short id, e.g. ASH (Ashburn VA)."),
        Column("name", "str", "-", "Human-readable name."),
        Column("operator", "str", "-", "Owner or main tenant (illustrative)."),
        Column("lat", "float", "deg", "Latitude, WGS84.", min=-90, max=90),
        Column("lon", "float", "deg", "Longitude, WGS84.", min=-180, max=180),
        Column("region", "str", "-", "Planning region, e.g. us-east."),
        Column(
            "kind",
            "str",
            "-",
            "Site kind; drives the pair class.",
            required=False,
            choices=SITE_KINDS,
            default="cloud_region",
        ),
    ),
    key=("site_id",),
)

AI_BUILDOUT = Table(
    "ai_buildout",
    "ai_buildout.csv",
    "AI compute (IT load) online at a site by year: the main demand growth driver.",
    (
        Column("site_id", "str", "-", "Site id from sites.csv."),
        Column("year", "int", "year", "Calendar year.", min=1990, max=2100),
        Column(
            "ai_it_mw",
            "float",
            "MW",
            "AI IT load online at the site in that year.",
            min=0,
            max=1e6,
            plausible_max=20_000,
        ),
    ),
    key=("site_id", "year"),
    site_refs=("site_id",),
)

CORRIDORS = Table(
    "corridors",
    "corridors.csv",
    "Existing fiber routes between two sites (undirected).",
    (
        Column("corridor_id", "str", "-", "Unique corridor id."),
        Column("site_a", "str", "-", "One end (site id)."),
        Column("site_b", "str", "-", "Other end (site id)."),
        Column(
            "distance_km",
            "float",
            "km",
            "Route (not great-circle) length.",
            min=0,
            strict=True,
            max=100_000,
            plausible_max=30_000,
        ),
        Column(
            "installed_capacity_gbps",
            "float",
            "Gbps",
            "Capacity lit today.",
            min=0,
            max=1e9,
            plausible_max=2e6,
        ),
        Column(
            "lit_fiber_pairs",
            "int",
            "pairs",
            "Fiber pairs with a line system today.",
            min=0,
            max=1e6,
            plausible_max=2_000,
        ),
        Column(
            "spare_fiber_pairs",
            "int",
            "pairs",
            "Dark pairs that can be lit.",
            min=0,
            max=1e6,
            plausible_max=5_000,
        ),
        Column(
            "max_waves_per_fiber_pair",
            "int",
            "waves",
            "Wave slots per lit pair.",
            min=0,
            strict=True,
            max=1e6,
            plausible_max=1_000,
        ),
        Column(
            "srlg",
            "str",
            "-",
            "Shared-risk link groups, ';'-separated (blank = none).",
            nullable=True,
            default="",
        ),
        Column(
            "extra_latency_ms",
            "float",
            "ms",
            "Latency on top of 4.9 us/km (equipment).",
            required=False,
            min=0,
            default=0.0,
            max=1e6,
            plausible_max=1_000,
        ),
        Column(
            "installed_waves",
            "int",
            "waves",
            "Wave slots already used; blank = ceil(installed / 400G).",
            required=False,
            min=0,
            nullable=True,
            max=1e9,
        ),
    ),
    key=("corridor_id",),
    site_refs=("site_a", "site_b"),
    pair=("site_a", "site_b"),
)

UPGRADE_OPTIONS = Table(
    "upgrade_options",
    "upgrade_options.csv",
    "Capacity modules that can be bought: waves, lighting a spare pair, building a new route.",
    (
        Column("option_id", "str", "-", "Unique option id, e.g. wave_800g."),
        Column("kind", "str", "-", "wave | fiber_pair | new_build.", choices=OPTION_KINDS),
        Column(
            "capacity_gbps",
            "float",
            "Gbps",
            "Capacity added per unit (wave: its rate; fiber_pair: 0 allowed, it opens "
            "max_waves_per_fiber_pair slots; new_build: capacity lit on day one).",
            min=0,
            max=1e9,
            plausible_max=1e6,
        ),
        Column(
            "capex_fixed_usd",
            "float",
            "USD",
            "Cost per unit independent of length.",
            min=0,
            max=1e13,
            plausible_max=1e11,
        ),
        Column(
            "capex_per_km_usd",
            "float",
            "USD/km",
            "Cost per unit per route km.",
            min=0,
            max=1e11,
            plausible_max=1e8,
        ),
        Column(
            "lead_time_years",
            "int",
            "years",
            "Years between purchase and service.",
            min=0,
            max=100,
            plausible_max=20,
        ),
        Column(
            "max_units_per_corridor",
            "int",
            "units",
            "Cap on units per corridor.",
            min=0,
            max=1e6,
            plausible_max=10_000,
        ),
        Column(
            "price_change_per_year",
            "float",
            "fraction/yr",
            "Price trend, e.g. -0.15 = 15 % cheaper each year.",
            required=False,
            min=-0.9,
            max=1.0,
            default=0.0,
        ),
        Column(
            "reach_km",
            "float",
            "km",
            "Optical reach; one regeneration per reach (waves).",
            required=False,
            min=0,
            strict=True,
            nullable=True,
            max=1e6,
            plausible_max=100_000,
        ),
        Column(
            "regen_capex_usd",
            "float",
            "USD",
            "Cost of one regeneration site per unit.",
            required=False,
            min=0,
            default=0.0,
            max=1e12,
            plausible_max=1e9,
        ),
        Column(
            "corridor_id",
            "str",
            "-",
            "Restrict the option to one corridor or candidate route (blank = all).",
            required=False,
            nullable=True,
        ),
    ),
    key=("option_id",),
)

CANDIDATE_ROUTES = Table(
    "candidate_routes",
    "candidate_routes.csv",
    "New corridors that could be built (optional file).",
    (
        Column("route_id", "str", "-", "Unique id; becomes the corridor id once built."),
        Column("site_a", "str", "-", "One end (site id)."),
        Column("site_b", "str", "-", "Other end (site id)."),
        Column(
            "distance_km",
            "float",
            "km",
            "Route length.",
            min=0,
            strict=True,
            max=100_000,
            plausible_max=30_000,
        ),
        Column(
            "build_capex_usd",
            "float",
            "USD",
            "Cost to build; blank = the new_build option's fixed + per-km cost.",
            nullable=True,
            min=0,
            max=1e13,
            plausible_max=1e11,
        ),
        Column(
            "fiber_pairs",
            "int",
            "pairs",
            "Pairs in the new cable.",
            min=1,
            max=1e6,
            plausible_max=5_000,
        ),
        Column(
            "max_waves_per_fiber_pair",
            "int",
            "waves",
            "Wave slots per lit pair.",
            min=0,
            strict=True,
            max=1e6,
            plausible_max=1_000,
        ),
        Column("srlg", "str", "-", "Shared-risk groups, ';'-separated.", nullable=True, default=""),
        Column(
            "lead_time_years",
            "int",
            "years",
            "Years from decision to service; blank = the new_build option's.",
            required=False,
            nullable=True,
            min=0,
            max=100,
            plausible_max=20,
        ),
    ),
    key=("route_id",),
    required=False,
    site_refs=("site_a", "site_b"),
    pair=("site_a", "site_b"),
)

DEMAND_HISTORY = Table(
    "demand_history",
    "demand_history.csv",
    "Monthly busy-hour 95th percentile traffic per unordered site pair.",
    (
        Column("site_a", "str", "-", "One end (site id)."),
        Column("site_b", "str", "-", "Other end (site id)."),
        Column("month", "month", "YYYY-MM", "Calendar month."),
        Column(
            "p95_gbps",
            "float",
            "Gbps",
            "95th percentile of 5-min traffic, both directions max.",
            min=0,
            max=1e12,
            plausible_max=1e8,
        ),
    ),
    key=("site_a", "site_b", "month"),
    site_refs=("site_a", "site_b"),
    pair=("site_a", "site_b"),
)

LEASE_OPTIONS = Table(
    "lease_options",
    "lease_options.csv",
    "Carrier capacity that can be leased on a corridor (optional file): dedicated waves or "
    "fiber under contract, paid per unit and year (OpEx), sometimes with an upfront IRU or "
    "installation fee (counted as CapEx). Leased Gbps use no own wave slots or fiber pairs.",
    (
        Column("lease_id", "str", "-", "Unique offer id; must differ from every option_id."),
        Column(
            "corridor_id",
            "str",
            "-",
            "Corridor (corridors.csv) the carrier serves; blank = every existing corridor.",
            nullable=True,
        ),
        Column(
            "capacity_gbps",
            "float",
            "Gbps",
            "Capacity of one leased unit.",
            min=0,
            strict=True,
            max=1e9,
            plausible_max=1e6,
        ),
        Column(
            "opex_usd_per_unit_year",
            "float",
            "USD/yr",
            "Recurring fee per unit and year of service (OpEx).",
            min=0,
            max=1e12,
            plausible_max=1e9,
        ),
        Column(
            "upfront_usd_per_unit",
            "float",
            "USD",
            "One-off fee per unit when the contract is signed (IRU / NRC, counted as CapEx).",
            required=False,
            min=0,
            default=0.0,
            max=1e13,
            plausible_max=1e11,
        ),
        Column(
            "min_term_years",
            "int",
            "years",
            "Shortest contract; fees are owed for at least this many years, also past the horizon.",
            required=False,
            min=1,
            default=1,
            max=100,
            plausible_max=30,
        ),
        Column(
            "lead_time_years",
            "int",
            "years",
            "Years between signing and service (0 = in service the year signed).",
            required=False,
            min=0,
            default=0,
            max=100,
            plausible_max=20,
        ),
        Column(
            "max_units",
            "int",
            "units",
            "Most units leased on one corridor at the same time.",
            min=0,
            max=1e6,
            plausible_max=10_000,
        ),
        Column(
            "price_change_per_year",
            "float",
            "fraction/yr",
            "Price trend of new contracts (fees fixed for a contract's life).",
            required=False,
            min=-0.9,
            max=1.0,
            default=0.0,
        ),
        Column(
            "available_from_year",
            "int",
            "year",
            "First year a contract can be signed (blank = any year).",
            required=False,
            nullable=True,
            min=1990,
            max=2100,
        ),
        Column("source", "str", "-", "Where the figures come from.", required=False, default=""),
    ),
    key=("lease_id",),
    required=False,
)

COMMITTED_UPGRADES = Table(
    "committed_upgrades",
    "committed_upgrades.csv",
    "Purchases and lease contracts already ordered or in service (optional file): the plan "
    "keeps them, and the budgets count only new spend.",
    (
        Column("corridor_id", "str", "-", "Corridor (or candidate route for a new_build) id."),
        Column(
            "option_id",
            "str",
            "-",
            "An option_id of upgrade_options.csv (wave, fiber_pair, new_build) or a lease_id.",
        ),
        Column(
            "year",
            "int",
            "year",
            "Year bought or contract signed (within the horizon).",
            min=1990,
            max=2100,
        ),
        Column("units", "int", "units", "Units ordered (1 for a new_build).", min=1, max=1e6),
        Column(
            "term_years",
            "int",
            "years",
            "Leases only: contract length (blank = the offer's min_term_years).",
            required=False,
            nullable=True,
            min=1,
            max=100,
        ),
    ),
    key=("corridor_id", "option_id", "year"),
    required=False,
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (SITES, AI_BUILDOUT, CORRIDORS, UPGRADE_OPTIONS, CANDIDATE_ROUTES, DEMAND_HISTORY)
}
TABLES |= {t.name: t for t in (LEASE_OPTIONS, COMMITTED_UPGRADES)}


class RunStatus(StrEnum):
    """Status of one sweep run in ``runs.csv`` (compare with ``.value``: CSVs hold strings)."""

    OK = "ok"
    TIME_LIMIT = "time_limit"  # a plan, but the solver ran out of time
    FAILED = "failed"
    PENDING = "pending"


#: Runs with a plan (the frontier is drawn from these).
PLANNED_STATUSES = (RunStatus.OK.value, RunStatus.TIME_LIMIT.value)


def canonical_pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with ``site_a <= site_b`` (string order) in every row.

    Why one function: unordered pairs are stored canonical everywhere (validated inputs,
    demand, the optimiser's pairs, survivability); every stage that takes pairs from outside
    calls this rather than its own swap.
    """
    out = frame.copy()
    swap = (out["site_a"] > out["site_b"]).to_numpy()
    if swap.any():
        out.loc[swap, ["site_a", "site_b"]] = out.loc[swap, ["site_b", "site_a"]].to_numpy()
    return out


PLAUSIBILITY_NOTE = (
    "Rules marked *plausible* are plausibility bounds: a value above one is an error (usually a "
    "unit slip, e.g. Mbps in a `_gbps` column) unless you pass `planner --allow-implausible "
    "COMMAND ...`, which turns it into a warning. The other bounds (`<=`, `>=`) always apply: "
    "beyond them no network exists and the solver cannot scale the model. Integers are never "
    "above 10^9 (they would not survive the trip through 64-bit columns)."
)


def markdown() -> str:
    """Markdown reference of all tables, used for inputs/README.md and ``planner schema``."""
    return "\n".join([PLAUSIBILITY_NOTE, "", *tables_markdown(TABLES.values())])


def tables_markdown(tables: Iterable[Table]) -> list[str]:
    """Lines of one Markdown section per table (input specs and plan specs alike)."""
    out: list[str] = []
    for t in tables:
        req = "required" if t.required else "optional"
        out.append(f"### `{t.filename}` ({req})\n\n{t.description}\n")
        if t.key:
            out.append(f"Unique key: `{', '.join(t.key)}`.\n")
        out.append("| column | type | unit | required | rule | description |")
        out.append("|---|---|---|---|---|---|")
        for c in t.columns:
            rule = []
            if c.min is not None:
                rule.append(f"{'>' if c.strict else '>='} {c.min:g}")
            if c.max is not None:
                rule.append(f"<= {c.max:g}")
            if c.plausible_max is not None:
                rule.append(f"plausible <= {c.plausible_max:g}")
            if c.choices:
                rule.append(" / ".join(c.choices))
            if c.nullable:
                rule.append("may be blank")
            out.append(
                f"| `{c.name}` | {c.dtype} | {c.unit} | {'yes' if c.required else 'no'} | "
                f"{'; '.join(rule)} | {c.description} |"
            )
        out.append("")
    return out
