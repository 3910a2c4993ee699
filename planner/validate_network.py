"""Checks across columns and tables of the network: corridors that cannot exist.

Why apart from ``planner.validate``: these need parsed values of several columns (installed
capacity against lit pairs and wave slots) or of two tables (route length against the sites'
coordinates), so they run on the typed frames after the per-column checks passed. Each
returns :class:`Problem` lines with the file line of the offending row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.errors import Problem
from planner.schema import DEFAULT_WAVE_GBPS, GREAT_CIRCLE_SLACK_KM, GREAT_CIRCLE_TOLERANCE
from planner.tables import haversine_km

LINE = "_line"
#: problems of one kind listed per file before the rest are left out
MAX_LISTED = 20
#: distinct unknown site ids from which sites.csv itself looks truncated (one is maybe a typo)
MIN_MISSING_SITES = 2


def sites_missing(unknown: dict[str, set[str]], path: str) -> list[Problem]:
    """Point at sites.csv first when other files name sites it lacks (a truncated file)."""
    ids = sorted(set().union(*unknown.values())) if unknown else []
    if not ids:
        return []
    eg = ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")
    files = ", ".join(sorted(unknown))
    hint = (
        "is sites.csv truncated?"
        if len(ids) >= MIN_MISSING_SITES
        else f"add the site here or fix the id in {files}"
    )
    return [
        Problem(path, f"{len(ids)} site id(s) used in {files} are missing here (e.g. {eg}): {hint}")
    ]


def _gc_km(df: pd.DataFrame, sites: pd.DataFrame) -> np.ndarray:
    s = sites.set_index("site_id")
    a, b = df["site_a"], df["site_b"]
    return haversine_km(
        s.loc[a, "lat"].to_numpy(float),
        s.loc[a, "lon"].to_numpy(float),
        s.loc[b, "lat"].to_numpy(float),
        s.loc[b, "lon"].to_numpy(float),
    )


def check_route_lengths(
    df: pd.DataFrame, sites: pd.DataFrame, path: str, sites_path: str = "sites.csv"
) -> list[Problem]:
    """A fiber route is never shorter than the great circle between its ends' coordinates."""
    if not len(df):
        return []
    gc = _gc_km(df, sites)
    line = sites.set_index("site_id")[LINE].astype(int).to_dict()
    low = df["distance_km"].to_numpy(float) < gc * (1 - GREAT_CIRCLE_TOLERANCE) - (
        GREAT_CIRCLE_SLACK_KM
    )
    return [
        Problem(
            path,
            f"shorter than the great circle between {df.at[i, 'site_a']} and "
            f"{df.at[i, 'site_b']} (got {df.at[i, 'distance_km']:g} km, expected >= "
            f"{g:,.0f} km from their coordinates in {sites_path} lines "
            f"{line[df.at[i, 'site_a']]} and {line[df.at[i, 'site_b']]}: a route is never "
            "shorter)",
            row=int(df.at[i, LINE]),
            column="distance_km",
        )
        for i, g in zip(df.index[low], gc[low], strict=True)
    ][:MAX_LISTED]


def check_corridor_capacity(cor: pd.DataFrame, path: str) -> list[Problem]:
    """Installed capacity needs lit pairs, and its waves must fit the lit pairs' slots."""
    out = []
    for _, r in cor.iterrows():
        inst, lit = float(r["installed_capacity_gbps"]), int(r["lit_fiber_pairs"])
        slots = lit * int(r["max_waves_per_fiber_pair"])
        waves = r.get("installed_waves")
        given = waves is not None and not pd.isna(waves)
        if inst > 0 and lit == 0:
            out.append(
                Problem(
                    path,
                    f"{inst:g} Gbps installed on 0 lit fiber pairs (expected >= 1 lit pair, "
                    "or installed_capacity_gbps 0)",
                    row=int(r[LINE]),
                    column="lit_fiber_pairs",
                )
            )
        elif given and int(waves) > slots:
            out.append(
                Problem(
                    path,
                    f"more waves than slots (got {int(waves)}, expected <= lit_fiber_pairs x "
                    f"max_waves_per_fiber_pair = {slots})",
                    row=int(r[LINE]),
                    column="installed_waves",
                )
            )
        elif not given and np.ceil(inst / DEFAULT_WAVE_GBPS) > slots:
            out.append(
                Problem(
                    path,
                    f"{inst:g} Gbps needs {np.ceil(inst / DEFAULT_WAVE_GBPS):.0f} 400G wave "
                    f"slots, the lit pairs have {slots} (expected installed_waves for larger "
                    "waves, or more lit pairs)",
                    row=int(r[LINE]),
                    column="installed_capacity_gbps",
                )
            )
    return out[:MAX_LISTED]
