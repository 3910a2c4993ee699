"""The one network view: existing corridors plus candidate routes, their costs and latencies.

Why one module: the optimiser, survivability (failure states, the independent check, the
latency report, ``planner failures``) and the report all reason about the same network, one
row per corridor *or* candidate route. Each used to build that table itself and the copies
drifted (a route's cost with regeneration in one, without in another). A candidate route
becomes a corridor with ``corridor_id = route_id`` once built (that is how ``capacity.csv``
names it), so both live in one table, flagged ``candidate``.

What lives here: :func:`network_table` (the common columns), :func:`corridor_table` (plus the
slot and build parameters the optimiser needs), :func:`edges_from_inputs` (the survivability
edge table), unit and route costs (:func:`unit_capex`, :func:`build_option`,
:func:`route_capex_usd`), latency (:func:`corridor_latency_ms`), pair classes, the capacity
matrices and :class:`SimpleGraph`. The independent verifier (``planner.verify``) keeps its own
reading of the inputs on purpose and does not import this.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from planner.errors import InputError, Problem
from planner.schema import DEFAULT_WAVE_GBPS, FIBER_LATENCY_MS_PER_KM
from planner.tables import Inputs

EDGE_COLUMNS = ("corridor_id", "site_a", "site_b", "distance_km", "latency_ms", "srlg", "candidate")


# ---- per-corridor attributes -------------------------------------------------------------


def corridor_latency_ms(corridors: pd.DataFrame) -> pd.Series:
    """One-way latency: 4.9 us per route km plus any per-corridor equipment latency."""
    extra = corridors.get("extra_latency_ms", pd.Series(0.0, index=corridors.index))
    return corridors["distance_km"] * FIBER_LATENCY_MS_PER_KM + extra.fillna(0.0)


def installed_waves(corridors: pd.DataFrame) -> pd.Series:
    """Wave slots in use: the column if given, else ceil(installed Gbps / 400G)."""
    guess = np.ceil(corridors["installed_capacity_gbps"] / DEFAULT_WAVE_GBPS)
    col = corridors.get("installed_waves")
    if col is None:
        return guess.astype(int)
    return col.fillna(guess).astype(int)


def split_srlg(value: object) -> tuple[str, ...]:
    """``"A; B;"`` -> ``("A", "B")``: blank / NaN means no shared-risk group."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ()
    return tuple(dict.fromkeys(s.strip() for s in str(value).split(";") if s.strip()))


# ---- pairs -------------------------------------------------------------------------------


def pair_class(kind_a: pd.Series, kind_b: pd.Series) -> pd.Series:
    """ai_training: two AI campuses; ai_inference: one; general: none."""
    n_ai = (kind_a == "ai_campus").astype(int) + (kind_b == "ai_campus").astype(int)
    return pd.Series(
        np.select([n_ai == 2, n_ai == 1], ["ai_training", "ai_inference"], "general"),
        index=kind_a.index,
    )


def pair_classes(pairs: pd.DataFrame, sites: pd.DataFrame) -> pd.Series:
    """Pair class for a frame with ``site_a, site_b`` columns."""
    kind = sites.set_index("site_id")["kind"]
    return pair_class(
        pairs["site_a"].map(kind).fillna("cloud_region"),
        pairs["site_b"].map(kind).fillna("cloud_region"),
    ).set_axis(pairs.index)


# ---- costs -------------------------------------------------------------------------------


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


def _option_cost(opt, distance_km) -> np.ndarray:
    """Today's price of option(s) ``opt`` over ``distance_km``, regeneration included."""
    return unit_capex(
        opt["capex_fixed_usd"],
        opt["capex_per_km_usd"],
        opt["regen_capex_usd"],
        opt["reach_km"],
        distance_km,
        0.0,
        0,
    )


def build_option(route: pd.Series, new_builds: pd.DataFrame) -> pd.Series | None:
    """The new_build option for a candidate route: its own, else the cheapest generic one."""
    own = new_builds[new_builds["corridor_id"] == route["route_id"]]
    pool = own if len(own) else new_builds[new_builds["corridor_id"].isna()]
    if not len(pool):
        return None
    cost = _option_cost(pool, route["distance_km"])
    pool = pool.assign(_cost=cost).sort_values(["_cost", "option_id"])
    return pool.iloc[0]


def route_capex_usd(route: pd.Series, new_builds: pd.DataFrame) -> float:
    """What building a candidate route costs at today's prices (NaN if nothing prices it).

    ``build_capex_usd`` if given, else its :func:`build_option`'s fixed + per-km +
    regeneration cost. The one rule: the optimiser and the latency report both use it.
    """
    if pd.notna(route["build_capex_usd"]):
        return float(route["build_capex_usd"])
    opt = build_option(route, new_builds)
    return math.nan if opt is None else float(_option_cost(opt, route["distance_km"]))


def route_costs(inputs: Inputs) -> pd.Series:
    """Build cost (USD, today's prices) per candidate route id; NaN if no option applies."""
    r = inputs.candidate_routes
    if not len(r):
        return pd.Series(dtype=float)
    nb = new_build_options(inputs)
    return pd.Series(
        {str(row["route_id"]): route_capex_usd(row, nb) for _, row in r.iterrows()}, dtype=float
    )


def new_build_options(inputs: Inputs) -> pd.DataFrame:
    opts = inputs.upgrade_options
    return opts[opts["kind"] == "new_build"]


# ---- the tables --------------------------------------------------------------------------


def network_table(inputs: Inputs, *, candidates: bool = True) -> pd.DataFrame:
    """Corridors, then candidate routes (``candidate`` True): the columns every stage shares.

    ``corridor_id, site_a, site_b, distance_km, latency_ms, srlg, installed_capacity_gbps,
    candidate``. Candidate routes carry no equipment latency column (distance only) and no
    installed capacity.
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
            "installed_capacity_gbps": c["installed_capacity_gbps"].astype(float),
            "candidate": False,
        }
    )
    r = inputs.candidate_routes
    if candidates and len(r):
        km = pd.to_numeric(r["distance_km"]).astype(float)
        cand = pd.DataFrame(
            {
                "corridor_id": r["route_id"].astype(str),
                "site_a": r["site_a"].astype(str),
                "site_b": r["site_b"].astype(str),
                "distance_km": km,
                "latency_ms": km * FIBER_LATENCY_MS_PER_KM,
                "srlg": r["srlg"].fillna("").astype(str),
                "installed_capacity_gbps": 0.0,
                "candidate": True,
            }
        )
        out = pd.concat([out, cand], ignore_index=True) if len(out) else cand
    out = out.reset_index(drop=True)
    out["candidate"] = out["candidate"].astype(bool)
    return out


def edges_from_inputs(inputs: Inputs, *, candidates: bool = True) -> pd.DataFrame:
    """The survivability edge table (``EDGE_COLUMNS``) of :func:`network_table`."""
    return network_table(inputs, candidates=candidates)[list(EDGE_COLUMNS)]


def edges_of(corridors: pd.DataFrame) -> pd.DataFrame:
    """The edge table (``EDGE_COLUMNS``) of a :func:`corridor_table` (e.g. a model's)."""
    out = corridors.rename(columns={"is_candidate": "candidate"})[list(EDGE_COLUMNS)]
    return out.astype({"candidate": bool}).reset_index(drop=True)


def _route_build(r: pd.Series, new_builds: pd.DataFrame) -> dict | Problem:
    """Build parameters of one candidate route, or the Problem that it has none."""
    opt = build_option(r, new_builds)
    lead = r.get("lead_time_years")
    if opt is None and (pd.isna(r["build_capex_usd"]) or pd.isna(lead)):
        return Problem(
            "candidate_routes.csv",
            f"route {r['route_id']}: blank build_capex_usd or lead_time_years and no "
            "new_build option applies (expected values or a new_build option)",
        )
    cap0 = float(opt["capacity_gbps"]) if opt is not None else 0.0
    w = int(r["max_waves_per_fiber_pair"])
    return {
        "spare_fiber_pairs": int(r["fiber_pairs"]) - 1,
        "max_waves_per_fiber_pair": w,
        "build_capex_base_usd": route_capex_usd(r, new_builds),
        "build_lead_time_years": int(opt["lead_time_years"] if pd.isna(lead) else lead),
        "build_capacity_gbps": cap0,
        "build_waves": min(w, math.ceil(cap0 / DEFAULT_WAVE_GBPS)) if cap0 > 0 else 0,
        "build_option_id": str(opt["option_id"]) if opt is not None else "",
        "build_price_change": float(opt["price_change_per_year"]) if opt is not None else 0,
    }


def corridor_table(inputs: Inputs) -> tuple[pd.DataFrame, list[str]]:
    """:func:`network_table` plus the slot and build parameters the optimiser needs.

    Existing: ``free_slots = max(0, waves_per_pair x lit_pairs - installed_waves)``.
    Candidate: nothing until built; then ``build_capacity_gbps`` lit on one pair using
    ``build_waves`` slots, ``spare_fiber_pairs = fiber_pairs - 1``. Column ``e`` = row number,
    ``is_candidate`` = ``candidate``. Returns the table and warnings.
    """
    warnings: list[str] = []
    c = inputs.corridors
    iw = installed_waves(c)
    slots = c["max_waves_per_fiber_pair"] * c["lit_fiber_pairs"] - iw
    for cid in c.loc[slots < 0, "corridor_id"]:
        warnings.append(
            f"corridor {cid}: installed_waves exceeds lit pairs x waves per pair; "
            "treated as full (0 free slots)"
        )
    net = network_table(inputs)
    n_ex = len(c)
    ex = {
        "installed_waves": iw.astype(int).to_numpy(),
        "lit_fiber_pairs": c["lit_fiber_pairs"].astype(int).to_numpy(),
        "spare_fiber_pairs": c["spare_fiber_pairs"].astype(int).to_numpy(),
        "max_waves_per_fiber_pair": c["max_waves_per_fiber_pair"].astype(int).to_numpy(),
        "free_slots": np.maximum(slots, 0).astype(int).to_numpy(),
    }
    nb = new_build_options(inputs)
    builds = [_route_build(r, nb) for _, r in inputs.candidate_routes.iterrows()]
    problems = [b for b in builds if isinstance(b, Problem)]
    if problems:
        raise InputError(problems)
    cand = pd.DataFrame(builds, index=pd.RangeIndex(n_ex, n_ex + len(builds)))
    out = net.rename(columns={"candidate": "is_candidate"})
    for col, vals in ex.items():
        out[col] = np.r_[vals, np.zeros(len(builds), dtype=int)]
    if len(builds):
        out.loc[cand.index, "spare_fiber_pairs"] = cand["spare_fiber_pairs"]
        out.loc[cand.index, "max_waves_per_fiber_pair"] = cand["max_waves_per_fiber_pair"]
    build_cols = {
        "build_capex_base_usd": 0.0,
        "build_lead_time_years": 0,
        "build_capacity_gbps": 0.0,
        "build_waves": 0,
        "build_option_id": "",
        "build_price_change": 0.0,
    }
    for col, default in build_cols.items():
        vals = pd.Series(default, index=out.index, dtype=object if col.endswith("_id") else None)
        if len(builds):
            vals.loc[cand.index] = cand[col]
        out[col] = vals
    out["e"] = np.arange(len(out))
    return out[CORRIDOR_COLUMNS], warnings


#: Column order of :func:`corridor_table` (the optimiser's corridor index set).
CORRIDOR_COLUMNS = [
    "corridor_id",
    "site_a",
    "site_b",
    "distance_km",
    "latency_ms",
    "installed_capacity_gbps",
    "installed_waves",
    "lit_fiber_pairs",
    "spare_fiber_pairs",
    "max_waves_per_fiber_pair",
    "free_slots",
    "srlg",
    "is_candidate",
    "build_capex_base_usd",
    "build_lead_time_years",
    "build_capacity_gbps",
    "build_waves",
    "build_option_id",
    "build_price_change",
    "e",
]


# ---- capacity matrices -------------------------------------------------------------------


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


# ---- graph helpers -----------------------------------------------------------------------


class SimpleGraph:
    """Undirected simple graph (lightest of parallel corridors) with corridor ids per arc."""

    def __init__(self, edges: pd.DataFrame, nodes: list[str], weight: str = "latency_ms") -> None:
        self.nodes = nodes
        self.index = {s: i for i, s in enumerate(nodes)}
        e = edges[edges["site_a"] != edges["site_b"]]
        a = e["site_a"].map(self.index).to_numpy(np.int64)
        b = e["site_b"].map(self.index).to_numpy(np.int64)
        w = e[weight].to_numpy(float)
        cid = e["corridor_id"].astype(str).to_numpy()
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        order = np.lexsort((cid, w, hi, lo))
        lo, hi, w, cid = lo[order], hi[order], w[order], cid[order]
        first = np.r_[True, (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])] if len(lo) else []
        lo, hi, w, cid = lo[first], hi[first], w[first], cid[first]
        n = len(nodes)
        # csgraph reads an explicit 0 as "no edge": keep zero-latency corridors as edges
        ww = np.maximum(w, 1e-12)
        self.csr = csr_matrix((np.r_[ww, ww], (np.r_[lo, hi], np.r_[hi, lo])), shape=(n, n))
        self.edge_id = {(int(x), int(y)): c for x, y, c in zip(lo, hi, cid, strict=True)}

    def all_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Shortest distances and predecessors between every two nodes."""
        if not len(self.nodes):
            return np.zeros((0, 0)), np.zeros((0, 0), dtype=np.int64)
        return dijkstra(self.csr, directed=False, return_predecessors=True)

    def distances(self, sources: np.ndarray) -> np.ndarray:
        """Shortest distances from each of ``sources`` (node numbers) to every node."""
        return dijkstra(self.csr, directed=False, indices=sources)

    def path(self, pred: np.ndarray, s: int, t: int) -> list[str]:
        """Corridor ids of the shortest path s -> t (empty if unreachable)."""
        out: list[str] = []
        node = t
        while node != s:
            prev = int(pred[s, node])
            if prev < 0:
                return []
            out.append(self.edge_id[(min(prev, node), max(prev, node))])
            node = prev
        return out[::-1]
