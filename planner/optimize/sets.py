"""Index sets of the model as DataFrames: corridors, upgrade decisions, builds, pairs, paths.

Why frames and not dicts of tuples: every constraint family is then a groupby over one of
these tables (see ``build.py``), the same tables become the output tables (``extract.py``). The
corridor set is the network view (:func:`planner.network.corridor_table`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.config import Scenario
from planner.errors import InputError, Problem
from planner.network import corridor_table, pair_classes, unit_capex
from planner.optimize.lease_sets import extend_decisions
from planner.optimize.paths import enumerate_paths
from planner.schema import canonical_pairs
from planner.tables import Inputs

#: option_id written for a candidate-route build when no new_build option applies to it.
BUILD_OPTION_FALLBACK = "new_build"


@dataclass
class IndexSets:
    """Everything the model is indexed by; row order of each frame = variable order."""

    years: list[int]
    start_year: int
    #: existing corridors then candidate routes; ``e`` = row number
    corridors: pd.DataFrame
    #: integer decisions ``units[e, o, t]`` (wave / fiber_pair options only)
    upgrades: pd.DataFrame
    #: binary decisions ``build[c, t]`` for candidate routes
    builds: pd.DataFrame
    #: ``pair_id, site_a, site_b, pair_class, latency_limit_ms, best_latency_ms, n_paths``
    pairs: pd.DataFrame
    #: ``pair_id, year, demand_gbps`` (> 0 only)
    demand: pd.DataFrame
    #: ``pair_id, path_id, rank, corridor_ids, latency_ms, hops`` (path formulation)
    paths: pd.DataFrame
    #: long incidence ``path_id, e`` (one row per corridor on a path)
    path_edges: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    #: tie-break weight fixed by path pricing (the priced LP and the MIP share one objective)
    routing_usd_per_gbps_ms: float | None = None


def upgrade_table(
    corridors: pd.DataFrame, options: pd.DataFrame, scenario: Scenario
) -> pd.DataFrame:
    """One row per integer decision ``units[e, o, t]`` that can matter within the horizon.

    Only wave / fiber_pair options, only where they apply (``corridor_id`` blank or equal),
    only years whose purchase is in service by the last year (a purchase that never enters
    service within the horizon only costs money).
    """
    opts = options[options["kind"].isin(["wave", "fiber_pair"])]
    opts = opts[opts["max_units_per_corridor"] > 0]
    cols = [
        "e",
        "corridor_id",
        "option_id",
        "kind",
        "year",
        "in_service_year",
        "capacity_gbps",
        "unit_capex_usd",
        "max_units",
    ]
    if not len(opts) or not len(corridors):
        return pd.DataFrame({c: pd.Series(dtype=float) for c in cols})
    x = corridors[["e", "corridor_id", "distance_km", "spare_fiber_pairs"]].merge(
        opts.rename(columns={"corridor_id": "only_corridor"}), how="cross"
    )
    x = x[x["only_corridor"].isna() | (x["only_corridor"] == x["corridor_id"])]
    x = x[(x["kind"] != "fiber_pair") | (x["spare_fiber_pairs"] > 0)]
    years = pd.DataFrame({"year": scenario.years})
    x = x.merge(years, how="cross")
    x["in_service_year"] = x["year"] + x["lead_time_years"].astype(int)
    x = x[x["in_service_year"] <= scenario.years[-1]]
    x["unit_capex_usd"] = unit_capex(
        x["capex_fixed_usd"],
        x["capex_per_km_usd"],
        x["regen_capex_usd"],
        x["reach_km"],
        x["distance_km"],
        x["price_change_per_year"],
        x["year"] - scenario.start_year,
    )
    cap = np.where(
        x["kind"] == "fiber_pair",
        np.minimum(x["max_units_per_corridor"], x["spare_fiber_pairs"]),
        x["max_units_per_corridor"],
    )
    x["max_units"] = cap.astype(int)
    x = x.sort_values(["e", "option_id", "year"], kind="stable").reset_index(drop=True)
    return x[cols]


def build_table(corridors: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """One row per binary ``build[c, t]``: candidate c decided in year t, in service by horizon."""
    cand = corridors[corridors["is_candidate"]]
    cols = [
        "e",
        "corridor_id",
        "option_id",
        "year",
        "in_service_year",
        "capacity_gbps",
        "capex_usd",
    ]
    if not len(cand):
        return pd.DataFrame({c: pd.Series(dtype=float) for c in cols})
    b = cand.merge(pd.DataFrame({"year": scenario.years}), how="cross")
    b["in_service_year"] = b["year"] + b["build_lead_time_years"].astype(int)
    b = b[b["in_service_year"] <= scenario.years[-1]]
    b["capex_usd"] = b["build_capex_base_usd"] * (1.0 + b["build_price_change"]) ** (
        b["year"] - scenario.start_year
    )
    b["option_id"] = b["build_option_id"].where(b["build_option_id"] != "", BUILD_OPTION_FALLBACK)
    b["capacity_gbps"] = b["build_capacity_gbps"].astype(float)
    return b.sort_values(["e", "year"]).reset_index(drop=True)[cols]


def demand_table(
    demand: pd.DataFrame, inputs: Inputs, scenario: Scenario
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check the demand frame; return (pairs with any demand, demand rows > 0 in the horizon)."""
    need = ["site_a", "site_b", "year", "demand_gbps"]
    missing = [c for c in need if c not in demand.columns]
    if missing:
        raise InputError(Problem("<demand>", f"missing columns {missing} (expected {need})"))
    d = demand[need].copy()
    d["site_a"], d["site_b"] = d["site_a"].astype(str), d["site_b"].astype(str)
    problems = []
    vals = pd.to_numeric(d["demand_gbps"], errors="coerce")
    bad = vals.isna() | (vals < 0) | ~np.isfinite(vals.fillna(0))
    for i in d.index[bad][:20]:
        problems.append(
            Problem("<demand>", f"demand_gbps got {d.at[i, 'demand_gbps']!r}, expected >= 0")
        )
    sites = set(inputs.sites["site_id"].astype(str))
    unknown = sorted((set(d["site_a"]) | set(d["site_b"])) - sites)
    if unknown:
        problems.append(Problem("<demand>", f"unknown sites {unknown[:10]} (not in sites.csv)"))
    if (d["site_a"] == d["site_b"]).any():
        problems.append(Problem("<demand>", "a pair with the same site at both ends"))
    d["demand_gbps"] = vals
    d = d[d["year"].isin(scenario.years)]
    absent = sorted(set(scenario.years) - set(d["year"].astype(int)))
    if absent and len(d):
        problems.append(
            Problem(
                "<demand>",
                f"no demand rows for years {absent} (expected every horizon year "
                f"{scenario.years[0]}-{scenario.years[-1]})",
            )
        )
    if problems:
        raise InputError(problems)
    d = canonical_pairs(d)
    d["year"] = d["year"].astype(int)
    d = d.groupby(["site_a", "site_b", "year"], as_index=False)["demand_gbps"].sum()
    d = d[d["demand_gbps"] > 0]
    pairs = d[["site_a", "site_b"]].drop_duplicates().sort_values(["site_a", "site_b"])
    pairs = pairs.reset_index(drop=True)
    pairs.insert(0, "pair_id", np.arange(len(pairs), dtype=np.int64))
    pairs["pair_class"] = pair_classes(pairs, inputs.sites).to_numpy()
    limits = scenario.latency_ms_max
    pairs["latency_limit_ms"] = pairs["pair_class"].map(lambda c: limits.get(c, math.inf))
    rows = d.merge(pairs[["pair_id", "site_a", "site_b"]], on=["site_a", "site_b"])
    rows = rows.sort_values(["pair_id", "year"]).reset_index(drop=True)
    return pairs, rows[["pair_id", "year", "demand_gbps"]]


def index_sets(
    inputs: Inputs, demand: pd.DataFrame, scenario: Scenario, *, paths: bool = True
) -> IndexSets:
    """All index sets; ``paths=False`` skips path enumeration (arc formulation)."""
    t0 = time.perf_counter()
    corridors, warnings = corridor_table(inputs)
    upgrades = upgrade_table(corridors, inputs.upgrade_options, scenario)
    builds = build_table(corridors, scenario)
    upgrades, builds = extend_decisions(
        corridors, upgrades, builds, inputs.lease_options, inputs.committed_upgrades, scenario
    )
    pairs, dem = demand_table(demand, inputs, scenario)
    seconds = {"sets": time.perf_counter() - t0}
    t1 = time.perf_counter()
    if paths:
        p, info = enumerate_paths(
            corridors, pairs, scenario.k_paths, existing_mask=~corridors["is_candidate"]
        )
    else:
        p, info = enumerate_paths(corridors, pairs.assign(latency_limit_ms=math.inf), 1)
        p = p.iloc[0:0]
    pairs = pairs.merge(info, on="pair_id", how="left")
    if paths:
        yen = int(pairs["capped"].sum())
        if yen:
            warnings.append(f"{yen} pairs needed Yen's algorithm for their paths (slow graphs)")
    seconds["paths"] = time.perf_counter() - t1
    idx = corridors.set_index("corridor_id")["e"]
    pe = p[["path_id", "corridor_ids"]].explode("corridor_ids")
    pe = pd.DataFrame(
        {
            "path_id": pe["path_id"].to_numpy(dtype=np.int64),
            "e": pe["corridor_ids"].map(idx).to_numpy(dtype=np.int64),
        }
    )
    return IndexSets(
        years=list(scenario.years),
        start_year=scenario.start_year,
        corridors=corridors,
        upgrades=upgrades,
        builds=builds,
        pairs=pairs,
        demand=dem,
        paths=p,
        path_edges=pe,
        warnings=warnings,
        seconds=seconds,
    )
