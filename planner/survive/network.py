"""The network the survivability stage reasons about: corridors plus candidate routes.

Why a separate, small edge table: failure states, the independent check, the latency report
and the ``failures`` command all need the same view (one row per corridor *or* candidate
route, with its ends, latency and SRLGs) and the same per-(corridor, year) capacity matrix, and
they must agree on it exactly. A candidate route becomes a corridor with ``corridor_id =
route_id`` once built (that is how ``capacity.csv`` names it), so both live in one table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.config import Scenario
from planner.schema import FIBER_LATENCY_MS_PER_KM
from planner.tables import Inputs, corridor_latency_ms, pair_classes

EDGE_COLUMNS = ("corridor_id", "site_a", "site_b", "distance_km", "latency_ms", "srlg", "candidate")


def split_srlg(value: object) -> tuple[str, ...]:
    """``"A; B;"`` -> ``("A", "B")``: blank / NaN means no shared-risk group."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ()
    return tuple(dict.fromkeys(s.strip() for s in str(value).split(";") if s.strip()))


def edges_from_inputs(inputs: Inputs, *, candidates: bool = True) -> pd.DataFrame:
    """Corridors (and candidate routes, flagged ``candidate``) as one edge table.

    Candidate routes carry no equipment latency column, so their latency is distance only.
    """
    c = inputs.corridors
    out = pd.DataFrame(
        {
            "corridor_id": c["corridor_id"].astype(str),
            "site_a": c["site_a"].astype(str),
            "site_b": c["site_b"].astype(str),
            "distance_km": c["distance_km"].astype(float),
            "latency_ms": corridor_latency_ms(c).astype(float),
            "srlg": c["srlg"].fillna("").astype(str),
            "candidate": False,
        }
    )
    r = inputs.candidate_routes
    if candidates and len(r):
        cand = pd.DataFrame(
            {
                "corridor_id": r["route_id"].astype(str),
                "site_a": r["site_a"].astype(str),
                "site_b": r["site_b"].astype(str),
                "distance_km": r["distance_km"].astype(float),
                "latency_ms": r["distance_km"].astype(float) * FIBER_LATENCY_MS_PER_KM,
                "srlg": r["srlg"].fillna("").astype(str),
                "candidate": True,
            }
        )
        out = pd.concat([out, cand], ignore_index=True)
    return out.reset_index(drop=True)[list(EDGE_COLUMNS)]


def installed_capacity(edges: pd.DataFrame, inputs: Inputs, years: list[int]) -> np.ndarray:
    """Capacity before any plan (E x T): what is lit today; candidate routes have none."""
    lit = inputs.corridors.set_index("corridor_id")["installed_capacity_gbps"].astype(float)
    col = edges["corridor_id"].map(lit).fillna(0.0).to_numpy()
    return np.repeat(col[:, None], len(years), axis=1)


def plan_capacity(edges: pd.DataFrame, capacity: pd.DataFrame, years: list[int]) -> np.ndarray:
    """Capacity after the plan (E x T) from ``capacity.csv``; absent rows mean 0 Gbps.

    Raises ``KeyError`` naming a corridor of the plan that is not in the network, since a plan
    that mentions an unknown corridor was made on other inputs.
    """
    known = set(edges["corridor_id"])
    unknown = sorted(set(capacity["corridor_id"].astype(str)) - known)
    if unknown:
        raise KeyError(unknown[:5])
    wide = capacity.assign(corridor_id=capacity["corridor_id"].astype(str)).pivot_table(
        index="corridor_id", columns="year", values="capacity_gbps", aggfunc="sum"
    )
    wide = wide.reindex(index=edges["corridor_id"], columns=years)
    return wide.fillna(0.0).to_numpy(dtype=float)


def protected_pairs(
    demand: pd.DataFrame, inputs: Inputs, scenario: Scenario, years: list[int]
) -> pd.DataFrame:
    """Pairs with their class, share protected and latency limit, and demand per year (wide).

    Returns ``site_a, site_b, pair_class, protected_share, latency_ms_max`` plus one column
    ``demand_gbps_<year>`` per year. A class the scenario does not list is unprotected (share
    0) and has no latency limit (inf): the scenario says what must survive, nothing more.
    """
    d = demand[["site_a", "site_b", "year", "demand_gbps"]].copy()
    d[["site_a", "site_b"]] = d[["site_a", "site_b"]].astype(str)
    swap = d["site_a"] > d["site_b"]
    d.loc[swap, ["site_a", "site_b"]] = d.loc[swap, ["site_b", "site_a"]].to_numpy()
    d = d.groupby(["site_a", "site_b", "year"], as_index=False)["demand_gbps"].sum()
    wide = d.pivot(index=["site_a", "site_b"], columns="year", values="demand_gbps")
    wide = wide.reindex(columns=years).fillna(0.0)
    wide.columns = [f"demand_gbps_{y}" for y in years]
    wide = wide.reset_index()
    cls = pair_classes(wide, inputs.sites)
    wide.insert(2, "pair_class", cls.to_numpy())
    wide.insert(3, "protected_share", cls.map(scenario.protected_share).fillna(0.0).to_numpy())
    wide.insert(4, "latency_ms_max", cls.map(scenario.latency_ms_max).fillna(np.inf).to_numpy())
    return wide.sort_values(["site_a", "site_b"]).reset_index(drop=True)


def demand_matrix(pairs: pd.DataFrame, years: list[int], *, protected: bool) -> np.ndarray:
    """P x T demand in Gbps: all of it, or only the protected share."""
    m = pairs[[f"demand_gbps_{y}" for y in years]].to_numpy(dtype=float)
    if protected:
        m = m * pairs["protected_share"].to_numpy(dtype=float)[:, None]
    return m
