"""Index sets of the model as DataFrames: corridors, upgrade decisions, builds, pairs, paths.

Why frames and not dicts of tuples: every constraint family is then a groupby over one of
these tables (see ``build.py``), the same tables become the output tables (``extract.py``), and
``verify.py`` recomputes costs with the same :func:`unit_capex` from the written inputs.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.config import Scenario
from planner.errors import InputError, Problem
from planner.optimize.paths import enumerate_paths
from planner.schema import DEFAULT_WAVE_GBPS
from planner.tables import Inputs, corridor_latency_ms, installed_waves, pair_classes

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


def unit_capex(
    fixed_usd, per_km_usd, regen_usd, reach_km, distance_km, price_change, years_since_start
):
    """USD per unit bought ``years_since_start`` after the first planning year (vectorised).

    ``(fixed + per_km x km + regen x floor(km / reach)) x (1 + price_change) ** years``;
    a blank reach means no regeneration.
    """
    reach = np.asarray(reach_km, dtype=float)
    km = np.asarray(distance_km, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        regens = np.where(np.isfinite(reach) & (reach > 0), np.floor(km / reach), 0.0)
    base = (
        np.asarray(fixed_usd, dtype=float)
        + np.asarray(per_km_usd, dtype=float) * km
        + np.asarray(regen_usd, dtype=float) * regens
    )
    return base * (1.0 + np.asarray(price_change, dtype=float)) ** np.asarray(years_since_start)


def _build_option(route: pd.Series, new_builds: pd.DataFrame) -> pd.Series | None:
    """The new_build option for a candidate route: its own, else the cheapest generic one."""
    own = new_builds[new_builds["corridor_id"] == route["route_id"]]
    pool = own if len(own) else new_builds[new_builds["corridor_id"].isna()]
    if not len(pool):
        return None
    cost = unit_capex(
        pool["capex_fixed_usd"],
        pool["capex_per_km_usd"],
        pool["regen_capex_usd"],
        pool["reach_km"],
        route["distance_km"],
        0.0,
        0,
    )
    pool = pool.assign(_cost=cost).sort_values(["_cost", "option_id"])
    return pool.iloc[0]


def corridor_table(inputs: Inputs) -> tuple[pd.DataFrame, list[str]]:
    """Existing corridors and candidate routes in one frame with slot and build parameters.

    Existing: ``free_slots = max(0, waves_per_pair x lit_pairs - installed_waves)``.
    Candidate: nothing until built; then ``build_capacity_gbps`` lit on one pair using
    ``build_waves`` slots, ``spare_fiber_pairs = fiber_pairs - 1``.
    """
    warnings: list[str] = []
    c = inputs.corridors.copy()
    iw = installed_waves(c)
    slots = c["max_waves_per_fiber_pair"] * c["lit_fiber_pairs"] - iw
    for cid in c.loc[slots < 0, "corridor_id"]:
        warnings.append(
            f"corridor {cid}: installed_waves exceeds lit pairs x waves per pair; "
            "treated as full (0 free slots)"
        )
    ex = pd.DataFrame(
        {
            "corridor_id": c["corridor_id"].astype(str),
            "site_a": c["site_a"].astype(str),
            "site_b": c["site_b"].astype(str),
            "distance_km": c["distance_km"].astype(float),
            "latency_ms": corridor_latency_ms(c).astype(float),
            "installed_capacity_gbps": c["installed_capacity_gbps"].astype(float),
            "installed_waves": iw.astype(int),
            "lit_fiber_pairs": c["lit_fiber_pairs"].astype(int),
            "spare_fiber_pairs": c["spare_fiber_pairs"].astype(int),
            "max_waves_per_fiber_pair": c["max_waves_per_fiber_pair"].astype(int),
            "free_slots": np.maximum(slots, 0).astype(int),
            "srlg": c["srlg"].fillna("").astype(str),
            "is_candidate": False,
        }
    )
    cand = inputs.candidate_routes
    opts = inputs.upgrade_options
    new_builds = opts[opts["kind"] == "new_build"]
    rows, problems = [], []
    for _, r in cand.iterrows():
        opt = _build_option(r, new_builds)
        capex = r["build_capex_usd"]
        lead = r.get("lead_time_years")
        if opt is None and (pd.isna(capex) or pd.isna(lead)):
            problems.append(
                Problem(
                    "candidate_routes.csv",
                    f"route {r['route_id']}: blank build_capex_usd or lead_time_years and no "
                    "new_build option applies (expected values or a new_build option)",
                )
            )
            continue
        if pd.isna(capex):
            capex = float(
                unit_capex(
                    opt["capex_fixed_usd"],
                    opt["capex_per_km_usd"],
                    opt["regen_capex_usd"],
                    opt["reach_km"],
                    r["distance_km"],
                    0.0,
                    0,
                )
            )
        cap0 = float(opt["capacity_gbps"]) if opt is not None else 0.0
        w = int(r["max_waves_per_fiber_pair"])
        used = min(w, math.ceil(cap0 / DEFAULT_WAVE_GBPS)) if cap0 > 0 else 0
        rows.append(
            {
                "corridor_id": str(r["route_id"]),
                "site_a": str(r["site_a"]),
                "site_b": str(r["site_b"]),
                "distance_km": float(r["distance_km"]),
                "latency_ms": float(r["distance_km"]) * 0.0049,
                "installed_capacity_gbps": 0.0,
                "installed_waves": 0,
                "lit_fiber_pairs": 0,
                "spare_fiber_pairs": int(r["fiber_pairs"]) - 1,
                "max_waves_per_fiber_pair": w,
                "free_slots": 0,
                "srlg": "" if pd.isna(r.get("srlg")) else str(r.get("srlg")),
                "is_candidate": True,
                "build_capex_base_usd": float(capex),
                "build_lead_time_years": int(opt["lead_time_years"] if pd.isna(lead) else lead),
                "build_capacity_gbps": cap0,
                "build_waves": used,
                "build_option_id": str(opt["option_id"]) if opt is not None else "",
                "build_price_change": float(opt["price_change_per_year"]) if opt is not None else 0,
            }
        )
    if problems:
        raise InputError(problems)
    cols = ["build_capex_base_usd", "build_lead_time_years", "build_capacity_gbps", "build_waves"]
    for col in cols:
        ex[col] = 0
    ex["build_option_id"] = ""
    ex["build_price_change"] = 0.0
    out = pd.concat([ex, pd.DataFrame(rows, columns=ex.columns)], ignore_index=True)
    out["is_candidate"] = out["is_candidate"].astype(bool)
    out["e"] = np.arange(len(out))
    return out, warnings


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
    swap = d["site_a"] > d["site_b"]
    d.loc[swap, ["site_a", "site_b"]] = d.loc[swap, ["site_b", "site_a"]].to_numpy()
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
