"""Arc formulation: undirected multi-commodity flow on corridors, commodities by source site.

Why: exact for min-cost splittable routing (no k-path restriction), which is what SNDlib-style
network design benchmarks assume (issue 8). Commodities are aggregated by source site (every
pair's ``site_a``), so the model has sources x corridors x 2 directions x years flow columns
instead of pairs x corridors x ...; both directions of a corridor share its capacity.

Limits: latency limits are *not* enforced (a path constraint has no arc-level form without
per-pair commodities); ``summary.json`` says ``formulation: arc``. ``routing.csv`` is a flow
decomposition of each source's flow into paths (greedy walk along positive-flow arcs, cycles
cancelled), so its paths are one valid reading of the arc flows, not the only one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pulp

from planner.optimize.model import Model, flow_triplets

TOL_GBPS = 1e-6


def define_flows(m: Model) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Flow columns ``g[source, corridor, direction, year]`` and node-balance rows."""
    s = m.sets
    cor = s.corridors
    nodes = sorted(
        set(cor["site_a"]) | set(cor["site_b"]) | set(s.pairs["site_a"]) | set(s.pairs["site_b"])
    )
    ni = {n: i for i, n in enumerate(nodes)}
    N = len(nodes)
    d = s.demand.merge(s.pairs[["pair_id", "site_a", "site_b"]], on="pair_id")
    d["r_us"] = np.arange(len(d))  # demand rows are in unserved order
    comm = d[["site_a", "year"]].drop_duplicates().sort_values(["site_a", "year"])
    comm = comm.reset_index(drop=True).rename(columns={"site_a": "source"})
    comm["k"] = np.arange(len(comm))
    d = d.merge(comm, left_on=["site_a", "year"], right_on=["source", "year"])
    arcs = pd.DataFrame(
        {
            "e": np.r_[cor["e"], cor["e"]].astype(np.int64),
            "direction": np.r_[np.ones(len(cor)), -np.ones(len(cor))].astype(np.int64),
            "tail": np.r_[cor["site_a"].map(ni), cor["site_b"].map(ni)].astype(np.int64),
            "head": np.r_[cor["site_b"].map(ni), cor["site_a"].map(ni)].astype(np.int64),
            "latency_ms": np.r_[cor["latency_ms"], cor["latency_ms"]],
        }
    )
    f = comm.merge(arcs, how="cross")
    f["src_i"] = f["source"].map(ni)
    f = f[f["head"] != f["src_i"]]  # never useful to route back into the source
    f = f.sort_values(["k", "e", "direction"], ascending=[True, True, False]).reset_index(drop=True)
    total = d.groupby("k")["demand_gbps"].sum()
    f["col"] = m.add_columns("g", len(f), 0, f["k"].map(total).to_numpy(float))
    keys = pd.DataFrame(
        {
            "source": np.repeat(comm["source"].to_numpy(), N),
            "year": np.repeat(comm["year"].to_numpy(), N),
            "node": np.tile(nodes, len(comm)),
        }
    )
    k = f["k"].to_numpy(int)
    rows = [k * N + f["tail"].to_numpy(int), k * N + f["head"].to_numpy(int)]
    cols = [f["col"].to_numpy(int)] * 2
    coefs = [np.ones(len(f)), -np.ones(len(f))]
    rhs = np.zeros(len(keys))
    dk, dsrc, ddst = d["k"].to_numpy(int), d["site_a"].map(ni), d["site_b"].map(ni)
    dem = d["demand_gbps"].to_numpy(float)
    np.add.at(rhs, dk * N + dsrc.to_numpy(int), dem)
    np.add.at(rhs, dk * N + ddst.to_numpy(int), -dem)
    us = m.unserved
    ucol = us["col"].to_numpy(int)[d["r_us"].to_numpy(int)]
    if (ucol >= 0).any():
        rows += [dk * N + dsrc.to_numpy(int), dk * N + ddst.to_numpy(int)]
        cols += [ucol, ucol]
        coefs += [np.ones(len(d)), -np.ones(len(d))]
    m.add_rows(
        "balance",
        keys,
        np.concatenate(rows),
        np.concatenate(cols),
        np.concatenate(coefs),
        pulp.LpConstraintEQ,
        rhs,
        merge_duplicates=True,
    )
    trip = flow_triplets(f["e"], f["year"], f["col"], s.years)
    latency = f["latency_ms"].to_numpy(float)
    m.meta["nodes"] = nodes
    return f[["source", "year", "e", "direction", "tail", "head", "col"]], trip, latency


def decompose(
    source: int, arcs: list[tuple[int, int, int, float]], sinks: dict[int, float]
) -> list[tuple[int, tuple[int, ...], float]]:
    """Split one source's arc flows into paths: ``[(sink, arc ids, gbps)]``.

    ``arcs``: (arc id, tail, head, flow). Greedy: walk from the source along positive arcs to
    the first node that still needs flow, push the bottleneck; a walk that closes a cycle
    cancels it. Each step zeroes an arc or satisfies a sink, so it ends in O(arcs + sinks)
    walks. Flow left on cycles is not part of any path and is dropped.
    """
    out: dict[int, list[list]] = {}
    for a, t, h, x in arcs:
        if x > TOL_GBPS:
            out.setdefault(t, []).append([a, h, x])
    need = {v: q for v, q in sinks.items() if q > TOL_GBPS}
    paths: list[tuple[int, tuple[int, ...], float]] = []
    guard = 4 * (len(arcs) + len(need)) + 10
    while need and guard > 0:
        guard -= 1
        node, walk, seen = source, [], {source: 0}
        while True:
            lst = out.get(node)
            while lst and lst[0][2] <= TOL_GBPS:
                lst.pop(0)
            if not lst:
                return paths  # numerical residue: nothing left to follow
            arc = lst[0]
            walk.append(arc)
            node = arc[1]
            if node in seen:  # cycle: cancel it and restart the walk
                cyc = walk[seen[node] :]
                q = min(a[2] for a in cyc)
                for a in cyc:
                    a[2] -= q
                break
            seen[node] = len(walk)
            if node in need:
                q = min(min(a[2] for a in walk), need[node])
                for a in walk:
                    a[2] -= q
                paths.append((node, tuple(a[0] for a in walk), q))
                need[node] -= q
                if need[node] <= TOL_GBPS:
                    del need[node]
                break
    return paths


def routing(m: Model, flow_values: np.ndarray, served: pd.DataFrame) -> pd.DataFrame:
    """Paths per (pair, year) from arc flows: ``pair_id, year, corridor_ids, gbps``."""
    f = m.flows.assign(x=flow_values)
    f = f[f["x"] > TOL_GBPS]
    nodes = m.meta["nodes"]
    ni = {n: i for i, n in enumerate(nodes)}
    cid = m.sets.corridors["corridor_id"].to_numpy()
    sv = served.merge(m.sets.pairs[["pair_id", "site_a", "site_b"]], on="pair_id")
    pair_of = {(a, b): p for p, a, b in zip(sv["pair_id"], sv["site_a"], sv["site_b"], strict=True)}
    rows = []
    for (src, year), g in f.groupby(["source", "year"], sort=True):
        arcs = list(
            zip(
                g["e"].to_numpy(int),
                g["tail"].to_numpy(int),
                g["head"].to_numpy(int),
                g["x"].to_numpy(float),
                strict=True,
            )
        )
        sub = sv[(sv["site_a"] == src) & (sv["year"] == year)]
        sinks = {ni[b]: q for b, q in zip(sub["site_b"], sub["served_gbps"], strict=True)}
        for sink, es, q in decompose(
            ni[src], [(i, t, h, x) for i, (_, t, h, x) in enumerate(arcs)], sinks
        ):
            rows.append(
                (pair_of[(src, nodes[sink])], int(year), tuple(cid[arcs[i][0]] for i in es), q)
            )
    return pd.DataFrame(rows, columns=["pair_id", "year", "corridor_ids", "gbps"])
