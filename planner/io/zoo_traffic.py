"""Synthetic traffic for an imported Topology Zoo network: a gravity model on its sites.

Why its own module: the Zoo gives only a graph; the monthly history that the forecast needs
is invented here, deterministically from the seed, and calibrated so the busiest corridor
runs at ``target_utilization`` on shortest paths in the last month
(:func:`planner.io.topologyzoo.import_topologyzoo` writes it as ``demand_history.csv``).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from planner.errors import InputError, Problem
from planner.io.zoo_options import ZooOptions
from planner.tables import haversine_km

#: Gravity distances below this are treated as equal (metro pairs are not "infinitely close").
GRAVITY_MIN_KM = 50.0
#: an AI campus weighs this many times its degree in the gravity model
AI_MASS_FACTOR = 3.0


def history_months(opts: ZooOptions) -> pd.DatetimeIndex:
    end = pd.Timestamp(year=opts.start_year - 1, month=12, day=1)
    return pd.date_range(end=end, periods=opts.months, freq="MS")


def shortest_loads(sites: pd.DataFrame, corridors: pd.DataFrame, pairs: pd.DataFrame) -> tuple:
    """Per-corridor load when each pair's ``share`` follows its shortest path, and path km."""
    idx = {s: i for i, s in enumerate(sites["site_id"])}
    a = corridors["site_a"].map(idx).to_numpy()
    b = corridors["site_b"].map(idx).to_numpy()
    n = len(idx)
    w = corridors["distance_km"].to_numpy(float)
    graph = csr_matrix((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(n, n))
    edge_of = {(int(x), int(y)): k for k, (x, y) in enumerate(zip(a, b, strict=True))}
    edge_of |= {(y, x): k for (x, y), k in list(edge_of.items())}
    pa, pb = pairs["site_a"].map(idx).to_numpy(), pairs["site_b"].map(idx).to_numpy()
    sources = np.unique(pa)
    dist, pred = dijkstra(graph, indices=sources, return_predecessors=True)
    loads = np.zeros(len(corridors))
    path_km = np.zeros(len(pairs))
    share = pairs["share"].to_numpy(float)
    row_of = {int(s): r for r, s in enumerate(sources)}
    for s in sources:
        r = row_of[int(s)]
        mask = pa == s
        acc = np.zeros(n)
        np.add.at(acc, pb[mask], share[mask])
        path_km[mask] = dist[r, pb[mask]]
        order = np.argsort(-np.where(np.isfinite(dist[r]), dist[r], -1.0), kind="stable")
        for v in order:  # farthest first: push each node's accumulated demand to its parent
            p = pred[r, v]
            if p < 0 or acc[v] == 0:
                continue
            loads[edge_of[(int(p), int(v))]] += acc[v]
            acc[p] += acc[v]
    return loads, path_km


def gravity_history(tables: dict, opts: ZooOptions, source: str) -> tuple:
    """Synthetic monthly history and the calibration facts (scale, final loads)."""
    sites, corridors = tables["sites"], tables["corridors"]
    deg = pd.concat([corridors["site_a"], corridors["site_b"]]).value_counts()
    mass = np.array(sites["site_id"].map(deg).fillna(0), dtype=float)
    mass[sites["kind"].to_numpy() == "carrier_hotel"] = 0.0
    mass[sites["kind"].to_numpy() == "ai_campus"] *= AI_MASS_FACTOR
    comp = np.full(len(sites), -1)
    idx = {s: i for i, s in enumerate(sites["site_id"])}
    link = nx.Graph()
    link.add_nodes_from(range(len(sites)))
    link.add_edges_from(
        zip(corridors["site_a"].map(idx), corridors["site_b"].map(idx), strict=True)
    )
    for k, c in enumerate(nx.connected_components(link)):
        comp[list(c)] = k
    i, j = np.triu_indices(len(sites), k=1)
    ok = (mass[i] > 0) & (mass[j] > 0) & (comp[i] == comp[j])
    i, j = i[ok], j[ok]
    lat, lon = sites["lat"].to_numpy(float), sites["lon"].to_numpy(float)
    gc = haversine_km(lat[i], lon[i], lat[j], lon[j])
    weight = mass[i] * mass[j] / np.maximum(gc, GRAVITY_MIN_KM) ** opts.distance_exponent
    ids = sites["site_id"].to_numpy()
    pairs = pd.DataFrame({"site_a": ids[i], "site_b": ids[j], "weight": weight})
    pairs = pairs.sort_values(["weight", "site_a", "site_b"], ascending=[False, True, True])
    possible = len(pairs)
    if opts.pairs is not None:
        pairs = pairs.head(opts.pairs)
    if pairs.empty:
        raise InputError(Problem(source, "no site pair with traffic after cleaning"))
    pairs = pairs.reset_index(drop=True)
    pairs["share"] = pairs["weight"] / pairs["weight"].sum()
    loads, path_km = shortest_loads(sites, corridors, pairs)
    cap = corridors["installed_capacity_gbps"].to_numpy(float)
    busy = loads > 0
    scale = opts.target_utilization * float(np.min(cap[busy] / loads[busy]))
    if not scale > 0:
        msg = "a corridor on a shortest path has no installed capacity (expected > 0 Gbps)"
        raise InputError(Problem(source, msg))
    level = pairs["share"].to_numpy() * scale
    rng = np.random.default_rng(opts.seed)
    growth = (1 + opts.growth_per_year) * np.exp(rng.normal(0.0, 0.1, len(pairs))) - 1
    months = history_months(opts)
    t = (np.arange(len(months)) - (len(months) - 1)) / 12.0
    trend = level[:, None] * (1 + growth[:, None]) ** t[None, :]
    noise = (
        np.exp(rng.normal(-(opts.noise**2) / 2, opts.noise, trend.shape)) if opts.noise > 0 else 1.0
    )
    values = np.round(np.maximum(trend * noise, 0.0), 2)
    hist = pd.DataFrame(
        {
            "site_a": np.repeat(pairs["site_a"].to_numpy(), len(months)),
            "site_b": np.repeat(pairs["site_b"].to_numpy(), len(months)),
            "month": np.tile(months.strftime("%Y-%m").to_numpy(), len(pairs)),
            "p95_gbps": values.ravel(),
        }
    )
    calib = {
        "total_gbps_last_month": round(float(level.sum()), 1),
        "peak_utilization_last_month_shortest_path": opts.target_utilization,
        "max_shortest_path_km": round(float(path_km.max()), 1),
        "loads_final": loads * scale * (1 + opts.growth_per_year) ** opts.horizon_years,
        "path_km": path_km,
        "pairs": pairs,
        "pairs_possible": possible,
    }
    return hist, calib
